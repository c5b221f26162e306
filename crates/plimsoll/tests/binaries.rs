//! Unpackaged binaries end to end: an image with a static `busybox`, an OpenSSL built into
//! `/usr/local` and Debian's own `libcrypto.so.3` (owned by `libssl3` through its dpkg file
//! list) is scanned against a database imported from NVD CVE JSON 2.0 records. The
//! unpackaged ones are packages `found_by: binary` with their purl, CPE and layer, matched
//! through NVD's CPE criteria; the packaged library is not reported again.

mod common;

use common::{json, ok, plimsoll, s};
use plimsoll_testkit::ImageBuilder;
use plimsoll_testkit::binaries::{
    self, BUSYBOX_PATH, LIBCRYPTO_PATH, OPENSSL_TOOL_PATH, PACKAGED_LIBCRYPTO_PATH,
};
use serde_json::Value;
use std::path::Path;

fn image(dir: &Path) -> String {
    ImageBuilder::new()
        .layer("ADD rootfs.tar / # debian:12", binaries::debian_base)
        .layer(
            "COPY busybox /bin/busybox # buildkit",
            binaries::busybox_layer,
        )
        .layer(
            "RUN ./Configure --prefix=/usr/local && make install # buildkit",
            binaries::unpackaged_layer,
        )
        .write_oci_layout(dir, Some("bins"));
    format!("oci:{}:bins", s(dir))
}

fn nvd_db(dir: &Path) -> String {
    let feed = dir.join("nvdcve-2.0-2023.json");
    std::fs::write(&feed, binaries::NVD_RECORDS).unwrap();
    let db = dir.join("nvd.db");
    ok(&plimsoll(&["db", "import", "--db", s(&db), s(&feed)], dir));
    s(&db).to_string()
}

fn binary_packages(r: &Value) -> Vec<&Value> {
    r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["found_by"] == "binary")
        .collect()
}

