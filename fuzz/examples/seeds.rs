//! Writes a small seed corpus for every fuzz target, built with `plimsoll-testkit`:
//!
//! ```sh
//! cd fuzz && cargo run --example seeds -- corpus
//! ```
//!
//! Seeds are valid inputs (layers in every compression, archives of every kind, layouts
//! with indexes) so the fuzzers start deep inside the parsers. They are regenerated, never
//! committed.

use plimsoll_fuzz::SEP;
use plimsoll_testkit::{Compression, ImageBuilder, LayerBuilder, compress, sha256};
use serde_json::json;
use std::path::Path;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "corpus".into());
    let out = Path::new(&out);
    walk_layer(&out.join("walk_layer"));
    archive(&out.join("archive"));
    manifest(&out.join("manifest"));
    catalog_os(&out.join("catalog_os"));
    lines(
        &out.join("challenge"),
        &[
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull""#,
            r#"Basic realm="Registry Realm""#,
            r#"bearer  Realm = "a\"b" , error=insufficient_scope"#,
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/r:pull",error="invalid_token""#,
            "Negotiate abc==",
        ],
    );
    lines(
        &out.join("reference"),
        &[
            "debian:12",
            "index.docker.io/library/alpine",
            "bitnami/redis:7",
            "127.0.0.1:5000/team/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "ghcr.io/o/r:v1",
            "[::1]:5000/x/y:tag@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "docker-archive:/nonexistent/x.tar:app:1.0",
            "oci-archive:/nonexistent/x.tar:v1",
            "oci:/nonexistent/dir:v1",
            "linux/arm64",
            "linux/arm/v7",
            "Linux/AArch64/v8",
            "windows/amd64",
        ],
    );
}

fn write(dir: &Path, name: &str, data: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), data).unwrap();
}

fn lines(dir: &Path, items: &[&str]) {
    for (i, s) in items.iter().enumerate() {
        write(dir, &format!("seed-{i}"), s.as_bytes());
    }
}

/// A layer with every kind of entry the walker treats specially.
fn rich_layer() -> LayerBuilder {
    LayerBuilder::new()
        .dir("etc")
        .file("etc/os-release", "ID=debian\nVERSION_ID=12\n")
        .file_mode("usr/bin/tool", "#!/bin/sh\n", 0o755)
        .symlink("usr/lib/os-release", "../../etc/os-release")
        .symlink("lib", "usr/lib")
        .symlink("loop-a", "loop-b")
        .symlink("loop-b", "/loop-a")
        .hardlink("etc/os-release.bak", "etc/os-release")
        .pax_file(
            &format!("opt/{}/METADATA", "long-directory-name-".repeat(8)),
            "Name: x\n",
        )
        .file(&format!("var/{}", "n".repeat(120)), "gnu long name")
        .raw_file(b"../../escape", "x")
        .raw_file(b"/abs/path", "y")
        .zeros("var/big", 2048)
        .file(
            "var/lib/dpkg/status",
            "Package: base-files\nVersion: 12\n\n",
        )
}

fn upper_layer() -> LayerBuilder {
    LayerBuilder::new()
        .whiteout("usr/bin/tool")
        .opaque("var")
        .file("var/new", "new")
        .file("lib", "file replacing a symlink")
}

fn walk_layer(dir: &Path) {
    let lower = rich_layer().tar();
    let upper = upper_layer().tar();
    write(dir, "plain", &lower);
    write(dir, "gzip", &compress(&lower, Compression::Gzip));
    write(dir, "zstd", &compress(&lower, Compression::Zstd));
    write(dir, "empty-tar", &LayerBuilder::new().tar());
    let two = [&compress(&lower, Compression::Gzip)[..], SEP, &upper].concat();
    write(dir, "two-layers", &two);
    let three = [
        &lower[..],
        SEP,
        &compress(&upper, Compression::Zstd),
        SEP,
        &lower,
    ]
    .concat();
    write(dir, "three-layers", &three);
    write(dir, "long-name-bomb", &long_name_bomb());
}

