//! The vulnerability formats on one realistic scan ([`common::vuln_report`]): committed
//! snapshots of each, and validation against each format's schema where one exists.

mod common;

use common::*;
use plimsoll_model::{FixStatus, Severity};
use plimsoll_report::{
    GroupBy, TableOptions, to_cyclonedx_at, to_junit, to_markdown, to_sarif, vulnerability_table,
};
use serde_json::Value;
use std::collections::HashSet;

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

fn plain(group_by: GroupBy) -> TableOptions {
    TableOptions {
        color: false,
        width: 140,
        group_by,
        top: None,
    }
}

#[test]
fn table_by_package() {
    let r = vuln_report();
    let t = vulnerability_table(&r, &plain(GroupBy::Package));
    assert!(!t.contains('\x1b'), "escape sequence without colour");
    assert!(t.contains("Total: 7 (CRITICAL: 1, HIGH: 4, MEDIUM: 1, LOW: 1, UNKNOWN: 0)"));
    assert!(t.contains("Suppressed: 1 (ignore-unfixed: 1)"));
    assert!(t.contains("DB built 2026-11-29T06:00:00Z (2d 3h old)"));
    assert!(t.contains(&format!("plimsoll {}", env!("CARGO_PKG_VERSION"))));
    assert!(t.contains("CVE-2023-44487 (KEV)"));
    assert_snapshot("table-package.txt", &t);
}

#[test]
fn table_colours_severities_only_when_asked() {
    let r = vuln_report();
    let mut o = plain(GroupBy::Package);
    o.color = true;
    let t = vulnerability_table(&r, &o);
    // Bold red CRITICAL, red HIGH, yellow MEDIUM; the same text once the escapes are removed.
    assert!(t.contains("\x1b[38;5;9m\x1b[1m CRITICAL \x1b[0m"), "{t:?}");
    assert!(t.contains("\x1b[38;5;9m HIGH "), "{t:?}");
    assert!(t.contains("\x1b[38;5;11m MEDIUM "), "{t:?}");
    let stripped = strip_ansi(&t);
    assert_eq!(stripped, vulnerability_table(&r, &plain(GroupBy::Package)));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn table_by_layer() {
    let r = vuln_report();
    let t = vulnerability_table(&r, &plain(GroupBy::Layer));
    // Each layer with its instruction and counts; layer 1 brought packages but no finding.
    assert!(
        t.contains("Layer 1: RUN apt-get install -y python3-yaml\n  3 packages (deb: 2, python: 1), 0 vulnerabilities")
    );
    assert!(t.contains(
        "Layer 3: COPY bin /usr/local/bin\n  4 packages (cargo: 1, go-module: 3), 2 vulnerabilities (CRITICAL: 1, HIGH: 1,"
    ));
    assert_snapshot("table-layer.txt", &t);
}

#[test]
fn empty_report_table_says_so() {
    let r = sample_report();
    let t = vulnerability_table(&r, &TableOptions::default());
    assert!(t.contains("no vulnerability database"));
    assert!(t.contains("Total: 0 (CRITICAL: 0"));
}

#[test]
fn sarif_validates_and_is_shaped_for_github() {
    let r = vuln_report();
    let s = to_sarif(&r);
    validate_sarif(&s).unwrap();
    let run = &s["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "plimsoll");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    let ids: HashSet<&str> = r.vulnerabilities.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(rules.len(), ids.len());
    let rule = |id: &str| rules.iter().find(|x| x["id"] == id).unwrap();
    // The CVSS score when there is one, else the label's default; always a string.
    assert_eq!(
        rule("CVE-2024-45337")["properties"]["security-severity"],
        "9.1"
    );
    assert_eq!(
        rule("CVE-2024-33599")["properties"]["security-severity"],
        "8.0"
    );
    assert_eq!(
        rule("CVE-2025-13465")["properties"]["security-severity"],
        "5.5"
    );
    // Debian rates CVE-2011-4116 low although its CVSS score is 7.5: the label wins.
    assert_eq!(
        rule("CVE-2011-4116")["properties"]["security-severity"],
        "2.0"
    );
    assert_eq!(
        rule("CVE-2024-33599")["helpUri"],
        "https://osv.dev/vulnerability/CVE-2024-33599"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), r.vulnerabilities.len());
    let mut fps = HashSet::new();
    for res in results {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
        let uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.starts_with('/') && !uri.contains("://"), "{uri}");
        assert!(fps.insert(res["partialFingerprints"].to_string()));
    }
    let level = |id: &str| {
        results.iter().find(|x| x["ruleId"] == id).unwrap()["level"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(level("CVE-2024-45337"), "error");
    assert_eq!(level("CVE-2025-13465"), "warning");
    assert_eq!(level("CVE-2011-4116"), "note");
    assert_eq!(
        run["properties"]["database_built_at"],
        "2026-11-29T06:00:00Z"
    );
    assert_snapshot("report.sarif.json", &pretty(&s));
}

#[test]
fn sarif_paths_become_relative_uri_references() {
    let mut r = vuln_report();
    r.vulnerabilities[0].path = Some("/opt/my app/100%:lib/x.jar".into());
    let s = to_sarif(&r);
    validate_sarif(&s).unwrap();
    let uris: Vec<&str> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        uris.contains(&"opt/my%20app/100%25%3Alib/x.jar"),
        "{uris:?}"
    );
    // The schema's validator is really checking: an invalid level is rejected.
    let mut bad = s.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(validate_sarif(&bad).is_err());
}

#[test]
fn cyclonedx_vdr_validates() {
    let r = vuln_report();
    let bom = to_cyclonedx_at(&r, "2026-12-01T08:00:00Z");
    validate_cyclonedx(&bom).unwrap();
    let refs: HashSet<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 7);
    for v in vulns {
        assert_eq!(v["source"]["name"], "OSV");
        for a in v["affects"].as_array().unwrap() {
            assert!(refs.contains(a["ref"].as_str().unwrap()), "{a}");
        }
    }
    let v = vulns.iter().find(|v| v["id"] == "CVE-2024-2961").unwrap();
    assert_eq!(v["recommendation"], "Upgrade libc6 to 2.36-9+deb12u7");
    assert_eq!(v["ratings"][0]["method"], "CVSSv31");
    assert_eq!(v["ratings"][0]["score"], 8.1);
    assert_eq!(v["ratings"][0]["severity"], "high");
    assert_eq!(v["ratings"][1]["source"]["name"], "debian");
    let props = bom["metadata"]["properties"].as_array().unwrap();
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "plimsoll:database:built_at"
                && p["value"] == "2026-11-29T06:00:00Z")
    );
    // Without findings there is no vulnerabilities section.
    assert!(
        to_cyclonedx_at(&sample_report(), "2026-12-01T08:00:00Z")
            .get("vulnerabilities")
            .is_none()
    );
    // A wrong rating method is rejected.
    let mut bad = bom.clone();
    bad["vulnerabilities"][0]["ratings"][0]["method"] = "CVSSv5".into();
    assert!(validate_cyclonedx(&bad).is_err());
    assert_snapshot("report.cdx.json", &pretty(&bom));
}

