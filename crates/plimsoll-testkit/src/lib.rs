//! Test fixtures built by code: layers, images in docker-archive, OCI layout and
//! oci-archive form, multi-platform indexes, and a real Distribution registry on loopback.
//!
//! ```ignore
//! let img = ImageBuilder::new()
//!     .layer("ADD rootfs /", |l| l.file("etc/os-release", "ID=debian\n"))
//!     .layer("RUN rm /etc/motd", |l| l.whiteout("etc/motd"));
//! img.write_oci_layout(dir.path(), Some("v1"));
//! ```

pub mod binaries;
pub mod bucket;
pub mod demo;
pub mod hardening;
pub mod layers;
pub mod malware;
pub mod registry;
pub mod secrets;

use sha2::{Digest as _, Sha256};
use std::io::Write;
use std::path::Path;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

pub fn sha256(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    let mut s = String::from("sha256:");
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn hex(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

/// Layer compression for built images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

#[derive(Debug, Clone)]
enum Item {
    /// A GNU sparse file of `size` logical bytes whose only data is `tail`, at its end.
    Sparse {
        path: String,
        size: u64,
        tail: Vec<u8>,
    },
    File {
        path: String,
        data: Vec<u8>,
        mode: u32,
    },
    Dir {
        path: String,
        mode: u32,
    },
    Symlink {
        path: String,
        target: String,
    },
    HardLink {
        path: String,
        target: String,
    },
    /// A header whose name bytes are written as given, unchecked (`..`, absolute paths).
    RawFile {
        name: Vec<u8>,
        data: Vec<u8>,
    },
    /// A file whose long name is carried in a PAX extended header.
    PaxFile {
        path: String,
        data: Vec<u8>,
    },
    /// A GNU sparse-free "big" file written as a header claiming `size` bytes of zeros.
    Zeros {
        path: String,
        size: u64,
    },
}

/// Builds one layer's tar.
#[derive(Debug, Clone, Default)]
pub struct LayerBuilder {
    items: Vec<Item>,
}

impl LayerBuilder {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn file(self, path: &str, data: impl AsRef<[u8]>) -> Self {
        self.file_mode(path, data, 0o644)
    }
    pub fn file_mode(mut self, path: &str, data: impl AsRef<[u8]>, mode: u32) -> Self {
        self.items.push(Item::File {
            path: path.into(),
            data: data.as_ref().to_vec(),
            mode,
        });
        self
    }
    pub fn dir(self, path: &str) -> Self {
        self.dir_mode(path, 0o755)
    }
    /// A directory with its permission bits (`0o1777`: sticky and world-writable).
    pub fn dir_mode(mut self, path: &str, mode: u32) -> Self {
        self.items.push(Item::Dir {
            path: path.into(),
            mode,
        });
        self
    }
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.items.push(Item::Symlink {
            path: path.into(),
            target: target.into(),
        });
        self
    }
    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        self.items.push(Item::HardLink {
            path: path.into(),
            target: target.into(),
        });
        self
    }
    /// Deletes `path` from lower layers (`dir/.wh.name`).
    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let wh = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&wh, b"")
    }
    /// Makes `dir` opaque (`dir/.wh..wh..opq`).
    pub fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"")
    }
    pub fn raw_file(mut self, name: &[u8], data: impl AsRef<[u8]>) -> Self {
        self.items.push(Item::RawFile {
            name: name.to_vec(),
            data: data.as_ref().to_vec(),
        });
        self
    }
    pub fn pax_file(mut self, path: &str, data: impl AsRef<[u8]>) -> Self {
        self.items.push(Item::PaxFile {
            path: path.into(),
            data: data.as_ref().to_vec(),
        });
        self
    }
    /// A GNU sparse file: `size` bytes long (10 GB costs nothing), holes but for `tail`.
    pub fn sparse(mut self, path: &str, size: u64, tail: impl AsRef<[u8]>) -> Self {
        self.items.push(Item::Sparse {
            path: path.into(),
            size,
            tail: tail.as_ref().to_vec(),
        });
        self
    }
    pub fn zeros(mut self, path: &str, size: u64) -> Self {
        self.items.push(Item::Zeros {
            path: path.into(),
            size,
        });
        self
    }

    /// The uncompressed tar.
    pub fn tar(&self) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        b.mode(tar::HeaderMode::Deterministic);
        for item in &self.items {
            match item {
                Item::File { path, data, mode } => {
                    let mut h = tar::Header::new_gnu();
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(data.len() as u64);
                    h.set_mode(*mode);
                    h.set_mtime(1_700_000_000);
                    b.append_data(&mut h, path, &data[..]).expect("tar file");
                }
                Item::Dir { path, mode } => {
                    let mut h = tar::Header::new_gnu();
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    h.set_mode(*mode);
                    b.append_data(&mut h, path, &[][..]).expect("tar dir");
                }
                Item::Symlink { path, target } => {
                    let mut h = tar::Header::new_gnu();
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_size(0);
                    h.set_mode(0o777);
                    b.append_link(&mut h, path, target).expect("tar symlink");
                }
                Item::HardLink { path, target } => {
                    let mut h = tar::Header::new_gnu();
                    h.set_entry_type(tar::EntryType::Link);
                    h.set_size(0);
                    h.set_mode(0o644);
                    b.append_link(&mut h, path, target).expect("tar hardlink");
                }
                Item::RawFile { name, data } => {
                    let mut h = tar::Header::new_old();
                    let n = &mut h.as_old_mut().name;
                    let len = name.len().min(n.len());
                    n[..len].copy_from_slice(&name[..len]);
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(data.len() as u64);
                    h.set_mode(0o644);
                    h.set_cksum();
                    b.append(&h, &data[..]).expect("tar raw");
                }
                Item::PaxFile { path, data } => {
                    b.append_pax_extensions([("path", path.as_bytes())])
                        .expect("pax header");
                    let mut h = tar::Header::new_ustar();
                    let short = &path.as_bytes()[..path.len().min(90)];
                    h.as_ustar_mut().unwrap().name[..short.len()].copy_from_slice(short);
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(data.len() as u64);
                    h.set_mode(0o644);
                    h.set_cksum();
                    b.append(&h, &data[..]).expect("tar pax");
                }
                Item::Sparse { path, size, tail } => {
                    let mut h = tar::Header::new_gnu();
                    h.set_entry_type(tar::EntryType::GNUSparse);
                    h.set_mode(0o644);
                    h.set_size(tail.len() as u64);
                    {
                        let g = h.as_gnu_mut().unwrap();
                        let n = path.as_bytes();
                        g.name[..n.len()].copy_from_slice(n);
                        base256(&mut g.realsize, *size);
                        base256(&mut g.sparse[0].offset, size - tail.len() as u64);
                        base256(&mut g.sparse[0].numbytes, tail.len() as u64);
                    }
                    h.set_cksum();
                    b.append(&h, &tail[..]).expect("tar sparse");
                }
                Item::Zeros { path, size } => {
                    let mut h = tar::Header::new_gnu();
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(*size);
                    h.set_mode(0o644);
                    b.append_data(&mut h, path, std::io::repeat(0).take_bytes(*size))
                        .expect("tar zeros");
                }
            }
        }
        b.into_inner().expect("tar finish")
    }
}

