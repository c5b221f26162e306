//! Opening an image from any source into one shape: a manifest, a config and the layer
//! blobs, each openable as a verified stream.
//!
//! Manifests and indexes may be OCI or Docker v2 schema 2; they have the same structure, so
//! one parser reads both (oci-spec types). Indexes are followed to the manifest for the
//! wanted platform, skipping BuildKit attestation manifests. Docker schema 1 is refused
//! with a clear message.

use crate::archive::{ArchiveIndex, Spool};
use crate::cache::BlobCache;
use crate::digest::{Digest, VerifyingReader};
use crate::error::{Error, Result};
use crate::platform;
use crate::registry::{Client, RegistryOptions};
use crate::source::ImageSource;
use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest};
use plimsoll_model::Platform;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Config blobs larger than this are refused (real ones are a few KiB; long histories some 100 KiB).
pub const MAX_CONFIG_SIZE: u64 = 16 << 20;
/// Index and manifest JSON inside archives and layouts.
pub const MAX_JSON_SIZE: u64 = 16 << 20;
/// Nested image indexes followed at most this deep.
const MAX_INDEX_DEPTH: usize = 4;

/// How to open an image.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Wanted platform for multi-platform images; default: the host's, with `linux`.
    pub platform: Option<Platform>,
    pub registry: RegistryOptions,
    /// Content-addressed blob cache for registry pulls (and spool space for gzip archives).
    pub cache: BlobCache,
    /// Skip the blob cache: nothing is read from or written to its directory (a gzip archive
    /// is decompressed into the system's temporary directory instead).
    pub no_cache: bool,
    /// Largest decompressed size of a gzip-compressed archive spooled to disk.
    pub max_archive_size: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            platform: None,
            registry: RegistryOptions::new(),
            cache: BlobCache::new(BlobCache::default_dir()),
            no_cache: false,
            max_archive_size: crate::archive::DEFAULT_MAX_SPOOL,
        }
    }
}

/// A layer as the manifest and config describe it.
#[derive(Debug, Clone)]
pub struct LayerDescriptor {
    pub index: usize,
    /// Blob digest; `None` for legacy docker-archive layers stored by path only.
    pub digest: Option<Digest>,
    /// Size as stored; from the descriptor, or the archive member for docker-archive.
    pub size: u64,
    pub media_type: Option<String>,
    pub diff_id: Option<Digest>,
    pub created_by: Option<String>,
    pub created: Option<String>,
    pub comment: Option<String>,
    location: BlobLocation,
}

#[derive(Debug, Clone)]
enum BlobLocation {
    /// A member of an indexed archive (docker-archive, oci-archive).
    Member(String),
    /// `blobs/<alg>/<hex>` of an OCI layout directory.
    LayoutFile(PathBuf),
    Registry,
}

// One per image, behind an Arc: variant sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Store {
    Archive(ArchiveIndex),
    Layout,
    Registry(Client),
}

/// An opened image: metadata read, layers not yet walked.
pub struct Image {
    /// The input as the user gave it.
    pub input: String,
    pub source: ImageSource,
    /// Fully qualified reference for registry images, or the selected name in an archive.
    pub reference: Option<String>,
    pub manifest_digest: Option<Digest>,
    pub index_digest: Option<Digest>,
    pub media_type: Option<String>,
    pub config_digest: Digest,
    pub config: ImageConfiguration,
    pub platform: Platform,
    pub layers: Vec<LayerDescriptor>,
    /// The manifest's annotations (`org.opencontainers.image.base.name`…), sorted; empty for
    /// docker-archive, whose `manifest.json` has none.
    pub annotations: BTreeMap<String, String>,
    /// The config's `Healthcheck.Test` (Docker's extension of the OCI config, which
    /// `oci-spec` does not read): `None` when absent, `["NONE"]` when disabled.
    pub healthcheck: Option<Vec<String>>,
    /// What went wrong without stopping the open (a cache directory that cannot be written,
    /// so the image is read without it); [`crate::scan_image`] passes them on.
    pub warnings: Vec<String>,
    store: Arc<Store>,
    cache: Option<BlobCache>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("input", &self.input)
            .field("manifest_digest", &self.manifest_digest)
            .field("layers", &self.layers.len())
            .finish()
    }
}

