//! The HTTP client set-up shared by the registry client (`plimsoll-image`) and the
//! vulnerability-feed fetcher (`plimsoll-vulndb`): one way to build a `ureq` agent, one retry
//! loop, one deadline per request.
//!
//! What it owns:
//!
//! - [`agent`]: TLS verified against the platform's roots (or not at all with `insecure`),
//!   plimsoll's `User-Agent`, a bound on each read of a body, up to 5 redirects, and
//!   `Authorization` kept only on redirects to the same host (a registry may send a blob to
//!   another path of its own, which needs the credentials again; a CDN or S3 must not get
//!   them). Statuses are answers, not errors: the callers decide what a 404 means.
//! - [`Deadline`]: `--timeout` is a deadline for the whole request, retries, backoff and (for
//!   the registry) the token round trip included. Each attempt gets only the time left, not
//!   a fresh full timeout. A streamed body may take longer as long as it keeps coming: a read
//!   that waits the whole timeout fails.
//! - [`retry`]: one retry loop. The caller says per attempt whether a failure is worth
//!   another try (429, 5xx, a transient transport error: [`is_transient`]) and what the
//!   server's `Retry-After` asked for ([`retry_after`], both forms of RFC 9110 §10.2.3).
//!   Backoff doubles from `backoff` with jitter, `Retry-After` wins, both are capped at
//!   [`MAX_DELAY`]; no retry starts that could not begin before the deadline.
//! - URL helpers: [`url_is_loopback`] (where plain HTTP may carry credentials),
//!   [`redact`] (a URL without `user:password@`, for every message: credentials are never
//!   written anywhere) and [`encode_segment`].
//!
//! What it does not own: what a request means. The registry's authentication and scheme
//! probing, the feeds' conditional requests, size limits and messages stay with them.

mod date;
mod retry;
mod url;

pub use date::{parse_http_date, retry_after};
pub use retry::{Failure, GaveUp, MAX_DELAY, RetryPolicy, retry};
pub use url::{encode_segment, redact, url_is_loopback};

use std::time::{Duration, Instant};

/// A response with its body still to read.
pub type Response = ureq::http::Response<ureq::Body>;

/// How an [`agent`] reaches servers.
#[derive(Debug, Clone, Copy)]
pub struct AgentOptions {
    /// Accept any certificate (the callers also allow plain HTTP then).
    pub insecure: bool,
    /// Longest wait for one read of a body; also the default deadline of a request.
    pub timeout: Duration,
}

/// Builds the agent. Status codes are returned as responses (`http_status_as_error` off).
pub fn agent(options: AgentOptions) -> ureq::Agent {
    let mut tls = ureq::tls::TlsConfig::builder();
    if options.insecure {
        tls = tls.disable_verification(true);
    } else {
        tls = tls.root_certs(ureq::tls::RootCerts::PlatformVerifier);
    }
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls.build())
        .user_agent(concat!("plimsoll/", env!("CARGO_PKG_VERSION")))
        .timeout_per_read(Some(options.timeout))
        // EPSS's "current" file and registries' blobs are redirects.
        .max_redirects(5)
        .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
        .build()
        .new_agent()
}

/// A transport failure that another attempt may not meet: a connection refused, reset or
/// cut, a timeout, a name that did not resolve, a response head cut short. TLS failures are
/// not transient (a certificate does not get better by asking again).
pub fn is_transient(e: &ureq::Error) -> bool {
    !is_tls(e)
        && matches!(
            e,
            ureq::Error::Io(_)
                | ureq::Error::Timeout(_)
                | ureq::Error::ConnectionFailed
                | ureq::Error::HostNotFound
                | ureq::Error::Protocol(_)
        )
}

/// A TLS failure: the handshake or the certificate.
pub fn is_tls(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Tls(_) | ureq::Error::Rustls(_))
        || e.to_string().to_ascii_lowercase().contains("certificate")
}

/// A response header as text, trimmed; `None` when absent, empty or not text.
pub fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The `Retry-After` of a response, as a wait from now.
pub fn retry_after_of(resp: &Response) -> Option<Duration> {
    header(resp, "retry-after").and_then(|v| retry_after(&v, std::time::SystemTime::now()))
}

/// What the body of a request is, for what the deadline bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// Small (a manifest, a token): read whole before the request ends, within the deadline.
    Whole,
    /// Handed on as a stream (a blob, a feed): the response head must come before the
    /// deadline; the body is bounded per read by the agent's timeout.
    Stream,
}

/// One request's deadline, computed once: it bounds every attempt, the waits between them
/// and any round trip the request needs (a token).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    timeout: Duration,
}

impl Deadline {
    /// `timeout` from now.
    pub fn after(timeout: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + timeout,
            timeout,
        }
    }

    /// The whole timeout this deadline was set with (for messages).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// What is left of it.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Gives a request what is left of the deadline.
    pub fn configure<B>(
        &self,
        req: ureq::RequestBuilder<B>,
        body: BodyKind,
    ) -> ureq::RequestBuilder<B> {
        let left = Some(self.remaining());
        let cfg = req.config();
        match body {
            BodyKind::Whole => cfg.timeout_global(left),
            // Each phase before the response head gets what is left when the attempt starts.
            BodyKind::Stream => cfg
                .timeout_resolve(left)
                .timeout_connect(left)
                .timeout_send_request(left)
                .timeout_recv_response(left),
        }
        .build()
    }
}
