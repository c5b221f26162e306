//! sha256 blocklists as `plimsoll db import` reads them (hash lists and MalwareBazaar CSV
//! exports): any bytes, split into lines as the importer does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_vulndb::blocklist::{Line, Parser, read_blocklist};

fuzz_target!(|data: &[u8]| {
    let mut p = Parser::new();
    let mut entries = Vec::new();
    read_blocklist(
        &mut &data[..],
        &mut p,
        &mut |e| {
            entries.push(e);
            Ok(())
        },
        &mut |_, why| assert!(!why.is_empty()),
        "fuzz",
    )
    .expect("reading from memory cannot fail");
    for e in &entries {
        // Every stored hash is 64 lowercase hex digits; names hold no control character.
        assert_eq!(e.sha256.len(), 64);
        assert!(e.sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        if let Some(n) = &e.name {
            assert!(!n.is_empty() && !n.chars().any(char::is_control));
            assert!(n.chars().count() <= 200);
        }
    }
    if !entries.is_empty() {
        assert!(p.format().is_some());
    }
    // Line by line gives the same entries as the stream (when no line is near the limit,
    // where the stream counts the line ending and splitting does not).
    let max = plimsoll_vulndb::blocklist::MAX_LINE;
    if data.split(|b| *b == b'\n').any(|l| l.len() + 2 >= max) {
        return;
    }
    let mut q = Parser::new();
    let mut again = 0usize;
    for line in data.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Line::Entry(_) = q.line(line) {
            again += 1;
        }
    }
    assert_eq!(again, entries.len());
    assert_eq!(q.format(), p.format());
});
