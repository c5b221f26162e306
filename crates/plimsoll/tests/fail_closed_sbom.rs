//! Issue 12, through the binary: a malformed SBOM is exit 2 naming the JSON path, skipped
//! SBOM entries are counted warnings, a package database written twice in one layer is
//! read as extraction leaves it, over-deep archives and lockfiles and repeated go.mod lines
//! are warnings naming layer and path, and large package databases read correctly.

mod common;

use common::stderr;
use plimsoll_testkit::ImageBuilder;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Output;

/// The inventory is the subject here: no vulnerability database, no download.
fn plimsoll(args: &[&str], cache: &Path) -> Output {
    common::plimsoll_env(args, cache, &[("PLIMSOLL_SCANNERS", "none")])
}

fn report(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("stdout is a JSON report")
}

/// `plimsoll sbom FILE --format json` of `doc`.
fn sbom(doc: &str, tmp: &Path) -> Output {
    let file = tmp.join("doc.json");
    std::fs::write(&file, doc).unwrap();
    plimsoll(
        &["sbom", file.to_str().unwrap(), "--format", "json"],
        &tmp.join("cache"),
    )
}

fn names(report: &serde_json::Value) -> Vec<String> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

fn warnings(report: &serde_json::Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .map(|w| w.iter().map(|w| w.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

const CDX: &str = r#""bomFormat":"CycloneDX","specVersion":"1.5""#;
const SPDX: &str = r#""spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT""#;

fn lib(name: &str) -> String {
    format!(
        r#"{{"type":"library","name":"{name}","version":"1.0.0","purl":"pkg:npm/{name}@1.0.0"}}"#
    )
}

#[test]
fn a_structurally_invalid_sbom_is_exit_2_naming_the_json_path() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (format!(r#"{{{CDX},"components":"x"}}"#), "$.components"),
        (format!(r#"{{{SPDX},"packages":"x"}}"#), "$.packages"),
        (
            format!(
                r#"{{{CDX},"components":[{},{},{{"type":"library","name":"a","components":5}}]}}"#,
                lib("x"),
                lib("y")
            ),
            "$.components[2].components",
        ),
        (
            format!(
                r#"{{{CDX},"components":[{{"name":"a","properties":[{{"name":"k","value":7}}]}}]}}"#
            ),
            "$.components[0].properties[0].value",
        ),
        (
            format!(r#"{{{CDX},"components":[{{"name":["a"]}}]}}"#),
            "$.components[0].name",
        ),
        (
            format!(
                r#"{{{SPDX},"packages":[{{"name":"a","externalRefs":{{"referenceType":"purl"}}}}]}}"#
            ),
            "$.packages[0].externalRefs",
        ),
        (format!(r#"{{{CDX},"metadata":[]}}"#), "$.metadata"),
    ];
    for (doc, path) in cases {
        let out = sbom(&doc, tmp.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{doc}\nstderr: {err}");
        assert!(
            err.contains(&format!("at {path}:")) && err.contains("doc.json"),
            "{doc}\nstderr: {err}"
        );
        assert!(out.stdout.is_empty(), "no report for {doc}");
    }
}

#[test]
fn skipped_sbom_entries_are_warnings_with_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let doc = format!(
        r#"{{{CDX},"components":["x",{},7,{{"type":"library","name":null,"version":"1"}},null,
        {{"type":"library","name":"b","properties":["p",{{"name":"k","value":"v"}}],
          "components":[{{"type":"library"}}]}}]}}"#,
        lib("a")
    );
    let out = sbom(&doc, tmp.path());
    let r = report(&out);
    assert_eq!(names(&r), ["a", "b"]);
    let w = warnings(&r);
    assert!(
        w.contains(
            &"SBOM: 4 list entries are not JSON objects; skipped (the first at $.components[0])"
                .to_string()
        ),
        "{w:?}"
    );
    assert!(
        w.contains(&"SBOM: 2 components have no name (null or missing); skipped (the first at $.components[3])".to_string()),
        "{w:?}"
    );
    let err = stderr(&out);
    for w in &w {
        assert!(err.contains(&format!("warning: {w}")), "{err}");
    }

    let doc = format!(
        r#"{{{SPDX},"packages":[
        {{"SPDXID":"SPDXRef-a","name":"a","versionInfo":"1","externalRefs":[{{"referenceType":"purl","referenceLocator":"pkg:pypi/a@1"}}]}},
        "x",
        {{"SPDXID":"SPDXRef-b","name":"b","versionInfo":"2"}},
        {{"SPDXID":"SPDXRef-c","name":"c","versionInfo":"3","externalRefs":[5,{{"referenceType":"purl","referenceLocator":"pkg:pypi/c@3"}}]}}]}}"#
    );
    let r = report(&sbom(&doc, tmp.path()));
    assert_eq!(names(&r), ["a", "c"]);
    let w = warnings(&r);
    assert!(
        w.contains(
            &"SBOM: 2 list entries are not JSON objects; skipped (the first at $.packages[1])"
                .to_string()
        ),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.starts_with("SBOM: 1 packages have no purl")
                && w.ends_with("(the first at $.packages[2])")),
        "{w:?}"
    );
}

/// `depth` components each nested in the one before.
fn nested(depth: usize) -> String {
    let mut doc = format!("{{{CDX},\"components\":");
    for i in 0..depth {
        write!(
            doc,
            r#"[{{"type":"library","name":"n{i}","version":"1","components":"#
        )
        .unwrap();
    }
    doc.push_str("[]");
    doc.push_str(&"}]".repeat(depth));
    doc.push('}');
    doc
}

#[test]
fn nested_components_are_read_to_the_end_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // 61 levels used to be cut to 33 without a word.
    let r = report(&sbom(&nested(61), tmp.path()));
    let got = names(&r);
    assert_eq!(got.len(), 61);
    assert_eq!(got[60], "n60");
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
    // Past serde_json's recursion limit: exit 2, naming where.
    let out = sbom(&nested(80), tmp.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("nested too deeply at $.components[0].components[0]"),
        "{err}"
    );
}

