//! An OSV-shaped bucket served over real HTTP/1.1 on loopback, for testing downloads.
//!
//! It answers `GET`/`HEAD` for objects kept in memory (or loaded from a directory) with a
//! correct `Content-Length`, an `ETag` and a `Last-Modified`, and honours `If-None-Match`
//! and `If-Modified-Since` with `304 Not Modified` the way Google Cloud Storage does
//! (RFC 9110 §13.2.2: when `If-None-Match` is present, `If-Modified-Since` is ignored).
//! Object keys are the decoded paths (`Red Hat/all.zip`); the request log keeps the raw
//! path as sent, so tests can check percent-encoding.
//!
//! Faults can be queued per path: an HTTP status (500, 429 with `Retry-After`…), a
//! connection dropped after K body bytes (a truncated download), or a stall before the
//! response. Each fault is used once, in order, then the object is served normally.
//!
//! [`Bucket::publish`] lays out one ecosystem like OSV's exporter: `<eco>/<id>.json` per
//! record, `<eco>/all.zip`, `<eco>/modified_id.csv` (`<modified>,<id>` lines, newest first)
//! and `ecosystems.txt`. <https://google.github.io/osv.dev/data/#data-dumps>
//!
//! ```ignore
//! let bucket = Bucket::start();
//! bucket.publish("PyPI", &[record("PYSEC-2021-19", "2021-01-05T00:00:00Z")]);
//! bucket.fail("PyPI/all.zip", Fault::Status { status: 500, retry_after: None }, 2);
//! let url = bucket.url(); // http://127.0.0.1:PORT
//! ```
//!
//! Each connection gets one response and is closed (`Connection: close`), which keeps the
//! server small and makes "drop after K bytes" unambiguous. The server stops when dropped.

use plimsoll_model::time::{civil_from_days, days_from_civil};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// A failure to inject on the next request for a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a short text body (`Retry-After: N` when given).
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Send the headers (with the full `Content-Length`) and this many body bytes, then
    /// close the connection.
    DropAfter(usize),
    /// Wait this long before answering at all.
    Stall(Duration),
    /// Answer `302 Found` with this `Location` (a path such as `/x`, or a whole URL), as
    /// EPSS's `epss_scores-current.csv.gz` redirects to the dated file.
    Redirect(String),
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path as sent, without the leading `/`, still percent-encoded.
    pub raw_path: String,
    /// The decoded path: the object key.
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    /// The status answered (0 when the connection was dropped before a status line).
    pub status: u16,
}

/// One stored object.
#[derive(Debug, Clone)]
struct Object {
    data: Arc<Vec<u8>>,
    etag: String,
    /// Seconds since the epoch, for `Last-Modified`.
    modified: u64,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<String, Object>,
    faults: HashMap<String, VecDeque<Fault>>,
    log: Vec<Request>,
    /// The `Last-Modified` clock: starts at a fixed date and moves one minute per write,
    /// so two writes in the same second still get different dates.
    clock: u64,
}

/// A running bucket on `127.0.0.1`; stops when dropped.
pub struct Bucket {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bucket {
    /// Starts an empty bucket on a free loopback port.
    pub fn start() -> Bucket {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let inner = Arc::new(Mutex::new(Inner {
            // 2024-06-01T00:00:00Z
            clock: 1_717_200_000,
            ..Inner::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let inner = inner.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let inner = inner.clone();
                    std::thread::spawn(move || serve(conn, &inner));
                }
            })
        };
        Bucket {
            addr,
            inner,
            stop,
            thread: Some(thread),
        }
    }

