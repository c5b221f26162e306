//! `--layers final|all` end to end: an image where layer 1 installs libssl3 (Debian) and
//! requests (PyPI) and layer 2 purges both, scanned against `demo/osv` (one real, reduced
//! advisory for each). With `final` (the default) neither is reported; with `all` both are
//! listed as removed packages with the layer that added and the layer that removed them,
//! and their vulnerabilities as informational findings that no gate counts unless a policy
//! rule says `removed: true`. Every format says "added in layer 1, removed in layer 2".
//! A secret in a file layer 3 deletes is said the same way.

mod common;

use common::{json, plimsoll, root, s, stderr, text};
use plimsoll_testkit::layers::{PURGED_DEB, PURGED_PYPI, purged_layers};
use plimsoll_testkit::{ImageBuilder, secrets::Fake};
use serde_json::Value;
use std::path::Path;

const LIBSSL: &str = "CVE-2023-5678";
const REQUESTS: &str = "CVE-2024-35195";
const SPAN: &str = "added in layer 1, removed in layer 2";

/// [`purged_layers`], then a layer that writes a token into a file and one that deletes
/// it (layers 3 and 4), then the application (layer 5). Returns the token.
fn write_image(dir: &Path) -> String {
    let token = format!("ghp_{}", Fake(0x1A7E_5EED).alnum(36));
    purged_layers(ImageBuilder::new())
        .layer("COPY hosts.yml /root/.config/gh/ # buildkit", |l| {
            l.file(
                "root/.config/gh/hosts.yml",
                format!("github.com:\n    user: ci\n    oauth_token: {token}\n"),
            )
        })
        .layer("RUN /bin/sh -c rm -rf /root/.config/gh # buildkit", |l| {
            l.whiteout("root/.config/gh")
        })
        .layer("COPY app /app # buildkit", |l| {
            l.file_mode("app/server.py", "print('hello')\n", 0o755)
        })
        .write_oci_layout(dir, None);
    token
}

struct Fixture {
    image: tempfile::TempDir,
    cache: tempfile::TempDir,
    token: String,
}

impl Fixture {
    fn new() -> Fixture {
        let image = tempfile::tempdir().unwrap();
        let token = write_image(image.path());
        Fixture {
            image,
            cache: tempfile::tempdir().unwrap(),
            token,
        }
    }

    /// `plimsoll CMD IMAGE --db demo/osv ARGS…` (`inventory` takes no database).
    fn run(&self, cmd: &str, args: &[&str]) -> std::process::Output {
        let db = root().join("demo/osv");
        let mut all = vec![cmd, s(self.image.path())];
        if cmd != "inventory" {
            all.extend(["--db", s(&db)]);
        }
        all.extend_from_slice(args);
        let out = plimsoll(&all, self.cache.path());
        // No format, message or cache file carries the token.
        assert!(!text(&out.stdout).contains(&self.token));
        assert!(!stderr(&out).contains(&self.token));
        out
    }

    fn report(&self, args: &[&str]) -> Value {
        let mut all = vec!["-f", "json"];
        all.extend_from_slice(args);
        let r = json(&self.run("image", &all));
        common::validate_report(&r).unwrap();
        r
    }
}

fn ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

#[test]
fn final_layers_report_only_the_final_filesystem() {
    let fx = Fixture::new();
    for args in [&[][..], &["--layers", "final"]] {
        let r = fx.report(args);
        assert_eq!(names(&r["packages"]), ["base-files", "zlib1g"]);
        assert!(r.get("removed_packages").is_none(), "{r}");
        assert!(r.get("removed_vulnerabilities").is_none(), "{r}");
        assert!(ids(&r["vulnerabilities"]).is_empty(), "{r}");
        // Secrets in deleted files are reported with --layers final too.
        let secret = &r["secrets"][0];
        assert_eq!(
            (
                secret["layer"].as_u64(),
                secret["deleted_in_layer"].as_u64()
            ),
            (Some(3), Some(4)),
            "{secret}"
        );
    }
}

