//! SBOM documents given to `plimsoll sbom`: CycloneDX and SPDX JSON from any tool.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, packages)) = plimsoll_report::read_sbom(data) {
        for p in &packages {
            assert!(!p.kind.is_empty() || !p.purl.is_empty());
        }
    }
});