    /// Starts a bucket serving every file under `dir` (keys are paths relative to it, with
    /// `/` separators).
    pub fn from_dir(dir: &Path) -> std::io::Result<Bucket> {
        let bucket = Bucket::start();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d)? {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    stack.push(path);
                } else if let Ok(rel) = path.strip_prefix(dir) {
                    let key = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    bucket.put(&key, std::fs::read(&path)?);
                }
            }
        }
        Ok(bucket)
    }

    /// `http://127.0.0.1:PORT`, with no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores (or replaces) an object; a new version gets a new `ETag` and a later
    /// `Last-Modified`.
    pub fn put(&self, path: &str, data: impl Into<Vec<u8>>) {
        let data = data.into();
        let mut inner = self.lock();
        inner.clock += 60;
        let modified = inner.clock;
        let digest = Sha256::digest(&data);
        let etag = format!(
            "\"{}\"",
            digest[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        inner.objects.insert(
            path.to_string(),
            Object {
                data: Arc::new(data),
                etag,
                modified,
            },
        );
    }

    /// Removes an object (later requests get 404).
    pub fn remove(&self, path: &str) {
        self.lock().objects.remove(path);
    }

    /// The stored bytes of an object.
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.lock().objects.get(path).map(|o| o.data.to_vec())
    }

    /// The `ETag` an object is served with.
    pub fn etag(&self, path: &str) -> Option<String> {
        self.lock().objects.get(path).map(|o| o.etag.clone())
    }

    /// The `Last-Modified` an object is served with.
    pub fn last_modified(&self, path: &str) -> Option<String> {
        self.lock().objects.get(path).map(|o| http_date(o.modified))
    }

    /// Queues `fault` for the next `times` requests of `path` (after any queued before).
    pub fn fail(&self, path: &str, fault: Fault, times: usize) {
        let mut inner = self.lock();
        let q = inner.faults.entry(path.to_string()).or_default();
        for _ in 0..times {
            q.push_back(fault.clone());
        }
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().log.clone()
    }

    /// The decoded paths of every request so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.lock().log.iter().map(|r| r.path.clone()).collect()
    }

    pub fn clear_log(&self) {
        self.lock().log.clear();
    }

    /// Lays out one ecosystem as OSV's exporter does, from OSV JSON records: each record at
    /// `<eco>/<id>.json`, all of them in `<eco>/all.zip` (deflated, sorted by id), and
    /// `<eco>/modified_id.csv` sorted newest first. The ecosystem is added to
    /// `ecosystems.txt`. Records of the ecosystem not in `records` are left as they are in
    /// `<eco>/<id>.json` but disappear from the zip and the csv (as withdrawn-then-deleted
    /// records would).
    ///
    /// Panics on a record without string `id` and `modified` (a bug in the test).
    pub fn publish(&self, ecosystem: &str, records: &[Vec<u8>]) {
        let mut rows = Vec::new();
        let mut files = Vec::new();
        for r in records {
            let v: serde_json::Value = serde_json::from_slice(r).expect("record is JSON");
            let id = v["id"].as_str().expect("record has an id").to_string();
            let modified = v["modified"]
                .as_str()
                .expect("record has modified")
                .to_string();
            self.put(&format!("{ecosystem}/{id}.json"), r.clone());
            rows.push((modified, id.clone()));
            files.push((format!("{id}.json"), r.clone()));
        }
        // OSV's exporter sorts the strings: newest first, ties by id.
        rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let csv: String = rows.iter().map(|(m, id)| format!("{m},{id}\n")).collect();
        files.sort();
        // The exporter writes the csv, then the zip: the zip's Last-Modified is the later.
        self.put(&format!("{ecosystem}/modified_id.csv"), csv);
        self.put(&format!("{ecosystem}/all.zip"), osv_zip(&files));
        let mut list: Vec<String> = self
            .get("ecosystems.txt")
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if !list.iter().any(|e| e == ecosystem) {
            list.push(ecosystem.to_string());
            list.sort();
            let text: String = list.iter().map(|e| format!("{e}\n")).collect();
            self.put("ecosystems.txt", text);
        }
    }
}

impl Drop for Bucket {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A zip of `(name, bytes)` entries, deflated, as OSV's `all.zip`.
pub fn osv_zip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        w.start_file(name.as_str(), opts).expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

fn serve(mut conn: TcpStream, inner: &Mutex<Inner>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Some((method, raw_path, headers)) = read_head(&conn) else {
        return;
    };
    let raw = raw_path.trim_start_matches('/').to_string();
    let path = percent_decode(raw.split('?').next().unwrap_or(""));
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut req = Request {
        method: method.clone(),
        raw_path: raw,
        path: path.clone(),
        if_none_match: header("if-none-match"),
        if_modified_since: header("if-modified-since"),
        status: 0,
    };
    let (fault, object) = {
        let mut g = inner.lock().unwrap_or_else(|e| e.into_inner());
        let fault = g.faults.get_mut(&path).and_then(VecDeque::pop_front);
        (fault, g.objects.get(&path).cloned())
    };
    let log = |req: Request| {
        inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .log
            .push(req);
    };
    if let Some(Fault::Stall(d)) = &fault {
        std::thread::sleep(*d);
    }
    if let Some(Fault::Status {
        status,
        retry_after,
    }) = &fault
    {
        req.status = *status;
        log(req);
        let extra = retry_after
            .map(|s| format!("Retry-After: {s}\r\n"))
            .unwrap_or_default();
        respond(&mut conn, *status, &extra, b"injected failure\n", &method);
        return;
    }
    if let Some(Fault::Redirect(location)) = &fault {
        req.status = 302;
        log(req);
        respond(
            &mut conn,
            302,
            &format!("Location: {location}\r\n"),
            b"",
            &method,
        );
        return;
    }
    if method != "GET" && method != "HEAD" {
        req.status = 405;
        log(req);
        respond(&mut conn, 405, "Allow: GET, HEAD\r\n", b"", &method);
        return;
    }
    let Some(obj) = object else {
        req.status = 404;
        log(req);
        respond(&mut conn, 404, "", b"NoSuchKey\n", &method);
        return;
    };
    let last_modified = http_date(obj.modified);
    let validators = format!("ETag: {}\r\nLast-Modified: {last_modified}\r\n", obj.etag);
    let not_modified = match (&req.if_none_match, &req.if_modified_since) {
        (Some(inm), _) => inm == "*" || inm.split(',').any(|t| t.trim() == obj.etag),
        (None, Some(ims)) => parse_http_date(ims).is_some_and(|t| obj.modified <= t),
        (None, None) => false,
    };
    if not_modified {
        req.status = 304;
        log(req);
        let _ = write!(
            conn,
            "HTTP/1.1 304 Not Modified\r\n{validators}Connection: close\r\n\r\n"
        );
        let _ = conn.flush();
        return;
    }
    req.status = 200;
    log(req);
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n{validators}Connection: close\r\n\r\n",
        obj.data.len()
    );
    if conn.write_all(head.as_bytes()).is_err() || method == "HEAD" {
        return;
    }
    match fault {
        Some(Fault::DropAfter(k)) => {
            let _ = conn.write_all(&obj.data[..k.min(obj.data.len())]);
            let _ = conn.flush();
            let _ = conn.shutdown(Shutdown::Both);
        }
        _ => {
            let _ = conn.write_all(&obj.data);
            let _ = conn.flush();
        }
    }
}