#[test]
fn all_layers_list_removed_packages_and_their_vulnerabilities_apart() {
    let fx = Fixture::new();
    let r = fx.report(&["--layers", "all"]);
    // The final inventory and its findings are the same as with --layers final.
    assert_eq!(names(&r["packages"]), ["base-files", "zlib1g"]);
    assert!(ids(&r["vulnerabilities"]).is_empty());

    let removed = r["removed_packages"].as_array().unwrap();
    assert_eq!(names(&r["removed_packages"]), [PURGED_DEB.0, PURGED_PYPI.0]);
    for p in removed {
        assert_eq!(p["locations"][0]["layer"], 1, "{p}");
        assert_eq!(p["removed_in_layer"], 2, "{p}");
    }
    assert_eq!(removed[0]["version"], PURGED_DEB.1);
    assert_eq!(removed[0]["source"]["name"], PURGED_DEB.2);
    assert_eq!(
        removed[1]["locations"][0]["path"],
        "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA"
    );

    assert_eq!(ids(&r["removed_vulnerabilities"]), [LIBSSL, REQUESTS]);
    for f in r["removed_vulnerabilities"].as_array().unwrap() {
        assert_eq!(
            (f["layer"].as_u64(), f["removed_in_layer"].as_u64()),
            (Some(1), Some(2))
        );
        assert!(f["risk"]["score"].is_number(), "{f}");
        let pkg = removed.iter().find(|p| p["id"] == f["package_id"]).unwrap();
        assert_eq!(pkg["name"], f["package_name"]);
        assert!(
            f["layer_created_by"]
                .as_str()
                .unwrap()
                .contains("apt-get install -y libssl3"),
            "{f}"
        );
    }
}

