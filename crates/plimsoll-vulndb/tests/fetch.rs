//! `plimsoll db update`'s download side against a real HTTP server on loopback
//! (`plimsoll_testkit::bucket`), never the internet.
//!
//! Fixture records are real OSV records reduced to their facts: the four Log4Shell-era
//! GitHub advisories for `org.apache.logging.log4j:log4j-core` and a Rocky Linux errata.

use plimsoll_testkit::bucket::{Bucket, Fault};
use plimsoll_vulndb::fetch::{
    Client, EcosystemUpdate, FetchError, FetchOptions, Progress, SourceState, fetch_document,
    list_ecosystems, update_ecosystem,
};
use serde_json::json;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn maven(id: &str, cve: &str, modified: &str, ranges: &[(&str, &str)], severity: &str) -> Vec<u8> {
    let events: Vec<_> = ranges
        .iter()
        .flat_map(|(i, f)| [json!({"introduced": i}), json!({"fixed": f})])
        .collect();
    serde_json::to_vec(&json!({
        "schema_version": "1.4.0",
        "id": id,
        "modified": modified,
        "published": "2021-12-10T00:40:56Z",
        "aliases": [cve],
        "affected": [{
            "package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
            "ranges": [{"type": "ECOSYSTEM", "events": events}]
        }],
        "database_specific": {"severity": severity}
    }))
    .unwrap()
}

fn log4shell(modified: &str) -> Vec<u8> {
    maven(
        "GHSA-jfh8-c2jp-5v3q",
        "CVE-2021-44228",
        modified,
        &[
            ("2.13.0", "2.15.0"),
            ("2.4", "2.12.2"),
            ("2.0-beta9", "2.3.1"),
        ],
        "CRITICAL",
    )
}

fn cve_2021_45046(modified: &str) -> Vec<u8> {
    maven(
        "GHSA-7rjr-3q55-vv33",
        "CVE-2021-45046",
        modified,
        &[("2.13.0", "2.16.0"), ("2.0-beta9", "2.12.2")],
        "CRITICAL",
    )
}

fn cve_2021_45105(modified: &str) -> Vec<u8> {
    maven(
        "GHSA-p6xc-xr62-6r2g",
        "CVE-2021-45105",
        modified,
        &[
            ("2.13.0", "2.17.0"),
            ("2.4", "2.12.3"),
            ("2.0-beta9", "2.3.1"),
        ],
        "HIGH",
    )
}

fn cve_2021_44832(modified: &str) -> Vec<u8> {
    maven(
        "GHSA-8489-44mv-ggj8",
        "CVE-2021-44832",
        modified,
        &[
            ("2.13.0", "2.17.1"),
            ("2.4", "2.12.4"),
            ("2.0-beta7", "2.3.2"),
        ],
        "MODERATE",
    )
}

fn rocky(modified: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": "RLSA-2020:4641",
        "modified": modified,
        "affected": [{
            "package": {"ecosystem": "Rocky Linux:8", "name": "babel"},
            "ranges": [{"type": "ECOSYSTEM", "events": [
                {"introduced": "0"}, {"fixed": "2.7.0-10.module+el8.4.0+570+c2eaf144"}
            ]}]
        }]
    }))
    .unwrap()
}

fn options(bucket: &Bucket) -> FetchOptions {
    FetchOptions {
        osv_base_url: bucket.url(),
        attempts: 3,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ..FetchOptions::default()
    }
}

fn client(bucket: &Bucket) -> Client {
    Client::new(options(bucket))
}

/// Files left in the download directory.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn zip_names(path: &Path) -> Vec<String> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    names.sort();
    // Every entry reads back whole.
    for i in 0..z.len() {
        let mut s = String::new();
        z.by_index(i).unwrap().read_to_string(&mut s).unwrap();
        assert!(s.contains("\"id\""));
    }
    names
}

fn full(update: EcosystemUpdate) -> (tempfile::TempPath, SourceState) {
    match update {
        EcosystemUpdate::Full { zip, state } => (zip, state),
        other => panic!("expected a full download, got {other:?}"),
    }
}

/// Publishes the first Maven snapshot and downloads it once.
fn first_fetch(bucket: &Bucket, tmp: &Path) -> SourceState {
    bucket.publish(
        "Maven",
        &[
            log4shell("2021-12-10T00:40:56Z"),
            cve_2021_45046("2021-12-14T18:01:28Z"),
        ],
    );
    let (zip, state) = full(update_ecosystem(&client(bucket), "Maven", None, tmp).unwrap());
    drop(zip);
    bucket.clear_log();
    state
}

