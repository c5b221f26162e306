//! A blocking client for the OCI distribution API: just what a scanner needs, pulling
//! manifests and blobs, with authentication, retries and TLS policy.
//!
//! Written here over `ureq` rather than taken from `oci-client` because the rest of the
//! pipeline is synchronous (rayon workers stream blobs straight into the tar walker) and
//! because scanning needs control that a general client hides: the body of a blob is handed
//! on as a `Read` so it is verified, cached and walked in one pass, and bad answers are
//! turned into messages that name the registry and what to do.
//! <https://github.com/opencontainers/distribution-spec/blob/main/spec.md>
//!
//! TLS is verified by default against the system's and Mozilla's roots. `--insecure`
//! accepts any certificate and allows falling back to plain HTTP; registries on loopback
//! may use plain HTTP without it, as the Docker engine allows for `localhost`.

pub mod auth;

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::source::RegistryRef;
use auth::{Challenge, Credential};
use plimsoll_http::{
    BodyKind, Deadline, Failure, GaveUp, RetryPolicy, encode_segment, url_is_loopback,
};
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

/// Media types accepted for manifests, most specific first.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Registries must accept manifests of at least 4 MiB; refuse anything larger.
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// How to reach a registry.
#[derive(Clone, Default)]
pub struct RegistryOptions {
    /// Explicit credential (`--username/--password` or environment); wins over the Docker config.
    pub credential: Option<Credential>,
    /// Skip TLS verification and allow plain HTTP.
    pub insecure: bool,
    /// Attempts per request on 429, 5xx and transport errors (at least 1).
    pub attempts: u32,
    /// First backoff delay; doubles each retry, with jitter (a `Retry-After` header wins, up
    /// to 30 s).
    pub backoff: Duration,
    /// Deadline of each registry operation (a manifest, a blob, with their authentication
    /// round trip), retries and backoff included: no attempt starts past it, and each
    /// attempt gets only the time left. A blob's body may take longer as long as it keeps
    /// coming: a read that waits this long fails.
    pub timeout: Duration,
    /// Do not read `~/.docker/config.json` (tests).
    pub ignore_docker_config: bool,
}

impl std::fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryOptions")
            .field("credential", &self.credential)
            .field("insecure", &self.insecure)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl RegistryOptions {
    pub fn new() -> RegistryOptions {
        RegistryOptions {
            credential: None,
            insecure: false,
            attempts: 5,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(60),
            ignore_docker_config: false,
        }
    }
}

/// A manifest or index as fetched.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub media_type: Option<String>,
    pub digest: Digest,
}

pub struct Client {
    reference: RegistryRef,
    agent: ureq::Agent,
    options: RegistryOptions,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// `https` or `http`, decided by the first request.
    scheme: Option<&'static str>,
    /// `Authorization` header value to send, once learned.
    authorization: Option<String>,
    credential: Option<Option<Credential>>,
}

impl Client {
    pub fn new(reference: RegistryRef, options: RegistryOptions) -> Client {
        let agent = plimsoll_http::agent(plimsoll_http::AgentOptions {
            insecure: options.insecure,
            timeout: options.timeout,
        });
        Client {
            reference,
            agent,
            options,
            state: Mutex::new(State::default()),
        }
    }

    pub fn reference(&self) -> &RegistryRef {
        &self.reference
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::Registry {
            registry: self.reference.registry.clone(),
            message: message.into(),
        }
    }

