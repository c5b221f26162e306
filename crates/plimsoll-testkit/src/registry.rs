//! A real Distribution registry (`/usr/bin/docker-registry`, Debian's `docker-registry`
//! package) on loopback, started per test with a temporary configuration and storage, and
//! small HTTP proxies to put in front of it (failing requests, a bearer-token flow).
//!
//! ```ignore
//! let Some(reg) = Registry::start(RegistryConfig::anonymous()) else { return };
//! let img = ImageBuilder::new().layer("ADD a /", |l| l.file("a", "x")).build();
//! reg.push("team/app", "v1", &img);
//! let reference = format!("{}/team/app:v1", reg.host());
//! ```
//!
//! When the binary is missing the harness skips (returns `None` after printing why), except
//! under `CI=true`, where a missing registry is a failure.

use crate::{Blob, BuiltImage};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The registry binary; `PLIMSOLL_REGISTRY_BIN` overrides it.
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// How to configure a test registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryConfig {
    /// htpasswd basic authentication with this one user.
    pub htpasswd: Option<(String, String)>,
    /// Serve HTTPS with a self-signed certificate for 127.0.0.1.
    pub tls: bool,
}

impl RegistryConfig {
    pub fn anonymous() -> Self {
        Self::default()
    }
    pub fn htpasswd(user: &str, password: &str) -> Self {
        RegistryConfig {
            htpasswd: Some((user.into(), password.into())),
            tls: false,
        }
    }
    pub fn tls() -> Self {
        RegistryConfig {
            htpasswd: None,
            tls: true,
        }
    }
}

/// A running registry; killed on drop.
pub struct Registry {
    child: Option<Child>,
    dir: tempfile::TempDir,
    addr: SocketAddr,
    config: RegistryConfig,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("addr", &self.addr)
            .field("root", &self.dir.path())
            .field("tls", &self.config.tls)
            .finish()
    }
}

fn registry_bin() -> PathBuf {
    std::env::var_os("PLIMSOLL_REGISTRY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(REGISTRY_BIN))
}

/// Skips (returns `None`) or, under `CI=true`, panics: a missing tool is a failure in CI.
fn unavailable(what: &str) -> Option<Registry> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{what} is required for the registry tests under CI=true (install the Debian packages docker-registry and openssl; .ci/run does)"
        );
    }
    eprintln!("skipping registry test: {what} is not available");
    None
}

/// Polls `url` (`/v2/`) until the registry answers (any HTTP status: 401 is an answer too)
/// and its log says it listens (so the answer is not from another process that took the
/// port first); false if the process exits or 20 s pass.
fn wait_ready(child: &mut Child, url: &str, log: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    let probe = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(true)
                .build(),
        )
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .new_agent();
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let listening = std::fs::read_to_string(log).is_ok_and(|l| l.contains("listening on"));
        if listening && probe.get(url).call().is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

/// A ureq agent for the harness: no error on HTTP status, no TLS verification.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(true)
                .build(),
        )
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