/// A large SBOM (100,000 components, about 12 MB) reads in full, in order.
#[test]
fn a_large_cyclonedx_sbom_reads_every_component() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 100_000;
    let mut doc = format!("{{{CDX},\"components\":[");
    for i in 0..n {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&lib(&format!("p{i}")));
    }
    doc.push_str("]}");
    let r = report(&sbom(&doc, tmp.path()));
    let got = names(&r);
    assert_eq!(got.len(), n);
    assert_eq!((got[0].as_str(), got[n - 1].as_str()), ("p0", "p99999"));
    assert_eq!(r["packages"][7]["purl"], "pkg:npm/p7@1.0.0");
    assert_eq!(r["packages"][7]["ecosystem"], "npm");
}

fn status(pkgs: &[(&str, &str)]) -> String {
    pkgs.iter()
        .map(|(n, v)| {
            format!(
                "Package: {n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {v}\n"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn inventory(image: &ImageBuilder, tmp: &Path) -> serde_json::Value {
    let archive = tmp.join("img.tar");
    image.write_docker_archive(&archive, &["t:1"], false);
    report(&plimsoll(
        &[
            "inventory",
            archive.to_str().unwrap(),
            "--format",
            "json",
            "--no-progress",
        ],
        &tmp.join("cache"),
    ))
}

#[test]
fn a_status_file_written_twice_in_one_layer_is_its_later_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let os_release = "ID=debian\nVERSION_ID=\"12\"\n";
    let image = ImageBuilder::new()
        .layer("base", |l| {
            l.file("etc/os-release", os_release).file(
                "var/lib/dpkg/status",
                status(&[("old-only", "1"), ("both", "1")]),
            )
        })
        .layer("upgrade", |l| {
            l.file(
                "var/lib/dpkg/status",
                status(&[("gone", "1"), ("both", "1")]),
            )
            .file(
                "var/lib/dpkg/status",
                status(&[("new-only", "2"), ("both", "1")]),
            )
        });
    let r = inventory(&image, tmp.path());
    let mut got = names(&r);
    got.sort();
    assert_eq!(got, ["both", "new-only"]);
    let both = &r["packages"].as_array().unwrap()[0];
    assert_eq!(both["name"], "both");
    // Unchanged since the base layer: attributed to it.
    assert_eq!(both["locations"][0]["layer"], 0);

    // The later entry is a symbolic link: no status file remains to read.
    let image = ImageBuilder::new().layer("base", |l| {
        l.file("etc/os-release", os_release)
            .file("var/lib/dpkg/status", status(&[("stale", "1")]))
            .symlink("var/lib/dpkg/status", "status-old")
    });
    assert!(names(&inventory(&image, tmp.path())).is_empty());
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let files: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(n, d)| (n.to_string(), d.to_vec()))
        .collect();
    plimsoll_testkit::bucket::osv_zip(&files)
}

fn pom(a: &str) -> Vec<u8> {
    format!("artifactId={a}\ngroupId=org.example\nversion=1.0\n").into_bytes()
}

#[test]
fn deep_archives_deep_lockfiles_and_repeated_go_mod_lines_warn() {
    let tmp = tempfile::tempdir().unwrap();
    // A jar nested seven deep: levels 0 to 4 are read, the rest named in a warning.
    let mut jar = zip(&[("META-INF/maven/org.example/l7/pom.properties", &pom("l7"))]);
    for level in (0..7).rev() {
        let pom_path = format!("META-INF/maven/org.example/l{level}/pom.properties");
        let inner = format!("lib/l{}.jar", level + 1);
        jar = zip(&[(&pom_path, &pom(&format!("l{level}"))), (&inner, &jar)]);
    }
    let mut lock = String::from("{\"lockfileVersion\":1,\"dependencies\":");
    for i in 0..100 {
        write!(
            lock,
            "{{\"p{i}\":{{\"version\":\"1.0.{i}\",\"dependencies\":"
        )
        .unwrap();
    }
    lock.push_str("{}");
    lock.push_str(&"}}".repeat(100));
    lock.push('}');
    let mut go_mod = String::from("module example.com/app\n\ngo 1.22\n\nrequire (\n");
    for _ in 0..100_000 {
        go_mod.push_str("\tgolang.org/x/net v0.17.0\n");
    }
    go_mod.push_str(")\nrequire golang.org/x/text v0.14.0 // indirect\n");
    let image = ImageBuilder::new()
        .layer("base", |l| l.file("etc/os-release", "ID=debian\n"))
        .layer("app", |l| {
            l.file("app/deep.jar", &jar)
                .file("app/web/package-lock.json", &lock)
                .file("src/go.mod", &go_mod)
        });
    let r = inventory(&image, tmp.path());
    let w = warnings(&r);
    let has = |needle: &str| w.iter().any(|w| w.contains(needle));
    assert!(
        has(
            "layer 1: app/deep.jar: 1 archive(s) nested more than 4 levels deep were not read (the first: lib/l1.jar!/lib/l2.jar!/lib/l3.jar!/lib/l4.jar!/lib/l5.jar)"
        ),
        "{w:?}"
    );
    assert!(
        has(
            "layer 1: app/web/package-lock.json: npm-lockfile could not be read: nested too deeply"
        ),
        "{w:?}"
    );
    assert!(
        has(
            "layer 1: src/go.mod: 99999 require directives repeat a module version already required (the first: line 7, golang.org/x/net@v0.17.0); merged"
        ),
        "{w:?}"
    );
    let pkgs = r["packages"].as_array().unwrap();
    let count = |name: &str| pkgs.iter().filter(|p| p["name"] == name).count();
    assert_eq!(count("golang.org/x/net"), 1);
    assert_eq!(count("golang.org/x/text"), 1);
    for level in 0..5 {
        assert_eq!(count(&format!("org.example:l{level}")), 1, "{level}");
    }
    assert_eq!(count("org.example:l5"), 0);
}

/// dpkg at a large but real size (2,500 packages listing 500 files each, 25 MB of
/// `info/*.list`, as a full desktop install has), with a Python package that one of them
/// installed: every package is read, and ownership still found among all those files.
#[test]
fn a_large_dpkg_database_reads_in_full_with_ownership() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let info = root.join("var/lib/dpkg/info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    let meta = "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA";
    std::fs::create_dir_all(root.join(meta).parent().unwrap()).unwrap();
    std::fs::write(
        root.join(meta),
        "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\n",
    )
    .unwrap();
    let n = 2_500;
    let mut pkgs = Vec::new();
    let mut total = 0;
    for i in 0..n {
        let name = format!("pkg{i}");
        let mut list = String::new();
        for f in 0..500 {
            writeln!(list, "/usr/share/doc/{name}/examples/file-{f}.txt.gz").unwrap();
        }
        if i == 1_234 {
            writeln!(list, "/{meta}").unwrap();
        }
        total += list.len();
        std::fs::write(info.join(format!("{name}:amd64.list")), list).unwrap();
        pkgs.push((name, format!("1.{i}")));
    }
    assert!(total > 25_000_000, "{total}");
    let refs: Vec<(&str, &str)> = pkgs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    std::fs::write(root.join("var/lib/dpkg/status"), status(&refs)).unwrap();
    let r = report(&plimsoll(
        &[
            "inventory",
            root.to_str().unwrap(),
            "--format",
            "json",
            "--no-progress",
        ],
        &tmp.path().join("cache"),
    ));
    let all = r["packages"].as_array().unwrap();
    assert_eq!(all.iter().filter(|p| p["type"] == "deb").count(), n);
    let yaml = all.iter().find(|p| p["name"] == "pyyaml").expect("pyyaml");
    let owner = all.iter().find(|p| p["name"] == "pkg1234").unwrap();
    assert_eq!(yaml["owned_by"], owner["id"]);
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
}
