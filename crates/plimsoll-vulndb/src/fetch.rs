//! Downloads from an OSV-shaped bucket (`<ECOSYSTEM>/all.zip`, `<ECOSYSTEM>/modified_id.csv`,
//! `<ECOSYSTEM>/<ID>.json`) and from the KEV and EPSS feeds, with conditional requests.
//!
//! Fetching only produces bytes and the new [`SourceState`]; applying them to a database is
//! the builder's job, so that a failed or interrupted download never touches a database.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What plimsoll remembers about one source between updates (stored in the database).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// The URL last fetched for this source.
    pub url: String,
    /// HTTP `ETag` of the last full download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// HTTP `Last-Modified` of the last full download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Newest `modified` timestamp seen in the ecosystem's `modified_id.csv` (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_modified: Option<String>,
    /// When this source was last fetched (RFC 3339, UTC).
    pub fetched_at: String,
}

/// What the bucket said about one ecosystem since the last fetch.
#[derive(Debug)]
pub enum EcosystemUpdate {
    /// Nothing changed (a 304, or no line newer than the state's `newest_modified`).
    Unchanged { state: SourceState },
    /// The whole ecosystem: its `all.zip`, downloaded completely to this temporary file.
    Full { zip: PathBuf, state: SourceState },
    /// Only these records changed: `(id, OSV JSON)`.
    Changed {
        records: Vec<(String, Vec<u8>)>,
        state: SourceState,
    },
}
