//! Downloads from an OSV-shaped bucket (`<ECOSYSTEM>/all.zip`, `<ECOSYSTEM>/modified_id.csv`,
//! `<ECOSYSTEM>/<ID>.json`) and from the KEV and EPSS feeds, with conditional requests.
//!
//! Fetching only produces bytes and the new [`SourceState`]; applying them to a database is
//! the builder's job, so that a failed or interrupted download never touches a database.
//!
//! # The bucket
//!
//! OSV exports every ecosystem to `gs://osv-vulnerabilities/<ECOSYSTEM>/` (served over HTTPS
//! at `https://storage.googleapis.com/osv-vulnerabilities/`): one `<ID>.json` per record, an
//! `all.zip` of all of them, and `modified_id.csv`, one `<modified>,<ID>` line per record
//! with no header. `ecosystems.txt` at the root lists the ecosystems.
//! <https://google.github.io/osv.dev/data/#data-dumps>
//!
//! Traps, and what this module does about them:
//!
//! - Ecosystem names contain spaces and colons (`Red Hat`, `Rocky Linux`, `Ubuntu:22.04:LTS`)
//!   and ids contain colons (`RHSA-2024:1234`): each path segment is percent-encoded.
//! - The exporter writes `modified` with Go's `RFC3339Nano`, which drops trailing zeros of
//!   the fraction, and sorts the lines *as strings*, newest first. `…:56Z` therefore sorts
//!   before `…:56.5Z` although it is older. Timestamps are compared parsed, never as text,
//!   and reading stops only at the first line from an *earlier second* than the last
//!   update's newest, which the string order does keep below every later second.
//! - The csv is rewritten with the zip at the end of each export run; a full download reads
//!   the csv's newest timestamp *before* the zip, so that the zip is at least as new as the
//!   recorded timestamp (a later update may fetch a few records again, never miss one). When
//!   the zip's `Last-Modified` is older than the csv's the two come from different runs and
//!   no timestamp is recorded: the next update then makes a conditional request for the zip.
//! - A record listed in the csv may be gone by the time it is fetched (404), and ids in the
//!   csv are untrusted text: a 404 falls back to the whole zip, an id with `/`, `\`, control
//!   characters, or `.`/`..` is an error.
//! - Too many changed records cost more as single requests than as one zip: past
//!   [`FetchOptions::max_changed_records`] the update downloads `all.zip` instead.
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

pub use plimsoll_http::encode_segment;
use plimsoll_http::url_is_loopback;
use plimsoll_http::{BodyKind, Deadline, GaveUp, RetryPolicy, header, parse_http_date, redact};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// OSV's public bucket over HTTPS.
pub const DEFAULT_OSV_BASE_URL: &str = "https://storage.googleapis.com/osv-vulnerabilities";
/// CISA's Known Exploited Vulnerabilities catalog (JSON).
pub const DEFAULT_KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// FIRST's EPSS scores of the day, gzipped CSV (the host redirects to the dated file).
pub const DEFAULT_EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

/// Longest line accepted in `modified_id.csv` or `ecosystems.txt`.
const MAX_LINE: usize = 4096;

/// What plimsoll remembers about one source between updates (stored in the database).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// The URL last fetched for this source. For an OSV ecosystem, its directory
    /// (`<base>/<ECOSYSTEM>/`, encoded); a state whose URL differs from the one about to be
    /// fetched (another mirror) is ignored.
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
    /// The whole ecosystem: its `all.zip`, downloaded completely to this temporary file
    /// (already opened once as a zip). The file is removed when the `TempPath` is dropped;
    /// `keep()` it to hold on to it.
    Full {
        zip: tempfile::TempPath,
        state: SourceState,
    },
    /// Only these records changed: `(id, OSV JSON)`, newest first.
    Changed {
        records: Vec<(String, Vec<u8>)>,
        state: SourceState,
    },
}

impl EcosystemUpdate {
    pub fn state(&self) -> &SourceState {
        match self {
            EcosystemUpdate::Unchanged { state }
            | EcosystemUpdate::Full { state, .. }
            | EcosystemUpdate::Changed { state, .. } => state,
        }
    }
}

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