#[test]
fn first_fetch_downloads_all_zip() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish(
        "Maven",
        &[
            log4shell("2021-12-10T00:40:56Z"),
            cve_2021_45046("2021-12-14T18:01:28Z"),
        ],
    );
    let progress = Arc::new(Progress::default());
    let c = client(&bucket).with_progress(progress.clone());
    let (zip, state) = full(update_ecosystem(&c, "Maven", None, tmp.path()).unwrap());

    assert!(zip.starts_with(tmp.path()));
    assert_eq!(
        zip_names(&zip),
        ["GHSA-7rjr-3q55-vv33.json", "GHSA-jfh8-c2jp-5v3q.json"]
    );
    assert_eq!(state.url, format!("{}/Maven/", bucket.url()));
    assert_eq!(state.etag, bucket.etag("Maven/all.zip"));
    assert_eq!(state.last_modified, bucket.last_modified("Maven/all.zip"));
    assert_eq!(
        state.newest_modified.as_deref(),
        Some("2021-12-14T18:01:28Z")
    );
    assert_eq!(state.fetched_at.len(), 20, "{}", state.fetched_at);
    assert!(state.fetched_at.ends_with('Z'));

    // The csv (for its newest line), then the zip, unconditionally.
    let reqs = bucket.requests();
    assert_eq!(bucket.paths(), ["Maven/modified_id.csv", "Maven/all.zip"]);
    assert!(
        reqs.iter()
            .all(|r| r.if_none_match.is_none() && r.if_modified_since.is_none())
    );

    let zip_len = bucket.get("Maven/all.zip").unwrap().len() as u64;
    assert_eq!(progress.bytes_done(), zip_len);
    assert_eq!(progress.bytes_total(), zip_len);
    assert_eq!(progress.files_done(), 1);

    drop(zip);
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn second_fetch_without_change_downloads_nothing() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    let state = first_fetch(&bucket, tmp.path());

    let update = update_ecosystem(&client(&bucket), "Maven", Some(&state), tmp.path()).unwrap();
    let EcosystemUpdate::Unchanged { state: next } = update else {
        panic!("expected Unchanged, got {update:?}");
    };
    assert_eq!(bucket.paths(), ["Maven/modified_id.csv"]);
    assert_eq!(next.etag, state.etag);
    assert_eq!(next.newest_modified, state.newest_modified);
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn without_a_csv_the_zip_is_fetched_conditionally() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    bucket.remove("Maven/modified_id.csv");
    let c = client(&bucket);
    let (zip, state) = full(update_ecosystem(&c, "Maven", None, tmp.path()).unwrap());
    drop(zip);
    assert_eq!(state.newest_modified, None);
    bucket.clear_log();

    let update = update_ecosystem(&c, "Maven", Some(&state), tmp.path()).unwrap();
    assert!(
        matches!(update, EcosystemUpdate::Unchanged { .. }),
        "{update:?}"
    );
    let reqs = bucket.requests();
    assert_eq!(bucket.paths(), ["Maven/modified_id.csv", "Maven/all.zip"]);
    assert_eq!(reqs[0].status, 404);
    assert_eq!(reqs[1].status, 304);
    assert_eq!(reqs[1].if_none_match, bucket.etag("Maven/all.zip"));
    assert_eq!(
        reqs[1].if_modified_since,
        bucket.last_modified("Maven/all.zip")
    );

    // Only If-Modified-Since known: still a 304.
    bucket.clear_log();
    let lm_only = SourceState {
        etag: None,
        ..state.clone()
    };
    let update = update_ecosystem(&c, "Maven", Some(&lm_only), tmp.path()).unwrap();
    assert!(matches!(update, EcosystemUpdate::Unchanged { .. }));
    assert_eq!(bucket.requests()[1].status, 304);
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn changed_records_are_fetched_one_by_one() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    let state = first_fetch(&bucket, tmp.path());
    let first_csv = String::from_utf8(bucket.get("Maven/modified_id.csv").unwrap()).unwrap();

    // CVE-2021-45046 was rescored and CVE-2021-44832 published.
    bucket.publish(
        "Maven",
        &[
            log4shell("2021-12-10T00:40:56Z"),
            cve_2021_45046("2021-12-20T17:20:04Z"),
            cve_2021_44832("2021-12-28T20:22:47Z"),
        ],
    );
    let csv = String::from_utf8(bucket.get("Maven/modified_id.csv").unwrap()).unwrap();
    assert!(csv.starts_with(
        "2021-12-28T20:22:47Z,GHSA-8489-44mv-ggj8\n2021-12-20T17:20:04Z,GHSA-7rjr-3q55-vv33\n"
    ));
    assert_ne!(csv, first_csv);

    let update = update_ecosystem(&client(&bucket), "Maven", Some(&state), tmp.path()).unwrap();
    let EcosystemUpdate::Changed {
        records,
        state: next,
    } = update
    else {
        panic!("expected Changed, got {update:?}");
    };
    let ids: Vec<&str> = records.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["GHSA-8489-44mv-ggj8", "GHSA-7rjr-3q55-vv33"]);
    assert_eq!(records[0].1, cve_2021_44832("2021-12-28T20:22:47Z"));
    // The csv, then the records (fetched in parallel, so in any order).
    let mut paths = bucket.paths();
    assert_eq!(paths.remove(0), "Maven/modified_id.csv");
    paths.sort();
    assert_eq!(
        paths,
        [
            "Maven/GHSA-7rjr-3q55-vv33.json",
            "Maven/GHSA-8489-44mv-ggj8.json"
        ]
    );
    assert_eq!(
        next.newest_modified.as_deref(),
        Some("2021-12-28T20:22:47Z")
    );
    // The zip validators still describe the last full download.
    assert_eq!(next.etag, state.etag);
    assert_eq!(next.url, state.url);

    // And from there, nothing more.
    bucket.clear_log();
    let again = update_ecosystem(&client(&bucket), "Maven", Some(&next), tmp.path()).unwrap();
    assert!(matches!(again, EcosystemUpdate::Unchanged { .. }));
    assert_eq!(bucket.paths(), ["Maven/modified_id.csv"]);
}