/// Opens an image from any source.
pub fn open(input: &str, source: ImageSource, opts: &OpenOptions) -> Result<Image> {
    let image = open_any(input, source, opts)?;
    if let Some(w) = &opts.platform
        && !platform::matches(w, &image.platform)
    {
        return Err(Error::Platform {
            input: input.to_string(),
            wanted: w.to_string(),
            available: image.platform.to_string(),
        });
    }
    Ok(image)
}

/// Where a gzip archive is decompressed: the cache's `tmp/` (on the disk the user gave the
/// cache), else, or with `--no-cache`, the system's temporary directory.
fn spools(opts: &OpenOptions) -> Vec<Spool> {
    let system = Spool {
        dir: std::env::temp_dir(),
        prefix: "plimsoll-archive-",
    };
    if opts.no_cache {
        vec![system]
    } else {
        vec![
            Spool {
                dir: opts.cache.tmp_dir(),
                prefix: "archive-",
            },
            system,
        ]
    }
}

fn open_any(input: &str, source: ImageSource, opts: &OpenOptions) -> Result<Image> {
    let wanted = opts.platform.clone();
    let mut warnings = Vec::new();
    let mut archive = |path: &Path| {
        ArchiveIndex::open_spooled(path, &spools(opts), opts.max_archive_size, &mut warnings)
    };
    let mut image = match &source {
        ImageSource::DockerArchive { path, name } => {
            let idx = archive(path)?;
            open_docker_archive(input, source.clone(), idx, name.clone(), wanted)
        }
        ImageSource::OciArchive { path, name } => {
            let idx = archive(path)?;
            let name = name.clone();
            let reader = ArchiveReader(&idx);
            let picked = pick_from_layout(input, &reader, name.as_deref(), wanted.as_ref())?;
            let (cd, cb) = read_config(input, &reader, &picked)?;
            let locate = |d: &Digest| Ok(BlobLocation::Member(layout_blob_path(d)));
            build_image(
                input,
                source.clone(),
                picked,
                cd,
                &cb,
                locate,
                Store::Archive(idx),
                None,
            )
        }
        ImageSource::OciLayout { dir, name } => {
            let reader = DirReader(dir.clone());
            let picked = pick_from_layout(input, &reader, name.as_deref(), wanted.as_ref())?;
            let (cd, cb) = read_config(input, &reader, &picked)?;
            let locate = |d: &Digest| Ok(BlobLocation::LayoutFile(dir.join(layout_blob_path(d))));
            build_image(
                input,
                source.clone(),
                picked,
                cd,
                &cb,
                locate,
                Store::Layout,
                None,
            )
        }
        ImageSource::Registry(r) => {
            let client = Client::new(r.clone(), opts.registry.clone());
            open_registry(input, source.clone(), client, wanted, opts, &mut warnings)
        }
    }?;
    image.warnings.splice(0..0, warnings);
    Ok(image)
}

fn layout_blob_path(d: &Digest) -> String {
    format!("blobs/{}/{}", d.algorithm().name(), d.hex())
}

/// Read access to a layout, on disk or inside an archive.
trait LayoutReader {
    fn read(&self, name: &str, limit: u64) -> Result<Vec<u8>>;
}

struct DirReader(PathBuf);
impl LayoutReader for DirReader {
    fn read(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let p = self.0.join(name);
        let f = File::open(&p).map_err(|e| Error::io(&p, e))?;
        let mut buf = Vec::new();
        f.take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(&p, e))?;
        if buf.len() as u64 > limit {
            return Err(Error::invalid(
                p.display().to_string(),
                format!("more than {limit} bytes"),
            ));
        }
        Ok(buf)
    }
}

