//! One importer per feed, each an `impl Builder` block that turns the feed's bytes into rows
//! (the builder owns the connection, the transaction and the source bookkeeping):
//!
//! - `osv`: OSV records (every ecosystem, whether from a file, a directory, a zip or the
//!   bucket);
//! - `kev`: CISA KEV;
//! - `epss`: FIRST EPSS;
//! - `blocklist`: sha256 blocklists of malicious files (hash lists, MalwareBazaar CSV).
//! - `nvd`: NVD CVE JSON 2.0 (CPE match criteria, for binaries found by classification).
//!
//! A new feed is a new file here, its table in `schema.rs`, and its sniffing in `import.rs`.

pub mod blocklist;
mod epss;
mod kev;
pub mod nvd;
mod osv;
