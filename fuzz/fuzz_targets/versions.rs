//! Version strings as advisories, inventories and `plimsoll vercmp` hand them over: any bytes,
//! under every ordering. Parsing must never panic, and the ordering of whatever parses must be
//! antisymmetric and transitive; OSV range evaluation over the same strings must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_version::osv::{Event, Range, RangeKind, evaluate};
use plimsoll_version::{Scheme, compare};
use std::cmp::Ordering;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL[sel as usize % Scheme::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let parts: Vec<&str> = text.splitn(3, '\0').collect();
    for p in &parts {
        let _ = scheme.parse(p);
    }
    if let [a, b, ..] = parts[..] {
        if let (Ok(ab), Ok(ba)) = (compare(scheme, a, b), compare(scheme, b, a)) {
            assert_eq!(ab, ba.reverse(), "{scheme}: {a:?} / {b:?}");
        }
    }
    if let [a, b, c] = parts[..] {
        if let (Ok(ab), Ok(bc), Ok(ac)) =
            (compare(scheme, a, b), compare(scheme, b, c), compare(scheme, a, c))
        {
            if ab != Ordering::Greater && bc != Ordering::Greater {
                assert_ne!(ac, Ordering::Greater, "{scheme}: {a:?} <= {b:?} <= {c:?}");
            }
        }
        let ranges = [Range {
            kind: if sel & 0x80 == 0 { RangeKind::Ecosystem } else { RangeKind::Semver },
            repo: None,
            events: vec![Event::Introduced(a.to_string()), Event::Fixed(b.to_string())],
        }];
        let _ = evaluate(scheme, c, &ranges, &[a.to_string()]);
    }
});
