//! Downloads from an OSV-shaped bucket (`<ECOSYSTEM>/all.zip`, `<ECOSYSTEM>/modified_id.csv`,
//! `<ECOSYSTEM>/<ID>.json`) and from the KEV and EPSS feeds, with conditional requests.
//!
//! Fetching only produces bytes and the new [`SourceState`]; applying them to a database is
//! the builder's job, so that a failed or interrupted download never touches a database.
//!
//! The module is split by job:
//!
//! - `client`: the feeds' side of HTTP over `plimsoll-http` (conditional requests,
//!   bounded bodies, progress counters, plain-HTTP refusal) and whole documents (KEV, EPSS);
//! - `osv_bucket`: listing and downloading an OSV-shaped bucket, incrementally or whole;
//! - `state`: what is remembered between updates ([`SourceState`]) and what one update
//!   brought ([`EcosystemUpdate`]), with the timestamps they hold.
//!
//! # Transport
//!
//! The agent, the retry loop and the deadline are `plimsoll-http`'s, shared with the
//! registry client. Plain `http://` is refused except to loopback or with `insecure`, since
//! whoever can change vulnerability data in transit can hide vulnerabilities. Requests are
//! retried on 429, 5xx, transient transport failures and bodies cut short, with jittered
//! exponential backoff (a `Retry-After`, seconds or HTTP-date, wins, up to 30 s), all within
//! one `timeout` deadline per request: each attempt gets only the time left. Sizes are
//! bounded; the zip is streamed to a temporary file that is removed if anything fails and
//! when the returned [`tempfile::TempPath`] is dropped.

mod client;
mod osv_bucket;
mod state;

pub use client::{Client, Progress, fetch_document};
pub use osv_bucket::{list_ecosystems, update_ecosystem};
pub use plimsoll_http::encode_segment;
pub use state::{EcosystemUpdate, SourceState, format_rfc3339};

use std::path::PathBuf;
use std::time::Duration;

/// OSV's public bucket over HTTPS.
pub const DEFAULT_OSV_BASE_URL: &str = "https://storage.googleapis.com/osv-vulnerabilities";
/// CISA's Known Exploited Vulnerabilities catalog (JSON).
pub const DEFAULT_KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// FIRST's EPSS scores of the day, gzipped CSV (the host redirects to the dated file).
pub const DEFAULT_EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

/// Longest line accepted in `modified_id.csv` or `ecosystems.txt`.
const MAX_LINE: usize = 4096;

/// Limits and transport settings.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Root of the OSV-shaped bucket, without a trailing slash.
    pub osv_base_url: String,
    /// Skip TLS verification and allow plain HTTP to any host.
    pub insecure: bool,
    /// Attempts per request on 429, 5xx and transport failures (at least 1).
    pub attempts: u32,
    /// First backoff delay; doubles each retry, with jitter.
    pub backoff: Duration,
    /// Deadline of each request, retries and backoff included: each attempt's connection
    /// and response head get only the time left. A body may take longer as long as it
    /// keeps coming: a read that waits this long fails.
    pub timeout: Duration,
    /// Largest `all.zip` accepted.
    pub max_zip_bytes: u64,
    /// Largest single record JSON accepted.
    pub max_record_bytes: u64,
    /// Most bytes read from a `modified_id.csv`.
    pub max_csv_bytes: u64,
    /// More changed records than this and the update downloads `all.zip` instead.
    pub max_changed_records: usize,
    /// Changed records adding up to more bytes than this: `all.zip` instead (it goes to
    /// disk, the records are held in memory).
    pub max_changed_bytes: u64,
    /// Record requests in flight at once during an incremental update.
    pub parallel_requests: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            osv_base_url: DEFAULT_OSV_BASE_URL.to_string(),
            insecure: false,
            attempts: 5,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(60),
            max_zip_bytes: 2 << 30,
            max_record_bytes: 16 << 20,
            max_csv_bytes: 256 << 20,
            max_changed_records: 2000,
            max_changed_bytes: 256 << 20,
            parallel_requests: 8,
        }
    }
}

/// Why a download failed. Every variant names what was fetched and the URL (with any
/// credentials removed).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{what}: {url} answered HTTP {status}{}", status_hint(*.status))]
    Status {
        what: String,
        url: String,
        status: u16,
    },
    #[error("{what}: not found at {url} (HTTP 404){hint}")]
    NotFound {
        what: String,
        url: String,
        hint: String,
    },
    #[error("{what}: request to {url} failed: {message}")]
    Transport {
        what: String,
        url: String,
        message: String,
    },
    #[error("{what}: {url} is larger than the limit of {limit} bytes")]
    TooLarge {
        what: String,
        url: String,
        limit: u64,
    },
    #[error("{what}: download from {url} is incomplete: {message}")]
    Incomplete {
        what: String,
        url: String,
        message: String,
    },
    #[error("{what}: {url}{}: {message}", .line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Invalid {
        what: String,
        url: String,
        line: Option<u64>,
        message: String,
    },
    #[error(
        "{what}: refusing plain HTTP to {url}: whoever can alter vulnerability data in transit can hide vulnerabilities (use https, or --insecure)"
    )]
    InsecureUrl { what: String, url: String },
    /// The last failure before the deadline left no time for another attempt.
    #[error(
        "{last} (gave up at the --timeout deadline of {}s after {attempts} attempt{})",
        .timeout.as_secs_f64(),
        if *.attempts == 1 { "" } else { "s" }
    )]
    Deadline {
        last: Box<FetchError>,
        timeout: Duration,
        attempts: u32,
    },
    #[error("{what}: {}: {source}", .path.display())]
    Io {
        what: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FetchError {
    /// The HTTP status behind the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            FetchError::NotFound { .. } => Some(404),
            FetchError::Deadline { last, .. } => last.status(),
            _ => None,
        }
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (access denied: is the bucket URL right, and public?)",
        429 => " (rate limited; retries exhausted)",
        500..=599 => " (server error; retries exhausted)",
        _ => "",
    }
}