/// Byte counters for a progress bar, updated while downloading (from any thread). Bytes of
/// an attempt that failed and was retried are taken back out.
#[derive(Debug, Default)]
pub struct Progress {
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
    files_done: AtomicU64,
}

impl Progress {
    /// Body bytes received so far.
    pub fn bytes_done(&self) -> u64 {
        self.bytes_done.load(Ordering::Relaxed)
    }
    /// Sum of the `Content-Length`s of the bodies started so far.
    pub fn bytes_total(&self) -> u64 {
        self.bytes_total.load(Ordering::Relaxed)
    }
    /// Bodies received completely.
    pub fn files_done(&self) -> u64 {
        self.files_done.load(Ordering::Relaxed)
    }
}

/// Adds to a [`Progress`] and takes it back on drop unless committed.
struct Tally<'a> {
    progress: &'a Progress,
    done: u64,
    total: u64,
    committed: bool,
}

impl<'a> Tally<'a> {
    fn new(progress: &'a Progress) -> Self {
        Tally {
            progress,
            done: 0,
            total: 0,
            committed: false,
        }
    }
    fn expect(&mut self, n: u64) {
        self.total += n;
        self.progress.bytes_total.fetch_add(n, Ordering::Relaxed);
    }
    fn add(&mut self, n: u64) {
        self.done += n;
        self.progress.bytes_done.fetch_add(n, Ordering::Relaxed);
    }
    fn commit(mut self) {
        self.committed = true;
        self.progress.files_done.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Tally<'_> {
    fn drop(&mut self) {
        if !self.committed {
            self.progress
                .bytes_done
                .fetch_sub(self.done, Ordering::Relaxed);
            self.progress
                .bytes_total
                .fetch_sub(self.total, Ordering::Relaxed);
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

/// An HTTP client for the bucket and the feeds. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    options: FetchOptions,
    progress: Arc<Progress>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.options)
            .finish()
    }
}

impl Client {
    pub fn new(options: FetchOptions) -> Client {
        let agent = plimsoll_http::agent(plimsoll_http::AgentOptions {
            insecure: options.insecure,
            timeout: options.timeout,
        });
        Client {
            agent,
            options,
            progress: Arc::default(),
        }
    }

    /// Counts into `progress` from now on (share one between clients for one bar).
    pub fn with_progress(mut self, progress: Arc<Progress>) -> Client {
        self.progress = progress;
        self
    }

    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// `<base>/<ECOSYSTEM>/`, the ecosystem's directory, encoded: the `url` of its state.
    pub fn ecosystem_url(&self, ecosystem: &str) -> String {
        format!(
            "{}/{}/",
            self.options.osv_base_url.trim_end_matches('/'),
            encode_segment(ecosystem)
        )
    }

    fn check_url(&self, what: &str, url: &str) -> Result<(), FetchError> {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") {
            return Ok(());
        }
        if lower.starts_with("http://") {
            if self.options.insecure || url_is_loopback(url) {
                return Ok(());
            }
            return Err(FetchError::InsecureUrl {
                what: what.to_string(),
                url: redact(url),
            });
        }
        Err(FetchError::Invalid {
            what: what.to_string(),
            url: redact(url),
            line: None,
            message: "not an http(s) URL".to_string(),
        })
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts are used up. One
    /// deadline, `timeout` from the first attempt, bounds them all: each attempt is given
    /// the time left, and no retry starts that could not begin before it.
    fn retry<T>(
        &self,
        mut attempt: impl FnMut(&Deadline) -> Result<T, Failure>,
    ) -> Result<T, FetchError> {
        let policy = RetryPolicy {
            attempts: self.options.attempts,
            backoff: self.options.backoff,
        };
        let deadline = Deadline::after(self.options.timeout);
        plimsoll_http::retry(policy, &deadline, |_| attempt(&deadline)).map_err(|g| match g {
            GaveUp::Deadline { last, attempts } => FetchError::Deadline {
                last: Box::new(last),
                timeout: deadline.timeout(),
                attempts,
            },
            g => g.into_last(),
        })
    }