/// A gzip layer of ~200 KiB whose GNU long name claims 200 MiB: before the walker bounded
/// tar metadata, the tar crate read it whole into memory (and the walker copied it thrice).
fn long_name_bomb() -> Vec<u8> {
    use std::io::Write;
    let size: u64 = 200 << 20;
    let mut h = tar::Header::new_gnu();
    h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
    h.set_entry_type(tar::EntryType::GNULongName);
    h.set_size(size);
    h.set_cksum();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(h.as_bytes()).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..(size >> 20) {
        gz.write_all(&chunk).unwrap();
    }
    let mut f = tar::Header::new_gnu();
    f.set_path("x").unwrap();
    f.set_size(0);
    f.set_entry_type(tar::EntryType::Regular);
    f.set_cksum();
    gz.write_all(f.as_bytes()).unwrap();
    gz.write_all(&[0; 1024]).unwrap();
    gz.finish().unwrap()
}

fn small_image() -> ImageBuilder {
    ImageBuilder::new()
        .layer("ADD rootfs /", |_| rich_layer())
        .empty_step("ENV A=1")
        .layer("RUN rm", |_| upper_layer())
        .user("app")
        .env("PATH=/bin")
        .label("org.opencontainers.image.version", "1")
}

fn archive(dir: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    small_image().write_docker_archive(&p.join("docker.tar"), &["app:1"], false);
    small_image().write_docker_archive(&p.join("docker.tar.gz"), &["app:1", "app:latest"], true);
    small_image()
        .compression(Compression::Zstd)
        .write_oci_archive(&p.join("oci.tar"), Some("v1"));
    small_image()
        .docker_media_types()
        .compression(Compression::None)
        .write_oci_archive(&p.join("oci-docker-types.tar"), None);
    for name in [
        "docker.tar",
        "docker.tar.gz",
        "oci.tar",
        "oci-docker-types.tar",
    ] {
        write(dir, name, &std::fs::read(p.join(name)).unwrap());
    }
}

fn descriptor(media_type: &str, n: usize) -> serde_json::Value {
    json!({"mediaType": media_type, "digest": format!("$D{n}"), "size": format!("$S{n}")})
}

/// `"size": "$S1"` must be a JSON number once substituted.
fn unquote_sizes(s: String) -> String {
    let mut s = s;
    for n in 0..10 {
        s = s.replace(&format!("\"$S{n}\""), &format!("$S{n}"));
    }
    s
}

fn config(layers: &[Vec<u8>], arch: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "architecture": arch,
        "os": "linux",
        "config": {"User": "app", "Env": ["PATH=/bin"], "Labels": {"a": "b"}},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|t| sha256(t)).collect::<Vec<_>>()},
        "history": [{"created_by": "ADD /"}, {"created_by": "ENV", "empty_layer": true}],
    }))
    .unwrap()
}