#[test]
fn markdown_comment() {
    let r = vuln_report();
    let md = to_markdown(&r);
    assert!(md.starts_with("## plimsoll: registry.example/app:1.0\n"));
    // Highest risk first, then most severe: the CRITICAL one ties the KEV one at 10.0.
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    assert!(
        rows[2].starts_with("| CRITICAL | [CVE-2024-45337]"),
        "{}",
        rows[2]
    );
    assert_eq!(rows.len(), 2 + r.vulnerabilities.len());
    // Each row has exactly the 8 cells: no unescaped `|` from the data.
    for row in &rows {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 9, "{row}");
    }
    assert!(md.contains("<sub>plimsoll "));
    assert!(md.contains("(KEV)"));
    assert_snapshot("report.md", &md);
}

#[test]
fn markdown_escapes_hostile_names() {
    let mut r = vuln_report();
    r.vulnerabilities[0].package_name = "evil|<img src=x>".into();
    let md = to_markdown(&r);
    assert!(md.contains("evil\\|\\<img src=x\\>"));
    assert!(!md.replace("\\<", "").contains("<img"));
}

#[test]
fn junit_parses_back() {
    let r = vuln_report();
    let x = to_junit(&r);
    let s = parse_junit(&x);
    assert_eq!(s.testcases, r.packages.len());
    assert_eq!(s.failures, r.vulnerabilities.len());
    assert_eq!(s.failing_cases, 6);
    assert!(s.properties.contains(&(
        "database.built_at".to_string(),
        "2026-11-29T06:00:00Z".to_string()
    )));
    assert!(s.properties.contains(&(
        "plimsoll.version".to_string(),
        env!("CARGO_PKG_VERSION").to_string()
    )));
    assert_snapshot("report.junit.xml", &x);
}