impl Registry {
    /// Starts a registry, or returns `None` (after printing why) when the binary is missing
    /// outside CI.
    pub fn start(config: RegistryConfig) -> Option<Registry> {
        let bin = registry_bin();
        if !bin.is_file() {
            return unavailable(&bin.display().to_string());
        }
        let dir = tempfile::Builder::new()
            .prefix("plimsoll-registry-")
            .tempdir()
            .expect("temporary directory");
        std::fs::create_dir_all(dir.path().join("storage")).expect("storage directory");
        if let Some((user, password)) = &config.htpasswd {
            let hash = bcrypt::hash(password, 4).expect("bcrypt");
            std::fs::write(dir.path().join("htpasswd"), format!("{user}:{hash}\n"))
                .expect("write htpasswd");
        }
        if config.tls && !self_signed_cert(dir.path()) {
            return unavailable("the openssl command");
        }
        // The port is picked before the registry binds it; another process may take it in
        // between, so a failed start is retried on a new port.
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_port();
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config_yaml(dir.path(), addr, &config))
                .expect("write registry config");
            let log_path = dir.path().join("registry.log");
            let log = std::fs::File::create(&log_path).expect("registry log");
            let mut child = Command::new(&bin)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
            let scheme = if config.tls { "https" } else { "http" };
            if wait_ready(&mut child, &format!("{scheme}://{addr}/v2/"), &log_path) {
                return Some(Registry {
                    child: Some(child),
                    dir,
                    addr,
                    config,
                    agent: agent(),
                });
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(&log_path).unwrap_or_default();
        }
        panic!("the registry did not start; its log:\n{last_log}");
    }

    pub fn anonymous() -> Option<Registry> {
        Self::start(RegistryConfig::anonymous())
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:PORT`, the registry part of an image reference.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn scheme(&self) -> &'static str {
        if self.config.tls { "https" } else { "http" }
    }

    /// `scheme://127.0.0.1:PORT<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme(), self.addr)
    }

    /// The temporary directory holding config, storage, certificate and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Root of the filesystem storage driver.
    pub fn storage_root(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The data file of a blob in the registry's storage (`sha256:<hex>` or bare hex).
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage_root()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// The self-signed certificate (PEM) when serving TLS.
    pub fn cert_path(&self) -> Option<PathBuf> {
        self.config.tls.then(|| self.dir.path().join("cert.pem"))
    }

    /// What the registry logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Kills the registry process (the storage stays until drop).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn authorize<B>(&self, req: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.config.htpasswd {
            Some((u, p)) => req.header("Authorization", basic(u, p)),
            None => req,
        }
    }

    /// Uploads a blob (monolithic: POST an upload session, PUT the data with `?digest=`).
    pub fn push_blob(&self, repo: &str, blob: &Blob) {
        let resp = self
            .authorize(
                self.agent
                    .post(&self.url(&format!("/v2/{repo}/blobs/uploads/"))),
            )
            .send_empty()
            .expect("POST blob upload");
        let status = resp.status().as_u16();
        assert_eq!(
            status,
            202,
            "POST /v2/{repo}/blobs/uploads/ answered {status}: {}",
            body(resp)
        );
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("upload Location header")
            .to_string();
        let mut url = if location.starts_with("http://") || location.starts_with("https://") {
            location
        } else {
            self.url(&location)
        };
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("digest=");
        url.push_str(&blob.digest.replace(':', "%3A"));
        let resp = self
            .authorize(self.agent.put(&url))
            .header("Content-Type", "application/octet-stream")
            .send(&blob.data[..])
            .expect("PUT blob");
        let status = resp.status().as_u16();
        assert_eq!(
            status,
            201,
            "PUT blob {} answered {status}: {}",
            blob.digest,
            body(resp)
        );
    }

    /// Stores a manifest (or index) under `reference`, a tag or its digest.
    pub fn put_manifest(&self, repo: &str, reference: &str, manifest: &Blob) {
        let resp = self
            .authorize(
                self.agent
                    .put(&self.url(&format!("/v2/{repo}/manifests/{reference}"))),
            )
            .header("Content-Type", &manifest.media_type)
            .send(&manifest.data[..])
            .expect("PUT manifest");
        let status = resp.status().as_u16();
        assert_eq!(
            status,
            201,
            "PUT manifest {repo}:{reference} answered {status}: {}",
            body(resp)
        );
    }

    /// Pushes an image's layers, config and manifest, tagged `tag`. Returns the manifest digest.
    pub fn push(&self, repo: &str, tag: &str, img: &BuiltImage) -> String {
        for l in &img.layers {
            self.push_blob(repo, l);
        }
        self.push_blob(repo, &img.config);
        self.put_manifest(repo, tag, &img.manifest);
        img.manifest.digest.clone()
    }

    /// Pushes every image (manifests by digest) and then `index`, tagged `tag`. Returns the
    /// index digest.
    pub fn push_index(
        &self,
        repo: &str,
        tag: &str,
        index: &Blob,
        images: &[&BuiltImage],
    ) -> String {
        for img in images {
            self.push(repo, &img.manifest.digest, img);
        }
        self.put_manifest(repo, tag, index);
        index.digest.clone()
    }

    /// Deletes a blob through the API (storage.delete is enabled).
    pub fn delete_blob(&self, repo: &str, digest: &str) {
        let resp = self
            .authorize(
                self.agent
                    .delete(&self.url(&format!("/v2/{repo}/blobs/{digest}"))),
            )
            .call()
            .expect("DELETE blob");
        let status = resp.status().as_u16();
        assert_eq!(
            status,
            202,
            "DELETE blob {digest} answered {status}: {}",
            body(resp)
        );
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

fn body(resp: ureq::http::Response<ureq::Body>) -> String {
    resp.into_body().read_to_string().unwrap_or_default()
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn config_yaml(dir: &Path, addr: SocketAddr, config: &RegistryConfig) -> String {
    // Blob descriptors are not cached (no storage.cache), so a blob corrupted on disk is
    // served as it is now.
    let mut y = format!(
        "version: 0.1\n\
         log:\n  level: info\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: {addr}\n  secret: plimsoll-test-secret\n",
        storage = dir.join("storage").display(),
    );
    if config.tls {
        y.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            dir.join("cert.pem").display(),
            dir.join("key.pem").display()
        ));
    }
    if config.htpasswd.is_some() {
        y.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: plimsoll-test\n    path: {}\n",
            dir.join("htpasswd").display()
        ));
    }
    y
}

