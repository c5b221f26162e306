//! OSV records as `plimsoll db import` and `db update` read them: any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_vulndb::osv::{Affected, parse_record};
use plimsoll_vulndb::normalize_name;

fuzz_target!(|data: &[u8]| {
    let mut warnings = Vec::new();
    match parse_record(data, &mut warnings) {
        Ok(p) => {
            assert!(!p.record.id.trim().is_empty());
            assert!(!p.record.modified.trim().is_empty());
            for pkg in &p.packages {
                // The stored name is a fixed point of the normalization lookups apply.
                assert_eq!(normalize_name(&pkg.ecosystem, &pkg.name), pkg.name);
                // What the database stores must read back to the same entries.
                let json = serde_json::to_string(&pkg.entries).expect("entries serialize");
                let back: Vec<Affected> = serde_json::from_str(&json).expect("stored entries parse");
                assert_eq!(back.len(), pkg.entries.len());
                for (a, b) in back.iter().zip(&pkg.entries) {
                    assert_eq!(a.ranges, b.ranges);
                    assert_eq!(a.versions, b.versions);
                    assert_eq!(a.ecosystem_specific_json(), b.ecosystem_specific_json());
                }
            }
            for s in p.record.severity.iter() {
                if let Some(score) = s.base_score {
                    assert!((0.0..=10.0).contains(&score), "{score}");
                }
            }
        }
        Err(e) => assert!(!e.reason.is_empty()),
    }
});
