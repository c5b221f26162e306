//! The Java archive cataloger of plimsoll-catalog on arbitrary bytes: a jar, war or ear with
//! nested archives, read in memory under the crate's bounds (total decompressed bytes,
//! entries, depth). The input is the archive itself; inputs that do not start with the zip
//! magic are refused at once, so the seeds should be small real jars.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_catalog::java::JavaArchives;
use plimsoll_catalog::{Cataloger, Context};

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = JavaArchives.parse("app/lib/app-1.0.jar", data, &Context::default()) else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    for p in &parsed.packages {
        assert_eq!(p.kind, "maven");
        assert_eq!(p.ecosystem, "Maven");
        assert!(!p.name.is_empty() && !p.version.is_empty(), "{p:?}");
        assert!(p.purl.starts_with("pkg:"), "{}", p.purl);
        assert_eq!(p.origin, "installed");
        assert!(
            seen.insert((p.name.clone(), p.version.clone())),
            "duplicate {p:?}"
        );
    }
    assert!(parsed.owned_files.is_empty());
});