struct ArchiveReader<'a>(&'a ArchiveIndex);
impl LayoutReader for ArchiveReader<'_> {
    fn read(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        self.0.read_member(name, limit)
    }
}

/// Reads a blob of a layout and verifies it against its descriptor.
fn read_verified(
    input: &str,
    reader: &dyn LayoutReader,
    desc: &Descriptor,
    limit: u64,
) -> Result<(Digest, Vec<u8>)> {
    let digest = descriptor_digest(input, desc)?;
    if desc.size() > limit {
        return Err(Error::invalid(
            input,
            format!(
                "blob {digest} claims {} bytes, over the {limit}-byte limit",
                desc.size()
            ),
        ));
    }
    let bytes = reader.read(&layout_blob_path(&digest), limit)?;
    verify_bytes(input, &digest, Some(desc.size()), &bytes)?;
    Ok((digest, bytes))
}

fn verify_bytes(input: &str, digest: &Digest, size: Option<u64>, bytes: &[u8]) -> Result<()> {
    let mut v = VerifyingReader::new(bytes, Some(digest.clone()), size);
    std::io::copy(&mut v, &mut std::io::sink()).map_err(|e| Error::Blob {
        input: input.to_string(),
        digest: digest.to_string(),
        message: crate::digest::verify_error(&e)
            .map(|v| v.to_string())
            .unwrap_or_else(|| e.to_string()),
    })?;
    Ok(())
}

fn descriptor_digest(input: &str, desc: &Descriptor) -> Result<Digest> {
    Digest::parse(desc.digest().as_ref()).map_err(|m| Error::invalid(input, m))
}

struct Picked {
    manifest: ImageManifest,
    manifest_digest: Digest,
    index_digest: Option<Digest>,
    media_type: Option<String>,
    reference: Option<String>,
}

/// What a JSON document in manifest position turned out to be.
// Short-lived, one at a time.
#[allow(clippy::large_enum_variant)]
enum ManifestDoc {
    Manifest(Box<ImageManifest>),
    Index(ImageIndex),
}

fn parse_manifest_doc(input: &str, what: &str, bytes: &[u8]) -> Result<ManifestDoc> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid(input, format!("{what} is not valid JSON: {e}")))?;
    if v.get("schemaVersion").and_then(|s| s.as_u64()) == Some(1) {
        return Err(Error::invalid(
            input,
            format!(
                "{what} is a Docker schema 1 manifest, deprecated and unsupported; re-push the image with a current client"
            ),
        ));
    }
    if v.get("manifests").is_some() {
        let idx: ImageIndex = serde_json::from_value(v)
            .map_err(|e| Error::invalid(input, format!("{what}: invalid image index: {e}")))?;
        Ok(ManifestDoc::Index(idx))
    } else if v.get("layers").is_some() {
        let m: ImageManifest = serde_json::from_value(v)
            .map_err(|e| Error::invalid(input, format!("{what}: invalid image manifest: {e}")))?;
        Ok(ManifestDoc::Manifest(Box::new(m)))
    } else {
        Err(Error::invalid(
            input,
            format!("{what} is neither an image manifest nor an image index"),
        ))
    }
}

fn is_attestation(d: &Descriptor) -> bool {
    let anno = d.annotations().as_ref();
    anno.and_then(|a| a.get("vnd.docker.reference.type"))
        .is_some_and(|t| t == "attestation-manifest")
        || d.platform()
            .as_ref()
            .is_some_and(|p| p.os().to_string() == "unknown")
}

fn descriptor_platform(d: &Descriptor) -> Option<Platform> {
    d.platform().as_ref().map(|p| Platform {
        os: p.os().to_string(),
        architecture: p.architecture().to_string(),
        variant: p.variant().clone(),
    })
}

