//! `plimsoll explore` over reports the real binary wrote: the bundled demo image (twice: the
//! second scan, with a VEX statement, has the same digest and must count once), an `api`
//! image built here (Debian base with libssl3 and glibc, a pip layer, an npm layer; runs as
//! root and exposes a port), and a `plimsoll fs` scan of a web application directory
//! scanned with an older GHSA record that does not name its CVE yet, so that its
//! `GHSA-9wx4-h78v-vm56` must merge with the other reports' `CVE-2024-35195`. The
//! advisories are the real, reduced records of `demo/osv` and `tests/fixtures/e2e-osv`.

mod common;

use common::{ok, plimsoll, root};
use plimsoll_testkit::{Compression, ImageBuilder};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

const DPKG_STATUS: &str = "Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u2
";

fn metadata(name: &str, version: &str) -> String {
    format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
}

fn package_lock(deps: &[(&str, &str)]) -> String {
    let mut packages = serde_json::Map::new();
    packages.insert(
        String::new(),
        serde_json::json!({"name": "app", "version": "1.0.0"}),
    );
    for (name, version) in deps {
        packages.insert(
            format!("node_modules/{name}"),
            serde_json::json!({"version": version, "resolved": format!("https://registry.npmjs.org/{name}/-/{name}-{version}.tgz")}),
        );
    }
    serde_json::to_string_pretty(&serde_json::json!({
        "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
        "packages": packages,
    }))
    .unwrap()
}

/// The `api` image: Debian base, then pip and npm layers of old packages.
fn api_image() -> ImageBuilder {
    let site = "usr/local/lib/python3.11/site-packages";
    ImageBuilder::new()
        .compression(Compression::Gzip)
        .layer("/bin/sh -c #(nop) ADD file:0c4d2a1f in / ", |l| {
            l.file("usr/lib/os-release", OS_RELEASE)
                .symlink("etc/os-release", "../usr/lib/os-release")
                .file("etc/debian_version", "12.5\n")
                .file("var/lib/dpkg/status", DPKG_STATUS)
        })
        .empty_step("/bin/sh -c #(nop)  CMD [\"bash\"]")
        .layer(
            "RUN /bin/sh -c pip install requests==2.31.0 idna==3.6 urllib3==2.2.1 # buildkit",
            |l| {
                l.file(
                    &format!("{site}/requests-2.31.0.dist-info/METADATA"),
                    metadata("requests", "2.31.0"),
                )
                .file(
                    &format!("{site}/idna-3.6.dist-info/METADATA"),
                    metadata("idna", "3.6"),
                )
                .file(
                    &format!("{site}/urllib3-2.2.1.dist-info/METADATA"),
                    metadata("urllib3", "2.2.1"),
                )
            },
        )
        .layer("COPY app /app # buildkit", |l| {
            l.file(
                "app/package-lock.json",
                package_lock(&[("lodash", "4.17.20"), ("minimist", "1.2.5")]),
            )
        })
        .expose("8080/tcp")
        .label(
            "org.opencontainers.image.base.name",
            "docker.io/library/debian:12",
        )
}