#[test]
fn removed_vulnerabilities_do_not_fail_the_exit_code_gate() {
    let fx = Fixture::new();
    let out = fx.run(
        "image",
        &[
            "--layers",
            "all",
            "--exit-code",
            "1",
            "--scanners",
            "vuln",
            "-f",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["gate"]["result"], "pass", "{}", r["gate"]);
    assert_eq!(ids(&r["removed_vulnerabilities"]), [LIBSSL, REQUESTS]);
    // The table's totals are the final filesystem's.
    let out = fx.run(
        "image",
        &["--layers", "all", "--exit-code", "1", "--scanners", "vuln"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let t = text(&out.stdout);
    assert!(t.contains("Total: 0"), "{t}");
}

#[test]
fn a_policy_rule_with_removed_true_gates_them() {
    let fx = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:
  - {name: any-high, action: block, when: {severity: LOW}}
  - {name: removed-libssl, action: block, when: {removed: true, packages: {deny: [libssl3]}}}
",
    )
    .unwrap();
    let out = fx.run(
        "image",
        &[
            "--layers",
            "all",
            "--policy",
            s(&policy),
            "--scanners",
            "vuln",
            "-f",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = r["gate"]["violations"].as_array().unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["rule"], "removed-libssl");
    assert_eq!(v[0]["findings"][0]["id"], LIBSSL);
    assert!(
        v[0]["condition"]
            .as_str()
            .unwrap()
            .contains("removed by a later layer"),
        "{}",
        v[0]["condition"]
    );
    // The same policy over --layers final passes: nothing removed is listed.
    let out = fx.run(
        "image",
        &["--policy", s(&policy), "--scanners", "vuln", "-f", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn every_format_says_added_and_removed() {
    let fx = Fixture::new();
    let all = ["--layers", "all"];
    let run = |format: &str| {
        let mut args = vec!["-f", format];
        args.extend_from_slice(&all);
        let out = fx.run("image", &args);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        text(&out.stdout)
    };

    let table = run("table");
    assert!(
        table.contains("Removed by later layers: 2 packages, 2 vulnerabilities"),
        "{table}"
    );
    assert!(table.contains(SPAN), "{table}");
    assert!(
        table.contains(LIBSSL) && table.contains(REQUESTS),
        "{table}"
    );
    // The secret in the deleted file, in the same words.
    assert!(
        table.contains("added in layer 3, removed in layer 4"),
        "{table}"
    );

    let md = run("markdown");
    assert!(
        md.contains("### Removed by later layers: 2 packages"),
        "{md}"
    );
    assert!(md.contains(SPAN), "{md}");
    assert!(md.contains("added in layer 3, removed in layer 4"), "{md}");
    assert!(
        md.starts_with("## plimsoll:") && md.contains("**0 vulnerabilities**"),
        "{md}"
    );

    let junit = run("junit");
    assert!(junit.contains("<testsuite name=\"removed-layers\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"2\">"), "{junit}");
    assert!(
        junit.contains(&format!("informational: {SPAN}, 1 vulnerability")),
        "{junit}"
    );
    assert!(
        junit.contains("added in layer 3, removed in layer 4"),
        "{junit}"
    );

    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    common::validate_sarif(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let ssl = results.iter().find(|x| x["ruleId"] == LIBSSL).unwrap();
    assert_eq!(ssl["level"], "note");
    assert_eq!(ssl["properties"]["removed_in_layer"], 2);
    assert!(
        ssl["message"]["text"].as_str().unwrap().contains(SPAN),
        "{ssl}"
    );
    let secret = results
        .iter()
        .find(|x| x["properties"]["kind"] == "secret")
        .unwrap();
    assert!(
        secret["message"]["text"]
            .as_str()
            .unwrap()
            .contains("added in layer 3, removed in layer 4"),
        "{secret}"
    );

    let cdx: Value = serde_json::from_str(&run("cyclonedx")).unwrap();
    common::validate_cyclonedx(&cdx).unwrap();
    let comps = cdx["components"].as_array().unwrap();
    let ssl = comps.iter().find(|c| c["name"] == PURGED_DEB.0).unwrap();
    assert_eq!(ssl["scope"], "excluded");
    let props = ssl["properties"].as_array().unwrap();
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "plimsoll:removed_in_layer" && p["value"] == "2")
    );
    let vulns = cdx["vulnerabilities"].as_array().unwrap();
    let v = vulns.iter().find(|v| v["id"] == LIBSSL).unwrap();
    assert_eq!(v["affects"][0]["ref"], ssl["bom-ref"]);
    assert!(
        v["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "plimsoll:layers" && p["value"] == SPAN),
        "{v}"
    );
    // Excluded components are no dependency of the image.
    let root_deps = cdx["dependencies"][0]["dependsOn"].as_array().unwrap();
    assert!(!root_deps.contains(&ssl["bom-ref"]));

    let spdx: Value = serde_json::from_str(&run("spdx-json")).unwrap();
    common::validate_spdx(&spdx).unwrap();
    let pkg = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == PURGED_DEB.0)
        .unwrap();
    let rel = spdx["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["relatedSpdxElement"] == pkg["SPDXID"])
        .unwrap();
    assert_eq!(rel["relationshipType"], "OTHER");
    assert!(rel["comment"].as_str().unwrap().contains(SPAN), "{rel}");
}

#[test]
fn inventory_sbom_round_trips_removed_packages() {
    let fx = Fixture::new();
    let out = fx.run("inventory", &["--layers", "all", "-f", "cyclonedx"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sbom = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(sbom.path(), &out.stdout).unwrap();
    // Read back, the removed packages stay apart and their findings stay informational.
    let db = root().join("demo/osv");
    let out = plimsoll(
        &[
            "sbom",
            s(sbom.path()),
            "--db",
            s(&db),
            "-f",
            "json",
            "--exit-code",
            "1",
        ],
        fx.cache.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(names(&r["packages"]), ["base-files", "zlib1g"]);
    assert_eq!(names(&r["removed_packages"]), [PURGED_DEB.0, PURGED_PYPI.0]);
    assert_eq!(ids(&r["removed_vulnerabilities"]), [LIBSSL, REQUESTS]);
    assert!(ids(&r["vulnerabilities"]).is_empty());
}

#[test]
fn a_bad_layers_value_is_a_usage_error() {
    let fx = Fixture::new();
    let out = fx.run("image", &["--layers", "some"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--layers"), "{}", stderr(&out));
}

#[test]
fn explain_names_a_removed_finding_and_the_rules_that_judge_it() {
    let fx = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:
  - {name: any, action: block, when: {severity: LOW}}
  - {name: removed, action: alert, when: {removed: true}}
",
    )
    .unwrap();
    let db = root().join("demo/osv");
    let run = |layers: &str| {
        let args = [
            "explain",
            LIBSSL,
            s(fx.image.path()),
            "--db",
            s(&db),
            "--layers",
            layers,
            "--policy",
            s(&policy),
        ];
        plimsoll(&args, fx.cache.path())
    };
    let out = run("all");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let t = text(&out.stdout);
    assert!(
        t.contains(&format!("{SPAN}: not in the final filesystem")),
        "{t}"
    );
    assert!(t.contains("no removed: true"), "{t}");
    assert!(
        t.contains("FIRED (alert)\n      package removed in layer 2"),
        "{t}"
    );
    // With --layers final it is no finding of the image.
    let out = run("final");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
}
