//! The hardening checks' parsers of untrusted text: history lines (the builders' wrapping,
//! `EXPOSE`, `ADD`, pipes into a shell), creation times, key and credential paths, and
//! `.docker/config.json` contents. None may panic, whatever the image says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_scan::hardening::{config, keys};

fuzz_target!(|data: &[u8]| {
    let _ = keys::docker_config_has_auths(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ins = config::instruction(text);
    let _ = config::exposes_ssh(&ins);
    let _ = config::adds_remote_url(&ins);
    let _ = config::pipes_download_to_shell(&ins);
    let _ = config::days_of(text);
    if let Some((id, path)) = keys::classify(text) {
        assert!(!id.is_empty());
        assert!(path.len() <= text.len());
    }
    let _ = keys::is_env_file(text);
});