/// Reads the request line and headers (at most 64 KiB of them).
#[allow(clippy::type_complexity)]
fn read_head(conn: &TcpStream) -> Option<(String, String, Vec<(String, String)>)> {
    let mut r = BufReader::new(conn.take(64 * 1024));
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Some((method, target, headers))
}

fn respond(conn: &mut TcpStream, status: u16, extra: &str, body: &[u8], method: &str) {
    let reason = match status {
        302 => "Found",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    if method != "HEAD" {
        let _ = conn.write_all(body);
    }
    let _ = conn.flush();
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// IMF-fixdate (RFC 9110 §5.6.7): `Sat, 01 Jun 2024 00:01:00 GMT`.
pub fn http_date(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Parses an IMF-fixdate; the obsolete forms are not used by any client we test.
pub fn parse_http_date(s: &str) -> Option<u64> {
    let rest = s.trim().split_once(", ")?.1;
    let mut it = rest.split(' ');
    let d: u32 = it.next()?.parse().ok()?;
    let mon = it.next()?;
    let m = MONTHS.iter().position(|x| *x == mon)? as u32 + 1;
    let y: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let mi: u64 = hms.next()?.parse().ok()?;
    let se: u64 = hms.next()?.parse().ok()?;
    if it.next()? != "GMT" {
        return None;
    }
    let days = u64::try_from(days_from_civil(y, m, d)).ok()?;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_trip() {
        assert_eq!(http_date(1_717_200_060), "Sat, 01 Jun 2024 00:01:00 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            parse_http_date("Sat, 01 Jun 2024 00:01:00 GMT"),
            Some(1_717_200_060)
        );
        for s in [0, 951_782_400, 1_717_200_060, 4_102_444_799] {
            assert_eq!(parse_http_date(&http_date(s)), Some(s), "{s}");
        }
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn serves_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("Red Hat")).unwrap();
        std::fs::write(dir.path().join("Red Hat/modified_id.csv"), "x\n").unwrap();
        std::fs::write(dir.path().join("ecosystems.txt"), "Red Hat\n").unwrap();
        let bucket = Bucket::from_dir(dir.path()).unwrap();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let url = format!("{}/Red%20Hat/modified_id.csv", bucket.url());
        let mut resp = agent.get(&url).call().unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.body_mut().read_to_string().unwrap(), "x\n");
        let etag = bucket.etag("Red Hat/modified_id.csv").unwrap();
        let resp = agent
            .get(&url)
            .header("If-None-Match", etag.as_str())
            .call()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 304);
        let resp = agent
            .get(format!("{}/nothing", bucket.url()))
            .call()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 404);
        let log = bucket.requests();
        assert_eq!(log[0].raw_path, "Red%20Hat/modified_id.csv");
        assert_eq!(log[0].path, "Red Hat/modified_id.csv");
        assert_eq!(log[1].if_none_match.as_deref(), Some(etag.as_str()));
        assert_eq!(
            log.iter().map(|r| r.status).collect::<Vec<_>>(),
            [200, 304, 404]
        );
    }

    #[test]
    fn decodes_paths() {
        assert_eq!(percent_decode("Red%20Hat/all.zip"), "Red Hat/all.zip");
        assert_eq!(percent_decode("Debian%3A12/x"), "Debian:12/x");
        assert_eq!(percent_decode("bad%2"), "bad%2");
    }
}
