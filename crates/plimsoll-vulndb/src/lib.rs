//! The vulnerability database: one SQLite file built from OSV records, CISA KEV and FIRST
//! EPSS, opened read-only when scanning.
//!
//! This crate owns the schema, the importers, the download of updates from an OSV-shaped
//! bucket (`fetch`), offline import and export, and lookups by (ecosystem, normalized package
//! name). It does not decide whether a package is affected: range evaluation lives in
//! `plimsoll-version::osv` and matching in `plimsoll-match`.

pub mod fetch;