    /// One GET. 2xx, 304 and 404 are answers; 429 and 5xx are retryable; other statuses
    /// are final errors.
    fn get_once(
        &self,
        what: &str,
        url: &str,
        cond: Option<&SourceState>,
        deadline: &Deadline,
    ) -> Result<Answer, Failure> {
        let mut req = deadline.configure(self.agent.get(url), BodyKind::Stream);
        if let Some(c) = cond {
            if let Some(etag) = &c.etag {
                req = req.header("If-None-Match", etag.as_str());
            }
            if let Some(lm) = &c.last_modified {
                req = req.header("If-Modified-Since", lm.as_str());
            }
        }
        let resp = match req.call() {
            Ok(r) => r,
            Err(e) => {
                let retryable = plimsoll_http::is_transient(&e);
                let mut message = e.to_string();
                let tls = plimsoll_http::is_tls(&e);
                if tls && !self.options.insecure {
                    message.push_str(
                        " (TLS verification failed; for a mirror with a private CA add it to the system's trust store, or pass --insecure)",
                    );
                }
                let error = FetchError::Transport {
                    what: what.to_string(),
                    url: redact(url),
                    message,
                };
                return Err(if retryable && !tls {
                    Failure::Retry { error, after: None }
                } else {
                    Failure::Fatal(error)
                });
            }
        };
        // A redirect must not lead from https to plain http.
        let final_url = ureq::ResponseExt::get_uri(&resp).to_string();
        if final_url != url {
            self.check_url(what, &final_url)?;
        }
        let status = resp.status().as_u16();
        match status {
            200..=299 => Ok(Answer::Body(Box::new(resp))),
            304 if cond.is_some() => Ok(Answer::NotModified),
            404 => Ok(Answer::NotFound),
            429 | 500..=599 => Err(Failure::Retry {
                error: FetchError::Status {
                    what: what.to_string(),
                    url: redact(url),
                    status,
                },
                after: plimsoll_http::retry_after_of(&resp),
            }),
            _ => Err(Failure::Fatal(FetchError::Status {
                what: what.to_string(),
                url: redact(url),
                status,
            })),
        }
    }

    /// Copies a body into `sink`, bounded by `limit`, checking `Content-Length`.
    fn copy_body(
        &self,
        what: &str,
        url: &str,
        resp: Response,
        limit: u64,
        sink: &mut dyn Write,
        sink_path: &Path,
    ) -> Result<u64, Failure> {
        let too_large = || {
            Failure::Fatal(FetchError::TooLarge {
                what: what.to_string(),
                url: redact(url),
                limit,
            })
        };
        let length = content_length(&resp);
        if length.is_some_and(|l| l > limit) {
            return Err(too_large());
        }
        let mut tally = Tally::new(&self.progress);
        tally.expect(length.unwrap_or(0));
        let mut reader = resp.into_body().into_reader();
        let mut buf = vec![0u8; 64 * 1024];
        let mut got: u64 = 0;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Failure::Retry {
                        error: FetchError::Incomplete {
                            what: what.to_string(),
                            url: redact(url),
                            message: format!("after {got} bytes: {e}"),
                        },
                        after: None,
                    });
                }
            };
            got += n as u64;
            if got > limit {
                return Err(too_large());
            }
            tally.add(n as u64);
            sink.write_all(&buf[..n]).map_err(|source| {
                Failure::Fatal(FetchError::Io {
                    what: what.to_string(),
                    path: sink_path.to_path_buf(),
                    source,
                })
            })?;
        }
        if let Some(l) = length
            && l != got
        {
            return Err(Failure::Retry {
                error: FetchError::Incomplete {
                    what: what.to_string(),
                    url: redact(url),
                    message: format!("received {got} of {l} bytes"),
                },
                after: None,
            });
        }
        tally.commit();
        Ok(got)
    }

    /// GETs a small body into memory, retrying; 304 (only with `cond`) and 404 are answers.
    fn get_bytes(
        &self,
        what: &str,
        url: &str,
        cond: Option<&SourceState>,
        limit: u64,
    ) -> Result<Fetched<Vec<u8>>, FetchError> {
        self.check_url(what, url)?;
        self.retry(|deadline| match self.get_once(what, url, cond, deadline)? {
            Answer::NotModified => Ok(Fetched::NotModified),
            Answer::NotFound => Ok(Fetched::NotFound),
            Answer::Body(resp) => {
                let etag = header(&resp, "etag");
                let last_modified = header(&resp, "last-modified");
                let mut out = Vec::new();
                self.copy_body(what, url, *resp, limit, &mut out, Path::new("<memory>"))?;
                Ok(Fetched::Body {
                    body: out,
                    etag,
                    last_modified,
                })
            }
        })
    }
}

