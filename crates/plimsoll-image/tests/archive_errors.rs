//! Archives and indexes that older tools wrote, or that were cut short or crafted: each is
//! read, or refused with a message that says which it is (issue 12, smaller items).

use plimsoll_image::{ImageSource, OpenOptions, WalkOptions, open, scan_image};
use plimsoll_testkit::{Compression, ImageBuilder, compress, sha256, write_docker_archive};
use std::path::Path;

fn opts(cache: &Path) -> OpenOptions {
    OpenOptions {
        cache: plimsoll_image::BlobCache::new(cache),
        ..OpenOptions::default()
    }
}

fn open_err(input: &str, cache: &Path) -> String {
    let src = ImageSource::parse(input).unwrap();
    match open(input, src, &opts(cache)) {
        Ok(_) => panic!("{input} opened"),
        Err(e) => e.to_string(),
    }
}

fn hex(d: &str) -> &str {
    d.trim_start_matches("sha256:")
}

fn add(b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, name, data).unwrap();
}

/// `docker save` before Docker 25 stored a layer that appears twice once, and made the
/// second `layer.tar` a symbolic link to the first (`../<id>/layer.tar`).
#[test]
fn docker_save_symlinked_duplicate_layers_are_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let built = ImageBuilder::new()
        .layer("base", |l| l.file("etc/os-release", "ID=debian\n"))
        .layer("COPY same /", |l| l.file("app/same", "same"))
        .layer("COPY same /", |l| l.file("app/same", "same"))
        .build();
    assert_eq!(built.tars[1], built.tars[2]);
    let mut b = tar::Builder::new(Vec::new());
    add(&mut b, "aaa/layer.tar", &built.tars[0]);
    add(&mut b, "bbb/layer.tar", &built.tars[1]);
    for (name, target) in [
        ("ccc/layer.tar", "../bbb/layer.tar"),
        // A chain of links, and an absolute one: both inside the archive.
        ("ddd/layer.tar", "/ccc/layer.tar"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, name, target).unwrap();
    }
    let config = format!("{}.json", hex(&built.config.digest));
    add(&mut b, &config, &built.config.data);
    let manifest = serde_json::json!([{
        "Config": config,
        "RepoTags": ["old:1"],
        "Layers": ["aaa/layer.tar", "bbb/layer.tar", "ddd/layer.tar"],
    }]);
    add(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    let path = tmp.path().join("old.tar");
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();
    let input = path.to_str().unwrap();
    let img = open(
        input,
        ImageSource::parse(input).unwrap(),
        &opts(&tmp.path().join("cache")),
    )
    .unwrap();
    assert_eq!(img.layers.len(), 3);
    let scan = scan_image(&img, &WalkOptions::default()).unwrap();
    assert!(scan.layer_errors().next().is_none(), "{:?}", scan.layers);
    assert_eq!(
        scan.layers[2].diff_id.as_deref(),
        Some(built.diff_ids[2].as_str())
    );

    // A link that leads out of the archive's members, or in a loop, is missing: said so.
    let mut b = tar::Builder::new(Vec::new());
    for (name, target) in [
        ("x/layer.tar", "../../../etc/passwd"),
        ("loop/a", "b"),
        ("loop/b", "a"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, name, target).unwrap();
    }
    add(&mut b, &config, &built.config.data);
    for layer in ["x/layer.tar", "loop/a"] {
        let manifest = serde_json::json!([{"Config": config, "Layers": [layer, layer, layer]}]);
        let mut b = tar::Builder::new(b.get_ref().clone());
        add(
            &mut b,
            "manifest.json",
            &serde_json::to_vec(&manifest).unwrap(),
        );
        std::fs::write(&path, b.into_inner().unwrap()).unwrap();
        let err = open_err(input, tmp.path());
        assert!(
            err.contains(&format!("member {layer} is missing"))
                && err.contains("is a link that does not lead to a file"),
            "{err}"
        );
    }
}

