//! VEX documents given to `--vex`: OpenVEX and CycloneDX JSON, any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common_report;

fuzz_target!(|data: &[u8]| {
    match plimsoll_policy::vex::parse("vex.json", data) {
        Ok(doc) => {
            for s in &doc.statements {
                assert!(!s.vulnerability.is_empty());
                assert!(!s.products.is_empty());
            }
            common_report::check(&plimsoll_policy::Suppressions {
                vex: vec![doc],
                ..Default::default()
            });
        }
        Err(e) => {
            assert_eq!(e.file, "vex.json");
            if let Some((line, column)) = e.at {
                assert!(line >= 1, "{e}");
                let _ = column;
            }
        }
    }
});