type Response = ureq::http::Response<ureq::Body>;

enum Answer {
    Body(Box<Response>),
    NotModified,
    NotFound,
}

enum Fetched<T> {
    Body {
        body: T,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
    NotFound,
}

type Failure = plimsoll_http::Failure<FetchError>;

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        Failure::Fatal(e)
    }
}

fn content_length(resp: &Response) -> Option<u64> {
    header(resp, "content-length").and_then(|v| v.parse().ok())
}

/// Downloads what changed in one ecosystem since `prev` (see the module doc for the
/// strategy). With no usable `prev` this is a full download of `all.zip` to a temporary
/// file in `tmp_dir`.
pub fn update_ecosystem(
    client: &Client,
    ecosystem: &str,
    prev: Option<&SourceState>,
    tmp_dir: &Path,
) -> Result<EcosystemUpdate, FetchError> {
    if ecosystem.is_empty()
        || ecosystem.contains(['/', '\\'])
        || ecosystem.chars().any(char::is_control)
        || ecosystem == "."
        || ecosystem == ".."
    {
        return Err(FetchError::Invalid {
            what: format!("OSV ecosystem {ecosystem:?}"),
            url: redact(&client.options.osv_base_url),
            line: None,
            message: "not a valid ecosystem name".to_string(),
        });
    }
    let dir_url = client.ecosystem_url(ecosystem);
    // A state recorded for another bucket says nothing about this one.
    let prev = prev.filter(|p| p.url == dir_url);
    if let Some(p) = prev
        && let Some(since) = p.newest_modified.as_deref().and_then(parse_rfc3339)
        && let Some(update) = incremental(client, ecosystem, &dir_url, p, since)?
    {
        return Ok(update);
    }
    full(client, ecosystem, &dir_url, prev, tmp_dir)
}

/// Tries an update from `modified_id.csv`; `None` means "download all.zip instead".
fn incremental(
    client: &Client,
    ecosystem: &str,
    dir_url: &str,
    prev: &SourceState,
    since: Timestamp,
) -> Result<Option<EcosystemUpdate>, FetchError> {
    let csv_url = format!("{dir_url}modified_id.csv");
    let what = format!("OSV {ecosystem} modified_id.csv");
    let max = client.options.max_changed_records;
    let Some(listing) = read_modified(client, &what, &csv_url, Stop::OlderThan(since, max))? else {
        return Ok(None);
    };
    if listing.too_many {
        return Ok(None);
    }
    let now = format_rfc3339(SystemTime::now());
    if listing.ids.is_empty() {
        return Ok(Some(EcosystemUpdate::Unchanged {
            state: SourceState {
                fetched_at: now,
                ..prev.clone()
            },
        }));
    }
    let Some(records) = fetch_records(client, ecosystem, dir_url, &listing.ids)? else {
        return Ok(None);
    };
    let newest = match (&listing.newest, &prev.newest_modified) {
        (Some((t, s)), _) if *t > since => Some(s.clone()),
        (_, p) => p.clone(),
    };
    Ok(Some(EcosystemUpdate::Changed {
        records,
        state: SourceState {
            newest_modified: newest,
            fetched_at: now,
            ..prev.clone()
        },
    }))
}