/// The reports, written once per test into a temporary directory.
struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn new() -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let cache = d.join("cache");
        let e2e = root().join("crates/plimsoll/tests/fixtures/e2e-osv");

        // The databases: demo/osv; e2e-osv with the demo's openssl record; npm records with
        // GHSA-9wx4-h78v-vm56 as GitHub published it before it named CVE-2024-35195.
        let full = d.join("db-full");
        copy_tree(&e2e, &full);
        std::fs::copy(
            root().join("demo/osv/DEBIAN-CVE-2023-5678.json"),
            full.join("DEBIAN-CVE-2023-5678.json"),
        )
        .unwrap();
        let old = d.join("db-old");
        copy_tree(&e2e.join("npm"), &old.join("npm"));
        let mut ghsa: Value = serde_json::from_slice(
            &std::fs::read(e2e.join("pypi/GHSA-9wx4-h78v-vm56.json")).unwrap(),
        )
        .unwrap();
        ghsa.as_object_mut().unwrap().remove("aliases");
        std::fs::write(
            old.join("GHSA-9wx4-h78v-vm56.json"),
            serde_json::to_vec(&ghsa).unwrap(),
        )
        .unwrap();

        let demo = root().join("demo/demo-image.tar");
        let demo = demo.to_str().unwrap();
        let demo_db = root().join("demo/osv");
        let demo_db = demo_db.to_str().unwrap();
        let out = |name: &str| d.join(name).to_str().unwrap().to_string();
        ok(&plimsoll(
            &[
                "image",
                demo,
                "--db",
                demo_db,
                "-f",
                "json",
                "-o",
                &out("demo.json"),
            ],
            &cache,
        ));
        let vex = d.join("vex.json");
        std::fs::write(
            &vex,
            r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
               "author": "security", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
               "statements": [{"vulnerability": {"name": "CVE-2024-35195"},
                               "products": [{"@id": "pkg:pypi/requests@2.31.0"}],
                               "status": "not_affected",
                               "justification": "vulnerable_code_not_in_execute_path"}]}"#,
        )
        .unwrap();
        ok(&plimsoll(
            &[
                "image",
                demo,
                "--db",
                demo_db,
                "--vex",
                vex.to_str().unwrap(),
                "-f",
                "json",
                "-o",
                &out("demo-vex.json"),
            ],
            &cache,
        ));

        let api = d.join("api.tar");
        api_image().write_docker_archive(&api, &["registry.example/shop/api:1.4"], false);
        ok(&plimsoll(
            &[
                "image",
                &format!("docker-archive:{}", api.display()),
                "--db",
                full.to_str().unwrap(),
                "-f",
                "json",
                "-o",
                &out("api.json"),
            ],
            &cache,
        ));

        let web = d.join("web");
        let site = web.join("usr/lib/python3/dist-packages/requests-2.31.0.dist-info");
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(site.join("METADATA"), metadata("requests", "2.31.0")).unwrap();
        std::fs::create_dir_all(web.join("srv/web")).unwrap();
        std::fs::write(
            web.join("srv/web/package-lock.json"),
            package_lock(&[("lodash", "4.17.20"), ("ip", "1.1.8")]),
        )
        .unwrap();
        ok(&plimsoll(
            &[
                "fs",
                web.to_str().unwrap(),
                "--db",
                old.to_str().unwrap(),
                "-f",
                "json",
                "-o",
                &out("web.json"),
            ],
            &cache,
        ));
        Fleet { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    fn report(&self, name: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.path(name)).unwrap()).unwrap()
    }

    fn explore(&self, args: &[&str]) -> Output {
        let mut a = vec!["explore"];
        a.extend_from_slice(args);
        plimsoll(&a, &self.dir.path().join("cache"))
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else if e.path().extension().is_some_and(|x| x == "json") {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Validates against `docs/explore.schema.json`.
fn validate(doc: &Value) -> Result<(), String> {
    let p = root().join("docs/explore.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut c = boon::Compiler::new();
    c.enable_format_assertions();
    c.add_resource("https://plimsoll.invalid/explore.schema.json", schema)
        .unwrap();
    let idx = c
        .compile("https://plimsoll.invalid/explore.schema.json", &mut schemas)
        .map_err(|e| format!("{e:#}"))?;
    schemas.validate(doc, idx).map_err(|e| format!("{e:#}"))
}

fn vuln<'a>(fleet: &'a Value, id: &str) -> &'a Value {
    fleet["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {fleet:#}"))
}

