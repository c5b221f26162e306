//! The Go and Rust parsers of plimsoll-catalog on arbitrary bytes: executables (ELF section
//! lookup, Go build info in both forms, `cargo auditable`'s zlib JSON), `go.mod` and
//! `Cargo.lock`. The first byte picks the parser; the rest is the file. Seeds: the real
//! fixtures in `crates/plimsoll-catalog/tests/fixtures/binaries/` with a leading `\0`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_catalog::{binary, golang, rust};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 5 {
        0 => {
            let _ = binary::parse_binary(rest);
        }
        1 => {
            // Pretend to be an ELF file so every input reaches the section lookup.
            let mut v = b"\x7fELF".to_vec();
            v.extend_from_slice(rest);
            let _ = binary::parse_binary(&v);
            let _ = golang::read_buildinfo(rest);
        }
        2 => {
            let _ = rust::parse_auditable(rest);
        }
        3 => {
            if let Ok(s) = std::str::from_utf8(rest) {
                if let Ok(m) = golang::parse_go_mod(s) {
                    let _ = golang::go_mod_packages(&m);
                }
                let _ = golang::buildinfo_packages(&golang::parse_modinfo(s));
            }
        }
        _ => {
            let _ = rust::parse_cargo_lock(rest);
        }
    }
});