/// GNU base-256 numeric field (for values too big for octal).
fn base256(field: &mut [u8], v: u64) {
    field.fill(0);
    field[0] = 0x80;
    let bytes = v.to_be_bytes();
    let n = field.len();
    field[n - 8..].copy_from_slice(&bytes);
}

trait TakeBytes: std::io::Read + Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self> {
        std::io::Read::take(self, n)
    }
}
impl<R: std::io::Read> TakeBytes for R {}

/// Compresses a tar with the given compression.
pub fn compress(tar: &[u8], c: Compression) -> Vec<u8> {
    match c {
        Compression::None => tar.to_vec(),
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(tar).expect("gzip");
            e.finish().expect("gzip")
        }
        Compression::Zstd => zstd::encode_all(tar, 1).expect("zstd"),
    }
}

/// A blob with its descriptor facts.
#[derive(Debug, Clone)]
pub struct Blob {
    pub digest: String,
    pub media_type: String,
    pub data: Vec<u8>,
}

impl Blob {
    pub fn new(media_type: &str, data: Vec<u8>) -> Blob {
        Blob {
            digest: sha256(&data),
            media_type: media_type.into(),
            data,
        }
    }
    pub fn descriptor(&self) -> serde_json::Value {
        serde_json::json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.data.len(),
        })
    }
}

