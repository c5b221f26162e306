//! Everything that must never ship, planted in one image and found in one scan with every
//! scanner on and every layer read (`--layers all`):
//!
//! - layers 0-5 (`plimsoll_testkit::hardening::planted`): a Debian base running as root, a
//!   `curl | sh` layer leaving an SSH host key, `authorized_keys`, setuid/setgid files no
//!   package owns and world-writable places, a `.git` directory and an `.env`, cloud
//!   credentials added then deleted, an `ADD` of a URL; `EXPOSE 22`, no HEALTHCHECK;
//! - layers 6-7: libssl3 (dpkg) and requests (pip) installed, then purged;
//! - layers 8-12 (`plimsoll_testkit::malware`): a package an OSV `MAL-` record names, the
//!   EICAR file, a blocklisted miner, a script a YARA rule catches, a blocklisted dropper a
//!   later layer deletes;
//! - layer 13 (`plimsoll_testkit::binaries`): a static busybox and OpenSSL built into
//!   `/usr/local`, which no package database lists.
//!
//! One database holds the advisories (`demo/osv`), the `MAL-` record, both blocklists and
//! the NVD records; each finding is asserted with its layer, and every format is asked to
//! show each kind.

mod common;

use common::{json, ok_stderr, plimsoll, root, s, text};
use plimsoll_testkit::layers::{DPKG_STATUS, PURGED_DEB, PURGED_PYPI, SITE};
use plimsoll_testkit::layers::{dist_info_metadata, dist_info_path, dpkg_status};
use plimsoll_testkit::{binaries, hardening, malware};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The first layer of each group.
const PURGE: usize = 6;
const MALWARE: usize = 8;
const BINARIES: usize = 13;
const BUSYBOX: &str = "usr/local/sbin/busybox";

struct Fixture {
    reference: String,
    db: PathBuf,
    rules: PathBuf,
}

fn fixture(tmp: &Path) -> Fixture {
    let (img, _) = hardening::planted();
    // The hardening base's packages, as its dpkg status lists them.
    let base = [
        ("passwd", "1:4.13+dfsg1-1+b1", None),
        ("base-files", "12.4+deb12u5", None),
    ];
    let (deb, deb_v, src) = PURGED_DEB;
    let (py, py_v) = PURGED_PYPI;
    let mut with = base.to_vec();
    with.push((deb, deb_v, Some(src)));
    let list = format!("var/lib/dpkg/info/{deb}:amd64.list");
    let img = img
        .layer(
            &format!(
                "RUN /bin/sh -c apt-get install -y {deb} && pip install {py}=={py_v} # buildkit"
            ),
            |l| {
                l.file(DPKG_STATUS, dpkg_status(&with))
                    .file(&list, "/.\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n")
                    .file("usr/lib/x86_64-linux-gnu/libssl.so.3", "\x7fELF libssl")
                    .file(&dist_info_path(py, py_v), dist_info_metadata(py, py_v))
            },
        )
        .layer(
            &format!("RUN /bin/sh -c apt-get purge -y {deb} && pip uninstall -y {py} # buildkit"),
            |l| {
                l.file(DPKG_STATUS, dpkg_status(&base))
                    .whiteout(&list)
                    .whiteout("usr/lib/x86_64-linux-gnu/libssl.so.3")
                    .whiteout(&format!("{SITE}/{py}-{py_v}.dist-info"))
            },
        )
        .layer("COPY app /app # buildkit", |l| {
            l.file(
                "app/node_modules/chalk/package.json",
                r#"{"name": "chalk", "version": "5.6.1", "license": "MIT"}"#,
            )
        })
        .layer("COPY eicar.com /srv/ # buildkit", |l| {
            l.file("srv/eicar.com", malware::eicar_file())
        })
        .layer("COPY tools /usr/local/bin/ # buildkit", |l| {
            l.file_mode("usr/local/bin/sysupdate", malware::MINER, 0o755)
                .file_mode("usr/local/bin/maint.sh", malware::REVERSE_SHELL, 0o755)
        })
        .layer("COPY dropper /tmp/.x/ # buildkit", |l| {
            l.file_mode("tmp/.x/kinsing", malware::DROPPER, 0o755)
        })
        .layer("RUN rm -rf /tmp/.x # buildkit", |l| {
            l.whiteout("tmp/.x/kinsing")
        })
        .layer("COPY --from=build /usr/local /usr/local # buildkit", |l| {
            binaries::unpackaged_layer(l).file_mode(BUSYBOX, binaries::busybox_1_36_1(), 0o755)
        });
    let dir = tmp.join("img");
    img.write_oci_layout(&dir, Some("never-ship"));

    let inputs = tmp.join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    let write = |name: &str, data: &str| {
        let p = inputs.join(name);
        std::fs::write(&p, data).unwrap();
        p
    };
    let mal = write("malicious-packages.json", malware::MAL_RECORD);
    let list = write("blocklist.txt", &malware::hash_list());
    let bazaar = write("recent.csv", &malware::malwarebazaar_csv());
    let nvd = write("nvdcve-2.0.json", binaries::NVD_RECORDS);
    let osv = root().join("demo/osv");
    let db = tmp.join("all.db");
    let args = ["db", "import", "--db", s(&db), s(&osv), s(&mal)];
    let mut args = args.to_vec();
    args.extend([s(&list), s(&bazaar), s(&nvd)]);
    ok_stderr(&plimsoll(&args, tmp));
    let rules = tmp.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("shells.yar"), malware::YARA_RULES).unwrap();
    Fixture {
        reference: format!("oci:{}:never-ship", s(&dir)),
        db,
        rules,
    }
}

