//! Python and JavaScript packages in an image: installed and declared, in several layers,
//! with bad files that must cost a warning and nothing else.

use plimsoll_catalog::Catalog;
use plimsoll_image::walker::WalkOptions;
use plimsoll_image::{ImageScan, ImageSource, OpenOptions, open, scan_image};
use plimsoll_testkit::ImageBuilder;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIX}{rel}")).unwrap()
}

fn scan(img: &ImageBuilder, catalog: &Catalog) -> ImageScan {
    let dir = tempfile::tempdir().unwrap();
    img.write_oci_layout(dir.path(), None);
    let src = ImageSource::parse(dir.path().to_str().unwrap()).unwrap();
    let image = open("test", src, &OpenOptions::default()).unwrap();
    let opts = WalkOptions {
        interests: catalog.interests(),
        ..Default::default()
    };
    scan_image(&image, &opts).unwrap()
}

const SITE: &str = "usr/local/lib/python3.11/site-packages";
const NPM: [&str; 6] = [
    "node_modules/@types/node/package.json",
    "node_modules/debug/package.json",
    "node_modules/debug/node_modules/ms/package.json",
    "node_modules/is-number/package.json",
    "node_modules/ms/package.json",
    "node_modules/undici-types/package.json",
];

#[test]
fn python_and_node_packages_with_layers_and_paths() {
    let meta = |d: &str| fixture(&format!("python/site-packages/{d}.dist-info/METADATA"));
    let six_117 = String::from_utf8(meta("six-1.16.0"))
        .unwrap()
        .replace("Version: 1.16.0", "Version: 1.17.0");
    let img = ImageBuilder::new()
        .layer("ADD rootfs.tar /", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        })
        .layer("RUN pip install requests six", |l| {
            l.file(
                &format!("{SITE}/requests-2.31.0.dist-info/METADATA"),
                meta("requests-2.31.0"),
            )
            .file(
                &format!("{SITE}/six-1.16.0.dist-info/METADATA"),
                meta("six-1.16.0"),
            )
            .file(&format!("{SITE}/six.py"), "# six")
        })
        .layer("RUN pip install -U six urllib3", |l| {
            l.whiteout(&format!("{SITE}/six-1.16.0.dist-info"))
                .file(&format!("{SITE}/six-1.17.0.dist-info/METADATA"), six_117)
                .file(
                    &format!("{SITE}/urllib3-2.8.0.dist-info/METADATA"),
                    meta("urllib3-2.8.0"),
                )
                .file(
                    "srv/api/requirements.txt",
                    fixture("python/requirements.txt"),
                )
        })
        .layer("COPY app /app", |l| {
            let mut l = l
                .file("app/package.json", fixture("npm/package.json"))
                .file("app/package-lock.json", fixture("npm/package-lock.json"));
            for p in NPM {
                l = l.file(&format!("app/{p}"), fixture(&format!("npm/{p}")));
            }
            l
        })
        .layer("COPY junk /", |l| {
            // 200 MB, sparse in the tar: over the 1 MiB limit for package.json.
            l.sparse("app/node_modules/huge/package.json", 200 << 20, b"}")
                .file(
                    "srv/web/package-lock.json",
                    "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
                )
                .file(
                    "srv/web/node_modules/bad/package.json",
                    [b'{', b'"', b'n', 0xff, b'"', b':', b'1', b'}'],
                )
                .file(
                    "srv/web/node_modules/bad/test/fixtures/package.json",
                    r#"{"name":"not-a-dependency","version":"0.0.0"}"#,
                )
        });
    let catalog = Catalog::default();
    let scan = scan(&img, &catalog);
    let inv = catalog.inventory(&scan);

    let mut got: Vec<String> = inv
        .packages
        .iter()
        .filter(|p| p.kind == "python" || p.kind == "npm")
        .map(|p| {
            let l = &p.locations[0];
            format!(
                "{} {} {} {} {} layer={} {}",
                p.kind,
                p.name,
                p.version,
                p.purl,
                p.origin,
                l.layer.unwrap(),
                l.path
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<String> = vec![
        format!(
            "python requests 2.31.0 pkg:pypi/requests@2.31.0 installed layer=1 {SITE}/requests-2.31.0.dist-info/METADATA"
        ),
        format!(
            "python six 1.17.0 pkg:pypi/six@1.17.0 installed layer=2 {SITE}/six-1.17.0.dist-info/METADATA"
        ),
        format!(
            "python urllib3 2.8.0 pkg:pypi/urllib3@2.8.0 installed layer=2 {SITE}/urllib3-2.8.0.dist-info/METADATA"
        ),
    ];
    // requests and urllib3 are also installed: their requirements.txt lines are further
    // locations of the installed packages (asserted below), not packages of their own.
    for (n, v) in [
        ("certifi", "2026.10.18"),
        ("charset-normalizer", "3.5.2"),
        ("idna", "3.20"),
        ("pysocks", "1.7.1"),
        ("pyyaml", "6.0.1"),
    ] {
        want.push(format!(
            "python {n} {v} pkg:pypi/{n}@{v} declared layer=2 srv/api/requirements.txt"
        ));
    }
    let npm = [
        ("@types/node", "20.11.30", "%40types/node", "@types/node"),
        ("debug", "4.3.4", "debug", "debug"),
        ("ms", "2.1.2", "ms", "debug/node_modules/ms"),
        ("is-number", "7.0.0", "is-number", "is-number"),
        ("ms", "2.1.3", "ms", "ms"),
        ("undici-types", "5.26.5", "undici-types", "undici-types"),
    ];
    for (n, v, purl, dir) in npm {
        want.push(format!(
            "npm {n} {v} pkg:npm/{purl}@{v} installed layer=3 app/node_modules/{dir}/package.json"
        ));
    }
    want.sort();
    assert_eq!(got, want);
    // Every lockfile entry that is installed joined the installed package.
    for p in inv.packages.iter().filter(|p| p.kind == "npm") {
        let paths: Vec<&str> = p.locations.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(paths.len(), 2, "{} {}: {paths:?}", p.name, p.version);
        assert_eq!(paths[1], "app/package-lock.json");
    }
    for name in ["requests", "urllib3"] {
        let p = inv.packages.iter().find(|p| p.name == name).unwrap();
        assert_eq!(p.locations.len(), 2, "{name}");
        assert_eq!(p.locations[1].path, "srv/api/requirements.txt");
        assert_eq!(p.locations[1].layer, Some(2));
    }

    let requests = inv
        .packages
        .iter()
        .find(|p| p.name == "requests" && p.origin == "installed")
        .unwrap();
    assert_eq!(requests.licenses, vec!["Apache 2.0".to_string()]);
    assert_eq!(requests.ecosystem, "PyPI");
    let types = inv
        .packages
        .iter()
        .find(|p| p.name == "@types/node" && p.origin == "installed")
        .unwrap();
    assert_eq!(types.licenses, vec!["MIT".to_string()]);
    assert_eq!(types.ecosystem, "npm");
    // The same purl from two files: ids tell them apart by path.
    assert_eq!(
        types.id,
        "pkg:npm/%40types/node@20.11.30#app/node_modules/@types/node/package.json"
    );

    // The oversized manifest is skipped by the walker, with a warning naming layer and path.
    assert!(
        scan.warnings
            .iter()
            .any(|w| w.contains("layer 4: app/node_modules/huge/package.json: 209715200 bytes")),
        "{:?}",
        scan.warnings
    );
    // The bad files are warnings naming layer, path and cataloger.
    let warned = |path: &str| {
        inv.warnings
            .iter()
            .any(|w| w.starts_with(&format!("layer 4: {path}: ")))
    };
    assert!(warned("srv/web/package-lock.json"), "{:?}", inv.warnings);
    assert!(
        warned("srv/web/node_modules/bad/package.json"),
        "{:?}",
        inv.warnings
    );
    assert_eq!(inv.warnings.len(), 2, "{:?}", inv.warnings);
}

#[test]
fn a_package_upgraded_in_a_lockfile_moves_to_that_layer() {
    let v1 = fixture("npm/package-lock.json");
    let v2 = String::from_utf8(v1.clone())
        .unwrap()
        .replace("\"version\": \"7.0.0\"", "\"version\": \"7.0.1\"");
    let img = ImageBuilder::new()
        .layer("COPY package-lock.json", |l| {
            l.file("app/package-lock.json", &v1)
        })
        .layer("RUN npm update is-number", |l| {
            l.file("app/package-lock.json", &v2)
        });
    let catalog = Catalog::default();
    let inv = catalog.inventory(&scan(&img, &catalog));
    let layers: Vec<(String, String, usize)> = inv
        .packages
        .iter()
        .filter(|p| p.kind == "npm")
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.locations[0].layer.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        layers,
        vec![
            ("@types/node".into(), "20.11.30".into(), 0),
            ("debug".into(), "4.3.4".into(), 0),
            ("is-number".into(), "7.0.1".into(), 1),
            ("ms".into(), "2.1.2".into(), 0),
            ("ms".into(), "2.1.3".into(), 0),
            ("undici-types".into(), "5.26.5".into(), 0),
        ]
    );
}