#[test]
fn same_second_lines_out_of_string_order_are_not_missed() {
    // OSV sorts the csv as strings: "…:56Z" comes before the later "…:56.5Z".
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    let c = client(&bucket);
    let (_zip, state) = full(update_ecosystem(&c, "Maven", None, tmp.path()).unwrap());
    bucket.publish(
        "Maven",
        &[
            log4shell("2021-12-10T00:40:56Z"),
            cve_2021_45046("2021-12-10T00:40:56.5Z"),
            cve_2021_45105("2021-12-10T00:40:55.9Z"),
        ],
    );
    let csv = String::from_utf8(bucket.get("Maven/modified_id.csv").unwrap()).unwrap();
    assert!(csv.starts_with("2021-12-10T00:40:56Z,GHSA-jfh8"), "{csv}");
    bucket.clear_log();
    let update = update_ecosystem(&c, "Maven", Some(&state), tmp.path()).unwrap();
    let EcosystemUpdate::Changed { records, state } = update else {
        panic!("expected Changed, got {update:?}");
    };
    let ids: Vec<&str> = records.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["GHSA-7rjr-3q55-vv33"]);
    assert_eq!(
        state.newest_modified.as_deref(),
        Some("2021-12-10T00:40:56.5Z")
    );
}

#[test]
fn more_changes_than_the_threshold_fall_back_to_all_zip() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    let state = first_fetch(&bucket, tmp.path());
    bucket.publish(
        "Maven",
        &[
            log4shell("2022-01-05T10:00:00Z"),
            cve_2021_45046("2022-01-05T10:00:01Z"),
            cve_2021_45105("2022-01-05T10:00:02Z"),
            cve_2021_44832("2022-01-05T10:00:03Z"),
        ],
    );
    let c = Client::new(FetchOptions {
        max_changed_records: 3,
        ..options(&bucket)
    });
    let (zip, next) = full(update_ecosystem(&c, "Maven", Some(&state), tmp.path()).unwrap());
    assert_eq!(zip_names(&zip).len(), 4);
    let reqs = bucket.requests();
    // The incremental listing, then the full csv read and the zip; no record JSON.
    assert!(reqs.iter().all(|r| !r.path.ends_with(".json")), "{reqs:?}");
    let zip_req = reqs.iter().find(|r| r.path == "Maven/all.zip").unwrap();
    assert_eq!(zip_req.if_none_match, state.etag);
    assert_eq!(zip_req.status, 200);
    assert_eq!(next.etag, bucket.etag("Maven/all.zip"));
    assert_eq!(
        next.newest_modified.as_deref(),
        Some("2022-01-05T10:00:03Z")
    );
}

