//! Every format renders every finding kind: secrets (redacted), misconfigurations and
//! malware beside the vulnerabilities, on one realistic report ([`common::kinds_report`]),
//! each format checked against its schema or parsed back.

mod common;

use common::*;
use plimsoll_model::Report;
use plimsoll_report::{Format, GroupBy, RenderOptions, View, render};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const AT: &str = "2026-12-01T08:00:00Z";

fn rendered(r: &Report, format: Format, view: View) -> String {
    let mut out = Vec::new();
    render(
        r,
        format,
        &RenderOptions {
            view,
            color: false,
            timestamp: Some(AT.into()),
        },
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

fn json(r: &Report, format: Format) -> Value {
    serde_json::from_str(&rendered(r, format, View::Image)).unwrap()
}

fn vulns_view() -> View {
    View::Vulnerabilities(GroupBy::Package, None)
}

/// The distinct secret rule ids, and every redacted match, of the report.
fn secret_facts(r: &Report) -> (BTreeSet<&str>, BTreeSet<&str>) {
    (
        r.secrets.iter().map(|s| s.rule_id.as_str()).collect(),
        r.secrets.iter().map(|s| s.redacted.as_str()).collect(),
    )
}

#[test]
fn every_format_names_every_kind_and_each_redacted_match() {
    let r = kinds_report();
    let (rules, matches) = secret_facts(&r);
    assert_eq!(rules.len(), 3);
    for format in Format::ALL {
        let views: &[View] = match format {
            Format::Table => &[View::Image, View::Inventory, vulns_view()],
            _ => &[View::Image],
        };
        for view in views {
            let out = rendered(&r, format, *view);
            let text = match format {
                // Markdown escapes `*` and `_`; SPDX and CycloneDX carry the objects as JSON
                // in a string: read the text as a reader of either would.
                Format::Markdown => out.replace('\\', ""),
                _ => out.replace("\\\"", "\""),
            };
            for id in
                rules
                    .iter()
                    .copied()
                    .chain(["PLIM-DF-002", "MAL-2025-1234", "eicar-test-file"])
            {
                assert!(text.contains(id), "{format:?} {view:?} lacks {id}");
            }
            for m in &matches {
                assert!(text.contains(*m), "{format:?} {view:?} lacks {m}");
            }
        }
    }
}

#[test]
fn table_has_a_section_per_kind() {
    let r = kinds_report();
    for view in [View::Image, View::Inventory, vulns_view()] {
        let t = rendered(&r, Format::Table, view);
        assert!(
            t.contains("\nSecrets: 4 (CRITICAL: 3, HIGH: 1, MEDIUM: 0, LOW: 0, UNKNOWN: 0)\n"),
            "{t}"
        );
        assert!(t.contains("Suppressed secrets: 1 (ignorefile: 1)"), "{t}");
        assert!(
            t.contains("\nMisconfigurations: 1 (CRITICAL: 0, HIGH: 1,"),
            "{t}"
        );
        assert!(
            t.contains("\nMalware: 2 (CRITICAL: 1, HIGH: 0, MEDIUM: 1,"),
            "{t}"
        );
        for want in [
            "app/config/settings.env:3",
            "Env AWS_ACCESS_KEY_ID",
            "history (created_by)",
            // The note (`added in layer 2, removed in layer 3`) wraps in its cell.
            "removed in layer 3",
            "image config",
            "usr/local/share/eicar.com",
        ] {
            assert!(t.contains(want), "{view:?} lacks {want}\n{t}");
        }
        // The suppressed finding is counted, not listed.
        assert!(!t.contains("fixtures.js"), "{t}");
    }
    // The vulnerability table keeps its gate last, after the other kinds.
    let t = rendered(&r, Format::Table, vulns_view());
    assert!(t.find("\nMalware: ").unwrap() < t.find("\nGate: ").unwrap());
    // The secret rows are most severe first.
    let rows: Vec<&str> = t
        .lines()
        .skip_while(|l| !l.starts_with("Secrets: "))
        .filter(|l| l.contains("github-pat") || l.contains("private-key-rsa"))
        .collect();
    assert!(rows[0].contains("github-pat"), "{rows:?}");
}

#[test]
fn a_report_without_other_kinds_renders_as_before() {
    let r = vuln_report();
    for format in Format::ALL {
        let out = rendered(&r, format, vulns_view());
        for word in [
            "Secrets",
            "secret",
            "Misconfigurations",
            "Malware",
            "malware",
        ] {
            assert!(!out.contains(word), "{format:?} mentions {word}");
        }
    }
}

#[test]
fn native_json_holds_the_kinds_and_validates() {
    let r = kinds_report();
    let v = json(&r, Format::Json);
    validate_report(&v).unwrap();
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["secrets"].as_array().unwrap().len(), 4);
    assert_eq!(v["suppressed_secrets"][0]["suppressed_by"], "ignorefile");
    assert_eq!(v["secrets"][2]["deleted_in_layer"], 3);
    let back: Report = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, r);
    // The schema lists every field: an undocumented one, or a wrong type, is refused.
    for (ptr, bad) in [
        ("/secrets/0/source", Value::from("disk")),
        ("/secrets/0/line", Value::from(0)),
        ("/misconfigurations/0/severity", Value::from("SEVERE")),
        ("/malware/1/digest", Value::from("not a digest")),
    ] {
        let mut x = v.clone();
        *x.pointer_mut(ptr).unwrap() = bad;
        assert!(validate_report(&x).is_err(), "{ptr} accepted");
    }
    for list in [
        "secrets",
        "suppressed_secrets",
        "misconfigurations",
        "malware",
    ] {
        let mut x = v.clone();
        x[list][0]["value"] = "AKIAIOSFODNN7EXAMPLE".into();
        assert!(validate_report(&x).is_err(), "{list}[0].value accepted");
    }
    let mut x = v;
    x["secrets"][0].as_object_mut().unwrap().remove("redacted");
    assert!(validate_report(&x).is_err());
}