#[test]
fn unpackaged_binaries_are_packages_found_by_binary_and_matched_through_nvd() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = image(&tmp.path().join("img"));
    let db = nvd_db(tmp.path());
    let out = plimsoll(
        &[
            "image",
            &reference,
            "--db",
            &db,
            "--scanners",
            "vuln",
            "-f",
            "json",
        ],
        tmp.path(),
    );
    let r = json(ok(&out));
    let bins = binary_packages(&r);
    assert_eq!(bins.len(), 2, "{bins:#?}");

    let busybox = bins.iter().find(|p| p["name"] == "busybox").unwrap();
    assert_eq!(busybox["version"], "1.36.1");
    assert_eq!(busybox["purl"], "pkg:generic/busybox@1.36.1");
    assert_eq!(
        busybox["cpes"][0],
        "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"
    );
    assert_eq!(busybox["metadata"]["classifier"], "busybox-binary");
    assert_eq!(busybox["locations"][0]["path"], BUSYBOX_PATH);
    assert_eq!(busybox["locations"][0]["layer"], 1);

    let openssl = bins.iter().find(|p| p["name"] == "openssl").unwrap();
    assert_eq!(openssl["version"], "3.0.11");
    assert_eq!(openssl["purl"], "pkg:generic/openssl@3.0.11");
    assert_eq!(
        openssl["cpes"][0],
        "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*"
    );
    // One build, two files: one package with both locations, each in layer 2.
    let locs: Vec<(&str, u64)> = openssl["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["path"].as_str().unwrap(), l["layer"].as_u64().unwrap()))
        .collect();
    assert_eq!(locs, [(OPENSSL_TOOL_PATH, 2), (LIBCRYPTO_PATH, 2)]);

    // Debian's libcrypto is libssl3's: reported as that deb, not as an unpackaged binary.
    let all = r["packages"].as_array().unwrap();
    assert!(
        all.iter()
            .any(|p| p["name"] == "libssl3" && p["type"] == "deb")
    );
    assert!(
        !bins.iter().any(|p| p["locations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["path"] == PACKAGED_LIBCRYPTO_PATH)),
        "{bins:#?}"
    );

    // Matched through NVD's CPE criteria.
    let vulns = r["vulnerabilities"].as_array().unwrap();
    let of = |pkg: &Value| -> Vec<&Value> {
        vulns
            .iter()
            .filter(|v| v["package_id"] == pkg["id"])
            .collect()
    };
    let o = of(openssl);
    assert_eq!(o.len(), 1, "{o:#?}");
    assert_eq!(o[0]["id"], "CVE-2023-5678");
    assert_eq!(o[0]["matched_ecosystem"], "cpe");
    assert_eq!(o[0]["matched_name"], "openssl:openssl");
    assert_eq!(o[0]["fixed_versions"][0], "3.0.13");
    assert_eq!(o[0]["status"], "fixed");
    assert_eq!(o[0]["severity"], "MEDIUM");
    assert_eq!(o[0]["cvss"]["score"], 5.3);
    assert_eq!(o[0]["layer"], 2);
    assert_eq!(o[0]["path"], OPENSSL_TOOL_PATH);
    assert_eq!(o[0]["data_source"], "nvd");
    let b = of(busybox);
    // CVE-2022-48174 ends before 1.35.0: not this busybox.
    let ids: Vec<&str> = b.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CVE-2023-42366"]);
    assert_eq!(b[0]["status"], "affected");
    assert_eq!(b[0]["layer"], 1);
    // The deb is never matched through CPEs, whatever the database holds.
    let deb = all.iter().find(|p| p["name"] == "libssl3").unwrap();
    assert!(of(deb).is_empty());

    // `explain` shows the NVD record and the criterion that holds the version.
    let out = plimsoll(
        &["explain", "CVE-2023-5678", &reference, "--db", &db],
        tmp.path(),
    );
    let e = common::text(&ok(&out).stdout);
    assert!(e.contains("CVE-2023-5678"), "{e}");
    assert!(
        e.contains("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*: versionStartIncluding 3.0.0, versionEndExcluding 3.0.13"),
        "{e}"
    );
    assert!(e.contains(OPENSSL_TOOL_PATH), "{e}");
}

#[test]
fn sbom_formats_carry_the_cpe_and_how_it_was_found() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = image(&tmp.path().join("img"));
    let cdx = plimsoll(
        &["image", &reference, "--scanners", "none", "-f", "cyclonedx"],
        tmp.path(),
    );
    let c = json(ok(&cdx));
    let comp = c["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["purl"] == "pkg:generic/openssl@3.0.11")
        .expect("openssl component");
    assert_eq!(
        comp["cpe"],
        "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*"
    );
    let props = comp["properties"].as_array().unwrap();
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "plimsoll:found_by" && p["value"] == "binary")
    );

    let spdx = plimsoll(
        &["image", &reference, "--scanners", "none", "-f", "spdx-json"],
        tmp.path(),
    );
    let sp = json(ok(&spdx));
    let pkg = sp["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "busybox")
        .expect("busybox package");
    let refs = pkg["externalRefs"].as_array().unwrap();
    assert!(refs.iter().any(|r| r["referenceCategory"] == "SECURITY"
        && r["referenceType"] == "cpe23Type"
        && r["referenceLocator"] == "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"));
    assert!(
        refs.iter()
            .any(|r| r["referenceLocator"] == "pkg:generic/busybox@1.36.1")
    );
}

#[test]
fn without_nvd_data_binaries_are_named_as_not_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = image(&tmp.path().join("img"));
    // A database of OSV records only: no CPE criteria.
    let osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plimsoll-vulndb/tests/fixtures/osv");
    let db = tmp.path().join("osv.db");
    ok(&plimsoll(
        &["db", "import", "--db", s(&db), s(&osv)],
        tmp.path(),
    ));
    let out = plimsoll(
        &[
            "image",
            &reference,
            "--db",
            s(&db),
            "--scanners",
            "vuln",
            "-f",
            "json",
        ],
        tmp.path(),
    );
    let r = json(ok(&out));
    assert_eq!(binary_packages(&r).len(), 2);
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("2 unpackaged binary package(s)") && w.contains("no NVD CPE data")),
        "{warnings:#?}"
    );
}

/// A real Go program (`go-hello`, Go 1.19.8, main module `(devel)`) installed as `helm`, with
/// helm's version string: build info gives no version for the program, so the classifier
/// names it, as a Go module matched through Go advisories; build info's own packages stay.
#[test]
fn a_go_program_without_a_module_version_is_named_by_its_classifier() {
    const GO_HELLO: &[u8] =
        include_bytes!("../../plimsoll-catalog/tests/fixtures/binaries/go-hello");
    let tmp = tempfile::tempdir().unwrap();
    let mut helm = GO_HELLO.to_vec();
    helm.extend_from_slice(b"\x00v3.13.2\x00");
    ImageBuilder::new()
        .layer("COPY helm /usr/local/bin/helm", |l| {
            l.file_mode("usr/local/bin/helm", &helm, 0o755)
        })
        .write_oci_layout(&tmp.path().join("img"), Some("helm"));
    let reference = format!("oci:{}:helm", s(&tmp.path().join("img")));
    let out = plimsoll(&["inventory", &reference, "-f", "json"], tmp.path());
    let r = json(ok(&out));
    let pkgs = r["packages"].as_array().unwrap();
    let bins = binary_packages(&r);
    assert_eq!(bins.len(), 1, "{bins:#?}");
    assert_eq!(bins[0]["name"], "helm.sh/helm/v3");
    assert_eq!(bins[0]["version"], "v3.13.2");
    assert_eq!(bins[0]["ecosystem"], "Go");
    assert_eq!(bins[0]["purl"], "pkg:golang/helm.sh/helm/v3@v3.13.2");
    assert!(
        pkgs.iter()
            .any(|p| p["name"] == "stdlib" && p["found_by"].is_null())
    );
}