#[test]
fn a_listed_record_that_is_gone_falls_back_to_all_zip() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    let state = first_fetch(&bucket, tmp.path());
    bucket.publish(
        "Maven",
        &[
            log4shell("2021-12-10T00:40:56Z"),
            cve_2021_45046("2021-12-14T18:01:28Z"),
            cve_2021_45105("2021-12-18T18:00:00Z"),
        ],
    );
    bucket.remove("Maven/GHSA-p6xc-xr62-6r2g.json");
    let (zip, _) =
        full(update_ecosystem(&client(&bucket), "Maven", Some(&state), tmp.path()).unwrap());
    assert_eq!(zip_names(&zip).len(), 3);
    assert!(
        bucket
            .paths()
            .contains(&"Maven/GHSA-p6xc-xr62-6r2g.json".to_string())
    );
}

#[test]
fn truncated_zip_is_an_error_and_leaves_no_file() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish(
        "Maven",
        &[
            log4shell("2021-12-10T00:40:56Z"),
            cve_2021_45046("2021-12-14T18:01:28Z"),
        ],
    );
    bucket.fail("Maven/all.zip", Fault::DropAfter(200), 3);
    let progress = Arc::new(Progress::default());
    let c = client(&bucket).with_progress(progress.clone());
    let err = update_ecosystem(&c, "Maven", None, tmp.path()).unwrap_err();
    assert!(matches!(err, FetchError::Incomplete { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("Maven all.zip"), "{msg}");
    assert!(
        msg.contains(&format!("{}/Maven/all.zip", bucket.url())),
        "{msg}"
    );
    assert_eq!(
        bucket
            .paths()
            .iter()
            .filter(|p| *p == "Maven/all.zip")
            .count(),
        3
    );
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
    // Failed attempts are taken back out of the progress counters.
    assert_eq!(progress.bytes_done(), 0);
    assert_eq!(progress.bytes_total(), 0);
}

#[test]
fn a_cut_download_is_retried() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    bucket.fail("Maven/all.zip", Fault::DropAfter(100), 1);
    let progress = Arc::new(Progress::default());
    let c = client(&bucket).with_progress(progress.clone());
    let (zip, _) = full(update_ecosystem(&c, "Maven", None, tmp.path()).unwrap());
    assert_eq!(zip_names(&zip), ["GHSA-jfh8-c2jp-5v3q.json"]);
    let len = bucket.get("Maven/all.zip").unwrap().len() as u64;
    assert_eq!(progress.bytes_done(), len);
    drop(zip);
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn server_errors_are_retried() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    let fault = Fault::Status {
        status: 500,
        retry_after: None,
    };
    bucket.fail("Maven/all.zip", fault.clone(), 2);
    let (zip, _) = full(update_ecosystem(&client(&bucket), "Maven", None, tmp.path()).unwrap());
    assert_eq!(zip_names(&zip).len(), 1);
    let statuses: Vec<u16> = bucket
        .requests()
        .iter()
        .filter(|r| r.path == "Maven/all.zip")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [500, 500, 200]);

    // Three failures with three attempts: the error says what and where.
    bucket.fail("Maven/all.zip", fault, 3);
    let err = update_ecosystem(&client(&bucket), "Maven", None, tmp.path()).unwrap_err();
    assert_eq!(err.status(), Some(500));
    let msg = err.to_string();
    assert!(
        msg.contains("Maven all.zip") && msg.contains("HTTP 500"),
        "{msg}"
    );
}