/// Writes `cert.pem` and `key.pem` for 127.0.0.1 into `dir`; false when openssl is missing.
fn self_signed_cert(dir: &Path) -> bool {
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => true,
        Ok(o) => panic!("openssl req failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => false,
    }
}

/// The head of an HTTP request seen by a [`Proxy`].
#[derive(Debug, Clone)]
pub struct RequestHead {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body, when the request has a `Content-Length` of at most 1 MiB.
    pub body: Vec<u8>,
}

impl RequestHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a [`Proxy`] does with a request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Forward to the upstream registry.
    Forward,
    /// Close the connection without answering.
    Hangup,
    /// Answer directly.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

impl Action {
    pub fn status(status: u16) -> Action {
        Action::Respond {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

type Handler = dyn Fn(&RequestHead) -> Action + Send + Sync;

/// A plain-HTTP proxy on loopback in front of a registry. Every connection carries one
/// request (`Connection: close` is forced on both sides), so the handler sees every request:
/// it can answer it itself (a 503, a 401 challenge, a token endpoint) or forward it.
pub struct Proxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Arc<std::sync::Mutex<Vec<RequestHead>>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("addr", &self.addr).finish()
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` (plain HTTP) whose `handler` decides per request.
    pub fn start(
        upstream: SocketAddr,
        handler: impl Fn(&RequestHead) -> Action + Send + Sync + 'static,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let stop = stop.clone();
            let seen = seen.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let handler = handler.clone();
                    let seen = seen.clone();
                    std::thread::spawn(move || {
                        let _ = serve(conn, upstream, &*handler, &seen);
                    });
                }
            });
        }
        Proxy { addr, stop, seen }
    }

    /// A proxy that answers the first `n` requests with `status`, then forwards.
    pub fn failing_first(upstream: SocketAddr, n: usize, status: u16) -> Proxy {
        let count = std::sync::atomic::AtomicUsize::new(0);
        Proxy::start(upstream, move |_| {
            if count.fetch_add(1, Ordering::SeqCst) < n {
                Action::status(status)
            } else {
                Action::Forward
            }
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Every request seen so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestHead> {
        self.seen.lock().expect("proxy log").clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn serve(
    conn: TcpStream,
    upstream: SocketAddr,
    handler: &Handler,
    seen: &std::sync::Mutex<Vec<RequestHead>>,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    // A TLS ClientHello (a client probing https first): hang up, as a plain-HTTP port does.
    if reader.fill_buf()?.first() == Some(&0x16) {
        let _ = conn.shutdown(Shutdown::Both);
        return Ok(());
    }
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            break;
        }
        lines.push(line);
    }
    let Some(first) = lines.first() else {
        return Ok(());
    };
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut head = RequestHead {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if let Some(len) = head
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l <= 1 << 20)
    {
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        head.body = body;
    }
    seen.lock().expect("proxy log").push(head.clone());
    let mut out = conn;
    match handler(&head) {
        Action::Respond {
            status,
            headers,
            body,
        } => {
            let mut resp = format!("HTTP/1.1 {status} {}\r\n", reason(status));
            for (n, v) in &headers {
                resp.push_str(&format!("{n}: {v}\r\n"));
            }
            resp.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ));
            out.write_all(resp.as_bytes())?;
            out.write_all(&body)?;
            out.flush()?;
            let _ = out.shutdown(Shutdown::Write);
            // Let the client read the answer before the socket goes away.
            let _ = std::io::copy(&mut reader.take(1 << 20), &mut std::io::sink());
        }
        Action::Hangup => {
            let _ = out.shutdown(Shutdown::Both);
        }
        Action::Forward => {
            let mut up = TcpStream::connect(upstream)?;
            let mut req = format!("{}\r\n", lines[0]);
            for l in &lines[1..] {
                let lower = l.to_ascii_lowercase();
                if lower.starts_with("connection:") || lower.starts_with("host:") {
                    continue;
                }
                req.push_str(l);
                req.push_str("\r\n");
            }
            // The registry builds absolute Location URLs from Host: keep the client's view.
            let host = head.header("host").unwrap_or("").to_string();
            req.push_str(&format!("Host: {host}\r\nConnection: close\r\n\r\n"));
            up.write_all(req.as_bytes())?;
            up.write_all(&head.body)?;
            // Request bodies (uploads) and whatever was buffered go upstream in the background.
            let buffered = reader.buffer().to_vec();
            up.write_all(&buffered)?;
            let mut up_w = up.try_clone()?;
            let mut client_r = reader.into_inner();
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut client_r, &mut up_w);
                let _ = up_w.shutdown(Shutdown::Write);
            });
            std::io::copy(&mut up, &mut out)?;
            let _ = out.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImageBuilder;

    /// What the harness pushes is what an independent client (skopeo) reads back.
    #[test]
    fn pushed_images_read_back_with_skopeo() {
        let Some(reg) = Registry::start(RegistryConfig::htpasswd("u", "p")) else {
            return;
        };
        let img = ImageBuilder::new()
            .layer("ADD a /", |l| l.file("a", "1"))
            .build();
        let digest = reg.push("kit/app", "t", &img);
        assert!(reg.blob_path(&img.layers[0].digest).is_file());
        assert_eq!(
            std::fs::read(reg.blob_path(&img.config.digest)).unwrap(),
            img.config.data
        );
        let out = match Command::new("skopeo")
            .args(["inspect", "--raw", "--tls-verify=false", "--creds", "u:p"])
            .arg(format!("docker://{}/kit/app:t", reg.host()))
            .output()
        {
            Ok(o) => o,
            Err(_) => {
                eprintln!("skopeo is not installed: skipping the cross-check");
                return;
            }
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(crate::sha256(&out.stdout), digest);
    }

    #[test]
    fn proxy_answers_and_forwards() {
        let Some(reg) = Registry::anonymous() else {
            return;
        };
        let proxy = Proxy::failing_first(reg.addr(), 1, 503);
        let agent = agent();
        let url = format!("http://{}/v2/", proxy.host());
        assert_eq!(agent.get(&url).call().unwrap().status().as_u16(), 503);
        let resp = agent.get(&url).call().unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(
            resp.headers()
                .get("docker-distribution-api-version")
                .and_then(|v| v.to_str().ok()),
            Some("registry/2.0")
        );
        assert_eq!(proxy.requests().len(), 2);
    }
}
