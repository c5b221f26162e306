//! The feeds' side of HTTP: conditional GETs, bodies bounded in size and counted for a
//! progress bar, plain HTTP refused except to loopback, every attempt within one deadline
//! (`plimsoll-http`'s agent, retry loop and deadline), and whole documents (KEV, EPSS).

use super::{FetchError, FetchOptions, SourceState, format_rfc3339};
use plimsoll_http::{
    BodyKind, Deadline, GaveUp, RetryPolicy, encode_segment, header, redact, url_is_loopback,
};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

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

/// An HTTP client for the bucket and the feeds. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    pub(super) options: FetchOptions,
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

    pub(super) fn check_url(&self, what: &str, url: &str) -> Result<(), FetchError> {
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
    pub(super) fn retry<T>(
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
    pub(super) fn get_once(
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
    pub(super) fn copy_body(
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
    pub(super) fn get_bytes(
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

pub(super) type Response = ureq::http::Response<ureq::Body>;

pub(super) enum Answer {
    Body(Box<Response>),
    NotModified,
    NotFound,
}

pub(super) enum Fetched<T> {
    Body {
        body: T,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
    NotFound,
}

pub(super) type Failure = plimsoll_http::Failure<FetchError>;

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        Failure::Fatal(e)
    }
}

pub(super) fn content_length(resp: &Response) -> Option<u64> {
    header(resp, "content-length").and_then(|v| v.parse().ok())
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

#[cfg(test)]
mod tests {
    use super::*;

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