#[test]
fn sarif_has_one_rule_per_secret_rule_id() {
    let r = kinds_report();
    let s = json(&r, Format::Sarif);
    validate_sarif(&s).unwrap();
    let run = &s["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "rule ids repeat: {ids:?}");
    let tagged = |tag: &str| -> BTreeSet<&str> {
        rules
            .iter()
            .filter(|r| r["properties"]["tags"][0] == tag)
            .map(|r| r["id"].as_str().unwrap())
            .collect()
    };
    let (secret_rules, _) = secret_facts(&r);
    assert_eq!(tagged("secret"), secret_rules);
    assert_eq!(tagged("misconfiguration"), ["PLIM-DF-002"].into());
    assert_eq!(
        tagged("malware"),
        ["MAL-2025-1234", "eicar-test-file"].into()
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        r.vulnerabilities.len() + r.secrets.len() + r.misconfigurations.len() + r.malware.len()
    );
    for res in results {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
    }
    let by_kind = |kind: &str| -> Vec<&Value> {
        results
            .iter()
            .filter(|x| x["properties"]["kind"] == kind)
            .collect()
    };
    let secrets = by_kind("secret");
    assert_eq!(secrets.len(), 4);
    // Two findings of one rule share it.
    assert_eq!(
        secrets
            .iter()
            .filter(|x| x["ruleId"] == "aws-access-key-id")
            .count(),
        2
    );
    let file = secrets
        .iter()
        .find(|x| x["properties"]["fingerprint"] == "app/config/settings.env:aws-access-key-id:3")
        .unwrap();
    let loc = &file["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "app/config/settings.env");
    assert_eq!(loc["region"]["startLine"], 3);
    assert_eq!(file["level"], "error");
    assert!(
        file["message"]["text"]
            .as_str()
            .unwrap()
            .contains("in app/config/settings.env:3: AKIA****; layer 2: COPY app /app"),
        "{}",
        file["message"]["text"]
    );
    let deleted = secrets
        .iter()
        .find(|x| x["ruleId"] == "private-key-rsa")
        .unwrap();
    assert!(
        deleted["message"]["text"]
            .as_str()
            .unwrap()
            .contains("added in layer 2, removed in layer 3")
    );
    assert_eq!(deleted["properties"]["deleted_in_layer"], 3);
    // Not in a file: located at the image, the message says where.
    let env = secrets
        .iter()
        .find(|x| x["properties"]["source"] == "env")
        .unwrap();
    assert_eq!(
        env["locations"][0]["message"]["text"],
        "Env AWS_ACCESS_KEY_ID"
    );
    let fps: BTreeSet<&str> = secrets
        .iter()
        .map(|x| {
            x["partialFingerprints"]["plimsoll/secret/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(fps.len(), 4);
    let rule = rules.iter().find(|r| r["id"] == "github-pat").unwrap();
    assert_eq!(rule["properties"]["security-severity"], "9.5");
    assert_eq!(run["properties"]["suppressed_secrets"], 1);
    let mis = by_kind("misconfiguration");
    assert_eq!(mis.len(), 1);
    let mal = by_kind("malware");
    assert_eq!(
        mal[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "usr/local/share/eicar.com"
    );
}

#[test]
fn markdown_has_a_table_per_kind() {
    let r = kinds_report();
    let md = rendered(&r, Format::Markdown, View::Image);
    for head in [
        "### Secrets: 4 (CRITICAL: 3, HIGH: 1,",
        "### Misconfigurations: 1 (",
        "### Malware: 2 (",
    ] {
        assert!(md.contains(head), "{head}\n{md}");
    }
    assert!(md.contains("Suppressed secrets: 1 (ignorefile: 1)"));
    assert!(md.contains("\\*\\*\\*\\*") || md.contains("AKIA****"));
    // Every row of the six-column tables keeps its cells.
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Severity | Vulnerability"))
        .filter(|l| l.replace("\\|", "").matches('|').count() == 7)
        .collect();
    assert_eq!(
        rows.len(),
        3 * 2 + r.secrets.len() + r.misconfigurations.len() + r.malware.len(),
        "{md}"
    );
    assert!(md.contains("**added in layer 2, removed in layer 3**"));
    assert!(md.contains("[MAL-2025-1234](https://osv.dev/vulnerability/MAL-2025-1234)"));
}

#[test]
fn junit_has_a_suite_per_kind() {
    use quick_xml::events::Event;
    let r = kinds_report();
    let x = rendered(&r, Format::Junit, View::Image);
    let mut rd = quick_xml::Reader::from_str(&x);
    let mut suites: BTreeMap<String, (String, String, usize)> = BTreeMap::new();
    let mut current = String::new();
    let mut files = Vec::new();
    let attr = |e: &quick_xml::events::BytesStart, k: &str| -> Option<String> {
        e.attributes()
            .map(|a| a.unwrap())
            .find(|a| a.key.as_ref() == k)
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
    };
    let mut totals = (String::new(), String::new());
    loop {
        match rd.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == "testsuites" => {
                totals = (attr(&e, "tests").unwrap(), attr(&e, "failures").unwrap());
            }
            Event::Start(e) if e.name().as_ref() == "testsuite" => {
                current = attr(&e, "name").unwrap();
                suites.insert(
                    current.clone(),
                    (attr(&e, "tests").unwrap(), attr(&e, "failures").unwrap(), 0),
                );
            }
            Event::Start(e) if e.name().as_ref() == "testcase" => {
                if let (Some(f), Some(l)) = (attr(&e, "file"), attr(&e, "line")) {
                    files.push(format!("{f}:{l}"));
                }
            }
            Event::Start(e) if e.name().as_ref() == "failure" => {
                suites.get_mut(&current).unwrap().2 += 1;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suites["secrets"], ("4".into(), "4".into(), 4));
    assert_eq!(suites["misconfigurations"], ("1".into(), "1".into(), 1));
    assert_eq!(suites["malware"], ("2".into(), "2".into(), 2));
    assert!(files.contains(&"app/config/settings.env:3".to_string()));
    let tests = r.packages.len() + 4 + 1 + 2;
    assert_eq!(totals.0, tests.to_string());
    // Six failing packages (junit_parses_back) and the seven other findings.
    assert_eq!(totals.1, (6 + 7).to_string());
    assert!(x.contains("Match: AKIA****"));
}

/// CycloneDX has no secret or misconfiguration type: each is a property of the image
/// component holding the native object; malware in a package is a vulnerability of it.
#[test]
fn cyclonedx_carries_the_kinds_and_validates() {
    let r = kinds_report();
    let bom = json(&r, Format::Cyclonedx);
    validate_cyclonedx(&bom).unwrap();
    let props = bom["metadata"]["component"]["properties"]
        .as_array()
        .unwrap();
    let objects = |name: &str| -> Vec<Value> {
        props
            .iter()
            .filter(|p| p["name"] == name)
            .map(|p| serde_json::from_str(p["value"].as_str().unwrap()).unwrap())
            .collect()
    };
    let secrets = objects("plimsoll:secret");
    assert_eq!(secrets.len(), 4);
    for s in &secrets {
        let back: plimsoll_model::SecretFinding = serde_json::from_value(s.clone()).unwrap();
        assert!(back.redacted.ends_with("****"));
        assert_eq!(back.layer_created_by, None);
    }
    assert_eq!(objects("plimsoll:misconfiguration").len(), 1);
    let files = objects("plimsoll:malware");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["id"], "eicar-test-file");
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    let mal = vulns.iter().find(|v| v["id"] == "MAL-2025-1234").unwrap();
    let lodash = r.packages.iter().find(|p| p.name == "lodash").unwrap();
    assert_eq!(mal["affects"][0]["ref"], lodash.id.as_str());
    assert_eq!(mal["ratings"][0]["severity"], "critical");
    assert!(
        bom["metadata"]["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "plimsoll:suppressed_secrets" && p["value"] == "1")
    );
    // The inventory reads back as before.
    let text = serde_json::to_vec(&bom).unwrap();
    let back = plimsoll_report::read_sbom(&text).unwrap();
    assert_eq!(package_set(&back.1), package_set(&r.packages));
}

#[test]
fn spdx_annotates_the_image_with_the_kinds_and_validates() {
    let r = kinds_report();
    let doc = json(&r, Format::SpdxJson);
    validate_spdx(&doc).unwrap();
    let notes: Vec<&str> = doc["packages"][0]["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["comment"].as_str().unwrap())
        .collect();
    let of = |kind: &str| -> Vec<Value> {
        notes
            .iter()
            .filter_map(|n| n.strip_prefix(&format!("plimsoll:{kind}: ")))
            .map(|v| serde_json::from_str(v).unwrap())
            .collect()
    };
    assert_eq!(of("secret").len(), 4);
    assert_eq!(of("misconfiguration").len(), 1);
    // SPDX has no vulnerabilities: both malware findings are annotations.
    assert_eq!(of("malware").len(), 2);
    assert!(notes.contains(&"plimsoll:suppressed_secrets: 1"));
    let text = serde_json::to_vec(&doc).unwrap();
    let back = plimsoll_report::read_sbom(&text).unwrap();
    assert_eq!(package_set(&back.1), package_set(&r.packages));
}

/// A writer that takes `room` bytes, then fails as a closed pipe does.
struct Pipe {
    room: usize,
    wrote: usize,
}

impl std::io::Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.wrote >= self.room {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(self.room - self.wrote);
        self.wrote += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn json_streams_to_the_writer_and_its_errors_come_back_as_they_are() {
    let r = kinds_report();
    let whole = serde_json::to_string_pretty(&r).unwrap() + "\n";
    assert_eq!(rendered(&r, Format::Json, View::Image), whole);
    for format in Format::ALL {
        let mut pipe = Pipe {
            room: 100,
            wrote: 0,
        };
        let e = render(&r, format, &RenderOptions::default(), &mut pipe).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{format:?}");
        assert_eq!(pipe.wrote, 100);
    }
}

/// A path, title or match from the image holding control characters, Markdown or XML: no
/// escape sequence reaches a terminal, Markdown rows keep their cells, the XML and SARIF stay
/// valid.
#[test]
fn hostile_text_in_the_other_kinds_stays_inert() {
    let mut r = kinds_report();
    r.secrets[0].path = Some("app/\u{1b}]0;pwned\u{7}|x<y>&.env".into());
    r.secrets[0].redacted = "AK|<b>\u{1b}[31m****".into();
    r.misconfigurations[0].message = "a | b </failure> \u{1}".into();
    r.malware[1].title = "]]> <x> |".into();
    for view in [View::Image, View::Inventory, vulns_view()] {
        let t = rendered(&r, Format::Table, view);
        assert!(!t.contains('\u{1b}'), "{t}");
        assert!(t.contains("\\x1b]0;pwned"), "{t}");
    }
    let md = rendered(&r, Format::Markdown, View::Image);
    assert!(!md.contains('\u{1b}'));
    // Every row of the three six-column tables keeps its cells.
    let six = md
        .lines()
        .filter(|l| l.starts_with("| "))
        .filter(|l| l.replace("\\|", "").matches('|').count() == 7)
        .count();
    assert_eq!(six, 3 * 2 + 4 + 1 + 2, "{md}");
    let x = rendered(&r, Format::Junit, View::Image);
    let mut rd = quick_xml::Reader::from_str(&x);
    loop {
        match rd.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            _ => continue,
        }
    }
    validate_sarif(&json(&r, Format::Sarif)).unwrap();
    validate_cyclonedx(&json(&r, Format::Cyclonedx)).unwrap();
    validate_spdx(&json(&r, Format::SpdxJson)).unwrap();
}

/// The formats people read, and SARIF, committed: a change to how a kind is shown is seen
/// in review (`PLIMSOLL_BLESS=1` rewrites them).
#[test]
fn kinds_match_their_snapshots() {
    let r = kinds_report();
    assert_snapshot(
        "kinds-table.txt",
        &rendered(&r, Format::Table, vulns_view()),
    );
    assert_snapshot(
        "kinds-image-table.txt",
        &rendered(&r, Format::Table, View::Image),
    );
    assert_snapshot("kinds.md", &rendered(&r, Format::Markdown, View::Image));
    assert_snapshot(
        "kinds.sarif.json",
        &rendered(&r, Format::Sarif, View::Image),
    );
    assert_snapshot("kinds.junit.xml", &rendered(&r, Format::Junit, View::Image));
}