/// A docker-archive cut short: in a member's data, exactly after a member (no tar
/// end-of-archive blocks), or as a gzip stream. Each says it is truncated.
#[test]
fn truncated_docker_archive_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("img.tar");
    let built = ImageBuilder::new()
        .layer("base", |l| l.file("etc/os-release", "ID=debian\n"))
        .layer("RUN big", |l| l.file("app/big", "x".repeat(100_000)))
        .write_docker_archive(&path, &["app:1"], false);
    let whole = std::fs::read(&path).unwrap();
    // Named as a docker-archive: a bare path would be sniffed, and refused before it is
    // indexed.
    let input = &format!("docker-archive:{}", path.display());

    // In the middle of the second layer's data.
    std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
    let err = open_err(input, tmp.path());
    assert!(err.contains("truncated tar archive"), "{err}");

    // Right after the last complete member: manifest.json and the config are gone, and
    // nothing but the missing end-of-archive blocks tells why.
    let layer0 = format!("{}/layer.tar", hex(&sha256(&built.tars[0])));
    let mut b = tar::Builder::new(Vec::new());
    add(&mut b, &layer0, &built.tars[0]);
    let cut = b.get_ref().len();
    std::fs::write(&path, b.get_ref()).unwrap();
    let err = open_err(input, tmp.path());
    assert!(
        err.contains("manifest.json is missing")
            && err.contains(&format!("truncated: it ends at byte {cut}")),
        "{err}"
    );

    // The same archive, whole, is fine; cut inside the gzip stream it is truncated.
    let gz = compress(&whole, Compression::Gzip);
    let gz_path = tmp.path().join("img.tar.gz");
    std::fs::write(&gz_path, &gz[..gz.len() - 100]).unwrap();
    let err = open_err(&format!("docker-archive:{}", gz_path.display()), tmp.path());
    assert!(err.contains("truncated gzip archive"), "{err}");
    std::fs::write(&path, &whole).unwrap();
    open(input, ImageSource::parse(input).unwrap(), &opts(tmp.path())).unwrap();
}

fn layout_with_index(dir: &Path, manifests: serde_json::Value) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Writes an image index blob listing `manifests`; returns its descriptor.
fn index_blob(dir: &Path, manifests: serde_json::Value) -> serde_json::Value {
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }))
    .unwrap();
    let digest = sha256(&index);
    std::fs::write(dir.join("blobs/sha256").join(hex(&digest)), &index).unwrap();
    serde_json::json!({
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": digest,
        "size": index.len(),
    })
}

/// An index that lists nothing, and indexes nested deeper than any real image: each
/// message says which it is.
#[test]
fn empty_and_too_deeply_nested_indexes_are_told_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    layout_with_index(&empty, serde_json::json!([]));
    let err = open_err(&format!("oci:{}", empty.display()), tmp.path());
    assert!(
        err.contains("index.json is an empty image index: it lists no manifests"),
        "{err}"
    );

    // index.json -> an index blob that is empty.
    let nested_empty = tmp.path().join("nested-empty");
    layout_with_index(&nested_empty, serde_json::json!([]));
    let inner = index_blob(&nested_empty, serde_json::json!([]));
    layout_with_index(&nested_empty, serde_json::json!([inner]));
    let err = open_err(&format!("oci:{}", nested_empty.display()), tmp.path());
    assert!(
        err.contains(&format!(
            "image index {} is an empty image index",
            inner["digest"].as_str().unwrap()
        )),
        "{err}"
    );

    // index.json -> index -> index -> … six levels, the last one pointing at an image.
    let deep = tmp.path().join("deep");
    let built = ImageBuilder::new()
        .layer("base", |l| l.file("etc/os-release", "ID=debian\n"))
        .write_oci_layout(&deep, None);
    let mut d = built.manifest.descriptor();
    for _ in 0..6 {
        d = index_blob(&deep, serde_json::json!([d]));
    }
    layout_with_index(&deep, serde_json::json!([d]));
    let err = open_err(&format!("oci:{}", deep.display()), tmp.path());
    assert!(err.contains("nested more than 4 levels deep"), "{err}");
    assert!(!err.contains("empty"), "{err}");

    // One level, as real multi-platform images have, is read.
    let one = tmp.path().join("one");
    let built = ImageBuilder::new()
        .layer("base", |l| l.file("etc/os-release", "ID=debian\n"))
        .write_oci_layout(&one, None);
    let d = index_blob(&one, serde_json::json!([built.manifest.descriptor()]));
    layout_with_index(&one, serde_json::json!([d]));
    let input = format!("oci:{}", one.display());
    open(
        &input,
        ImageSource::parse(&input).unwrap(),
        &opts(tmp.path()),
    )
    .unwrap();
}

/// `write_docker_archive` is the testkit's; a gzip one decompressed and indexed is fine.
#[test]
fn gzip_docker_archive_still_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("img.tar.gz");
    let built = ImageBuilder::new()
        .layer("base", |l| l.file("etc/os-release", "ID=debian\n"))
        .build();
    write_docker_archive(&path, &[(&["a:1"], &built)], true);
    let input = path.to_str().unwrap();
    open(input, ImageSource::parse(input).unwrap(), &opts(tmp.path())).unwrap();
}