/// `(id, OSV JSON)`.
type Record = (String, Vec<u8>);

/// Fetches the changed records with a few requests in flight at once, in `ids` order.
/// `None` means "download all.zip instead": a listed record is gone (the csv and the
/// records disagree, the zip is the truth), or the records add up to more than
/// [`FetchOptions::max_changed_bytes`].
fn fetch_records(
    client: &Client,
    ecosystem: &str,
    dir_url: &str,
    ids: &[String],
) -> Result<Option<Vec<Record>>, FetchError> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    let next = AtomicUsize::new(0);
    let total = AtomicU64::new(0);
    let give_up = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<Vec<u8>>>> = ids.iter().map(|_| Mutex::new(None)).collect();
    let first_error: Mutex<Option<FetchError>> = Mutex::new(None);
    let fetch_one = |id: &str| -> Result<Option<Vec<u8>>, FetchError> {
        let url = format!("{dir_url}{}.json", encode_segment(id));
        let what = format!("OSV record {id} ({ecosystem})");
        match client.get_bytes(&what, &url, None, client.options.max_record_bytes)? {
            Fetched::Body { body, .. } => {
                check_record_id(&what, &url, id, &body)?;
                Ok(Some(body))
            }
            Fetched::NotFound | Fetched::NotModified => Ok(None),
        }
    };
    let workers = client.options.parallel_requests.clamp(1, 32).min(ids.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while !give_up.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(id) = ids.get(i) else { break };
                    match fetch_one(id) {
                        Ok(Some(body)) => {
                            let sum = total.fetch_add(body.len() as u64, Ordering::Relaxed)
                                + body.len() as u64;
                            if sum > client.options.max_changed_bytes {
                                give_up.store(true, Ordering::Relaxed);
                            }
                            *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(body);
                        }
                        Ok(None) => give_up.store(true, Ordering::Relaxed),
                        Err(e) => {
                            give_up.store(true, Ordering::Relaxed);
                            first_error
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    if give_up.load(Ordering::Relaxed) {
        return Ok(None);
    }
    let mut records = Vec::with_capacity(ids.len());
    for (id, slot) in ids.iter().zip(slots) {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(body) => records.push((id.clone(), body)),
            None => return Ok(None),
        }
    }
    Ok(Some(records))
}

fn full(
    client: &Client,
    ecosystem: &str,
    dir_url: &str,
    prev: Option<&SourceState>,
    tmp_dir: &Path,
) -> Result<EcosystemUpdate, FetchError> {
    // The csv first: see the module doc.
    let csv_url = format!("{dir_url}modified_id.csv");
    let csv_what = format!("OSV {ecosystem} modified_id.csv");
    let listing = read_modified(client, &csv_what, &csv_url, Stop::NewestOnly)?;
    let zip_url = format!("{dir_url}all.zip");
    let what = format!("OSV {ecosystem} all.zip");
    client.check_url(&what, &zip_url)?;
    let cond = prev.filter(|p| p.etag.is_some() || p.last_modified.is_some());
    let fetched = client.retry(|deadline| {
        let resp = match client.get_once(&what, &zip_url, cond, deadline)? {
            Answer::NotModified => return Ok(Fetched::NotModified),
            Answer::NotFound => return Ok(Fetched::NotFound),
            Answer::Body(resp) => resp,
        };
        let etag = header(&resp, "etag");
        let last_modified = header(&resp, "last-modified");
        let had_length = content_length(&resp).is_some();
        let io_err = |source| FetchError::Io {
            what: what.clone(),
            path: tmp_dir.to_path_buf(),
            source,
        };
        // Dropped (and so removed) on every early return below.
        let mut file = tempfile::Builder::new()
            .prefix(&format!(".osv-download-{}-", std::process::id()))
            .suffix(".zip")
            .tempfile_in(tmp_dir)
            .map_err(io_err)?;
        let path = file.path().to_path_buf();
        client.copy_body(
            &what,
            &zip_url,
            *resp,
            client.options.max_zip_bytes,
            file.as_file_mut(),
            &path,
        )?;
        file.as_file_mut().flush().map_err(io_err)?;
        let reopened = file.reopen().map_err(io_err)?;
        if let Err(e) = zip::ZipArchive::new(reopened) {
            let error = FetchError::Incomplete {
                what: what.clone(),
                url: redact(&zip_url),
                message: format!("not a complete zip archive ({e})"),
            };
            // Without a Content-Length a cut connection looks like a short zip: retry.
            return Err(if had_length {
                Failure::Fatal(error)
            } else {
                Failure::Retry { error, after: None }
            });
        }
        Ok(Fetched::Body {
            body: file.into_temp_path(),
            etag,
            last_modified,
        })
    })?;
    let now = format_rfc3339(SystemTime::now());
    match fetched {
        Fetched::NotModified => {
            let prev = prev.cloned().unwrap_or_default();
            Ok(EcosystemUpdate::Unchanged {
                state: SourceState {
                    url: dir_url.to_string(),
                    fetched_at: now,
                    ..prev
                },
            })
        }
        Fetched::NotFound => Err(FetchError::NotFound {
            what: format!("OSV ecosystem {ecosystem:?}"),
            url: redact(&zip_url),
            hint: " (names are case-sensitive; see ecosystems.txt in the bucket)".to_string(),
        }),
        Fetched::Body {
            body: zip,
            etag,
            last_modified,
        } => {
            let mut newest = listing.as_ref().and_then(|l| l.newest.clone());
            // Zip older than the csv: they straddle two export runs (module doc).
            if let (Some(zip_lm), Some(csv_lm)) = (
                last_modified.as_deref().and_then(parse_http_date),
                listing
                    .as_ref()
                    .and_then(|l| l.last_modified.as_deref())
                    .and_then(parse_http_date),
            ) && zip_lm < csv_lm
            {
                newest = None;
            }
            Ok(EcosystemUpdate::Full {
                zip,
                state: SourceState {
                    url: dir_url.to_string(),
                    etag,
                    last_modified,
                    newest_modified: newest.map(|(_, s)| s),
                    fetched_at: now,
                },
            })
        }
    }
}

/// How far to read `modified_id.csv`.
#[derive(Clone, Copy)]
enum Stop {
    /// Collect ids newer than this; give up past this many.
    OlderThan(Timestamp, usize),
    /// Only find the newest timestamp.
    NewestOnly,
}

#[derive(Default)]
struct Listing {
    ids: Vec<String>,
    /// Newest timestamp seen, parsed and as written.
    newest: Option<(Timestamp, String)>,
    too_many: bool,
    last_modified: Option<String>,
}

/// Streams `modified_id.csv` and stops as early as `stop` allows. `None` on 404.
fn read_modified(
    client: &Client,
    what: &str,
    url: &str,
    stop: Stop,
) -> Result<Option<Listing>, FetchError> {
    client.check_url(what, url)?;
    client.retry(|deadline| {
        let resp = match client.get_once(what, url, None, deadline)? {
            Answer::Body(r) => r,
            Answer::NotFound | Answer::NotModified => return Ok(None),
        };
        let mut listing = Listing {
            last_modified: header(&resp, "last-modified"),
            ..Listing::default()
        };
        let limit = client.options.max_csv_bytes;
        let mut reader = BufReader::new(resp.into_body().into_reader());
        let mut seen = HashSet::new();
        let mut line = Vec::new();
        let mut read: u64 = 0;
        let mut lineno = 0u64;
        let invalid = |lineno, message: String| {
            Failure::Fatal(FetchError::Invalid {
                what: what.to_string(),
                url: redact(url),
                line: Some(lineno),
                message,
            })
        };
        loop {
            line.clear();
            let n = (&mut reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(|e| Failure::Retry {
                    error: FetchError::Incomplete {
                        what: what.to_string(),
                        url: redact(url),
                        message: format!("after {read} bytes: {e}"),
                    },
                    after: None,
                })?;
            if n == 0 {
                break;
            }
            lineno += 1;
            read += n as u64;
            if read > limit {
                return Err(Failure::Fatal(FetchError::TooLarge {
                    what: what.to_string(),
                    url: redact(url),
                    limit,
                }));
            }
            if line.len() > MAX_LINE {
                return Err(invalid(
                    lineno,
                    format!("line longer than {MAX_LINE} bytes"),
                ));
            }
            let text = std::str::from_utf8(&line)
                .map_err(|_| invalid(lineno, "not UTF-8".to_string()))?
                .trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                continue;
            }
            let (ts_text, id) = text
                .split_once(',')
                .ok_or_else(|| invalid(lineno, format!("expected <modified>,<id>: {text:?}")))?;
            let ts = parse_rfc3339(ts_text).ok_or_else(|| {
                invalid(lineno, format!("{ts_text:?} is not an RFC 3339 timestamp"))
            })?;
            let id = id.trim();
            if !valid_id(id) {
                return Err(invalid(lineno, format!("{id:?} is not a usable record id")));
            }
            match &listing.newest {
                Some((n, _)) if *n >= ts => {}
                _ => listing.newest = Some((ts, ts_text.to_string())),
            }
            match stop {
                Stop::NewestOnly => {
                    // Same-second lines may be out of order; earlier seconds are not.
                    if listing
                        .newest
                        .as_ref()
                        .is_some_and(|(n, _)| ts.as_second() < n.as_second())
                    {
                        break;
                    }
                }
                Stop::OlderThan(since, max) => {
                    if ts.as_second() < since.as_second() {
                        break;
                    }
                    if ts > since && seen.insert(id.to_string()) {
                        listing.ids.push(id.to_string());
                        if listing.ids.len() > max {
                            listing.too_many = true;
                            break;
                        }
                    }
                }
            }
        }
        Ok(Some(listing))
    })
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id != "."
        && id != ".."
        && id.len() <= 256
        && !id.contains(['/', '\\'])
        && !id.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The record's own `id` must be the one its file name promised.
fn check_record_id(what: &str, url: &str, id: &str, body: &[u8]) -> Result<(), FetchError> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    let invalid = |message: String| FetchError::Invalid {
        what: what.to_string(),
        url: redact(url),
        line: None,
        message,
    };
    let rec: IdOnly =
        serde_json::from_slice(body).map_err(|e| invalid(format!("not an OSV record: {e}")))?;
    if rec.id != id {
        return Err(invalid(format!(
            "record has id {:?}, expected {id:?}",
            rec.id
        )));
    }
    Ok(())
}

/// Fetches a whole document (KEV JSON, EPSS CSV gzip) into memory, conditionally when
/// `prev` was recorded for the same URL. `None` means 304: unchanged since `prev`.
/// `what` names the document in errors ("CISA KEV").
pub fn fetch_document(
    client: &Client,
    what: &str,
    url: &str,
    prev: Option<&SourceState>,
    max_bytes: u64,
) -> Result<Option<(Vec<u8>, SourceState)>, FetchError> {
    let cond = prev.filter(|p| p.url == url && (p.etag.is_some() || p.last_modified.is_some()));
    match client.get_bytes(what, url, cond, max_bytes)? {
        Fetched::NotModified => Ok(None),
        Fetched::NotFound => Err(FetchError::NotFound {
            what: what.to_string(),
            url: redact(url),
            hint: String::new(),
        }),
        Fetched::Body {
            body,
            etag,
            last_modified,
        } => Ok(Some((
            body,
            SourceState {
                url: url.to_string(),
                etag,
                last_modified,
                newest_modified: None,
                fetched_at: format_rfc3339(SystemTime::now()),
            },
        ))),
    }
}

/// The ecosystems the bucket lists in `ecosystems.txt`, in its order.
pub fn list_ecosystems(client: &Client) -> Result<Vec<String>, FetchError> {
    let url = format!(
        "{}/ecosystems.txt",
        client.options.osv_base_url.trim_end_matches('/')
    );
    let what = "OSV ecosystems.txt";
    let body = match client.get_bytes(what, &url, None, 1 << 20)? {
        Fetched::Body { body, .. } => body,
        Fetched::NotFound | Fetched::NotModified => {
            return Err(FetchError::NotFound {
                what: what.to_string(),
                url: redact(&url),
                hint: String::new(),
            });
        }
    };
    let text = String::from_utf8(body).map_err(|_| FetchError::Invalid {
        what: what.to_string(),
        url: redact(&url),
        line: None,
        message: "not UTF-8".to_string(),
    })?;
    let mut seen = HashSet::new();
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.len() <= MAX_LINE && seen.insert(l.to_string()))
        .map(str::to_string)
        .collect())
}

