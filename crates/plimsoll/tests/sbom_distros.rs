//! SBOMs of distribution images, matched through the binary: the purl `distro` qualifier
//! that Syft and Trivy write (`distro=ubuntu-22.04`) must reach the release-scoped
//! ecosystem OSV files advisories under (`Ubuntu:22.04:LTS`). Before the ecosystem table
//! the SBOM path said `Ubuntu:22.04`, and every Ubuntu advisory was missed.
//!
//! The advisory is the real `UBUNTU-CVE-2023-0286` (canonical/ubuntu-security-notices,
//! `osv/cve/2023/CVE-2023-0286.json`, as osv.dev exports it) reduced to the facts matched
//! here: its Ubuntu 20.04 and 22.04 `openssl` entries, fixed versions as published.

mod common;

use serde_json::Value;
use std::path::Path;

const UBUNTU_CVE_2023_0286: &str = r#"{
  "schema_version": "1.6.3",
  "id": "UBUNTU-CVE-2023-0286",
  "upstream": ["CVE-2023-0286"],
  "summary": "X.400 address type confusion in X.509 GeneralName",
  "published": "2023-02-07T00:00:00Z",
  "modified": "2024-08-23T16:30:36Z",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H"}],
  "affected": [
    {
      "package": {"ecosystem": "Ubuntu:20.04:LTS", "name": "openssl",
                  "purl": "pkg:deb/ubuntu/openssl@1.1.1f-1ubuntu2.17?arch=src?distro=focal"},
      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1f-1ubuntu2.17"}]}],
      "ecosystem_specific": {"ubuntu_priority": "high"}
    },
    {
      "package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "openssl",
                  "purl": "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.8?arch=src?distro=jammy"},
      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.2-0ubuntu1.8"}]}],
      "ecosystem_specific": {"ubuntu_priority": "high"}
    }
  ]
}"#;

/// One Syft `dpkg-db-cataloger` component, as Syft 1.x writes it in CycloneDX.
fn syft_deb(name: &str, version: &str, source: &str, distro: &str) -> Value {
    let purl =
        format!("pkg:deb/ubuntu/{name}@{version}?arch=amd64&upstream={source}&distro={distro}");
    serde_json::json!({
        "bom-ref": format!("{purl}&package-id=0d1e2f3a4b5c6d7e"),
        "type": "library",
        "publisher": "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>",
        "name": name,
        "version": version,
        "cpe": format!("cpe:2.3:a:{name}:{name}:{version}:*:*:*:*:*:*:*"),
        "purl": purl,
        "properties": [
            {"name": "syft:package:foundBy", "value": "dpkg-db-cataloger"},
            {"name": "syft:package:type", "value": "deb"},
            {"name": "syft:package:metadataType", "value": "dpkg-db-entry"},
            {"name": "syft:location:0:layerID", "value": "sha256:a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"},
            {"name": "syft:location:0:path", "value": "/var/lib/dpkg/status"},
            {"name": "syft:metadata:installedSize", "value": "5969"},
            {"name": "syft:metadata:source", "value": source}
        ]
    })
}

/// A Syft CycloneDX 1.6 SBOM of an Ubuntu image with `packages` (name, version, source).
fn syft_ubuntu_sbom(version_id: &str, pretty: &str, packages: &[(&str, &str, &str)]) -> String {
    let distro = format!("ubuntu-{version_id}");
    let mut components: Vec<Value> = packages
        .iter()
        .map(|(n, v, s)| syft_deb(n, v, s, &distro))
        .collect();
    components.push(serde_json::json!({
        "type": "operating-system",
        "name": "ubuntu",
        "version": version_id,
        "description": pretty,
        "swid": {"tagId": "ubuntu", "name": "ubuntu", "version": version_id},
        "properties": [
            {"name": "syft:distro:id", "value": "ubuntu"},
            {"name": "syft:distro:idLike", "value": "debian"},
            {"name": "syft:distro:prettyName", "value": pretty},
            {"name": "syft:distro:versionID", "value": version_id}
        ]
    }));
    serde_json::to_string_pretty(&serde_json::json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:6f1c2a34-8d3e-4b4f-9a51-2f0e3c4d5b6a",
        "version": 1,
        "metadata": {
            "timestamp": "2024-06-01T10:00:00Z",
            "tools": {"components": [
                {"type": "application", "author": "anchore", "name": "syft", "version": "1.5.0"}
            ]},
            "component": {
                "bom-ref": "2b3c4d5e6f708192",
                "type": "container",
                "name": format!("ubuntu:{version_id}"),
                "version": "sha256:77906da86b60585ce12215807090eb327e7386c8fafb5402369e421f44eff17e"
            }
        },
        "components": components
    }))
    .unwrap()
}