fn image_names(v: &Value) -> BTreeSet<String> {
    v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

fn ids(report: &Value) -> BTreeSet<String> {
    report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

/// (max risk, findings at or above 7, sum) of a report, from its own scores.
fn image_key(report: &Value) -> (f64, usize, f64) {
    let risks: Vec<f64> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["risk"]["score"].as_f64().unwrap())
        .collect();
    (
        risks.iter().copied().fold(0.0, f64::max),
        risks.iter().filter(|r| **r >= 7.0).count(),
        (risks.iter().sum::<f64>() * 10.0).round() / 10.0,
    )
}

#[test]
fn explore_merges_aliases_counts_each_image_once_and_ranks_images() {
    let f = Fleet::new();
    let (demo, api, web) = (
        f.report("demo.json"),
        f.report("api.json"),
        f.report("web.json"),
    );
    // The reports differ as the fixtures intend.
    assert!(ids(&web).contains("GHSA-9wx4-h78v-vm56"), "{:?}", ids(&web));
    assert!(ids(&api).contains("CVE-2024-35195") && ids(&demo).contains("CVE-2024-35195"));
    assert_eq!(ids(&f.report("demo-vex.json")).len(), 1);
    assert_eq!(
        demo["artifact"]["digest"],
        f.report("demo-vex.json")["artifact"]["digest"]
    );

    let out = f.explore(&[
        &f.path("demo.json"),
        &f.path("demo-vex.json"),
        &f.path("api.json"),
        &f.path("web.json"),
        "-f",
        "json",
    ]);
    let fleet: Value = serde_json::from_slice(&ok(&out).stdout).unwrap();
    validate(&fleet).unwrap();
    let s = &fleet["summary"];
    assert_eq!(
        (
            s["reports"].as_u64(),
            s["images"].as_u64(),
            s["duplicates"].as_u64()
        ),
        (Some(4), Some(3), Some(1)),
        "{s}"
    );
    assert_eq!(fleet["duplicates"][0]["file"], f.path("demo-vex.json"));
    assert_eq!(fleet["duplicates"][0]["kept"], f.path("demo.json"));
    let findings = |r: &Value| r["vulnerabilities"].as_array().unwrap().len() as u64;
    assert_eq!(
        s["findings"].as_u64().unwrap(),
        findings(&demo) + findings(&api) + findings(&web)
    );

    let names = |r: &Value| r["artifact"]["name"].as_str().unwrap().to_string();
    let all: BTreeSet<String> = [names(&demo), names(&api), names(&web)].into();
    // The web report's GHSA id joined the CVE of the other two: one vulnerability, three
    // images, and no second entry under the GHSA id.
    let requests = vuln(&fleet, "CVE-2024-35195");
    assert_eq!(requests["image_count"], 3);
    assert_eq!(image_names(requests), all);
    assert!(
        requests["aliases"]
            .as_array()
            .unwrap()
            .contains(&"GHSA-9wx4-h78v-vm56".into())
    );
    assert!(
        !fleet["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["id"] == "GHSA-9wx4-h78v-vm56")
    );
    assert_eq!(requests["packages"][0]["name"], "requests");
    assert_eq!(requests["packages"][0]["images"], 3);
    // The two scans of the demo image count once.
    let openssl = vuln(&fleet, "CVE-2023-5678");
    assert_eq!(openssl["image_count"], 2);
    assert_eq!(
        image_names(openssl),
        [names(&demo), names(&api)].into_iter().collect()
    );
    assert_eq!(openssl["packages"][0]["name"], "libssl3");
    assert_eq!(openssl["fixed_everywhere"], true);
    let lodash = vuln(&fleet, "CVE-2021-23337");
    assert_eq!(
        image_names(lodash),
        [names(&api), names(&web)].into_iter().collect()
    );
    // glibc's unfixed CVE hits the api image only, through libc6.
    let glibc = vuln(&fleet, "CVE-2010-4756");
    assert_eq!(glibc["image_count"], 1);
    assert_eq!(glibc["fixed_everywhere"], false);
    // Every distinct id of the three reports is listed once (the default --top 20 holds
    // them all), highest risk first.
    let mut want: BTreeSet<String> = ids(&demo);
    want.extend(ids(&api));
    want.extend(ids(&web));
    want.remove("GHSA-9wx4-h78v-vm56");
    let got: Vec<String> = fleet["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), want);
    assert_eq!(got.len(), want.len());
    let risks: Vec<f64> = fleet["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["risk"].as_f64().unwrap())
        .collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]), "{risks:?}");

    // Images ranked by (highest risk, findings ≥ 7, sum), as computed from each report.
    let mut want = [
        (&demo, names(&demo)),
        (&api, names(&api)),
        (&web, names(&web)),
    ];
    want.sort_by(|(a, _), (b, _)| {
        let (a, b) = (image_key(a), image_key(b));
        b.0.total_cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(b.2.total_cmp(&a.2))
    });
    let ranked: Vec<&str> = fleet["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = want.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(ranked, want);
    // The root image with an exposed port and the most findings ranks first.
    assert_eq!(ranked[0], names(&api));
    let top = &fleet["images"][0];
    assert_eq!(top["rank"], 1);
    assert_eq!(
        top["reference"].as_str().map(|r| r.contains("shop/api")),
        Some(true)
    );
    assert_eq!(top["findings"].as_u64(), Some(findings(&api)));
    assert_eq!(top["risk"].as_f64(), Some(image_key(&api).0));
    let web_image = fleet["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == names(&web).as_str())
        .unwrap();
    assert!(web_image.get("digest").is_none(), "a directory has none");
    assert_eq!(web_image["kind"], "filesystem");

    // The table: both sections, within 100 columns.
    let out = f.explore(&[
        &f.path("demo.json"),
        &f.path("demo-vex.json"),
        &f.path("api.json"),
        &f.path("web.json"),
    ]);
    let table = String::from_utf8(ok(&out).stdout.clone()).unwrap();
    assert!(
        table.contains("Top vulnerabilities across 3 images"),
        "{table}"
    );
    assert!(table.contains("Images by risk"), "{table}");
    assert!(table.contains("Fleet: 3 images from 4 reports"), "{table}");
    assert!(
        table.contains("demo-vex.json: the same image as"),
        "{table}"
    );
    // The tables fit 100 columns (the header lines name files, as long as their paths).
    for line in table
        .lines()
        .filter(|l| !l.starts_with(char::is_alphanumeric) && !l.starts_with(' '))
    {
        assert!(line.chars().count() <= 100, "{line:?}\n{table}");
    }
    assert!(!table.contains('\u{1b}'));
}

#[test]
fn bad_files_are_named_and_the_rest_is_explored_with_exit_2() {
    let f = Fleet::new();
    let demo = std::fs::read_to_string(f.path("demo.json")).unwrap();
    // Cut inside the vulnerabilities: a JSON error with a line and column.
    let cut = demo.find("\"vulnerabilities\"").unwrap() + 40;
    std::fs::write(f.path("cut.json"), &demo[..cut]).unwrap();
    let v3 = demo.replacen("\"schema_version\": 2", "\"schema_version\": 3", 1);
    assert_ne!(v3, demo);
    std::fs::write(f.path("v3.json"), v3).unwrap();
    let sarif = plimsoll(
        &[
            "image",
            root().join("demo/demo-image.tar").to_str().unwrap(),
            "--db",
            root().join("demo/osv").to_str().unwrap(),
            "-f",
            "sarif",
        ],
        &f.dir.path().join("cache"),
    );
    std::fs::write(f.path("sarif.json"), &ok(&sarif).stdout).unwrap();
    let bad_type = demo.replacen("\"severity\": \"LOW\"", "\"severity\": 3", 1);
    assert_ne!(bad_type, demo);
    std::fs::write(f.path("bad-type.json"), bad_type).unwrap();

    let out = f.explore(&[
        &f.path("api.json"),
        &f.path("cut.json"),
        &f.path("missing.json"),
        &f.path("v3.json"),
        &f.path("sarif.json"),
        &f.path("bad-type.json"),
        &f.path("web.json"),
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let fleet: Value = serde_json::from_slice(&out.stdout).unwrap();
    validate(&fleet).unwrap();
    assert_eq!(fleet["summary"]["images"], 2, "{stderr}");
    assert_eq!(fleet["summary"]["unreadable"], 5);
    let cut_line = demo[..cut].lines().count();
    let want = format!("warning: {}:{cut_line}:", f.path("cut.json"));
    assert!(stderr.contains(&want), "{want}\n{stderr}");
    assert!(
        stderr.contains(&format!("warning: {}: ", f.path("missing.json"))),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "warning: {}: schema_version 3 is not one this plimsoll reads",
            f.path("v3.json")
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "warning: {}: no schema_version: not a plimsoll native JSON report",
            f.path("sarif.json")
        )),
        "{stderr}"
    );
    // A field of the wrong type: its line, column and path.
    let at = stderr
        .lines()
        .find(|l| l.contains("bad-type.json"))
        .unwrap();
    assert!(
        at.contains("vulnerabilities[") && at.contains("].severity: "),
        "{at}"
    );
    let unreadable: Vec<&str> = fleet["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["file"].as_str().unwrap())
        .collect();
    assert_eq!(unreadable.len(), 5);
    assert!(unreadable.contains(&f.path("cut.json").as_str()));

    // Nothing readable at all: an error, exit 2.
    let out = f.explore(&[&f.path("cut.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no report could be read"));

    // Too large for --max-report-size.
    let out = f.explore(&[&f.path("api.json"), "--max-report-size", "100"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("larger than 100 bytes"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn explore_reads_stdin_filters_severity_limits_and_scores_old_reports() {
    let f = Fleet::new();
    // A report written before findings carried risk scores: scored the same way.
    let mut old = f.report("api.json");
    for v in old["vulnerabilities"].as_array_mut().unwrap() {
        v.as_object_mut().unwrap().remove("risk");
    }
    let mut child = common::bin()
        .args(["explore", "-", "-f", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(&old).unwrap())
        .unwrap();
    let from_old: Value =
        serde_json::from_slice(&ok(&child.wait_with_output().unwrap()).stdout).unwrap();
    let current: Value =
        serde_json::from_slice(&ok(&f.explore(&[&f.path("api.json"), "-f", "json"])).stdout)
            .unwrap();
    assert_eq!(from_old["images"][0]["file"], "-");
    for key in ["risk", "risk_sum", "high_risk_findings", "findings"] {
        assert_eq!(
            from_old["images"][0][key], current["images"][0][key],
            "{key}"
        );
    }
    assert_eq!(from_old["vulnerabilities"], current["vulnerabilities"]);

    // --severity counts only those findings, everywhere.
    let all = [f.path("demo.json"), f.path("api.json"), f.path("web.json")];
    let mut args: Vec<&str> = all.iter().map(String::as_str).collect();
    args.extend(["-f", "json", "--severity", "HIGH,CRITICAL"]);
    let high: Value = serde_json::from_slice(&ok(&f.explore(&args)).stdout).unwrap();
    validate(&high).unwrap();
    let want: usize = ["demo.json", "api.json", "web.json"]
        .iter()
        .map(|r| {
            f.report(r)["vulnerabilities"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["severity"] == "HIGH" || v["severity"] == "CRITICAL")
                .count()
        })
        .sum();
    assert!(want > 0);
    assert_eq!(high["summary"]["findings"].as_u64(), Some(want as u64));
    assert!(
        high["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["severity"] == "HIGH" || v["severity"] == "CRITICAL")
    );
    assert_eq!(
        high["summary"]["severity_filter"],
        serde_json::json!(["HIGH", "CRITICAL"])
    );
    assert_eq!(
        high["summary"]["images"], 3,
        "images without such findings are still listed"
    );

    // --top and --top-images cut the lists, the summary still counts everything.
    let mut args: Vec<&str> = all.iter().map(String::as_str).collect();
    args.extend(["-f", "json", "--top", "2", "--top-images", "1"]);
    let top: Value = serde_json::from_slice(&ok(&f.explore(&args)).stdout).unwrap();
    validate(&top).unwrap();
    assert_eq!(top["vulnerabilities"].as_array().unwrap().len(), 2);
    assert_eq!(top["images"].as_array().unwrap().len(), 1);
    assert!(top["summary"]["vulnerabilities"].as_u64().unwrap() > 2);
    assert_eq!(top["summary"]["vulnerabilities_listed"], 2);
    let mut args: Vec<&str> = all.iter().map(String::as_str).collect();
    args.extend(["--top", "2"]);
    let table = String::from_utf8(ok(&f.explore(&args)).stdout.clone()).unwrap();
    assert!(table.contains("(the 2 of highest risk of"), "{table}");

    // Formats that describe one image are refused.
    let out = f.explore(&[&f.path("demo.json"), "-f", "sarif"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("explore writes table or json, not sarif")
    );
}
