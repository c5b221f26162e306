//! Every local image source gives the same image: docker-archive (plain, gzip, multi-image),
//! OCI layout (tags, multi-platform indexes), oci-archive, and Docker 25+ archives.

use plimsoll_image::{ImageSource, OpenOptions, WalkOptions, artifact, open, platform, scan_image};
use plimsoll_model::Artifact;
use plimsoll_testkit::{ImageBuilder, write_docker_archive, write_oci_layout};
use std::path::Path;

fn sample(marker: &str) -> ImageBuilder {
    ImageBuilder::new()
        .layer("/bin/sh -c #(nop) ADD file:abc in / ", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file("etc/motd", "hi")
        })
        .empty_step("/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/usr/bin")
        .layer("RUN /bin/sh -c rm /etc/motd # buildkit", |l| {
            l.whiteout("etc/motd").file("app/marker", marker)
        })
        .empty_step("CMD [\"app\"]")
        .user("1000:1000")
        .env("PATH=/usr/bin")
        .env("API_TOKEN=s3cr3t")
        .expose("8080/tcp")
        .entrypoint(&["/app/run"])
        .cmd(&["--serve"])
        .label("org.opencontainers.image.source", "https://example.org/app")
}

fn scan(input: &str, opts: &OpenOptions) -> Artifact {
    let src = ImageSource::parse(input).unwrap();
    let img = open(input, src, opts).unwrap();
    let scan = scan_image(&img, &WalkOptions::default()).unwrap();
    assert!(scan.layer_errors().next().is_none(), "{:?}", scan.layers);
    artifact(&img, &scan)
}

fn opts(cache: &Path) -> OpenOptions {
    OpenOptions {
        cache: plimsoll_image::BlobCache::new(cache),
        ..OpenOptions::default()
    }
}

fn check_sample(a: &Artifact, built: &plimsoll_testkit::BuiltImage) {
    assert_eq!(a.layers.len(), 2);
    let diff_ids: Vec<&str> = a
        .layers
        .iter()
        .map(|l| l.diff_id.as_deref().unwrap())
        .collect();
    assert_eq!(
        diff_ids,
        built
            .diff_ids
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        a.layers[0].created_by.as_deref(),
        Some("/bin/sh -c #(nop) ADD file:abc in / ")
    );
    assert_eq!(
        a.layers[1].created_by.as_deref(),
        Some("RUN /bin/sh -c rm /etc/motd # buildkit"),
        "empty_layer history entries are skipped"
    );
    assert_eq!(a.layers[1].deletions, vec!["etc/motd".to_string()]);
    assert_eq!(a.layers[0].uncompressed_size, built.tars[0].len() as u64);
    assert_eq!(
        a.config_digest.as_deref(),
        Some(built.config.digest.as_str())
    );
    let c = a.config.as_ref().unwrap();
    assert_eq!(c.user, "1000:1000");
    assert_eq!(c.env_names, vec!["PATH", "API_TOKEN"]);
    assert_eq!(c.exposed_ports, vec!["8080/tcp"]);
    assert_eq!(c.entrypoint, vec!["/app/run"]);
    assert_eq!(c.cmd, vec!["--serve"]);
    assert_eq!(
        c.labels["org.opencontainers.image.source"],
        "https://example.org/app"
    );
    assert_eq!(
        a.files, 2,
        "etc/os-release and app/marker; etc/motd was deleted"
    );
    let json = serde_json::to_string(a).unwrap();
    assert!(
        !json.contains("s3cr3t"),
        "env values never reach the report"
    );
}