/// Chooses one manifest of an index (`what`, for messages) for the platform.
fn choose_in_index<'a>(
    input: &str,
    what: &str,
    index: &'a ImageIndex,
    wanted: Option<&Platform>,
) -> Result<&'a Descriptor> {
    if index.manifests().is_empty() {
        return Err(Error::invalid(
            input,
            format!("{what} is an empty image index: it lists no manifests"),
        ));
    }
    let candidates: Vec<&Descriptor> = index
        .manifests()
        .iter()
        .filter(|d| !is_attestation(d))
        .collect();
    if candidates.is_empty() {
        return Err(Error::invalid(
            input,
            format!("{what} lists only attestation manifests, no image"),
        ));
    }
    let target = wanted.cloned().unwrap_or_else(platform::host);
    let found = candidates.iter().find(|d| match descriptor_platform(d) {
        Some(p) => platform::matches(&target, &p),
        None => false,
    });
    if let Some(d) = found {
        return Ok(d);
    }
    // An index holding a single entry, or a single entry without platform (a nested index,
    // or an image whose platform only its config tells), means that entry; the config's
    // platform is checked against the wanted one once it is read.
    let unplatformed: Vec<&&Descriptor> = candidates
        .iter()
        .filter(|d| d.platform().is_none())
        .collect();
    if candidates.len() == 1 && (wanted.is_none() || candidates[0].platform().is_none()) {
        return Ok(candidates[0]);
    }
    if unplatformed.len() == 1 {
        return Ok(unplatformed[0]);
    }
    let available: Vec<String> = candidates
        .iter()
        .filter_map(|d| descriptor_platform(d).map(|p| p.to_string()))
        .collect();
    Err(Error::Platform {
        input: input.to_string(),
        wanted: target.to_string(),
        available: if available.is_empty() {
            "none".into()
        } else {
            available.join(", ")
        },
    })
}