/// An instant; `jiff`'s, ordered as time is.
type Timestamp = jiff::Timestamp;

/// Parses RFC 3339 `date-time` (`2024-05-01T12:34:56.789Z`, `…+02:00`); a time without an
/// offset is refused. RFC 3339 allows any number of fraction digits and jiff reads nine, so
/// the rest are dropped (below a nanosecond, they cannot change an order we act on).
fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let Some(dot) = s.find('.') else {
        return s.parse().ok();
    };
    let digits = s[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    if digits <= 9 {
        return s.parse().ok();
    }
    format!("{}{}", &s[..dot + 10], &s[dot + 1 + digits..])
        .parse()
        .ok()
}

/// Formats a time as RFC 3339 UTC to the second: `2026-12-01T21:32:26Z`.
pub fn format_rfc3339(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        parse_rfc3339(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn parses_rfc3339() {
        assert_eq!(ts("1970-01-01T00:00:00Z"), Timestamp::UNIX_EPOCH);
        let t = ts("2024-05-01T12:34:56.5Z");
        assert_eq!(
            (t.as_second(), t.subsec_nanosecond()),
            (1_714_566_896, 500_000_000)
        );
        assert_eq!(ts("2024-05-01T14:34:56+02:00"), ts("2024-05-01T12:34:56Z"));
        assert_eq!(
            ts("2024-05-01t12:34:56.123456789012z").subsec_nanosecond(),
            123_456_789
        );
        assert_eq!(ts("2024-02-29T00:00:00Z").as_second(), 1_709_164_800);
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T12:34:56",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T12:34:56.Z",
            "2024-05-01T12:34:56Zjunk",
            "2024-05-01T25:00:00Z",
            "２０２４-05-01T12:34:56Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn osv_string_order_is_not_time_order() {
        // The exporter's string sort puts the whole second first although it is older.
        let mut lines = ["2024-05-01T12:34:56.5Z", "2024-05-01T12:34:56Z"];
        lines.sort_by(|a, b| b.cmp(a));
        assert_eq!(lines[0], "2024-05-01T12:34:56Z");
        assert!(ts(lines[0]) < ts(lines[1]));
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_714_566_896);
        assert_eq!(format_rfc3339(t), "2024-05-01T12:34:56Z");
        let now = SystemTime::now();
        let s = format_rfc3339(now);
        let back = ts(&s).as_second();
        let want = now.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        assert_eq!(back, want);
    }

    #[test]
    fn ids() {
        assert!(valid_id("GHSA-jfh8-c2jp-5v3q"));
        assert!(valid_id("RHSA-2024:1234"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a b", "a\u{0}"] {
            assert!(!valid_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let c = Client::new(FetchOptions::default());
        assert!(c.check_url("t", "http://127.0.0.1:1/x").is_ok());
        assert!(c.check_url("t", "http://localhost/x").is_ok());
        assert!(matches!(
            c.check_url("t", "http://mirror.example/x"),
            Err(FetchError::InsecureUrl { .. })
        ));
        assert!(c.check_url("t", "ftp://mirror.example/x").is_err());
        let insecure = Client::new(FetchOptions {
            insecure: true,
            ..FetchOptions::default()
        });
        assert!(insecure.check_url("t", "http://mirror.example/x").is_ok());
    }
}