/// Everything of one built image.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    pub config: Blob,
    pub manifest: Blob,
    pub layers: Vec<Blob>,
    /// Uncompressed layer tars (the docker-archive form).
    pub tars: Vec<Vec<u8>>,
    pub diff_ids: Vec<String>,
    pub platform: (String, String, Option<String>),
}

impl BuiltImage {
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config)
            .chain(std::iter::once(&self.manifest))
            .chain(self.layers.iter())
    }
    pub fn platform_json(&self) -> serde_json::Value {
        let (os, arch, variant) = &self.platform;
        let mut p = serde_json::json!({"os": os, "architecture": arch});
        if let Some(v) = variant {
            p["variant"] = serde_json::json!(v);
        }
        p
    }
}

/// Builds images layer by layer.
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    steps: Vec<(String, Option<LayerBuilder>)>,
    compression: Compression,
    docker_media_types: bool,
    os: String,
    arch: String,
    variant: Option<String>,
    config: serde_json::Value,
    created: String,
    annotations: serde_json::Map<String, serde_json::Value>,
}

impl Default for ImageBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ImageBuilder {
    pub fn new() -> Self {
        ImageBuilder {
            steps: Vec::new(),
            compression: Compression::Gzip,
            docker_media_types: false,
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
            config: serde_json::json!({}),
            created: "2026-01-02T03:04:05Z".into(),
            annotations: serde_json::Map::new(),
        }
    }
    /// Adds a layer made by `created_by`.
    pub fn layer(mut self, created_by: &str, f: impl FnOnce(LayerBuilder) -> LayerBuilder) -> Self {
        self.steps
            .push((created_by.into(), Some(f(LayerBuilder::new()))));
        self
    }
    /// Adds a history entry that made no layer (`ENV`, `CMD`…).
    pub fn empty_step(mut self, created_by: &str) -> Self {
        self.steps.push((created_by.into(), None));
        self
    }
    pub fn compression(mut self, c: Compression) -> Self {
        self.compression = c;
        self
    }
    /// Use Docker v2 schema 2 media types instead of OCI ones.
    pub fn docker_media_types(mut self) -> Self {
        self.docker_media_types = true;
        self
    }
    pub fn platform(mut self, os: &str, arch: &str, variant: Option<&str>) -> Self {
        self.os = os.into();
        self.arch = arch.into();
        self.variant = variant.map(str::to_string);
        self
    }
    pub fn user(mut self, u: &str) -> Self {
        self.config["User"] = u.into();
        self
    }
    pub fn env(mut self, kv: &str) -> Self {
        let list = self.config["Env"].as_array().cloned().unwrap_or_default();
        let mut list = list;
        list.push(kv.into());
        self.config["Env"] = list.into();
        self
    }
    pub fn expose(mut self, port: &str) -> Self {
        if !self.config["ExposedPorts"].is_object() {
            self.config["ExposedPorts"] = serde_json::json!({});
        }
        self.config["ExposedPorts"][port] = serde_json::json!({});
        self
    }
    pub fn entrypoint(mut self, e: &[&str]) -> Self {
        self.config["Entrypoint"] = serde_json::json!(e);
        self
    }
    pub fn cmd(mut self, c: &[&str]) -> Self {
        self.config["Cmd"] = serde_json::json!(c);
        self
    }
    /// Adds an annotation to the image manifest (`org.opencontainers.image.base.name`…).
    pub fn annotation(mut self, k: &str, v: &str) -> Self {
        self.annotations.insert(k.into(), v.into());
        self
    }
    /// The config's and every history entry's `created` (RFC 3339).
    pub fn created(mut self, when: &str) -> Self {
        self.created = when.into();
        self
    }
    /// Sets any field of the config's `config` object (`Healthcheck`, `StopSignal`…).
    pub fn config_field(mut self, k: &str, v: serde_json::Value) -> Self {
        self.config[k] = v;
        self
    }
    pub fn label(mut self, k: &str, v: &str) -> Self {
        if !self.config["Labels"].is_object() {
            self.config["Labels"] = serde_json::json!({});
        }
        self.config["Labels"][k] = v.into();
        self
    }