/// Selects a manifest from an OCI layout's `index.json`: by `org.opencontainers.image.ref.name`
/// annotation (or the full `io.containerd.image.name`) when a name is given, then by platform.
fn pick_from_layout(
    input: &str,
    reader: &dyn LayoutReader,
    name: Option<&str>,
    wanted: Option<&Platform>,
) -> Result<Picked> {
    let layout = reader.read("oci-layout", 4096).map_err(|_| {
        Error::invalid(
            input,
            "not an OCI image layout: the oci-layout file is missing",
        )
    })?;
    let v: serde_json::Value = serde_json::from_slice(&layout)
        .map_err(|e| Error::invalid(input, format!("oci-layout is not valid JSON: {e}")))?;
    if v.get("imageLayoutVersion")
        .and_then(|s| s.as_str())
        .is_none()
    {
        return Err(Error::invalid(
            input,
            "oci-layout has no imageLayoutVersion",
        ));
    }
    let bytes = reader.read("index.json", MAX_JSON_SIZE)?;
    let top = match parse_manifest_doc(input, "index.json", &bytes)? {
        ManifestDoc::Index(i) => i,
        ManifestDoc::Manifest(_) => {
            return Err(Error::invalid(
                input,
                "index.json is a manifest, not an index",
            ));
        }
    };
    let mut chosen: Vec<&Descriptor> = top.manifests().iter().collect();
    let mut reference = None;
    if let Some(name) = name {
        chosen.retain(|d| {
            d.annotations().as_ref().is_some_and(|a| {
                a.get("org.opencontainers.image.ref.name")
                    .is_some_and(|r| r == name || name.ends_with(&format!(":{r}")))
                    || a.get("io.containerd.image.name").is_some_and(|r| r == name)
            })
        });
        if chosen.is_empty() {
            let names: Vec<String> = top
                .manifests()
                .iter()
                .filter_map(|d| {
                    d.annotations()
                        .as_ref()?
                        .get("org.opencontainers.image.ref.name")
                        .cloned()
                })
                .collect();
            return Err(Error::invalid(
                input,
                format!(
                    "no image named {name:?} in the layout; names: {}",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
        reference = Some(name.to_string());
    }
    // Treat the (filtered) top-level list as an index and descend.
    let synthetic = oci_spec::image::ImageIndexBuilder::default()
        .schema_version(2u32)
        .manifests(chosen.into_iter().cloned().collect::<Vec<_>>())
        .build()
        .map_err(|e| Error::invalid(input, e.to_string()))?;
    let mut desc = choose_in_index(input, "index.json", &synthetic, wanted)?.clone();
    let mut index_digest = None;
    for _ in 0..MAX_INDEX_DEPTH {
        let (digest, bytes) = read_verified(input, reader, &desc, MAX_JSON_SIZE)?;
        match parse_manifest_doc(input, &format!("manifest {digest}"), &bytes)? {
            ManifestDoc::Manifest(m) => {
                return Ok(Picked {
                    manifest: *m,
                    manifest_digest: digest,
                    index_digest,
                    media_type: Some(desc.media_type().to_string()),
                    reference,
                });
            }
            ManifestDoc::Index(i) => {
                desc =
                    choose_in_index(input, &format!("image index {digest}"), &i, wanted)?.clone();
                index_digest = Some(digest);
            }
        }
    }
    Err(too_deep(input, index_digest.as_ref()))
}

/// Indexes that point at indexes more than [`MAX_INDEX_DEPTH`] times: real images have one
/// level (a multi-platform index), a crafted one could go on forever.
fn too_deep(input: &str, last: Option<&Digest>) -> Error {
    Error::invalid(
        input,
        format!(
            "image indexes nested more than {MAX_INDEX_DEPTH} levels deep{}; not followed further",
            last.map(|d| format!(" (the last one read: {d})"))
                .unwrap_or_default()
        ),
    )
}

fn read_config(
    input: &str,
    reader: &dyn LayoutReader,
    picked: &Picked,
) -> Result<(Digest, Vec<u8>)> {
    read_verified(input, reader, picked.manifest.config(), MAX_CONFIG_SIZE)
}

#[allow(clippy::too_many_arguments)]
fn build_image(
    input: &str,
    source: ImageSource,
    picked: Picked,
    config_digest: Digest,
    config_bytes: &[u8],
    locate: impl Fn(&Digest) -> Result<BlobLocation>,
    store: Store,
    cache: Option<BlobCache>,
) -> Result<Image> {
    let config = parse_config(input, config_bytes)?;
    let mut layers = Vec::new();
    for (i, d) in picked.manifest.layers().iter().enumerate() {
        let digest = descriptor_digest(input, d)?;
        layers.push(LayerDescriptor {
            index: i,
            location: locate(&digest)?,
            digest: Some(digest),
            size: d.size(),
            media_type: Some(d.media_type().to_string()),
            diff_id: None,
            created_by: None,
            created: None,
            comment: None,
        });
    }
    attach_config(input, &config, &mut layers)?;
    let platform = config_platform(&config);
    let annotations = picked
        .manifest
        .annotations()
        .as_ref()
        .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(Image {
        input: input.to_string(),
        source,
        reference: picked.reference,
        manifest_digest: Some(picked.manifest_digest),
        index_digest: picked.index_digest,
        media_type: picked
            .media_type
            .or_else(|| picked.manifest.media_type().as_ref().map(|m| m.to_string())),
        config_digest,
        config,
        platform,
        layers,
        annotations,
        healthcheck: healthcheck(config_bytes),
        warnings: Vec::new(),
        store: Arc::new(store),
        cache,
    })
}

fn parse_config(input: &str, bytes: &[u8]) -> Result<ImageConfiguration> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid(input, format!("invalid image config: {e}")))
}

/// `config.Healthcheck.Test` of a config already parsed once (so valid JSON, at most
/// [`MAX_CONFIG_SIZE`] bytes).
fn healthcheck(bytes: &[u8]) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Config {
        config: Option<Inner>,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        #[serde(rename = "Healthcheck")]
        healthcheck: Option<Check>,
    }
    #[derive(serde::Deserialize)]
    struct Check {
        #[serde(rename = "Test")]
        test: Option<Vec<String>>,
    }
    let c: Config = serde_json::from_slice(bytes).ok()?;
    c.config?.healthcheck.map(|h| h.test.unwrap_or_default())
}

fn config_platform(c: &ImageConfiguration) -> Platform {
    Platform {
        os: c.os().to_string(),
        architecture: c.architecture().to_string(),
        variant: c.variant().clone(),
    }
}

/// Fills in diff_ids and history. History entries marked `empty_layer` (ENV, CMD…) made no
/// layer and are skipped when pairing entries with layers.
fn attach_config(
    input: &str,
    config: &ImageConfiguration,
    layers: &mut [LayerDescriptor],
) -> Result<()> {
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != layers.len() {
        return Err(Error::invalid(
            input,
            format!(
                "the manifest lists {} layers but the config has {} diff_ids",
                layers.len(),
                diff_ids.len()
            ),
        ));
    }
    for (l, d) in layers.iter_mut().zip(diff_ids) {
        l.diff_id = Some(Digest::parse(d).map_err(|m| Error::invalid(input, m))?);
    }
    if let Some(history) = config.history() {
        let producing = history.iter().filter(|h| !h.empty_layer().unwrap_or(false));
        for (l, h) in layers.iter_mut().zip(producing) {
            l.created_by = h.created_by().clone();
            l.created = h.created().clone();
            l.comment = h.comment().clone();
        }
    }
    Ok(())
}

/// `docker save` output: `manifest.json` lists, per image, the config member, the layer
/// members in order and the `RepoTags`.
fn open_docker_archive(
    input: &str,
    source: ImageSource,
    idx: ArchiveIndex,
    name: Option<String>,
    wanted: Option<Platform>,
) -> Result<Image> {
    if !idx.contains("manifest.json") {
        if idx.contains("index.json") {
            let reader = ArchiveReader(&idx);
            let picked = pick_from_layout(input, &reader, name.as_deref(), wanted.as_ref())?;
            let (cd, cb) = read_config(input, &reader, &picked)?;
            let locate = |d: &Digest| Ok(BlobLocation::Member(layout_blob_path(d)));
            return build_image(
                input,
                source,
                picked,
                cd,
                &cb,
                locate,
                Store::Archive(idx),
                None,
            );
        }
        return Err(Error::invalid(
            input,
            format!(
                "not a docker-archive: {}",
                idx.missing_message("manifest.json")
            ),
        ));
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Entry {
        config: String,
        #[serde(default)]
        repo_tags: Option<Vec<String>>,
        layers: Vec<String>,
    }
    let bytes = idx.read_member("manifest.json", MAX_JSON_SIZE)?;
    let entries: Vec<Entry> = serde_json::from_slice(&bytes)
        .map_err(|e| Error::invalid(input, format!("manifest.json: {e}")))?;
    if entries.is_empty() {
        return Err(Error::invalid(input, "manifest.json lists no images"));
    }
    let all_tags = || -> String {
        let t: Vec<String> = entries
            .iter()
            .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
            .collect();
        if t.is_empty() {
            "none".into()
        } else {
            t.join(", ")
        }
    };
    let entry = match &name {
        Some(n) => {
            let wanted_names = tag_variants(n);
            entries
                .iter()
                .find(|e| {
                    e.repo_tags
                        .iter()
                        .flatten()
                        .any(|t| tag_variants(t).iter().any(|v| wanted_names.contains(v)))
                })
                .ok_or_else(|| {
                    Error::invalid(
                        input,
                        format!("no image tagged {n:?}; tags: {}", all_tags()),
                    )
                })?
        }
        None if entries.len() == 1 => &entries[0],
        None => {
            return Err(Error::invalid(
                input,
                format!(
                    "the archive holds {} images; pick one with docker-archive:PATH:NAME:TAG (tags: {})",
                    entries.len(),
                    all_tags()
                ),
            ));
        }
    };
    let config_name = member_name(input, &entry.config)?;
    let config_bytes = idx.read_member(&config_name, MAX_CONFIG_SIZE)?;
    let config_digest = Digest::sha256_of(&config_bytes);
    // The config member is named after its digest (`<hex>.json` or `blobs/sha256/<hex>`).
    if let Some(hex) = digest_hex_in_name(&config_name)
        && hex != config_digest.hex()
    {
        return Err(Error::Blob {
            input: input.to_string(),
            digest: format!("sha256:{hex}"),
            message: format!("config {config_name} hashes to {config_digest}"),
        });
    }
    let config = parse_config(input, &config_bytes)?;
    let mut layers = Vec::new();
    for (i, l) in entry.layers.iter().enumerate() {
        let m = member_name(input, l)?;
        let size = idx.size(&m).ok_or_else(|| {
            Error::invalid(input, format!("layer {i}: {}", idx.missing_message(&m)))
        })?;
        let digest = m
            .strip_prefix("blobs/sha256/")
            .and_then(|h| Digest::parse(&format!("sha256:{h}")).ok());
        layers.push(LayerDescriptor {
            index: i,
            digest,
            size,
            media_type: None,
            diff_id: None,
            created_by: None,
            created: None,
            comment: None,
            location: BlobLocation::Member(m),
        });
    }
    attach_config(input, &config, &mut layers)?;
    let platform = config_platform(&config);
    Ok(Image {
        input: input.to_string(),
        source,
        reference: name.or_else(|| entry.repo_tags.as_ref().and_then(|t| t.first().cloned())),
        manifest_digest: None,
        index_digest: None,
        media_type: None,
        config_digest,
        config,
        platform,
        layers,
        annotations: BTreeMap::new(),
        healthcheck: healthcheck(&config_bytes),
        warnings: Vec::new(),
        store: Arc::new(Store::Archive(idx)),
        cache: None,
    })
}

/// `app:1`, `docker.io/library/app:1` and `library/app:1` name the same image.
fn tag_variants(t: &str) -> Vec<String> {
    let mut v = vec![t.to_string()];
    if let Ok(r) = crate::source::RegistryRef::parse(t) {
        v.push(r.to_string());
    }
    v
}

fn member_name(input: &str, raw: &str) -> Result<String> {
    match crate::walker::normalize_path(raw.as_bytes()) {
        crate::walker::NormPath::Ok(p) => Ok(p),
        _ => Err(Error::invalid(
            input,
            format!("invalid member path {raw:?} in manifest.json"),
        )),
    }
}

fn digest_hex_in_name(name: &str) -> Option<&str> {
    let base = name.rsplit('/').next()?;
    let hex = base.strip_suffix(".json").unwrap_or(base);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

fn open_registry(
    input: &str,
    source: ImageSource,
    client: Client,
    wanted: Option<Platform>,
    opts: &OpenOptions,
    warnings: &mut Vec<String>,
) -> Result<Image> {
    let r = client.reference().clone();
    let mut fetched = client.manifest(&r.manifest_reference())?;
    let mut index_digest = None;
    let mut manifest = None;
    let mut media_type = fetched.media_type.clone();
    for _ in 0..MAX_INDEX_DEPTH {
        match parse_manifest_doc(input, "manifest", &fetched.bytes)? {
            ManifestDoc::Manifest(m) => {
                manifest = Some(*m);
                break;
            }
            ManifestDoc::Index(i) => {
                index_digest = Some(fetched.digest.clone());
                let what = format!("image index {}", fetched.digest);
                let d = choose_in_index(input, &what, &i, wanted.as_ref())?;
                let digest = descriptor_digest(input, d)?;
                fetched = client.manifest(&digest.to_string())?;
                media_type = fetched
                    .media_type
                    .clone()
                    .or_else(|| Some(d.media_type().to_string()));
            }
        }
    }
    let manifest = manifest.ok_or_else(|| too_deep(input, index_digest.as_ref()))?;
    let config_desc = manifest.config().clone();
    let config_digest = descriptor_digest(input, &config_desc)?;
    if config_desc.size() > MAX_CONFIG_SIZE {
        return Err(Error::invalid(
            input,
            format!(
                "config blob claims {} bytes, over the limit",
                config_desc.size()
            ),
        ));
    }
    let mut config_bytes = Vec::new();
    VerifyingReader::new(
        client.blob(&config_digest)?,
        Some(config_digest.clone()),
        Some(config_desc.size()),
    )
    .read_to_end(&mut config_bytes)
    .map_err(|e| Error::Blob {
        input: input.to_string(),
        digest: config_digest.to_string(),
        message: crate::digest::verify_error(&e)
            .map(|v| v.to_string())
            .unwrap_or_else(|| e.to_string()),
    })?;
    let picked = Picked {
        manifest,
        manifest_digest: fetched.digest.clone(),
        index_digest,
        media_type,
        reference: Some(r.to_string()),
    };
    // A cache that cannot be written is skipped, with a warning: it only saves downloads.
    let cache = (!opts.no_cache)
        .then(|| opts.cache.clone())
        .filter(|c| match c.check_writable() {
            Ok(()) => true,
            Err(e) => {
                warnings.push(format!("{e}; layers are downloaded without caching them"));
                false
            }
        });
    build_image(
        input,
        source,
        picked,
        config_digest,
        &config_bytes,
        |_| Ok(BlobLocation::Registry),
        Store::Registry(client),
        cache,
    )
}

impl Image {
    /// Opens layer `i` as a stream that verifies the blob digest and size as it is read.
    /// Registry blobs come from the cache when present, and are written to it otherwise.
    pub fn open_layer(&self, i: usize) -> Result<Box<dyn Read + Send>> {
        let l = &self.layers[i];
        let size = Some(l.size);
        let err = |e: std::io::Error| Error::Layer {
            input: self.input.clone(),
            index: i,
            digest: layer_name(l),
            message: e.to_string(),
        };
        match (&l.location, self.store.as_ref()) {
            (BlobLocation::Member(m), Store::Archive(idx)) => Ok(Box::new(VerifyingReader::new(
                idx.open_member(m)?,
                l.digest.clone(),
                size,
            ))),
            (BlobLocation::LayoutFile(p), _) => {
                let f = File::open(p).map_err(|e| Error::Layer {
                    input: self.input.clone(),
                    index: i,
                    digest: layer_name(l),
                    message: format!("blob missing from the layout: {}: {e}", p.display()),
                })?;
                Ok(Box::new(VerifyingReader::new(
                    BufReader::with_capacity(256 * 1024, f),
                    l.digest.clone(),
                    size,
                )))
            }
            (BlobLocation::Registry, Store::Registry(client)) => {
                let digest = l.digest.clone().expect("registry layers have digests");
                if let Some(cache) = &self.cache {
                    if let Some(f) = cache.open(&digest) {
                        let path = cache.blob_path(&digest);
                        return Ok(Box::new(crate::cache::EvictOnMismatch::new(
                            VerifyingReader::new(
                                BufReader::with_capacity(256 * 1024, f),
                                Some(digest),
                                size,
                            ),
                            path,
                        )));
                    }
                    let body = client.blob(&digest)?;
                    let verified = VerifyingReader::new(body, Some(digest.clone()), size);
                    return Ok(Box::new(cache.tee(&digest, verified).map_err(err)?));
                }
                Ok(Box::new(VerifyingReader::new(
                    client.blob(&digest)?,
                    Some(digest),
                    size,
                )))
            }
            _ => unreachable!("layer location and store are built together"),
        }
    }

    /// Image labels, sorted.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.config
            .config()
            .as_ref()
            .and_then(|c| c.labels().clone())
            .map(|m| m.into_iter().collect())
            .unwrap_or_default()
    }
}

pub(crate) fn layer_name(l: &LayerDescriptor) -> String {
    l.digest
        .as_ref()
        .or(l.diff_id.as_ref())
        .map(|d| d.to_string())
        .unwrap_or_else(|| "unknown".into())
}
