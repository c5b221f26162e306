//! `WWW-Authenticate` header values, as a registry (or anything between) may send them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_image::registry::auth::parse_challenge;

fuzz_target!(|data: &[u8]| {
    // Header values reach the parser through `to_str()`, which only passes visible ASCII;
    // take any UTF-8 to cover more.
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(c) = parse_challenge(s) {
        assert!(!c.scheme.is_empty());
        let _ = (
            c.is_bearer(),
            c.is_basic(),
            c.param("realm"),
            c.param("scope"),
        );
    }
});