    pub fn build(&self) -> BuiltImage {
        let (layer_mt, config_mt, manifest_mt) = if self.docker_media_types {
            (
                match self.compression {
                    Compression::None => "application/vnd.docker.image.rootfs.diff.tar",
                    _ => "application/vnd.docker.image.rootfs.diff.tar.gzip",
                },
                DOCKER_CONFIG,
                DOCKER_MANIFEST,
            )
        } else {
            (
                match self.compression {
                    Compression::None => "application/vnd.oci.image.layer.v1.tar",
                    Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
                    Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
                },
                OCI_CONFIG,
                OCI_MANIFEST,
            )
        };
        let mut layers = Vec::new();
        let mut tars = Vec::new();
        let mut diff_ids = Vec::new();
        let mut history = Vec::new();
        for (created_by, layer) in &self.steps {
            match layer {
                Some(l) => {
                    let tar = l.tar();
                    diff_ids.push(sha256(&tar));
                    layers.push(Blob::new(layer_mt, compress(&tar, self.compression)));
                    tars.push(tar);
                    history.push(serde_json::json!({"created": self.created, "created_by": created_by}));
                }
                None => history.push(serde_json::json!({"created": self.created, "created_by": created_by, "empty_layer": true})),
            }
        }
        let mut config = serde_json::json!({
            "created": self.created,
            "architecture": self.arch,
            "os": self.os,
            "config": self.config,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        });
        if let Some(v) = &self.variant {
            config["variant"] = v.clone().into();
        }
        let config = Blob::new(config_mt, serde_json::to_vec(&config).unwrap());
        let mut manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": manifest_mt,
            "config": config.descriptor(),
            "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
        });
        if !self.annotations.is_empty() {
            manifest["annotations"] = self.annotations.clone().into();
        }
        let manifest = Blob::new(manifest_mt, serde_json::to_vec_pretty(&manifest).unwrap());
        BuiltImage {
            config,
            manifest,
            layers,
            tars,
            diff_ids,
            platform: (self.os.clone(), self.arch.clone(), self.variant.clone()),
        }
    }

    pub fn write_oci_layout(&self, dir: &Path, tag: Option<&str>) -> BuiltImage {
        let img = self.build();
        write_oci_layout(dir, &[(tag, &img)], false);
        img
    }

    pub fn write_oci_archive(&self, path: &Path, tag: Option<&str>) -> BuiltImage {
        let tmp = tempfile::tempdir().unwrap();
        let img = self.write_oci_layout(tmp.path(), tag);
        tar_dir(tmp.path(), path);
        img
    }

    pub fn write_docker_archive(&self, path: &Path, tags: &[&str], gzip: bool) -> BuiltImage {
        let img = self.build();
        write_docker_archive(path, &[(tags, &img)], gzip);
        img
    }
}

