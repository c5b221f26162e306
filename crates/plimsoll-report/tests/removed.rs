//! Packages a later layer removed (`--layers all`) and their vulnerabilities, in every
//! format and view: listed apart, said "added in layer M, removed in layer N", never in the
//! totals or the pass/fail of any format, and every structured format still valid.

mod common;

use common::*;
use plimsoll_model::Report;
use plimsoll_report::{Format, GroupBy, RenderOptions, View, render};
use serde_json::Value;

const SPAN: &str = "added in layer 1, removed in layer 2";

fn rendered(r: &Report, format: Format, view: View) -> String {
    let mut out = Vec::new();
    let opts = RenderOptions {
        view,
        color: false,
        timestamp: Some("2026-12-01T08:00:00Z".into()),
    };
    render(r, format, &opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// [`vuln_report`] with its first package and that package's findings moved to the
/// removed lists, as `--layers all` writes them (added in layer 1, removed in layer 2).
fn with_removed() -> (Report, Report) {
    let mut r = vuln_report();
    let mut p = r.packages.remove(0);
    p.id = format!("{}#removed", p.id);
    p.locations[0].layer = Some(1);
    p.removed_in_layer = Some(2);
    let (mut gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut r.vulnerabilities)
        .into_iter()
        .partition(|f| f.package_name == p.name);
    assert!(!gone.is_empty(), "the sample's first package has findings");
    for f in &mut gone {
        f.package_id = p.id.clone();
        f.layer = Some(1);
        f.removed_in_layer = Some(2);
    }
    r.vulnerabilities = kept;
    let before = r.clone();
    r.removed_packages = vec![p];
    r.removed_vulnerabilities = gone;
    (before, r)
}

#[test]
fn every_format_and_view_lists_removed_packages_apart() {
    let (before, r) = with_removed();
    let views = [
        View::Image,
        View::Inventory,
        View::Vulnerabilities(GroupBy::Package, None),
        View::Vulnerabilities(GroupBy::Layer, None),
    ];
    for format in Format::ALL {
        for view in views {
            let text = rendered(&r, format, view);
            let name = &r.removed_packages[0].name;
            assert!(
                text.contains(name.as_str()),
                "{format:?} {view:?} lacks {name}"
            );
            if format != Format::Json {
                assert!(
                    text.contains(SPAN),
                    "{format:?} {view:?} lacks the span:\n{text}"
                );
            }
        }
    }
    // The totals are the final filesystem's: the same lines as without removed packages.
    let view = View::Vulnerabilities(GroupBy::Package, None);
    let total = |r: &Report| {
        rendered(r, Format::Table, view)
            .lines()
            .find(|l| l.starts_with("Total:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(total(&r), total(&before));
    let md_head = |r: &Report| {
        rendered(r, Format::Markdown, view)
            .lines()
            .nth(2)
            .unwrap()
            .to_string()
    };
    assert_eq!(md_head(&r), md_head(&before));
}

#[test]
fn structured_formats_mark_them_and_stay_valid() {
    let (_, r) = with_removed();
    let n = r.removed_vulnerabilities.len();
    let id = r.removed_vulnerabilities[0].id.clone();
    let json = |f| -> Value { serde_json::from_str(&rendered(&r, f, View::Image)).unwrap() };

    let native = json(Format::Json);
    validate_report(&native).unwrap();
    assert_eq!(native["removed_packages"][0]["removed_in_layer"], 2);
    assert_eq!(
        native["removed_vulnerabilities"].as_array().unwrap().len(),
        n
    );

    let sarif = json(Format::Sarif);
    validate_sarif(&sarif).unwrap();
    let notes: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["properties"]["removed_in_layer"] == 2)
        .collect();
    assert_eq!(notes.len(), n);
    assert!(notes.iter().all(|x| x["level"] == "note"));

    let cdx = json(Format::Cyclonedx);
    validate_cyclonedx(&cdx).unwrap();
    let excluded: Vec<&Value> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["scope"] == "excluded")
        .collect();
    assert_eq!(excluded.len(), 1);
    let removed_vuln = cdx["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id.as_str() && v["affects"][0]["ref"] == excluded[0]["bom-ref"])
        .expect("the removed package's vulnerability affects its excluded component");
    assert!(
        removed_vuln["bom-ref"]
            .as_str()
            .unwrap()
            .starts_with("vulnerability:removed:")
    );

    let spdx = json(Format::SpdxJson);
    validate_spdx(&spdx).unwrap();
    let others = spdx["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["relationshipType"] == "OTHER")
        .count();
    assert_eq!(others, 1);

    let junit = rendered(&r, Format::Junit, View::Image);
    assert!(junit.contains("skipped=\"1\""), "{junit}");
    assert!(
        junit.contains(&format!("<skipped message=\"informational: {SPAN}")),
        "{junit}"
    );
}

#[test]
fn layer_span_is_the_one_wording() {
    assert_eq!(
        plimsoll_report::layer_span(Some(1), Some(2)).as_deref(),
        Some(SPAN)
    );
    assert_eq!(plimsoll_report::layer_span(Some(1), None), None);
}