#[test]
fn junit_escapes_hostile_text() {
    let mut r = vuln_report();
    r.packages[0].name = "a<b>&\"c'\u{1}".into();
    r.vulnerabilities[0].title = Some("]]> </failure><x>".into());
    let x = to_junit(&r);
    let s = parse_junit(&x);
    assert_eq!(s.testcases, r.packages.len());
    assert!(
        s.names.iter().any(|n| n.starts_with("a<b>&\"c'\u{FFFD}@")),
        "{:?}",
        s.names
    );
}

#[derive(Default)]
struct JunitSummary {
    testcases: usize,
    failures: usize,
    failing_cases: usize,
    names: Vec<String>,
    properties: Vec<(String, String)>,
}

/// Reads the document with a real XML parser: any escaping mistake is a parse error.
fn parse_junit(x: &str) -> JunitSummary {
    use quick_xml::XmlVersion;
    use quick_xml::events::Event;
    let mut rd = quick_xml::Reader::from_str(x);
    let mut s = JunitSummary::default();
    let mut in_case_failures = 0;
    let mut stack: Vec<String> = Vec::new();
    let attr = |e: &quick_xml::events::BytesStart, k: &str| -> Option<String> {
        e.attributes()
            .map(|a| a.unwrap())
            .find(|a| a.key.as_ref() == k)
            .map(|a| {
                a.normalized_value(XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
    };
    loop {
        match rd.read_event().unwrap() {
            Event::Start(e) => {
                let n = e.name().as_ref().to_string();
                if n == "testcase" {
                    s.testcases += 1;
                    s.names.push(attr(&e, "name").unwrap());
                    in_case_failures = 0;
                }
                if n == "failure" {
                    s.failures += 1;
                    in_case_failures += 1;
                    assert!(attr(&e, "message").is_some());
                }
                stack.push(n);
            }
            Event::Empty(e) => {
                let n = e.name().as_ref().to_string();
                if n == "testcase" {
                    s.testcases += 1;
                    s.names.push(attr(&e, "name").unwrap());
                }
                if n == "property" {
                    s.properties
                        .push((attr(&e, "name").unwrap(), attr(&e, "value").unwrap()));
                }
            }
            Event::End(e) => {
                let n = stack.pop().unwrap();
                assert_eq!(n, e.name().as_ref());
                if n == "testcase" && in_case_failures > 0 {
                    s.failing_cases += 1;
                }
            }
            Event::Text(t) => {
                t.xml_content(XmlVersion::Implicit1_0);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty());
    s
}

#[test]
fn native_report_validates_against_its_schema() {
    let r = vuln_report();
    validate_report(&serde_json::to_value(&r).unwrap()).unwrap();
    validate_report(&serde_json::to_value(sample_report()).unwrap()).unwrap();
    // Round trip: what the schema describes is what the model reads.
    let back: plimsoll_model::Report =
        serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
    assert_eq!(back, r);
    assert!(
        r.vulnerabilities
            .iter()
            .any(|f| f.status == FixStatus::WillNotFix)
    );
    assert!(
        r.vulnerabilities
            .iter()
            .any(|f| f.severity == Severity::Critical)
    );
    // Ordered by risk, highest first, each with its factors.
    let scores: Vec<f64> = r
        .vulnerabilities
        .iter()
        .map(|f| f.risk.as_ref().unwrap().score)
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn report_schema_rejects_wrong_types() {
    let good = serde_json::to_value(vuln_report()).unwrap();
    let cases: [(&str, Value); 6] = [
        ("/vulnerabilities/0/severity", "SEVERE".into()),
        ("/vulnerabilities/0/layer", "one".into()),
        ("/vulnerabilities/0/kev", "no".into()),
        ("/packages/0/locations", Value::Null),
        ("/gate/result", "maybe".into()),
        ("/database/built_at", "last week".into()),
    ];
    for (ptr, v) in cases {
        let mut bad = good.clone();
        *bad.pointer_mut(ptr).unwrap() = v;
        assert!(validate_report(&bad).is_err(), "{ptr} accepted");
    }
    let mut bad = good.clone();
    bad["vulnerabilities"][0]
        .as_object_mut()
        .unwrap()
        .remove("package_id");
    assert!(validate_report(&bad).is_err());
    let mut bad = good;
    bad["vulnerabilities"][0]["undocumented"] = 1.into();
    assert!(validate_report(&bad).is_err());
}

#[test]
fn cyclonedx_vdr_survives_odd_findings() {
    let mut r = vuln_report();
    // A finding whose package is not in the inventory, and a duplicate of another finding.
    let mut orphan = r.vulnerabilities[0].clone();
    orphan.package_id = "not-a-package".into();
    let dup = r.vulnerabilities[1].clone();
    r.vulnerabilities.extend([orphan, dup]);
    r.vulnerabilities[3].cvss.as_mut().unwrap().version = "9.9".into();
    let bom = to_cyclonedx_at(&r, "2026-12-01T08:00:00Z");
    validate_cyclonedx(&bom).unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever names, titles and paths the image and the advisories hold, the XML parses
    /// and gives the name back, the SARIF validates, and Markdown rows keep their 8 cells.
    #[test]
    fn hostile_text_stays_well_formed(
        name in "\\PC{0,12}[<>&\"'|\\]\\[\n\r\t\u{1}\u{FFFE}]{0,4}\\PC{0,6}",
        title in "\\PC{0,20}",
        path in "[/ %:#?a-z\u{e9}]{0,16}",
    ) {
        let mut r = vuln_report();
        r.packages[0].name = name.clone();
        r.vulnerabilities[0].package_name = name.clone();
        r.vulnerabilities[0].title = Some(title);
        r.vulnerabilities[0].path = Some(path);
        let j = parse_junit(&to_junit(&r));
        let want: String = name
            .chars()
            .map(|c| if (c as u32) < 0x20 && !"\t\n\r".contains(c) || c == '\u{FFFE}' { '\u{FFFD}' } else { c })
            .collect();
        // Attribute values keep their line breaks (written as character references).
        proptest::prop_assert!(j.names.iter().any(|n| n == &format!("{want}@2.36-9+deb12u4")), "{:?}", j.names);
        validate_sarif(&to_sarif(&r)).unwrap();
        let md = to_markdown(&r);
        for row in md.lines().filter(|l| l.starts_with("| ")) {
            proptest::prop_assert_eq!(row.replace("\\|", "").matches('|').count(), 9, "{}", row);
        }
    }
}

#[test]
fn native_json_validates_and_matches_its_snapshot() {
    let r = vuln_report();
    let v = serde_json::to_value(&r).unwrap();
    validate_report(&v).unwrap();
    assert_eq!(v["scanner"]["name"], "plimsoll");
    assert_eq!(v["scanner"]["version"], env!("CARGO_PKG_VERSION"));
    // It reads back to the same report (what `explore` and later tools rely on).
    let back: plimsoll_model::Report = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, r);
    assert_snapshot("report.json", &pretty(&v));
}

/// `spdx-json` of the same scan: SPDX 2.3 has no vulnerabilities, so it is the inventory
/// (every package with its purl and licenses) of the scan the other snapshots show.
#[test]
fn spdx_of_the_same_scan_validates_and_matches_its_snapshot() {
    let r = vuln_report();
    let doc = plimsoll_report::to_spdx_at(&r, "2026-11-30T12:00:00Z");
    validate_spdx(&doc).unwrap();
    let purls: HashSet<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .filter_map(|e| e["referenceLocator"].as_str())
        .collect();
    for p in &r.packages {
        assert!(purls.contains(p.purl.as_str()), "{} missing", p.purl);
    }
    assert_snapshot("report.spdx.json", &pretty(&doc));
}

#[test]
fn top_n_shows_the_highest_risk_findings_and_counts_all() {
    let r = vuln_report();
    let t = vulnerability_table(
        &r,
        &TableOptions {
            top: Some(2),
            ..plain(GroupBy::Package)
        },
    );
    assert!(t.contains("Total: 7 "), "{t}");
    assert!(t.contains("Showing the 2 of highest risk (--top 2); the JSON report has all 7"));
    let mut by_risk: Vec<&plimsoll_model::Finding> = r.vulnerabilities.iter().collect();
    by_risk.sort_by(|a, b| {
        b.risk
            .as_ref()
            .unwrap()
            .score
            .total_cmp(&a.risk.as_ref().unwrap().score)
    });
    for f in &by_risk[..2] {
        assert!(t.contains(&f.id), "{} missing:\n{t}", f.id);
    }
    for f in &by_risk[2..] {
        assert!(!t.contains(&format!("┆ {} ", f.id)), "{} shown:\n{t}", f.id);
    }
    // By layer too; and a top larger than the list shows everything.
    let t = vulnerability_table(
        &r,
        &TableOptions {
            top: Some(1),
            ..plain(GroupBy::Layer)
        },
    );
    assert!(t.contains(&by_risk[0].id));
    let all = vulnerability_table(&r, &plain(GroupBy::Package));
    let big = vulnerability_table(
        &r,
        &TableOptions {
            top: Some(100),
            ..plain(GroupBy::Package)
        },
    );
    assert_eq!(all, big);
}

/// The same scan with its base image told apart: `debian:12`'s layer 0, from the label.
fn with_base_image() -> plimsoll_model::Report {
    let mut r = vuln_report();
    r.artifact.base_image = Some(plimsoll_model::BaseImage {
        method: "label".into(),
        name: Some("docker.io/library/debian:12".into()),
        digest: None,
        layers: 1,
        detail: "config label org.opencontainers.image.base.name names it; history entry 1 \
                 (CMD [\"bash\"]) ends it"
            .into(),
    });
    r.mark_base_image();
    r
}

#[test]
fn table_with_a_base_image_shows_base_and_application_apart() {
    let r = with_base_image();
    let t = vulnerability_table(&r, &plain(GroupBy::Package));
    // Every finding of layer 0 is under the base image, every other under the application.
    let base_at = t.find("\nBase image docker.io/library/debian:12 (layer 0, decided by label): Total: 3 (CRITICAL: 0, HIGH: 2, MEDIUM: 0, LOW: 1, UNKNOWN: 0)").unwrap();
    let app_at = t.find("\nApplication (layers 1–3): Total: 4 (CRITICAL: 1, HIGH: 2, MEDIUM: 1, LOW: 0, UNKNOWN: 0)").unwrap();
    assert!(base_at < app_at);
    for f in &r.vulnerabilities {
        let at = t.find(&format!("┆ {} ", f.id)).unwrap();
        assert_eq!(at < app_at, f.layer == Some(0), "{}", f.id);
    }
    // The overall total stays.
    assert!(t.contains("\nTotal: 7 (CRITICAL: 1, HIGH: 4, MEDIUM: 1, LOW: 1, UNKNOWN: 0)"));
    assert_snapshot("table-base-image.txt", &t);

    let by_layer = vulnerability_table(&r, &plain(GroupBy::Layer));
    let app_at = by_layer.find("\nApplication (layers 1–3)").unwrap();
    assert!(by_layer.find("\nLayer 0:").unwrap() < app_at);
    assert!(by_layer.find("\nLayer 1:").unwrap() > app_at);
    assert_snapshot("table-layer-base-image.txt", &by_layer);

    // --top keeps each part's counts whole.
    let top = vulnerability_table(
        &r,
        &TableOptions {
            top: Some(1),
            ..plain(GroupBy::Package)
        },
    );
    assert!(top.contains("decided by label): Total: 3 "), "{top}");
    assert!(top.contains("Application (layers 1–3): Total: 4 "), "{top}");

    // Without a base image, the table is as before.
    assert!(!vulnerability_table(&vuln_report(), &plain(GroupBy::Package)).contains("Application"));
}

#[test]
fn markdown_with_a_base_image_has_two_tables() {
    let r = with_base_image();
    let md = to_markdown(&r);
    assert!(md.contains("### Base image <code>docker.io/library/debian:12</code> (layer 0, decided by label): 3 vulnerabilities"), "{md}");
    assert!(
        md.contains("### Application (layers 1–3): 4 vulnerabilities"),
        "{md}"
    );
    let rows = md.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(rows, 2 * 2 + r.vulnerabilities.len());
    validate_report(&serde_json::to_value(&r).unwrap()).unwrap();
}