fn scan(f: &Fixture, cache: &Path, format: &str) -> std::process::Output {
    plimsoll(
        &[
            "image",
            &f.reference,
            "--scanners",
            "vuln,secret,malware,misconfig",
            "--layers",
            "all",
            "--db",
            s(&f.db),
            "--yara-rules",
            s(&f.rules),
            "--format",
            format,
        ],
        cache,
    )
}

fn layer(v: &Value) -> Option<u64> {
    v.as_u64()
}

#[test]
fn one_scan_finds_everything_planted_with_its_layer_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fixture(tmp.path());
    let out = scan(&f, tmp.path(), "json");
    // Without --exit-code, findings are not a failure.
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let r = json(&out);

    // Malware, each in its layer; the dropper deleted by the next layer.
    let got: BTreeSet<(String, String, Option<u64>, Option<u64>)> = r["malware"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["path"].as_str().unwrap().to_string(),
                layer(&m["layer"]),
                layer(&m["deleted_in_layer"]),
            )
        })
        .collect();
    let l = |n: usize| Some(n as u64);
    let want: BTreeSet<(String, String, Option<u64>, Option<u64>)> = [
        (
            "MAL-2025-46969",
            "app/node_modules/chalk/package.json",
            MALWARE,
            None,
        ),
        ("eicar-test-file", "srv/eicar.com", MALWARE + 1, None),
        (
            "sha256-blocklist",
            "usr/local/bin/sysupdate",
            MALWARE + 2,
            None,
        ),
        (
            "Linux_Reverse_Shell_Bash",
            "usr/local/bin/maint.sh",
            MALWARE + 2,
            None,
        ),
        (
            "sha256-blocklist",
            "tmp/.x/kinsing",
            MALWARE + 3,
            Some(MALWARE + 4),
        ),
    ]
    .into_iter()
    .map(|(id, p, a, d)| (id.to_string(), p.to_string(), l(a), d.and_then(l)))
    .collect();
    assert_eq!(got, want, "{:#}", r["malware"]);

    // Every hardening finding the planted layers hold, and nothing from the later layers
    // (their executables are 0755, owned by nobody but neither setuid nor writable).
    let got: BTreeSet<(String, String, Option<u64>)> = r["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["path"].as_str().unwrap_or("config").to_string(),
                layer(&m["layer"]),
            )
        })
        .collect();
    let (_, expected) = hardening::planted();
    let want: BTreeSet<(String, String, Option<u64>)> = expected
        .iter()
        .map(|e| {
            (
                e.id.to_string(),
                e.path.to_string(),
                e.layer.map(|n| n as u64),
            )
        })
        .collect();
    assert_eq!(got, want, "{:#}", r["misconfigurations"]);

    // The unpackaged busybox and openssl, found by their version strings in layer 13 and
    // matched through the NVD records.
    let binary = |name: &str| -> &Value {
        r["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["found_by"] == "binary" && p["name"] == name)
            .unwrap_or_else(|| panic!("no binary {name}: {:#}", r["packages"]))
    };
    let bb = binary("busybox");
    assert_eq!(bb["version"], "1.36.1");
    assert_eq!(bb["locations"][0]["path"], BUSYBOX);
    assert_eq!(layer(&bb["locations"][0]["layer"]), l(BINARIES));
    let ossl = binary("openssl");
    assert_eq!(ossl["version"], "3.0.11");
    assert_eq!(layer(&ossl["locations"][0]["layer"]), l(BINARIES));
    let vulns_of = |pkg: &Value| -> BTreeSet<String> {
        r["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["package_id"] == pkg["id"])
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        vulns_of(bb).contains("CVE-2023-42366"),
        "{:#}",
        r["vulnerabilities"]
    );
    assert!(
        vulns_of(ossl).contains("CVE-2023-5678"),
        "{:#}",
        r["vulnerabilities"]
    );

    // libssl3 and requests: installed in layer 6, purged in 7, not in the final inventory,
    // listed with --layers all with their (informational) vulnerabilities.
    let (deb, _, _) = PURGED_DEB;
    let (py, _) = PURGED_PYPI;
    for name in [deb, py] {
        assert!(
            !r["packages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == name),
            "{name} is not in the final filesystem"
        );
        let p = r["removed_packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} not removed: {:#}", r["removed_packages"]));
        assert_eq!(layer(&p["locations"][0]["layer"]), l(PURGE), "{p:#}");
        assert_eq!(layer(&p["removed_in_layer"]), l(PURGE + 1), "{p:#}");
    }
    let removed: BTreeSet<(&str, &str, Option<u64>)> = r["removed_vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap(),
                v["package_name"].as_str().unwrap(),
                layer(&v["removed_in_layer"]),
            )
        })
        .collect();
    assert!(
        removed.contains(&("CVE-2023-5678", deb, l(PURGE + 1))),
        "{removed:?}"
    );

    // Every format shows every kind: a malware id, a check id, the binary package and the
    // removed package's layer span.
    let span = format!("added in layer {PURGE}, removed in layer {}", PURGE + 1);
    for format in ["table", "sarif", "cyclonedx", "markdown", "junit"] {
        let out = scan(&f, tmp.path(), format);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            common::stderr(&out)
        );
        // Markdown escapes the underscores of rule names.
        let t = text(&out.stdout).replace('\\', "");
        for needle in [
            "eicar-test-file",
            "MAL-2025-46969",
            "Linux_Reverse_Shell_Bash",
            "PLIM-IMG-002",
            "PLIM-IMG-014",
            "CVE-2023-42366",
        ] {
            assert!(t.contains(needle), "{format} lacks {needle}");
        }
        if format != "sarif" {
            assert!(t.contains(&span), "{format} lacks '{span}'");
        }
        // The dropper a later layer deleted, in the same words (the table wraps its cells).
        let dropper = format!(
            "added in layer {}, removed in layer {}",
            MALWARE + 3,
            MALWARE + 4
        );
        if format == "markdown" {
            assert!(t.contains(&dropper), "{format} lacks {dropper}");
        }
    }

    // The gate fails on it, malware named first.
    let out = plimsoll(
        &[
            "image",
            &f.reference,
            "--scanners",
            "vuln,malware,misconfig",
            "--db",
            s(&f.db),
            "--exit-code",
            "1",
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let g = &r["gate"];
    assert!(
        g["reasons"][0].as_str().unwrap().contains("malware"),
        "{g:#}"
    );
}