#[test]
fn oci_layout_and_oci_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    let built = sample("v1").write_oci_layout(&layout, Some("v1"));
    let o = opts(&tmp.path().join("cache"));

    let a = scan(layout.to_str().unwrap(), &o);
    check_sample(&a, &built);
    assert_eq!(a.source, "oci-layout");
    assert_eq!(a.digest.as_deref(), Some(built.manifest.digest.as_str()));
    assert_eq!(
        a.layers[0].digest.as_deref(),
        Some(built.layers[0].digest.as_str())
    );
    assert_eq!(a.layers[0].size, built.layers[0].data.len() as u64);
    assert_eq!(a.layers[0].compression.as_deref(), Some("gzip"));

    let a = scan(&format!("oci:{}:v1", layout.display()), &o);
    assert_eq!(a.reference.as_deref(), Some("v1"));
    let src = ImageSource::parse(&format!("oci:{}:v2", layout.display())).unwrap();
    let err = open("x", src, &o).unwrap_err().to_string();
    assert!(
        err.contains("no image named \"v2\"") && err.contains("v1"),
        "{err}"
    );

    let archive = tmp.path().join("img.oci.tar");
    sample("v1").write_oci_archive(&archive, Some("v1"));
    let a = scan(archive.to_str().unwrap(), &o);
    assert_eq!(a.source, "oci-archive");
    check_sample(&a, &built);
    let a = scan(&format!("oci-archive:{}:v1", archive.display()), &o);
    assert_eq!(a.digest.as_deref(), Some(built.manifest.digest.as_str()));
}

#[test]
fn docker_archive_plain_gzip_and_multi_image() {
    let tmp = tempfile::tempdir().unwrap();
    let o = opts(&tmp.path().join("cache"));
    let one = tmp.path().join("one.tar");
    let built = sample("one")
        .docker_media_types()
        .write_docker_archive(&one, &["app:1.0"], false);
    let a = scan(one.to_str().unwrap(), &o);
    assert_eq!(a.source, "docker-archive");
    assert_eq!(a.reference.as_deref(), Some("app:1.0"));
    check_sample(&a, &built);
    assert_eq!(a.layers[0].compression.as_deref(), Some("none"));

    let gz = tmp.path().join("one.tar.gz");
    sample("one").write_docker_archive(&gz, &["app:1.0"], true);
    let a = scan(gz.to_str().unwrap(), &o);
    check_sample(&a, &built);
    assert!(
        std::fs::read_dir(tmp.path().join("cache/tmp"))
            .unwrap()
            .next()
            .is_none(),
        "the decompressed spool is removed"
    );

    let multi = tmp.path().join("multi.tar");
    let b1 = sample("one").build();
    let b2 = sample("two").build();
    write_docker_archive(
        &multi,
        &[(&["app:1.0"], &b1), (&["app:2.0", "app:latest"], &b2)],
        false,
    );
    let src = ImageSource::parse(multi.to_str().unwrap()).unwrap();
    let err = open("multi", src, &o).unwrap_err().to_string();
    assert!(
        err.contains("holds 2 images") && err.contains("app:2.0"),
        "{err}"
    );
    let a = scan(&format!("docker-archive:{}:app:2.0", multi.display()), &o);
    assert_eq!(
        a.layers[1].diff_id.as_deref(),
        Some(b2.diff_ids[1].as_str())
    );
    let a = scan(
        &format!(
            "docker-archive:{}:docker.io/library/app:1.0",
            multi.display()
        ),
        &o,
    );
    assert_eq!(
        a.layers[1].diff_id.as_deref(),
        Some(b1.diff_ids[1].as_str())
    );
}

#[test]
fn docker_25_archive_with_oci_blobs() {
    // Docker 25+ `docker save` writes an OCI layout plus manifest.json whose layer paths are
    // blobs/sha256/<hex>.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let built = sample("x")
        .compression(plimsoll_testkit::Compression::None)
        .build();
    write_oci_layout(&dir, &[(Some("app:1"), &built)], false);
    let manifest = serde_json::json!([{
        "Config": format!("blobs/sha256/{}", built.config.digest.trim_start_matches("sha256:")),
        "RepoTags": ["app:1"],
        "Layers": built.layers.iter().map(|l| format!("blobs/sha256/{}", l.digest.trim_start_matches("sha256:"))).collect::<Vec<_>>(),
    }]);
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    let tar = tmp.path().join("d25.tar");
    plimsoll_testkit::tar_dir(&dir, &tar);
    let a = scan(tar.to_str().unwrap(), &opts(&tmp.path().join("c")));
    assert_eq!(a.source, "docker-archive");
    assert_eq!(
        a.layers[0].digest.as_deref(),
        Some(built.layers[0].digest.as_str())
    );
    check_sample(&a, &built);
}

