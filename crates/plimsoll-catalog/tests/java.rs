//! Java archives in an image: a Spring Boot fat jar upgraded in a later layer, a war, and
//! bad files (a corrupt jar, a zip bomb, a text file named `.jar`) that cost a warning each
//! and nothing else.

use plimsoll_catalog::Catalog;
use plimsoll_image::walker::WalkOptions;
use plimsoll_image::{ImageScan, ImageSource, OpenOptions, open, scan_image};
use plimsoll_testkit::ImageBuilder;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

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

fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9));
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn with_pom(g: &str, a: &str, v: &str) -> Vec<u8> {
    jar(&[(
        &format!("META-INF/maven/{g}/{a}/pom.properties"),
        format!("artifactId={a}\ngroupId={g}\nversion={v}\n").as_bytes(),
    )])
}

fn fat_jar(jackson: &str) -> Vec<u8> {
    let netty = jar(&[(
        "META-INF/MANIFEST.MF",
        b"Manifest-Version: 1.0\nImplementation-Title: netty-common\nImplementation-Version: 4.1.100.Final\nImplementation-Vendor-Id: io.netty\n",
    )]);
    jar(&[
        (
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.JarLauncher\n",
        ),
        (
            "META-INF/maven/com.example/app/pom.properties",
            b"artifactId=app\ngroupId=com.example\nversion=1.0.0\n",
        ),
        (
            &format!("BOOT-INF/lib/jackson-core-{jackson}.jar"),
            &with_pom("com.fasterxml.jackson.core", "jackson-core", jackson),
        ),
        ("BOOT-INF/lib/netty-common-4.1.100.Final.jar", &netty),
    ])
}

#[test]
fn java_archives_with_layers_paths_and_bad_files() {
    let war = jar(&[
        ("WEB-INF/web.xml", b"<web-app/>"),
        (
            "WEB-INF/lib/log4j-core-2.14.1.jar",
            &with_pom("org.apache.logging.log4j", "log4j-core", "2.14.1"),
        ),
        (
            "WEB-INF/lib/commons-lang3-3.12.0.jar",
            &jar(&[("a.class", b"x")]),
        ),
    ]);
    let mut bomb = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9));
    bomb.start_file("lib/zeros-1.0.jar", opts).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..80 {
        bomb.write_all(&zeros).unwrap();
    }
    let bomb = bomb.finish().unwrap().into_inner();
    let good = fat_jar("2.15.2");

    let img = ImageBuilder::new()
        .layer("ADD rootfs.tar /", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        })
        .layer("COPY app.jar /app/app.jar", |l| {
            l.file("app/app.jar", &good)
                .file("app/lib/readme.jar", "not a jar at all")
        })
        .layer("COPY app.jar /app/app.jar (jackson upgraded)", |l| {
            l.file("app/app.jar", fat_jar("2.15.3"))
                .file("usr/local/tomcat/webapps/shop-2.1.war", &war)
        })
        .layer("COPY junk /", |l| {
            l.file("opt/broken.jar", &good[..good.len() / 2])
                .file("opt/bomb.jar", &bomb)
        });
    let catalog = Catalog::default();
    let scan = scan(&img, &catalog);
    let inv = catalog.inventory(&scan);

    let mut got: Vec<String> = inv
        .packages
        .iter()
        .filter(|p| p.kind == "maven")
        .map(|p| {
            assert_eq!(p.ecosystem, "Maven");
            assert_eq!(p.origin, "installed");
            assert_eq!(p.locations.len(), 1);
            let l = &p.locations[0];
            format!(
                "{} {} {} layer={} {} {}",
                p.name,
                p.version,
                p.purl,
                l.layer.unwrap(),
                l.path,
                p.metadata
                    .get("path_in_archive")
                    .map_or("-", String::as_str)
            )
        })
        .collect();
    got.sort();
    let want = [
        // Unchanged since layer 1, though its jar was rewritten in layer 2.
        "com.example:app 1.0.0 pkg:maven/com.example/app@1.0.0 layer=1 app/app.jar -",
        "com.fasterxml.jackson.core:jackson-core 2.15.3 pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.3 layer=2 app/app.jar BOOT-INF/lib/jackson-core-2.15.3.jar",
        "commons-lang3 3.12.0 pkg:maven/commons-lang3@3.12.0 layer=2 usr/local/tomcat/webapps/shop-2.1.war WEB-INF/lib/commons-lang3-3.12.0.jar",
        "io.netty:netty-common 4.1.100.Final pkg:maven/io.netty/netty-common@4.1.100.Final layer=1 app/app.jar BOOT-INF/lib/netty-common-4.1.100.Final.jar",
        "org.apache.logging.log4j:log4j-core 2.14.1 pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 layer=2 usr/local/tomcat/webapps/shop-2.1.war WEB-INF/lib/log4j-core-2.14.1.jar",
        "shop 2.1 pkg:maven/shop@2.1 layer=2 usr/local/tomcat/webapps/shop-2.1.war -",
    ];
    assert_eq!(got, want);

    let java_warnings: Vec<&String> = inv
        .warnings
        .iter()
        .filter(|w| w.contains("java-archive"))
        .collect();
    assert_eq!(java_warnings.len(), 2, "{:?}", inv.warnings);
    assert!(
        java_warnings
            .iter()
            .any(|w| w.starts_with("layer 3: opt/broken.jar: java-archive could not be read")),
        "{java_warnings:?}"
    );
    assert!(
        java_warnings.iter().any(|w| w
            .starts_with("layer 3: opt/bomb.jar: java-archive could not be read")
            && w.contains("zip bomb")),
        "{java_warnings:?}"
    );
}