fn manifest(dir: &Path) {
    let oci_manifest = "application/vnd.oci.image.manifest.v1+json";
    let oci_index = "application/vnd.oci.image.index.v1+json";
    let tar = rich_layer().tar();
    let gz = compress(&tar, Compression::Gzip);

    // OCI layout: index.json -> manifest (1) -> config (2), layer (3).
    let index = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": oci_manifest, "digest": "$D1", "size": "$S1",
        "annotations": {"org.opencontainers.image.ref.name": "latest"},
        "platform": {"os": "linux", "architecture": "amd64"},
    }]});
    let manifest = json!({
        "schemaVersion": 2, "mediaType": oci_manifest,
        "config": descriptor("application/vnd.oci.image.config.v1+json", 2),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", 3)],
    });
    let seed = [
        &[0u8][..],
        unquote_sizes(index.to_string()).as_bytes(),
        SEP,
        unquote_sizes(manifest.to_string()).as_bytes(),
        SEP,
        &config(&[tar.clone()], "amd64"),
        SEP,
        &gz,
    ]
    .concat();
    write(dir, "oci-layout", &seed);

    // Multi-platform: index.json -> index (1) -> amd64 manifest (2) | arm64 manifest (3);
    // configs (4, 5), one shared layer (6), plus an attestation manifest.
    let top = json!({"schemaVersion": 2, "manifests": [{"mediaType": oci_index, "digest": "$D1", "size": "$S1"}]});
    let idx = json!({"schemaVersion": 2, "mediaType": oci_index, "manifests": [
        {"mediaType": oci_manifest, "digest": "$D2", "size": "$S2", "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": oci_manifest, "digest": "$D3", "size": "$S3", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"mediaType": oci_manifest, "digest": "$D3", "size": "$S3", "platform": {"os": "unknown", "architecture": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
    ]});
    let m = |cfg: usize| {
        json!({"schemaVersion": 2, "mediaType": oci_manifest,
            "config": descriptor("application/vnd.oci.image.config.v1+json", cfg),
            "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", 6)]})
    };
    let seed = [
        &[2u8][..],
        unquote_sizes(top.to_string()).as_bytes(),
        SEP,
        unquote_sizes(idx.to_string()).as_bytes(),
        SEP,
        unquote_sizes(m(4).to_string()).as_bytes(),
        SEP,
        unquote_sizes(m(5).to_string()).as_bytes(),
        SEP,
        &config(&[tar.clone()], "amd64"),
        SEP,
        &config(&[tar.clone()], "arm64"),
        SEP,
        &tar,
    ]
    .concat();
    write(dir, "oci-multi-platform", &seed);

    // docker-archive: manifest.json -> config (1), layers (2, 3).
    let upper = upper_layer().tar();
    let mj = json!([{"Config": "blobs/sha256/$H1", "RepoTags": ["app:1", "docker.io/library/app:2"],
        "Layers": ["blobs/sha256/$H2", "blobs/sha256/$H3"]}]);
    let seed = [
        &[1u8][..],
        mj.to_string().as_bytes(),
        SEP,
        &config(&[tar.clone(), upper.clone()], "amd64"),
        SEP,
        &tar,
        SEP,
        &upper,
    ]
    .concat();
    write(dir, "docker-archive", &seed);
}

/// `catalog_os`: a mode byte (0 status, 1 status.d, 2 md5sums, 3 .list, 4 apk, 5 layers),
/// then a realistic database.
fn catalog_os(dir: &Path) {
    let status = "Package: libssl3\nStatus: install ok installed\n\
                  Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\n\
                  Architecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\
                  Description: Secure Sockets Layer toolkit\n shared libraries\n .\n more\n\n\
                  Package: tzdata\nStatus: deinstall ok config-files\nArchitecture: all\n\
                  Version: 2024a-0+deb12u1\n\n\
                  Package: bash\nStatus: hold ok installed\nArchitecture: amd64\n\
                  Source: bash (5.2.15-2)\nVersion: 5.2.15-2+b2\n";
    let apk = "C:Q1/h5Ue6ZUBBOsPN8Kt9tRoGh3Ky=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\n\
               L:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\n\n\
               P:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\nF:usr/lib\n\
               R:libcrypto.so.3\n";
    let upgraded = status.replace("deb12u2", "deb12u3");
    let seeds: [(&str, Vec<u8>); 7] = [
        ("status", [b"\x00", status.as_bytes()].concat()),
        (
            "status-d",
            [
                b"\x01",
                status
                    .replace("Status: install ok installed\n", "")
                    .as_bytes(),
            ]
            .concat(),
        ),
        (
            "md5sums",
            b"\x022f1c3b1b0c3d0e6b2b8f0e0a4d1c1f10  usr/lib/x86_64-linux-gnu/libssl.so.3\n"
                .to_vec(),
        ),
        (
            "list",
            b"\x03/.\n/usr\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n".to_vec(),
        ),
        ("apk", [b"\x04", apk.as_bytes()].concat()),
        (
            "layers-dpkg",
            [
                &b"\x05\x00"[..],
                status.as_bytes(),
                b"\xffL\xff",
                upgraded.as_bytes(),
                b"\xffL\xff\xffL\xff",
                status.as_bytes(),
            ]
            .concat(),
        ),
        (
            "layers-apk",
            [
                &b"\x05\x01"[..],
                apk.as_bytes(),
                b"\xffL\xff",
                apk.replace("3.1.4-r5", "3.1.4-r6").as_bytes(),
            ]
            .concat(),
        ),
    ];
    for (name, data) in seeds {
        write(dir, name, &data);
    }
}