/// Writes an OCI layout holding `images`, each tagged with the given ref name. With
/// `as_index`, all images go into one image index (a multi-platform image) referenced from
/// `index.json` under the first tag.
pub fn write_oci_layout(dir: &Path, images: &[(Option<&str>, &BuiltImage)], as_index: bool) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    for (_, img) in images {
        for b in img.blobs() {
            std::fs::write(blobs.join(hex(&b.digest)), &b.data).unwrap();
        }
    }
    let manifests: Vec<serde_json::Value> = if as_index {
        let index = multi_platform_index(&images.iter().map(|(_, i)| *i).collect::<Vec<_>>());
        std::fs::write(blobs.join(hex(&index.digest)), &index.data).unwrap();
        let mut d = index.descriptor();
        if let Some(Some(tag)) = images.first().map(|i| i.0) {
            d["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": tag});
        }
        vec![d]
    } else {
        images
            .iter()
            .map(|(tag, img)| {
                let mut d = img.manifest.descriptor();
                d["platform"] = img.platform_json();
                if let Some(tag) = tag {
                    d["annotations"] =
                        serde_json::json!({"org.opencontainers.image.ref.name": tag});
                }
                d
            })
            .collect()
    };
    let index =
        serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec_pretty(&index).unwrap(),
    )
    .unwrap();
}

/// An image index over several platform images.
pub fn multi_platform_index(images: &[&BuiltImage]) -> Blob {
    let manifests: Vec<serde_json::Value> = images
        .iter()
        .map(|img| {
            let mut d = img.manifest.descriptor();
            d["platform"] = img.platform_json();
            d
        })
        .collect();
    let mt = if images
        .first()
        .is_some_and(|i| i.manifest.media_type == DOCKER_MANIFEST)
    {
        DOCKER_LIST
    } else {
        OCI_INDEX
    };
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": mt, "manifests": manifests});
    Blob::new(mt, serde_json::to_vec_pretty(&index).unwrap())
}

/// Writes a `docker save` archive in the classic layout (`<id>/layer.tar`, `<config>.json`,
/// `manifest.json`, `repositories`).
pub fn write_docker_archive(path: &Path, images: &[(&[&str], &BuiltImage)], gzip: bool) {
    let mut b = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    let add = |b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    };
    for (tags, img) in images {
        let mut layer_names = Vec::new();
        for tar in &img.tars {
            let id = hex(&sha256(tar)).to_string();
            let name = format!("{id}/layer.tar");
            add(&mut b, &name, tar);
            layer_names.push(name);
        }
        let config_name = format!("{}.json", hex(&img.config.digest));
        add(&mut b, &config_name, &img.config.data);
        manifest.push(serde_json::json!({
            "Config": config_name,
            "RepoTags": tags,
            "Layers": layer_names,
        }));
    }
    add(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    let data = b.into_inner().unwrap();
    let data = if gzip {
        compress(&data, Compression::Gzip)
    } else {
        data
    };
    std::fs::write(path, data).unwrap();
}

/// Tars a directory's contents (for oci-archive).
pub fn tar_dir(dir: &Path, out: &Path) {
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    b.mode(tar::HeaderMode::Deterministic);
    b.append_dir_all(".", dir).unwrap();
    b.finish().unwrap();
}

/// An oci-archive of one image, built in memory with sorted, deterministic entries.
pub fn oci_archive_bytes(img: &BuiltImage, tag: Option<&str>) -> Vec<u8> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    let mut d = img.manifest.descriptor();
    d["platform"] = img.platform_json();
    if let Some(tag) = tag {
        d["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": tag});
    }
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [d]});
    files.push((
        "index.json".into(),
        serde_json::to_vec_pretty(&index).unwrap(),
    ));
    for b in img.blobs() {
        files.push((format!("blobs/sha256/{}", hex(&b.digest)), b.data.clone()));
    }
    files.sort();
    files.dedup_by(|a, b| a.0 == b.0);
    let mut t = tar::Builder::new(Vec::new());
    for dir in ["blobs", "blobs/sha256"] {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(0);
        t.append_data(&mut h, dir, &[][..]).unwrap();
    }
    for (name, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(0);
        t.append_data(&mut h, &name, &data[..]).unwrap();
    }
    t.into_inner().unwrap()
}
