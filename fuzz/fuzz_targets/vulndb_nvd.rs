//! NVD CVE JSON 2.0 documents as `plimsoll db import` reads them: any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_vulndb::cpe::parse_cpe;
use plimsoll_vulndb::parse_nvd_document;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = parse_nvd_document(data) else {
        return;
    };
    for r in &doc.records {
        assert!(plimsoll_model::is_cve(&r.id));
        if let Some((_, score, _)) = &r.cvss {
            assert!((0.0..=10.0).contains(score), "{score}");
        }
        if let Some(d) = &r.description {
            assert!(d.chars().count() <= 4096);
            assert!(!d.chars().any(plimsoll_model::text::is_unsafe));
        }
        for c in &r.criteria {
            // Every stored criterion reads back as itself, and evaluating it never panics.
            assert_eq!(parse_cpe(&c.criteria).map(|p| p.product), Some(c.product.clone()));
            let _ = c.affects("1.2.3");
            let _ = c.affects(c.end_excluding.as_deref().unwrap_or("0"));
        }
    }
    for (_, _, reason) in &doc.skipped {
        assert!(!reason.is_empty());
    }
});
