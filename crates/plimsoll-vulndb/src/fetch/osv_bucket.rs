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

use super::client::{Answer, Failure, Fetched, content_length};
use super::state::{Timestamp, parse_rfc3339};
use super::{Client, EcosystemUpdate, FetchError, MAX_LINE, SourceState, format_rfc3339};
use plimsoll_http::{encode_segment, header, parse_http_date, redact};
use serde::Deserialize;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(valid_id("GHSA-jfh8-c2jp-5v3q"));
        assert!(valid_id("RHSA-2024:1234"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a b", "a\u{0}"] {
            assert!(!valid_id(bad), "{bad:?}");
        }
    }
}
