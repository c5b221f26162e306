//! The real binary on local sources: output contract, exit codes, error messages.

mod common;

use common::json;
use plimsoll_testkit::{ImageBuilder, demo};
use std::path::Path;
use std::process::Output;

/// The inventory is the subject here: no vulnerability database, no download.
fn plimsoll(args: &[&str], cache: &Path) -> Output {
    common::plimsoll_env(args, cache, &[("PLIMSOLL_SCANNERS", "none")])
}

#[test]
fn demo_image_is_current() {
    let path = common::root().join("demo/demo-image.tar");
    let fresh = demo::demo_archive();
    if std::env::var_os("PLIMSOLL_UPDATE_DEMO").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed =
        std::fs::read(&path).expect("demo/demo-image.tar (PLIMSOLL_UPDATE_DEMO=1 writes it)");
    assert!(
        committed == fresh,
        "demo/demo-image.tar is stale: rerun with PLIMSOLL_UPDATE_DEMO=1"
    );
}

#[test]
fn json_report_of_the_demo_image() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = common::root().join("demo/demo-image.tar");
    let out = plimsoll(
        &["image", demo.to_str().unwrap(), "--format", "json"],
        tmp.path(),
    );
    let v = json(&out);
    let built = demo::demo_image().build();
    assert_eq!(v["schema_version"], 2);
    let a = &v["artifact"];
    assert_eq!(a["source"], "oci-archive");
    assert_eq!(a["kind"], "container_image");
    assert_eq!(a["digest"], built.manifest.digest.as_str());
    assert_eq!(a["config_digest"], built.config.digest.as_str());
    assert_eq!(a["platform"]["os"], "linux");
    assert_eq!(a["platform"]["architecture"], "amd64");
    let c = &a["config"];
    assert_eq!(c["user"], "app");
    assert_eq!(c["exposed_ports"], serde_json::json!(["8000/tcp"]));
    assert_eq!(
        c["env_names"],
        serde_json::json!(["PATH", "PYTHONDONTWRITEBYTECODE", "APP_SECRET_KEY"])
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("changeme"),
        "env values are not reported"
    );
    assert_eq!(
        c["entrypoint"],
        serde_json::json!(["python3", "/app/server.py"])
    );
    assert_eq!(
        c["labels"]["org.opencontainers.image.title"],
        "plimsoll-demo"
    );
    let layers = a["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 4);
    for (i, l) in layers.iter().enumerate() {
        assert_eq!(l["index"], i);
        assert_eq!(l["digest"], built.layers[i].digest.as_str());
        assert_eq!(l["diff_id"], built.diff_ids[i].as_str());
        assert_eq!(l["size"], built.layers[i].data.len());
        assert_eq!(l["uncompressed_size"], built.tars[i].len());
        assert_eq!(l["compression"], "gzip");
    }
    assert_eq!(
        layers[1]["created_by"],
        "RUN /bin/sh -c pip install --no-cache-dir requests==2.31.0 # buildkit"
    );
    assert_eq!(
        layers[2]["deletions"],
        serde_json::json!(["usr/share/doc", "etc/motd"])
    );
    assert_eq!(layers[3]["files_in_final"], 1);
}

#[test]
fn table_report_names_layers_and_instructions() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = common::root().join("demo/demo-image.tar");
    let out = plimsoll(&["image", demo.to_str().unwrap()], tmp.path());
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "oci-archive",
        "linux/amd64",
        "python3 /app/server.py",
        "8000/tcp",
        "RUN pip install --no-cache-dir requests==2.31.0",
        "COPY app /app",
        "org.opencontainers.image.title=plimsoll-demo",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn output_file_and_fs_command() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("rootfs");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=alpine\n").unwrap();
    std::os::unix::fs::symlink("/etc/os-release", root.join("os-release-link")).unwrap();
    std::os::unix::fs::symlink("/", root.join("host-root")).unwrap();
    let report = tmp.path().join("r.json");
    let out = plimsoll(
        &[
            "fs",
            root.to_str().unwrap(),
            "--format",
            "json",
            "-o",
            report.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(v["artifact"]["kind"], "filesystem");
    // etc, etc/os-release and the two links: the link to / is not followed on the host.
    assert_eq!(v["artifact"]["files"], 4);
}

#[test]
fn bad_input_exits_2_with_a_message_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.tar");
    std::fs::write(&junk, b"this is not an image").unwrap();
    let out = plimsoll(&["image", junk.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.tar"), "{err}");

    let out = plimsoll(&["image", "oci:/nonexistent/layout"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/layout"));

    let out = plimsoll(&["image", "x", "--platform", "linux"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("os/arch"));

    // A gzip bomb posing as a docker-archive is refused before it fills the disk.
    let bomb = tmp.path().join("bomb.tar.gz");
    let mut zeros = vec![0u8; 4 << 20];
    zeros[..5].copy_from_slice(b"bomb!");
    std::fs::write(
        &bomb,
        plimsoll_testkit::compress(&zeros, plimsoll_testkit::Compression::Gzip),
    )
    .unwrap();
    let out = plimsoll(
        &[
            "image",
            bomb.to_str().unwrap(),
            "--max-archive-size",
            "1048576",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bomb.tar.gz") && err.contains("--max-archive-size"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path().join("tmp")).unwrap().count(),
        0
    );

    let out = plimsoll(&["image"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");

    // A corrupt layer: the report is still written, the error names the layer, exit 2.
    let layout = tmp.path().join("layout");
    let built = ImageBuilder::new()
        .layer("base", |l| l.file("etc/os-release", "ID=debian\n"))
        .layer("RUN add", |l| l.file("app/x", "x".repeat(5000)))
        .write_oci_layout(&layout, None);
    let blob = layout
        .join("blobs/sha256")
        .join(built.layers[1].digest.trim_start_matches("sha256:"));
    let mut data = std::fs::read(&blob).unwrap();
    let n = data.len();
    data[n / 2] ^= 1;
    std::fs::write(&blob, data).unwrap();
    let out = plimsoll(
        &["image", layout.to_str().unwrap(), "--format", "json"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["artifact"]["layers"][0]["error"].is_null());
    let e = v["artifact"]["layers"][1]["error"].as_str().unwrap();
    assert!(
        e.contains("digest mismatch") && e.contains(&built.layers[1].digest),
        "{e}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("layer 1") && err.contains("digest mismatch"),
        "{err}"
    );
}
