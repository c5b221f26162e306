//! CycloneDX and SPDX output validated against the official JSON schemas, and read back.

mod common;

use common::*;
use plimsoll_report::{read_sbom, to_cyclonedx, to_cyclonedx_at, to_spdx, to_spdx_at};

#[test]
fn cyclonedx_validates_against_the_official_schema() {
    let r = sample_report();
    let bom = to_cyclonedx(&r);
    validate_cyclonedx(&bom).unwrap();
    assert_eq!(bom["specVersion"], "1.6");
    let comps = bom["components"].as_array().unwrap();
    assert_eq!(comps.len(), r.packages.len() + 1);
    assert_eq!(comps[0]["type"], "operating-system");
    assert_eq!(bom["metadata"]["component"]["type"], "container");
    // MIT as an id, the OR expression as an expression, a non-SPDX string as a name.
    let by_name = |n: &str| comps.iter().find(|c| c["name"] == n).unwrap();
    assert_eq!(
        by_name("python3-yaml")["licenses"][0]["license"]["id"],
        "MIT"
    );
    assert_eq!(
        by_name("serde")["licenses"][0]["expression"],
        "MIT OR Apache-2.0"
    );
    assert_eq!(
        by_name("oddlib")["licenses"][0]["license"]["name"],
        "Some Custom License (see LICENSE)"
    );
    assert_eq!(by_name("libc6")["licenses"][1]["license"]["id"], "GPL-2.0+");
    // Same report, same serial number.
    assert_eq!(bom["serialNumber"], to_cyclonedx(&r)["serialNumber"]);
    // An empty report validates too.
    let mut empty = r.clone();
    empty.packages.clear();
    empty.artifact.os = None;
    empty.artifact.digest = None;
    validate_cyclonedx(&to_cyclonedx_at(&empty, "2024-01-01T00:00:00Z")).unwrap();
}

#[test]
fn cyclonedx_schema_rejects_broken_documents() {
    // The validator is really checking: these break the schema.
    let mut bom = to_cyclonedx(&sample_report());
    bom["serialNumber"] = "urn:uuid:NOT-A-UUID".into();
    assert!(validate_cyclonedx(&bom).is_err());
    let mut bom = to_cyclonedx(&sample_report());
    bom["components"][1]["licenses"][0]["license"]["id"] = "Not-A-License".into();
    assert!(validate_cyclonedx(&bom).is_err());
    let mut bom = to_cyclonedx(&sample_report());
    bom["metadata"]["timestamp"] = "yesterday".into();
    assert!(validate_cyclonedx(&bom).is_err());
}

#[test]
fn spdx_validates_against_the_official_schema() {
    let r = sample_report();
    let doc = to_spdx(&r);
    validate_spdx(&doc).unwrap();
    let pkgs = doc["packages"].as_array().unwrap();
    assert_eq!(pkgs.len(), r.packages.len() + 2);
    for p in pkgs {
        let id = p["SPDXID"].as_str().unwrap();
        assert!(id.starts_with("SPDXRef-"));
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id}"
        );
    }
    let ids: std::collections::HashSet<_> = pkgs.iter().map(|p| &p["SPDXID"]).collect();
    assert_eq!(ids.len(), pkgs.len());
    let by_name = |n: &str| pkgs.iter().find(|p| p["name"] == n).unwrap();
    assert_eq!(by_name("serde")["licenseDeclared"], "MIT OR Apache-2.0");
    assert_eq!(
        by_name("libc6")["licenseDeclared"],
        "LGPL-2.1+ AND GPL-2.0+"
    );
    assert_eq!(
        by_name("oddlib")["licenseDeclared"],
        "LicenseRef-Some-Custom-License--see-LICENSE"
    );
    assert_eq!(
        by_name("@babel/core")["externalRefs"][0]["referenceLocator"],
        "pkg:npm/%40babel/core@7.24.0"
    );
    let extracted = doc["hasExtractedLicensingInfos"].as_array().unwrap();
    assert!(
        extracted
            .iter()
            .any(|e| e["extractedText"] == "Some Custom License (see LICENSE)")
    );
    let rels = doc["relationships"].as_array().unwrap();
    assert_eq!(
        rels.iter()
            .filter(|r| r["relationshipType"] == "CONTAINS")
            .count(),
        r.packages.len() + 1
    );
    assert!(rels.iter().any(|r| r["relationshipType"] == "DESCRIBES"
        && r["spdxElementId"] == "SPDXRef-DOCUMENT"
        && r["relatedSpdxElement"] == "SPDXRef-Image"));
    assert!(
        doc["documentNamespace"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let mut empty = r.clone();
    empty.packages.clear();
    validate_spdx(&to_spdx_at(&empty, "2024-01-01T00:00:00Z")).unwrap();
}

#[test]
fn spdx_schema_rejects_broken_documents() {
    let mut doc = to_spdx(&sample_report());
    doc["relationships"][0]["relationshipType"] = "IS_FRIENDS_WITH".into();
    assert!(validate_spdx(&doc).is_err());
    let mut doc = to_spdx(&sample_report());
    doc.as_object_mut().unwrap().remove("dataLicense");
    assert!(validate_spdx(&doc).is_err());
}

#[test]
fn cyclonedx_round_trips() {
    let r = sample_report();
    let bytes = serde_json::to_vec(&to_cyclonedx(&r)).unwrap();
    let (os, pkgs) = read_sbom(&bytes).unwrap();
    assert_eq!(os, r.artifact.os);
    assert_eq!(package_set(&pkgs), package_set(&r.packages));
    // Everything the model holds comes back, ids, licenses and metadata included.
    assert_eq!(pkgs, r.packages);
}

#[test]
fn spdx_round_trips() {
    let r = sample_report();
    let bytes = serde_json::to_vec(&to_spdx(&r)).unwrap();
    let (os, pkgs) = read_sbom(&bytes).unwrap();
    assert_eq!(os, r.artifact.os);
    assert_eq!(package_set(&pkgs), package_set(&r.packages));
    assert_eq!(pkgs, r.packages);
}
