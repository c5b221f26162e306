#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn osv_dir() -> PathBuf {
    fixtures().join("osv")
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap()
}

/// Writes a zip of `(entry name, bytes)` with deflate, as the OSV bucket's `all.zip` is.
pub fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut w = ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

/// The fixture records of one `tests/fixtures/osv/<dir>` as zip entries named `<ID>.json`.
pub fn entries_of(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(osv_dir().join(dir))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

pub fn ids(advs: &[plimsoll_vulndb::Advisory]) -> Vec<&str> {
    advs.iter().map(|a| a.record.id.as_str()).collect()
}
