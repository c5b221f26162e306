//! The binary classifiers over any bytes, read in odd-sized pieces: never a panic, and a
//! version is always one the report may print.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_catalog::classify::{CLASSIFIERS, classify, valid_version};
use std::io::Read;

struct Chunked<'a>(&'a [u8], usize);

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.max(1).min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let c = &CLASSIFIERS[pick as usize % CLASSIFIERS.len()];
    // A file name the classifier reads.
    let name = c.names[0].replace('*', "3").replace("[0-9]", "3");
    let whole = classify(&format!("usr/bin/{name}"), &mut &rest[..]).unwrap();
    let pieces = classify(&format!("usr/bin/{name}"), &mut Chunked(rest, pick as usize)).unwrap();
    assert_eq!(whole, pieces, "the read size changes nothing");
    for f in &whole {
        assert!(valid_version(&f.version), "{:?}", f.version);
    }
});