#[test]
fn retry_after_is_honoured() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    bucket.fail(
        "Maven/all.zip",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    let start = Instant::now();
    let (_zip, _) = full(update_ecosystem(&client(&bucket), "Maven", None, tmp.path()).unwrap());
    // The backoff is 10 ms: only Retry-After explains a wait of a second.
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

/// `timeout` bounds a request with its retries (issue 12): a stall that uses it up is not
/// retried past it; one that leaves time is.
#[test]
fn a_stalled_server_times_out_and_is_retried_within_the_timeout() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    bucket.fail("Maven/all.zip", Fault::Stall(Duration::from_secs(3)), 1);
    let c = Client::new(FetchOptions {
        timeout: Duration::from_millis(300),
        ..options(&bucket)
    });
    let start = Instant::now();
    let Err(err) = update_ecosystem(&c, "Maven", None, tmp.path()) else {
        panic!("the stall used up the timeout: no retry");
    };
    assert!(err.to_string().contains("all.zip"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    // A server that fails fast is retried while time remains.
    bucket.fail(
        "Maven/all.zip",
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        1,
    );
    let c = Client::new(FetchOptions {
        timeout: Duration::from_secs(30),
        ..options(&bucket)
    });
    let (_zip, _) = full(update_ecosystem(&c, "Maven", None, tmp.path()).unwrap());
}

/// Requests the bucket answered for `path`, by status.
fn statuses(bucket: &Bucket, path: &str) -> Vec<u16> {
    bucket
        .requests()
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The Maven bucket with `fault` queued once for `all.zip`, fetched with five attempts and
/// `backoff`: the result, the statuses `all.zip` was answered with, and the download
/// directory (a full download's zip is in it).
type Outcome = (
    Result<EcosystemUpdate, FetchError>,
    Vec<u16>,
    tempfile::TempDir,
);

fn fetch_through(fault: Fault, backoff: Duration) -> Outcome {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    bucket.fail("Maven/all.zip", fault, 1);
    let c = Client::new(FetchOptions {
        attempts: 5,
        backoff,
        ..options(&bucket)
    });
    let got = update_ecosystem(&c, "Maven", None, tmp.path());
    (got, statuses(&bucket, "Maven/all.zip"), tmp)
}

/// `Retry-After` in delay-seconds (RFC 9110 §10.2.3): a wait longer than what is left of
/// the timeout is not slept through: one attempt, and the error names the deadline. Had the
/// header been ignored, the 10 ms backoff would have allowed a second attempt.
#[test]
fn retry_after_seconds_beyond_the_deadline_stops_at_once() {
    let fault = Fault::Status {
        status: 503,
        retry_after: Some(20),
    };
    let (got, statuses, _tmp) = fetch_through(fault, Duration::from_millis(10));
    let err = got.unwrap_err();
    assert_eq!(statuses, [503]);
    assert!(
        matches!(err, FetchError::Deadline { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(503));
    let msg = err.to_string();
    assert!(
        msg.contains("Maven all.zip")
            && msg.contains("HTTP 503")
            && msg.contains("--timeout deadline of 5s after 1 attempt"),
        "{msg}"
    );
}

/// `Retry-After` as an HTTP-date: an hour ahead is capped at 30 s, still past the deadline
/// (one attempt); a date already past means "now": with a backoff longer than the whole
/// timeout, only the honoured date allows the retry.
#[test]
fn retry_after_http_date_is_honoured() {
    let later = Fault::RetryAfter {
        status: 429,
        value: plimsoll_testkit::bucket::http_date(now_secs() + 3600),
    };
    let (got, statuses, _tmp) = fetch_through(later, Duration::from_millis(10));
    let err = got.unwrap_err();
    assert_eq!(statuses, [429]);
    assert!(
        matches!(err, FetchError::Deadline { attempts: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("deadline"), "{err}");

    let past = Fault::RetryAfter {
        status: 503,
        value: "Sun, 06 Nov 1994 08:49:37 GMT".to_string(),
    };
    let (got, statuses, _tmp) = fetch_through(past, Duration::from_secs(60));
    let (zip, _) = full(got.unwrap());
    assert_eq!(zip_names(&zip).len(), 1);
    assert_eq!(statuses, [503, 200]);
}

/// The deadline bounds the whole request: an attempt that starts late gets only the time
/// left, not a fresh full timeout. Here the first attempt is told to wait a second and the
/// second one meets a server that stalls far past the timeout: it is cut at the deadline,
/// and no third attempt is made.
#[test]
fn a_late_attempt_gets_only_the_time_left() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    bucket.fail(
        "Maven/all.zip",
        Fault::Status {
            status: 503,
            retry_after: Some(1),
        },
        1,
    );
    bucket.fail("Maven/all.zip", Fault::Stall(Duration::from_secs(30)), 1);
    let c = Client::new(FetchOptions {
        attempts: 5,
        timeout: Duration::from_secs(3),
        ..options(&bucket)
    });
    let err = update_ecosystem(&c, "Maven", None, tmp.path()).unwrap_err();
    assert!(
        matches!(err, FetchError::Deadline { attempts: 2, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("Maven all.zip") && msg.contains("--timeout deadline of 3s after 2 attempts"),
        "{msg}"
    );
    // The stalled request is logged only once the stall ends: the 503 is all there is yet.
    assert_eq!(statuses(&bucket, "Maven/all.zip"), [503]);
}

#[test]
fn unknown_ecosystem_is_a_clear_error() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    let err = update_ecosystem(&client(&bucket), "maven", None, tmp.path()).unwrap_err();
    assert!(matches!(err, FetchError::NotFound { .. }), "{err:?}");
    assert_eq!(err.status(), Some(404));
    let msg = err.to_string();
    assert!(msg.contains("\"maven\""), "{msg}");
    assert!(
        msg.contains(&format!("{}/maven/all.zip", bucket.url())),
        "{msg}"
    );
    assert!(msg.contains("404"), "{msg}");
    assert!(leftovers(tmp.path()).is_empty());

    for bad in ["", "..", "a/b"] {
        let err = update_ecosystem(&client(&bucket), bad, None, tmp.path()).unwrap_err();
        assert!(
            matches!(err, FetchError::Invalid { .. }),
            "{bad:?}: {err:?}"
        );
    }
}

#[test]
fn ecosystem_and_ids_are_percent_encoded() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Rocky Linux", &[rocky("2021-06-24T10:00:00Z")]);
    let c = client(&bucket);
    let (zip, state) = full(update_ecosystem(&c, "Rocky Linux", None, tmp.path()).unwrap());
    assert_eq!(zip_names(&zip), ["RLSA-2020:4641.json"]);
    assert_eq!(state.url, format!("{}/Rocky%20Linux/", bucket.url()));
    let raw: Vec<String> = bucket.requests().into_iter().map(|r| r.raw_path).collect();
    assert_eq!(
        raw,
        ["Rocky%20Linux/modified_id.csv", "Rocky%20Linux/all.zip"]
    );

    bucket.publish("Rocky Linux", &[rocky("2022-11-08T09:00:00Z")]);
    bucket.clear_log();
    let update = update_ecosystem(&c, "Rocky Linux", Some(&state), tmp.path()).unwrap();
    assert!(
        matches!(update, EcosystemUpdate::Changed { ref records, .. } if records.len() == 1),
        "{update:?}"
    );
    let raw: Vec<String> = bucket.requests().into_iter().map(|r| r.raw_path).collect();
    assert_eq!(
        raw,
        [
            "Rocky%20Linux/modified_id.csv",
            "Rocky%20Linux/RLSA-2020%3A4641.json"
        ]
    );
}

#[test]
fn a_state_from_another_mirror_is_not_used() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    let state = first_fetch(&bucket, tmp.path());
    let elsewhere = SourceState {
        url: "https://mirror.example/osv/Maven/".to_string(),
        ..state
    };
    let (_zip, next) =
        full(update_ecosystem(&client(&bucket), "Maven", Some(&elsewhere), tmp.path()).unwrap());
    assert_eq!(next.url, format!("{}/Maven/", bucket.url()));
    assert!(bucket.requests().iter().all(|r| r.if_none_match.is_none()));
}

#[test]
fn size_limits_stop_the_download() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    let c = Client::new(FetchOptions {
        max_zip_bytes: 100,
        ..options(&bucket)
    });
    let err = update_ecosystem(&c, "Maven", None, tmp.path()).unwrap_err();
    assert!(
        matches!(err, FetchError::TooLarge { limit: 100, .. }),
        "{err:?}"
    );
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn a_bad_csv_line_names_the_line() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    let state = first_fetch(&bucket, tmp.path());
    bucket.put(
        "Maven/modified_id.csv",
        "2021-12-28T20:22:47Z,GHSA-8489-44mv-ggj8\nyesterday,GHSA-7rjr-3q55-vv33\n",
    );
    let err = update_ecosystem(&client(&bucket), "Maven", Some(&state), tmp.path()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("line 2") && msg.contains("yesterday"), "{msg}");

    bucket.put(
        "Maven/modified_id.csv",
        "2021-12-28T20:22:47Z,../../etc/passwd\n",
    );
    let err = update_ecosystem(&client(&bucket), "Maven", Some(&state), tmp.path()).unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn a_record_under_the_wrong_name_is_refused() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    let state = first_fetch(&bucket, tmp.path());
    bucket.publish(
        "Maven",
        &[
            log4shell("2021-12-10T00:40:56Z"),
            cve_2021_45046("2021-12-20T17:20:04Z"),
        ],
    );
    bucket.put(
        "Maven/GHSA-7rjr-3q55-vv33.json",
        log4shell("2021-12-10T00:40:56Z"),
    );
    let err = update_ecosystem(&client(&bucket), "Maven", Some(&state), tmp.path()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("GHSA-7rjr-3q55-vv33") && msg.contains("GHSA-jfh8-c2jp-5v3q"),
        "{msg}"
    );
}

#[test]
fn lists_ecosystems() {
    let bucket = Bucket::start();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    bucket.publish("Rocky Linux", &[rocky("2021-06-24T10:00:00Z")]);
    assert_eq!(
        list_ecosystems(&client(&bucket)).unwrap(),
        ["Maven", "Rocky Linux"]
    );
}

/// CISA KEV, reduced: the catalog header and the Log4Shell entry.
fn kev(count: usize) -> Vec<u8> {
    let mut vulns = vec![json!({
        "cveID": "CVE-2021-44228",
        "vendorProject": "Apache",
        "product": "Log4j2",
        "dateAdded": "2021-12-10",
        "dueDate": "2021-12-24",
        "knownRansomwareCampaignUse": "Known"
    })];
    if count > 1 {
        vulns.push(json!({
            "cveID": "CVE-2021-45046",
            "vendorProject": "Apache",
            "product": "Log4j2",
            "dateAdded": "2023-05-01",
            "dueDate": "2023-05-22",
            "knownRansomwareCampaignUse": "Unknown"
        }));
    }
    serde_json::to_vec(&json!({
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2023.05.01",
        "count": vulns.len(),
        "vulnerabilities": vulns
    }))
    .unwrap()
}

#[test]
fn kev_is_fetched_conditionally() {
    let bucket = Bucket::start();
    bucket.put("feeds/known_exploited_vulnerabilities.json", kev(1));
    let url = format!(
        "{}/feeds/known_exploited_vulnerabilities.json",
        bucket.url()
    );
    let c = client(&bucket);

    let (body, state) = fetch_document(&c, "CISA KEV", &url, None, 1 << 20)
        .unwrap()
        .unwrap();
    assert_eq!(body, kev(1));
    assert_eq!(state.url, url);
    assert_eq!(
        state.etag,
        bucket.etag("feeds/known_exploited_vulnerabilities.json")
    );
    assert!(state.last_modified.is_some());

    assert!(
        fetch_document(&c, "CISA KEV", &url, Some(&state), 1 << 20)
            .unwrap()
            .is_none()
    );
    let reqs = bucket.requests();
    assert_eq!(reqs[1].status, 304);
    assert_eq!(reqs[1].if_none_match, state.etag);

    bucket.put("feeds/known_exploited_vulnerabilities.json", kev(2));
    let (body, next) = fetch_document(&c, "CISA KEV", &url, Some(&state), 1 << 20)
        .unwrap()
        .unwrap();
    assert_eq!(body, kev(2));
    assert_ne!(next.etag, state.etag);

    let err = fetch_document(&c, "CISA KEV", &url, None, 10).unwrap_err();
    assert!(err.to_string().contains("CISA KEV"), "{err}");
    let missing = format!("{}/feeds/nothing.json", bucket.url());
    let err = fetch_document(&c, "CISA KEV", &missing, None, 1 << 20).unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[test]
fn epss_is_fetched_conditionally_by_date() {
    use std::io::Write;
    let bucket = Bucket::start();
    let csv = "#model_version:v2025.03.14,score_date:2025-06-01T00:00:00Z\n\
               cve,epss,percentile\n\
               CVE-2021-44228,0.94358,0.99957\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    bucket.put("epss_scores-current.csv.gz", gz.clone());
    let url = format!("{}/epss_scores-current.csv.gz", bucket.url());
    let c = client(&bucket);
    let (body, state) = fetch_document(&c, "FIRST EPSS", &url, None, 1 << 20)
        .unwrap()
        .unwrap();
    assert_eq!(body, gz);
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.contains("CVE-2021-44228,0.94358"));

    // Only the date known: If-Modified-Since alone gets the 304.
    let by_date = SourceState {
        etag: None,
        ..state
    };
    assert!(
        fetch_document(&c, "FIRST EPSS", &url, Some(&by_date), 1 << 20)
            .unwrap()
            .is_none()
    );
    let last = bucket.requests().pop().unwrap();
    assert_eq!(last.if_none_match, None);
    assert_eq!(last.if_modified_since, by_date.last_modified);
    assert_eq!(last.status, 304);
}

#[test]
fn records_adding_up_past_the_memory_bound_fall_back_to_all_zip() {
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    let state = first_fetch(&bucket, tmp.path());
    bucket.publish(
        "Maven",
        &[
            log4shell("2021-12-10T00:40:56Z"),
            cve_2021_45046("2021-12-20T17:20:04Z"),
            cve_2021_44832("2021-12-28T20:22:47Z"),
        ],
    );
    let one = cve_2021_44832("2021-12-28T20:22:47Z").len() as u64;
    let c = Client::new(FetchOptions {
        max_changed_bytes: one + 10,
        parallel_requests: 1,
        ..options(&bucket)
    });
    let (zip, _) = full(update_ecosystem(&c, "Maven", Some(&state), tmp.path()).unwrap());
    assert_eq!(zip_names(&zip).len(), 3);
}

#[test]
fn a_csv_newer_than_the_zip_records_no_timestamp() {
    // The csv of the next export run is already up, its zip not yet: the zip cannot be
    // said to hold everything up to the csv's newest line.
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    bucket.put(
        "Maven/modified_id.csv",
        "2021-12-14T18:01:28Z,GHSA-7rjr-3q55-vv33\n2021-12-10T00:40:56Z,GHSA-jfh8-c2jp-5v3q\n",
    );
    let (_zip, state) =
        full(update_ecosystem(&client(&bucket), "Maven", None, tmp.path()).unwrap());
    assert_eq!(state.newest_modified, None);
    assert!(state.etag.is_some());
}

#[test]
fn the_client_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Client>();
    let bucket = Bucket::start();
    let tmp = tempfile::tempdir().unwrap();
    bucket.publish("Maven", &[log4shell("2021-12-10T00:40:56Z")]);
    bucket.publish("Rocky Linux", &[rocky("2021-06-24T10:00:00Z")]);
    let progress = Arc::new(Progress::default());
    let c = client(&bucket).with_progress(progress.clone());
    std::thread::scope(|s| {
        for eco in ["Maven", "Rocky Linux"] {
            let (c, dir) = (c.clone(), tmp.path());
            s.spawn(move || {
                let (zip, _) = full(update_ecosystem(&c, eco, None, dir).unwrap());
                drop(zip);
            });
        }
    });
    let both = bucket.get("Maven/all.zip").unwrap().len()
        + bucket.get("Rocky Linux/all.zip").unwrap().len();
    assert_eq!(progress.bytes_done(), both as u64);
    assert_eq!(progress.files_done(), 2);
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn epss_current_redirects_to_the_dated_file() {
    let bucket = Bucket::start();
    bucket.put("epss_scores-2025-06-01.csv.gz", b"\x1f\x8b dated".to_vec());
    bucket.fail(
        "epss_scores-current.csv.gz",
        Fault::Redirect("/epss_scores-2025-06-01.csv.gz".to_string()),
        2,
    );
    let url = format!("{}/epss_scores-current.csv.gz", bucket.url());
    let c = client(&bucket);
    let (body, state) = fetch_document(&c, "FIRST EPSS", &url, None, 1 << 20)
        .unwrap()
        .unwrap();
    assert_eq!(body, b"\x1f\x8b dated");
    // The state is kept for the URL asked for; the validators are the dated file's.
    assert_eq!(state.url, url);
    assert_eq!(state.etag, bucket.etag("epss_scores-2025-06-01.csv.gz"));

    let again = fetch_document(&c, "FIRST EPSS", &url, Some(&state), 1 << 20).unwrap();
    let reqs = bucket.requests();
    assert_eq!(reqs.len(), 4, "{reqs:?}");
    assert_eq!(reqs[3].path, "epss_scores-2025-06-01.csv.gz");
    assert_eq!(reqs[3].if_none_match, state.etag, "{reqs:?}");
    assert!(again.is_none());
}
