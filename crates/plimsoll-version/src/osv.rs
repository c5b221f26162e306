//! OSV `affected[].ranges` as data (<https://ossf.github.io/osv-schema/#affectedranges-field>).
//!
//! The types are shared by the database (which stores and validates them) and the matcher
//! (which evaluates them). They deserialize from the OSV JSON shape directly:
//! `{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}`.
//! `ranges[].database_specific` is deliberately not kept: the schema says it must never
//! change how a range is evaluated.

use serde::{Deserialize, Serialize};

/// One entry of `affected[].ranges`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// The repository a `GIT` range's commits belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub events: Vec<Event>,
}

/// `ranges[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    /// SemVer 2.0.0 precedence, whatever the ecosystem.
    Semver,
    /// The ecosystem's own ordering.
    Ecosystem,
    /// Commit hashes, evaluated on the repository's commit graph.
    Git,
}

/// One event of a range; exactly one key per JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A version from which the package is affected; `"0"` means before every version.
    Introduced(String),
    /// The first version that is no longer affected.
    Fixed(String),
    /// The last affected version (inclusive).
    LastAffected(String),
    /// An upper bound on the range (`"*"` is infinity); meant for GIT ranges.
    Limit(String),
}
