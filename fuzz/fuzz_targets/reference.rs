//! What users type: image references (`debian:12`, `ghcr.io/o/r@sha256:…`,
//! `docker-archive:PATH:NAME:TAG`, …) and `--platform` values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_image::{ImageSource, RegistryRef, platform};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // `ImageSource::parse` looks at the filesystem for bare paths; keep the fuzzer away from
    // reading arbitrary host files (it may only name paths that do not exist).
    if !s.starts_with('/') && !s.starts_with('.') && !s.contains("/dev") && !s.contains("/proc") {
        let _ = ImageSource::parse(s).map(|src| src.kind());
    }
    if let Ok(r) = RegistryRef::parse(s) {
        let _ = (
            r.api_host(),
            r.credential_key(),
            r.manifest_reference(),
            r.is_loopback(),
        );
        // What we print must parse back to the same reference.
        let shown = r.to_string();
        let again = RegistryRef::parse(&shown)
            .unwrap_or_else(|e| panic!("{s:?} parsed, but its display {shown:?} does not: {e}"));
        assert_eq!(again, r, "{s:?} -> {shown:?}");
    }
    if let Ok(p) = platform::parse(s) {
        let _ = platform::matches(&p, &platform::host());
        assert_eq!(platform::parse(&p.to_string()).ok(), Some(p));
    }
});
