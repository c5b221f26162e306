//! The SQLite schema (documented for `sqlite3` users in `docs/db.md`).
//!
//! Lookups go through `affected`: one row per (record, full ecosystem, normalized package
//! name), holding that record's affected entries for the package as one compact JSON array,
//! so a lookup is one index range scan plus one primary-key join to `records`.
//! Secondary indexes are created after bulk inserts (`INDEXES`), which is several times
//! faster than maintaining them row by row.

/// Bumped whenever a reader of the previous layout would misread this one. A new table is
/// not a bump: readers treat a missing table as empty and `Builder::update` creates it (the
/// `blocklist` table came that way, in issue 14).
pub const SCHEMA_VERSION: u32 = 1;

pub(crate) const TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    sid        INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    url        TEXT,
    state      TEXT,
    records    INTEGER NOT NULL DEFAULT 0,
    fetched_at TEXT,
    details    TEXT
);
CREATE TABLE IF NOT EXISTS records (
    rid               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    modified          TEXT NOT NULL,
    published         TEXT,
    withdrawn         TEXT,
    summary           TEXT,
    aliases           TEXT NOT NULL,
    upstream          TEXT NOT NULL,
    related           TEXT NOT NULL,
    severity          TEXT NOT NULL,
    severity_label    TEXT,
    max_cvss          REAL,
    database_specific TEXT
);
CREATE TABLE IF NOT EXISTS record_sources (
    rid INTEGER NOT NULL,
    sid INTEGER NOT NULL,
    PRIMARY KEY (rid, sid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS affected (
    rid            INTEGER NOT NULL,
    ecosystem      TEXT NOT NULL,
    base_ecosystem TEXT NOT NULL,
    name           TEXT NOT NULL,
    entries        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS affected_rid ON affected(rid);
CREATE TABLE IF NOT EXISTS record_aliases (
    alias TEXT NOT NULL,
    rid   INTEGER NOT NULL,
    kind  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_aliases_rid ON record_aliases(rid);
CREATE TABLE IF NOT EXISTS kev (
    cve                TEXT PRIMARY KEY,
    vendor_project     TEXT,
    product            TEXT,
    vulnerability_name TEXT,
    date_added         TEXT NOT NULL,
    due_date           TEXT,
    known_ransomware   INTEGER NOT NULL,
    cwes               TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epss (
    cve        TEXT PRIMARY KEY,
    score      REAL NOT NULL,
    percentile REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocklist (
    sha256 TEXT NOT NULL,
    sid    INTEGER NOT NULL,
    name   TEXT,
    PRIMARY KEY (sha256, sid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ecosystem_counts (
    ecosystem TEXT PRIMARY KEY,
    records   INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Created (if missing) when a build finishes.
pub(crate) const INDEXES: &str = r#"
CREATE INDEX IF NOT EXISTS affected_package ON affected(name, base_ecosystem, ecosystem);
CREATE INDEX IF NOT EXISTS record_aliases_alias ON record_aliases(alias);
CREATE INDEX IF NOT EXISTS record_sources_sid ON record_sources(sid);
"#;

/// NVD CVE records and their CPE match criteria (`feeds/nvd.rs`), created by the first NVD
/// import: a database without them has no CPE data, and readers check for the table.
pub(crate) const CPE_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS nvd_cves (
    cve          TEXT PRIMARY KEY,
    published    TEXT,
    modified     TEXT NOT NULL,
    description  TEXT,
    cvss_version TEXT,
    cvss_score   REAL,
    cvss_vector  TEXT,
    severity     TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cpe_matches (
    cve             TEXT NOT NULL,
    part            TEXT NOT NULL,
    vendor          TEXT NOT NULL,
    product         TEXT NOT NULL,
    version         TEXT NOT NULL,
    version_update  TEXT NOT NULL,
    start_including TEXT,
    start_excluding TEXT,
    end_including   TEXT,
    end_excluding   TEXT,
    criteria        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cpe_matches_product ON cpe_matches(vendor, product);
CREATE INDEX IF NOT EXISTS cpe_matches_cve ON cpe_matches(cve);
"#;