    /// Fetches a manifest or index by tag or digest. When fetched by digest the content is
    /// verified against it.
    pub fn manifest(&self, reference: &str) -> Result<Fetched> {
        let path = format!("/v2/{}/manifests/{reference}", self.reference.repository);
        let resp = self.get(&path, Some(MANIFEST_ACCEPT), BodyKind::Whole)?;
        let media_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or(s).trim().to_string());
        let bytes = resp
            .into_body()
            .with_config()
            .limit(MAX_MANIFEST_SIZE)
            .read_to_vec()
            .map_err(|e| self.err(format!("reading manifest {reference}: {e}")))?;
        let digest = match Digest::parse(reference) {
            Ok(expected) => {
                let mut h = crate::digest::Hasher::new(expected.algorithm());
                h.update(&bytes);
                let actual = h.finish();
                if actual != expected {
                    return Err(Error::Blob {
                        input: self.reference.to_string(),
                        digest: expected.to_string(),
                        message: format!("manifest content hashes to {actual}"),
                    });
                }
                actual
            }
            Err(_) => Digest::sha256_of(&bytes),
        };
        Ok(Fetched {
            bytes,
            media_type,
            digest,
        })
    }

    /// Opens a blob for streaming. The caller verifies the digest while reading.
    pub fn blob(&self, digest: &Digest) -> Result<Box<dyn Read + Send>> {
        let path = format!("/v2/{}/blobs/{digest}", self.reference.repository);
        let resp = self.get(&path, None, BodyKind::Stream)?;
        Ok(Box::new(resp.into_body().into_reader()))
    }

    /// GET with authentication, retries and scheme selection; returns only 2xx responses.
    /// The whole of it, retries and the token request included, is bounded by one deadline
    /// (`timeout` from now).
    fn get(
        &self,
        path: &str,
        accept: Option<&str>,
        body: BodyKind,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let call = Call {
            deadline: Deadline::after(self.options.timeout),
            body,
        };
        let mut tried_auth = false;
        loop {
            let resp = self.send_with_retries(path, accept, &call)?;
            let status = resp.status().as_u16();
            if (200..300).contains(&status) {
                return Ok(resp);
            }
            if status == 401 && !tried_auth {
                tried_auth = true;
                let challenge = resp
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .and_then(auth::parse_challenge);
                self.authenticate(challenge, &call)?;
                continue;
            }
            return Err(self.status_error(status, path, resp));
        }
    }

    fn status_error(
        &self,
        status: u16,
        path: &str,
        resp: ureq::http::Response<ureq::Body>,
    ) -> Error {
        // The distribution API explains errors as {"errors":[{"code","message"}]}.
        let body = resp
            .into_body()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        let detail = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                let errs = v.get("errors")?.as_array()?;
                let parts: Vec<String> = errs
                    .iter()
                    .filter_map(|e| {
                        let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
                        let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
                        (!code.is_empty() || !msg.is_empty()).then(|| format!("{code}: {msg}"))
                    })
                    .collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            });
        let what = match status {
            401 => {
                let has_cred = matches!(
                    self.state.lock().ok().and_then(|s| s.credential.clone()),
                    Some(Some(_))
                );
                if has_cred {
                    "401 Unauthorized: the registry rejected the credentials (check the username and password, or the Docker config entry)".to_string()
                } else {
                    "401 Unauthorized: authentication required (pass --username/--password, set PLIMSOLL_USERNAME/PLIMSOLL_PASSWORD, or `docker login`)".to_string()
                }
            }
            403 => "403 Forbidden: the credentials do not grant pull access".to_string(),
            404 if path.contains("/blobs/") => format!(
                "404 Not Found: {}: the registry does not have this blob although the image refers to it",
                path.trim_start_matches("/v2/")
            ),
            404 => format!(
                "404 Not Found: {} (check the repository name and tag)",
                path.trim_start_matches("/v2/")
            ),
            429 => "429 Too Many Requests: rate limited, retries exhausted".to_string(),
            s => format!("HTTP {s} for {path}"),
        };
        match detail {
            Some(d) => self.err(format!("{what} [{d}]")),
            None => self.err(what),
        }
    }

    /// Sends with retries on 429, 5xx and transient transport errors. A retryable status
    /// that is not retried (attempts used up, or no time left) is returned for the caller
    /// to report; a transport error cut short by the deadline says so.
    fn send_with_retries(
        &self,
        path: &str,
        accept: Option<&str>,
        call: &Call,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let policy = RetryPolicy {
            attempts: self.options.attempts,
            backoff: self.options.backoff,
        };
        let outcome = plimsoll_http::retry(policy, &call.deadline, |_| {
            match self.send_once(path, accept, call) {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if status == 429 || (500..600).contains(&status) {
                        let after = plimsoll_http::retry_after_of(&resp);
                        Err(Failure::Retry {
                            error: Last::Status(Box::new(resp)),
                            after,
                        })
                    } else {
                        Ok(resp)
                    }
                }
                Err(e) if e.retryable => Err(Failure::Retry {
                    error: Last::Transport(e.error),
                    after: None,
                }),
                Err(e) => Err(Failure::Fatal(Last::Transport(e.error))),
            }
        });
        match outcome {
            Ok(resp) => Ok(resp),
            Err(GaveUp::Deadline {
                last: Last::Transport(e),
                attempts,
            }) => Err(self.timed_out(path, attempts, Some(e))),
            Err(gave_up) => match gave_up.into_last() {
                Last::Status(resp) => Ok(*resp),
                Last::Transport(e) => Err(e),
            },
        }
    }

    fn timed_out(&self, path: &str, attempts: u32, last: Option<Error>) -> Error {
        let tries = if attempts == 1 {
            "1 attempt".to_string()
        } else {
            format!("{attempts} attempts")
        };
        let why = match last {
            Some(Error::Registry { message, .. }) => format!(": {message}"),
            Some(e) => format!(": {e}"),
            None => String::new(),
        };
        self.err(format!(
            "{} not answered within --timeout {}s ({tries}){why}",
            path.trim_start_matches("/v2/"),
            self.options.timeout.as_secs_f64()
        ))
    }

    fn send_once(
        &self,
        path: &str,
        accept: Option<&str>,
        call: &Call,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, SendError> {
        let (scheme, authorization) = {
            let st = self.state.lock().expect("registry state lock");
            (st.scheme, st.authorization.clone())
        };
        let schemes: &[&'static str] = match scheme {
            Some(s) => {
                if s == "https" {
                    &["https"]
                } else {
                    &["http"]
                }
            }
            None if self.options.insecure || self.reference.is_loopback() => &["https", "http"],
            None => &["https"],
        };
        let mut failures = Vec::new();
        let mut any_retryable = false;
        for s in schemes {
            let url = format!("{s}://{}{path}", self.reference.api_host());
            let left = call.remaining();
            if left.is_zero() {
                failures.push(format!(
                    "{url}: not tried, the --timeout deadline has passed"
                ));
                break;
            }
            let mut req = call.deadline.configure(self.agent.get(&url), call.body);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(a) = &authorization {
                req = req.header("Authorization", a);
            }
            match req.call() {
                Ok(resp) => {
                    self.state.lock().expect("registry state lock").scheme = Some(s);
                    return Ok(resp);
                }
                Err(e) => {
                    let text = e.to_string();
                    if plimsoll_http::is_tls(&e) && !self.options.insecure {
                        return Err(SendError {
                            retryable: false,
                            error: self.err(format!(
                                "TLS certificate verification failed ({text}); pass --insecure to accept a self-signed certificate"
                            )),
                        });
                    }
                    let retryable = plimsoll_http::is_transient(&e);
                    // Every scheme tried is reported: on loopback the https probe of a
                    // plain-HTTP registry fails first, and its error alone would hide the
                    // real one.
                    failures.push(format!("{url}: {text}"));
                    any_retryable |= retryable;
                }
            }
        }
        Err(SendError {
            retryable: any_retryable,
            error: self.err(if failures.is_empty() {
                "no scheme to try".to_string()
            } else {
                failures.join("; ")
            }),
        })
    }

    fn credential(&self) -> Result<Option<Credential>> {
        let mut st = self.state.lock().expect("registry state lock");
        if let Some(c) = &st.credential {
            return Ok(c.clone());
        }
        let cred = match &self.options.credential {
            Some(c) => Some(c.clone()),
            None if self.options.ignore_docker_config => None,
            None => auth::docker_config_credential(self.reference.credential_key())
                .map_err(|m| self.err(m))?,
        };
        st.credential = Some(cred.clone());
        Ok(cred)
    }

    /// Answers a 401 challenge: sets the `Authorization` header for the next attempts.
    fn authenticate(&self, challenge: Option<Challenge>, call: &Call) -> Result<()> {
        let cred = self.credential()?;
        let header = match challenge {
            Some(c) if c.is_bearer() => Some(self.fetch_token(&c, cred.as_ref(), call)?),
            Some(c) if c.is_basic() => cred.as_ref().and_then(Credential::basic_header),
            _ => cred.as_ref().and_then(Credential::basic_header),
        };
        match header {
            Some(h) => {
                self.state.lock().expect("registry state lock").authorization = Some(h);
                Ok(())
            }
            None => Err(self.err(
                "401 Unauthorized: authentication required (pass --username/--password, set PLIMSOLL_USERNAME/PLIMSOLL_PASSWORD, or `docker login`)",
            )),
        }
    }

    /// Token flow: GET the realm with service and scope, basic credentials if any; an
    /// identity token is exchanged with the OAuth2 refresh-token grant.
    fn fetch_token(&self, c: &Challenge, cred: Option<&Credential>, call: &Call) -> Result<String> {
        // The token is small: its whole exchange must fit in what is left of the deadline.
        let call = &Call {
            deadline: call.deadline,
            body: BodyKind::Whole,
        };
        let realm = c
            .param("realm")
            .ok_or_else(|| self.err("bearer challenge without a realm"))?;
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(self.err(format!("bearer realm {realm:?} is not an http(s) URL")));
        }
        if realm.starts_with("http://") && !(self.options.insecure || url_is_loopback(realm)) {
            return Err(self.err(format!(
                "token realm {realm} is plain HTTP; refusing to send credentials without --insecure"
            )));
        }
        let scope = c
            .param("scope")
            .map(str::to_string)
            .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository));
        let service = c.param("service").unwrap_or("");
        let resp = match cred {
            Some(Credential::IdentityToken(tok)) => call
                .deadline
                .configure(self.agent.post(realm), call.body)
                .content_type("application/x-www-form-urlencoded")
                .send(form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", tok),
                    ("service", service),
                    ("scope", &scope),
                    ("client_id", "plimsoll"),
                ])),
            _ => {
                let url = format!(
                    "{realm}{}service={}&scope={}",
                    if realm.contains('?') { "&" } else { "?" },
                    encode_segment(service),
                    encode_segment(&scope)
                );
                let mut req = call.deadline.configure(self.agent.get(&url), call.body);
                if let Some(h) = cred.and_then(Credential::basic_header) {
                    req = req.header("Authorization", h);
                }
                req.call()
            }
        }
        .map_err(|e| self.err(format!("token request to {realm} failed: {e}")))?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            return Err(self.err(format!(
                "{status} from token service {realm}: the registry rejected the credentials (check the username and password, or the Docker config entry)"
            )));
        }
        if !(200..300).contains(&status) {
            return Err(self.err(format!("token service {realm} answered HTTP {status}")));
        }
        let body = resp
            .into_body()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| self.err(format!("reading token from {realm}: {e}")))?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| self.err(format!("token service {realm} sent invalid JSON: {e}")))?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.err(format!("token service {realm} sent no token")))?;
        Ok(format!("Bearer {token}"))
    }
}

struct SendError {
    retryable: bool,
    error: Error,
}

/// The last failure of a request, as the retry loop hands it back.
enum Last {
    /// A 429 or 5xx answer: reported by the caller, with the registry's explanation.
    Status(Box<ureq::http::Response<ureq::Body>>),
    Transport(Error),
}

/// One registry operation: its deadline, computed once, bounds every attempt; `body` says
/// whether the body must also come within it (a manifest, a token) or only the response
/// head (a blob, streamed; bounded per read).
struct Call {
    deadline: Deadline,
    body: BodyKind,
}

impl Call {
    fn remaining(&self) -> Duration {
        self.deadline.remaining()
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_segment(k), encode_segment(v)))
        .collect::<Vec<_>>()
        .join("&")
}