#[test]
fn multi_platform_index_in_a_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("multi");
    let amd = sample("amd64").platform("linux", "amd64", None).build();
    let arm = sample("arm64")
        .platform("linux", "arm64", Some("v8"))
        .build();
    let armv7 = sample("armv7").platform("linux", "arm", Some("v7")).build();
    write_oci_layout(
        &dir,
        &[(Some("multi"), &amd), (None, &arm), (None, &armv7)],
        true,
    );
    let mut o = opts(&tmp.path().join("c"));
    o.platform = Some(platform::parse("linux/arm64").unwrap());
    let a = scan(dir.to_str().unwrap(), &o);
    assert_eq!(a.platform.as_ref().unwrap().architecture, "arm64");
    assert_eq!(a.digest.as_deref(), Some(arm.manifest.digest.as_str()));
    assert!(a.index_digest.is_some());

    o.platform = Some(platform::parse("linux/arm/v7").unwrap());
    let a = scan(dir.to_str().unwrap(), &o);
    assert_eq!(a.digest.as_deref(), Some(armv7.manifest.digest.as_str()));

    o.platform = Some(platform::parse("linux/s390x").unwrap());
    let src = ImageSource::parse(dir.to_str().unwrap()).unwrap();
    let err = open("multi", src, &o).unwrap_err().to_string();
    assert!(
        err.contains("linux/s390x") && err.contains("linux/amd64") && err.contains("linux/arm/v7"),
        "{err}"
    );
}

#[test]
fn broken_layouts_name_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let o = opts(&tmp.path().join("c"));
    let dir = tmp.path().join("l");
    let built = sample("x").write_oci_layout(&dir, None);

    // A missing layer blob: the image opens, the layer reports the missing file.
    let blob = dir
        .join("blobs/sha256")
        .join(built.layers[1].digest.trim_start_matches("sha256:"));
    std::fs::remove_file(&blob).unwrap();
    let src = ImageSource::parse(dir.to_str().unwrap()).unwrap();
    let img = open("l", src, &o).unwrap();
    let s = scan_image(&img, &WalkOptions::default()).unwrap();
    let errs: Vec<_> = s.layer_errors().collect();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, 1);
    assert!(errs[0].1.contains("blob missing") && errs[0].1.contains(&built.layers[1].digest));
    assert!(
        s.tree.get("etc/os-release").is_some(),
        "the readable layer is still scanned"
    );

    // A manifest that lies about a layer's size.
    let dir2 = tmp.path().join("l2");
    let built = sample("x").build();
    let mut m: serde_json::Value = serde_json::from_slice(&built.manifest.data).unwrap();
    m["layers"][0]["size"] = serde_json::json!(12);
    let mut lying = built.clone();
    lying.manifest =
        plimsoll_testkit::Blob::new(&built.manifest.media_type, serde_json::to_vec(&m).unwrap());
    write_oci_layout(&dir2, &[(None, &lying)], false);
    let src = ImageSource::parse(dir2.to_str().unwrap()).unwrap();
    let img = open("l2", src, &o).unwrap();
    let s = scan_image(&img, &WalkOptions::default()).unwrap();
    let (_, e) = s.layer_errors().next().unwrap();
    assert!(e.contains("larger than the descriptor's 12 bytes"), "{e}");

    // Not a layout, not JSON.
    let dir3 = tmp.path().join("l3");
    std::fs::create_dir_all(&dir3).unwrap();
    std::fs::write(
        dir3.join("oci-layout"),
        "{\"imageLayoutVersion\":\"1.0.0\"}",
    )
    .unwrap();
    std::fs::write(dir3.join("index.json"), "{not json").unwrap();
    let src = ImageSource::parse(dir3.to_str().unwrap()).unwrap();
    let err = open("l3", src, &o).unwrap_err().to_string();
    assert!(err.contains("index.json is not valid JSON"), "{err}");

    // Not an image archive.
    let junk = tmp.path().join("junk.tar");
    std::fs::write(&junk, vec![7u8; 4096]).unwrap();
    let err = ImageSource::parse(junk.to_str().unwrap())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("junk.tar"), "{err}");
}