/// A Trivy 0.59 CycloneDX SBOM of an Ubuntu 22.04 image with one package: Trivy writes the
/// source package as properties, and the purl's `distro` qualifier the same way Syft does.
fn trivy_ubuntu_sbom(name: &str, version: &str, src: (&str, &str, &str)) -> String {
    let purl = format!("pkg:deb/ubuntu/{name}@{version}?arch=amd64&distro=ubuntu-22.04");
    let prop = |k: &str, v: &str| serde_json::json!({"name": format!("aquasecurity:trivy:{k}"), "value": v});
    serde_json::to_string_pretty(&serde_json::json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:0b0f5a49-3a5e-4f0e-8f6c-5d2f1e7c9a10",
        "version": 1,
        "metadata": {
            "timestamp": "2024-06-01T10:00:00+00:00",
            "tools": {"components": [
                {"type": "application", "group": "aquasecurity", "name": "trivy", "version": "0.59.1"}
            ]},
            "component": {
                "bom-ref": "pkg:oci/ubuntu@sha256%3A77906da86b60585ce12215807090eb327e7386c8fafb5402369e421f44eff17e?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fubuntu",
                "type": "container",
                "name": "ubuntu:22.04",
                "purl": "pkg:oci/ubuntu@sha256%3A77906da86b60585ce12215807090eb327e7386c8fafb5402369e421f44eff17e?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fubuntu",
                "properties": [prop("SchemaVersion", "2")]
            }
        },
        "components": [
            {
                "bom-ref": "3ff14136-e09f-4df9-80ea-000000000003",
                "type": "operating-system",
                "name": "ubuntu",
                "version": "22.04",
                "properties": [prop("Class", "os-pkgs"), prop("Type", "ubuntu")]
            },
            {
                "bom-ref": purl,
                "type": "library",
                "supplier": {"name": "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>"},
                "name": name,
                "version": version,
                "purl": purl,
                "properties": [
                    prop("LayerDiffID", "sha256:a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"),
                    prop("PkgID", &format!("{name}@{version}")),
                    prop("PkgType", "ubuntu"),
                    prop("SrcName", src.0),
                    prop("SrcRelease", src.2),
                    prop("SrcVersion", src.1)
                ]
            }
        ]
    }))
    .unwrap()
}

/// `plimsoll sbom FILE --db DIR -f json` with `records` as the OSV directory.
fn scan_sbom(sbom: &str, records: &[(&str, &str)], tmp: &Path) -> Value {
    let osv = tmp.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    for (name, json) in records {
        std::fs::write(osv.join(name), json).unwrap();
    }
    let file = tmp.join("bom.cdx.json");
    std::fs::write(&file, sbom).unwrap();
    let out = common::plimsoll(
        &[
            "sbom",
            common::s(&file),
            "--db",
            common::s(&osv),
            "-f",
            "json",
        ],
        &tmp.join("cache"),
    );
    let report = common::json(&out);
    common::validate_report(&report).unwrap();
    report
}

fn findings(report: &Value) -> Vec<(String, String, String, String)> {
    report["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (
                s("id"),
                s("package_name"),
                s("matched_ecosystem"),
                s("installed_version"),
            )
        })
        .collect()
}

#[test]
fn a_syft_sbom_of_ubuntu_22_04_finds_ubuntu_advisories() {
    let tmp = tempfile::tempdir().unwrap();
    let sbom = syft_ubuntu_sbom(
        "22.04",
        "Ubuntu 22.04.2 LTS",
        &[
            ("libssl3", "3.0.2-0ubuntu1.7", "openssl"),
            ("zlib1g", "1:1.2.11.dfsg-2ubuntu9.2", "zlib"),
        ],
    );
    let report = scan_sbom(
        &sbom,
        &[("UBUNTU-CVE-2023-0286.json", UBUNTU_CVE_2023_0286)],
        tmp.path(),
    );
    let libssl = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libssl3")
        .expect("libssl3 in the inventory");
    assert_eq!(libssl["ecosystem"], "Ubuntu:22.04:LTS");
    // The 22.04 entry matches through the source package; the 20.04 entry does not.
    assert_eq!(
        findings(&report),
        [(
            "CVE-2023-0286".to_string(),
            "libssl3".to_string(),
            "Ubuntu:22.04:LTS".to_string(),
            "3.0.2-0ubuntu1.7".to_string(),
        )]
    );
    let f = &report["vulnerabilities"][0];
    assert_eq!(f["fixed_versions"], serde_json::json!(["3.0.2-0ubuntu1.8"]));
    assert_eq!(f["status"], "fixed");
}

#[test]
fn a_fixed_ubuntu_package_is_not_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let sbom = syft_ubuntu_sbom(
        "22.04",
        "Ubuntu 22.04.4 LTS",
        &[("libssl3", "3.0.2-0ubuntu1.8", "openssl")],
    );
    let report = scan_sbom(
        &sbom,
        &[("UBUNTU-CVE-2023-0286.json", UBUNTU_CVE_2023_0286)],
        tmp.path(),
    );
    assert_eq!(findings(&report), []);
    // The database held Ubuntu 22.04 advisories: nothing went unchecked.
    assert!(report["database"].get("missing_data").is_none(), "{report}");
}

#[test]
fn a_trivy_sbom_of_ubuntu_22_04_finds_ubuntu_advisories() {
    let tmp = tempfile::tempdir().unwrap();
    let sbom = trivy_ubuntu_sbom(
        "libssl3",
        "3.0.2-0ubuntu1.7",
        ("openssl", "3.0.2", "0ubuntu1.7"),
    );
    let report = scan_sbom(
        &sbom,
        &[("UBUNTU-CVE-2023-0286.json", UBUNTU_CVE_2023_0286)],
        tmp.path(),
    );
    assert_eq!(
        findings(&report),
        [(
            "CVE-2023-0286".to_string(),
            "libssl3".to_string(),
            "Ubuntu:22.04:LTS".to_string(),
            "3.0.2-0ubuntu1.7".to_string(),
        )]
    );
}
