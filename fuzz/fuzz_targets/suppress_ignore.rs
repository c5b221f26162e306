//! Ignore files (`.plimsollignore`, `.trivyignore`, `.trivyignore.yaml`): any text. The first
//! byte picks the name (even: plain unless the content looks like YAML; odd: `.yaml`).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common_report;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = if first % 2 == 0 { ".trivyignore" } else { ".trivyignore.yaml" };
    match plimsoll_policy::ignore::parse(name, text) {
        Ok(file) => {
            for r in &file.rules {
                assert!(r.line >= 1);
                assert!(r.id.is_some() || !r.paths.is_empty() || !r.purls.is_empty() || !r.packages.is_empty());
            }
            common_report::check(&plimsoll_policy::Suppressions {
                ignore: vec![file],
                ignore_unfixed: first & 2 != 0,
                ..Default::default()
            });
        }
        Err(e) => {
            assert_eq!(e.file, name);
            let (line, column) = e.at.expect("content errors have a position");
            assert!(line >= 1 && column >= 1, "{e}");
            assert!(!e.message.contains('\n'), "{e}");
        }
    }
});
