//! Walking a whole image: all layers in parallel, then merged in order.

use crate::image::{Image, layer_name};
use crate::inspect::Inspected;
use crate::layer_cache::{LayerCache, RulesFingerprint};
use crate::walker::{
    CapturedFile, FileTree, LayerEntries, LayerWalk, Matcher, WalkContext, WalkOptions, walk_layer,
};
use plimsoll_model::{self as model, redact};
use rayon::prelude::*;

/// The result of walking an image (or a directory).
#[derive(Debug, Default)]
pub struct ImageScan {
    /// Per-layer facts; entries have been moved into `tree`.
    pub layers: Vec<LayerSummary>,
    /// The final filesystem.
    pub tree: FileTree,
    /// Every captured file, from every layer, in layer order: analyzers that compare a
    /// file's versions across layers (package databases) read them all.
    pub captured: Vec<CapturedFile>,
    /// Every inspector hit, from every layer, in layer order (deleted files too: a file a
    /// later layer deletes is still readable from its own layer's blob).
    pub inspected: Vec<Inspected>,
    pub warnings: Vec<String>,
}

/// One analyzer's share of a walk: the tree and the layers, the captured files that
/// matched its interests and the hits of its inspectors, numbered from 0 in its own list
/// (the walk numbers everyone's together; no analyzer sees or owns that numbering).
#[derive(Debug, Clone)]
pub struct WalkView<'a> {
    pub tree: &'a FileTree,
    pub layers: &'a [LayerSummary],
    captured: &'a [CapturedFile],
    interests: std::ops::Range<usize>,
    inspected: &'a [Inspected],
    inspectors: std::ops::Range<usize>,
}

impl<'a> WalkView<'a> {
    /// The captured files with at least one of this analyzer's interests, each with those
    /// interests numbered in the analyzer's own list.
    pub fn captured(&self) -> impl Iterator<Item = (&'a CapturedFile, Vec<usize>)> + '_ {
        let r = self.interests.clone();
        self.captured.iter().filter_map(move |c| {
            let local: Vec<usize> = c
                .interests
                .iter()
                .filter(|i| r.contains(i))
                .map(|i| i - r.start)
                .collect();
            (!local.is_empty()).then_some((c, local))
        })
    }

    /// The inspected files of this analyzer's inspectors, each with the inspector's number
    /// in the analyzer's own list.
    pub fn inspected(&self) -> impl Iterator<Item = (&'a Inspected, usize)> + '_ {
        let r = self.inspectors.clone();
        self.inspected
            .iter()
            .filter(move |h| r.contains(&h.inspector))
            .map(move |h| (h, h.inspector - self.inspectors.start))
    }

    /// The later layer that deleted or replaced `path` as layer `layer` had it: the layer
    /// that last wrote it, when that is a later one; else the first later layer whose
    /// whiteouts or opaque directories hide it. `None`: it is in the final filesystem as
    /// `layer` left it.
    pub fn removed_after(&self, path: &str, layer: usize) -> Option<usize> {
        if let Some(n) = self.tree.get(path) {
            return (n.layer != layer).then_some(n.layer).filter(|&l| l > layer);
        }
        let under = |p: &str| path == p || path.starts_with(&format!("{p}/"));
        self.layers
            .iter()
            .filter(|l| l.index > layer)
            .find(|l| {
                l.whiteouts.iter().any(|w| under(w))
                    || l.opaque_dirs
                        .iter()
                        .any(|d| d.is_empty() || path.starts_with(&format!("{d}/")))
            })
            .map(|l| l.index)
            .or_else(|| self.layers.iter().map(|l| l.index).find(|&l| l > layer))
    }
}

/// What is kept of a [`LayerWalk`] after merging.
#[derive(Debug, Clone, Default)]
pub struct LayerSummary {
    pub index: usize,
    pub entries: u64,
    pub whiteouts: Vec<String>,
    pub opaque_dirs: Vec<String>,
    pub uncompressed_size: u64,
    pub compressed_size: u64,
    pub compression: Option<&'static str>,
    pub diff_id: Option<String>,
    pub files_in_final: u64,
    pub error: Option<String>,
}

impl ImageScan {
    /// The whole walk as one analyzer's share: every interest and every inspector.
    pub fn view(&self) -> WalkView<'_> {
        self.view_of(0..usize::MAX, 0..usize::MAX)
    }

    /// The share of the analyzer that registered `interests` and `inspectors` (ranges of
    /// the walk options' lists).
    pub fn view_of(
        &self,
        interests: std::ops::Range<usize>,
        inspectors: std::ops::Range<usize>,
    ) -> WalkView<'_> {
        WalkView {
            tree: &self.tree,
            layers: &self.layers,
            captured: &self.captured,
            interests,
            inspected: &self.inspected,
            inspectors,
        }
    }

    /// Captured files still present in the final image, as the layer that last wrote them
    /// has them.
    pub fn final_files(&self) -> impl Iterator<Item = &CapturedFile> {
        self.captured
            .iter()
            .filter(|c| self.tree.get(&c.path).is_some_and(|n| n.layer == c.layer))
    }

    /// Errors of layers that could not be read completely.
    pub fn layer_errors(&self) -> impl Iterator<Item = (usize, &str)> {
        self.layers
            .iter()
            .filter_map(|l| l.error.as_deref().map(|e| (l.index, e)))
    }

    /// Merges walked layers (in any order) into a scan.
    pub fn from_walks(mut walks: Vec<LayerWalk>) -> ImageScan {
        walks.sort_by_key(|w| w.index);
        let mut scan = ImageScan::default();
        for w in walks {
            let summary = LayerSummary {
                index: w.index,
                entries: w.entries.len() as u64,
                whiteouts: w.whiteouts.clone(),
                opaque_dirs: w.opaque_dirs.clone(),
                uncompressed_size: w.uncompressed_size,
                compressed_size: w.compressed_size,
                compression: w.compression.map(|c| c.name()),
                diff_id: w.diff_id.as_ref().map(|d| d.to_string()),
                files_in_final: 0,
                error: w.error,
            };
            scan.warnings.extend(w.warnings);
            scan.captured.extend(w.captured);
            scan.inspected.extend(w.inspected);
            scan.tree.apply(LayerEntries {
                index: w.index,
                entries: w.entries,
                whiteouts: w.whiteouts,
                opaque_dirs: w.opaque_dirs,
            });
            scan.layers.push(summary);
        }
        let slots = scan.layers.iter().map(|l| l.index + 1).max().unwrap_or(0);
        let mut counts = vec![0u64; slots];
        for (_, node) in scan.tree.iter() {
            if let Some(c) = counts.get_mut(node.layer) {
                *c += 1;
            }
        }
        for l in &mut scan.layers {
            l.files_in_final = counts[l.index];
        }
        scan
    }
}

/// Walks every layer of `image`, in parallel, and merges them.
pub fn scan_image(image: &Image, opts: &WalkOptions) -> Result<ImageScan, String> {
    scan_image_cached(image, opts, None)
}

/// [`scan_image`], taking each layer's walk from `cache` when it has it (no blob is read
/// then) and storing the walks it makes. A cache entry that cannot be used is reported in
/// the scan's warnings and the layer is walked.
pub fn scan_image_cached(
    image: &Image,
    opts: &WalkOptions,
    cache: Option<&LayerCache>,
) -> Result<ImageScan, String> {
    let matcher = Matcher::new(&opts.interests)?;
    let mut ctx = WalkContext::new(&matcher, &opts.limits);
    ctx.progress = opts.progress.as_deref();
    ctx.inspectors = &opts.inspectors;
    let rules = cache.map(|_| RulesFingerprint::new(opts));
    let store_failed = std::sync::atomic::AtomicBool::new(false);
    let results: Vec<(LayerWalk, Vec<String>)> = (0..image.layers.len())
        .into_par_iter()
        .map(|i| {
            let l = &image.layers[i];
            let mut notes = Vec::new();
            let key = rules
                .as_ref()
                .and_then(|r| LayerCache::key(r, l.digest.as_ref(), l.diff_id.as_ref()));
            let cached = match (cache, &key) {
                (Some(c), Some(k)) => match c.load(k, i, opts.interests.len(), opts.inspectors.len()) {
                    Ok(Some(w)) => {
                        let bytes = w.captured.iter().map(|c| c.data.len() as u64).sum();
                        ctx.reserve_capture(bytes).then_some(w)
                    }
                    Ok(None) => None,
                    Err(e) => {
                        notes.push(format!(
                            "layer {i}: layer cache entry {e}; ignored, the layer is read again"
                        ));
                        None
                    }
                },
                _ => None,
            };
            let w = match cached {
                Some(w) => w,
                None => {
                    let w = match image.open_layer(i) {
                        Ok(blob) => walk_layer(i, blob, l.diff_id.as_ref(), &ctx),
                        Err(e) => LayerWalk {
                            index: i,
                            error: Some(e.to_string()),
                            ..LayerWalk::default()
                        },
                    };
                    if let (Some(c), Some(k)) = (cache, &key)
                        && LayerCache::storable(&w)
                        && !store_failed.load(std::sync::atomic::Ordering::Relaxed)
                        && let Err(e) = c.store(k, &w)
                        // Said once: a cache that cannot be written fails the same way for
                        // every layer.
                        && !store_failed.swap(true, std::sync::atomic::Ordering::Relaxed)
                    {
                        notes.push(format!(
                            "could not write the layer cache in {}: {e}; the scan goes on without it",
                            c.dir().display()
                        ));
                    }
                    w
                }
            };
            // A layer that failed verification gives nothing to the scan; its captured
            // contents go now rather than after every other layer.
            let mut w = w;
            if w.error.is_some() {
                w.discard_contents();
            }
            if let Some(p) = ctx.progress {
                p.layers_done
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            (w, notes)
        })
        .collect();
    let mut notes = Vec::new();
    let walks = results
        .into_iter()
        .map(|(w, n)| {
            notes.extend(n);
            w
        })
        .collect();
    let mut scan = ImageScan::from_walks(walks);
    scan.warnings.splice(0..0, image.warnings.iter().cloned());
    scan.warnings.extend(notes);
    for l in &mut scan.layers {
        if let Some(e) = &mut l.error {
            let d = &image.layers[l.index];
            *e = format!(
                "{}: layer {} ({}): {e}",
                image.input,
                l.index,
                layer_name(d)
            );
        }
    }
    Ok(scan)
}

/// Builds the report's artifact description from an opened image and its walk. Build
/// arguments, `ENV`/`ARG` values and secret-looking values of `created_by`, `Entrypoint`,
/// `Cmd` and `Labels` are redacted here, once, for every output ([`redact`]).
pub fn artifact(image: &Image, scan: &ImageScan) -> model::Artifact {
    let cfg = image.config.config().as_ref();
    let config = cfg.map(|c| {
        let mut exposed = c.exposed_ports().clone().unwrap_or_default();
        exposed.sort();
        model::ImageConfig {
            user: c.user().clone().unwrap_or_default(),
            env_names: c
                .env()
                .iter()
                .flatten()
                .map(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k).to_string())
                .collect(),
            exposed_ports: exposed,
            entrypoint: redact::argv(c.entrypoint().as_deref().unwrap_or_default()),
            cmd: redact::argv(c.cmd().as_deref().unwrap_or_default()),
            working_dir: c.working_dir().clone().filter(|w| !w.is_empty()),
            labels: redact::labels(&image.labels()),
            stop_signal: c.stop_signal().clone(),
        }
    });
    let layers = image
        .layers
        .iter()
        .map(|d| {
            let s = scan.layers.iter().find(|s| s.index == d.index);
            model::Layer {
                index: d.index,
                digest: d.digest.as_ref().map(|x| x.to_string()),
                diff_id: d
                    .diff_id
                    .as_ref()
                    .map(|x| x.to_string())
                    .or_else(|| s.and_then(|s| s.diff_id.clone())),
                media_type: d.media_type.clone(),
                size: d.size,
                uncompressed_size: s.map_or(0, |s| s.uncompressed_size),
                compression: s.and_then(|s| s.compression.map(str::to_string)),
                created_by: d.created_by.as_deref().map(redact::created_by),
                created: d.created.clone(),
                comment: d.comment.clone(),
                entries: s.map_or(0, |s| s.entries),
                deletions: s.map(|s| s.whiteouts.clone()).unwrap_or_default(),
                opaque_dirs: s.map(|s| s.opaque_dirs.clone()).unwrap_or_default(),
                files_in_final: s.map_or(0, |s| s.files_in_final),
                error: s.and_then(|s| s.error.clone()),
            }
        })
        .collect();
    model::Artifact {
        name: image.input.clone(),
        kind: model::ArtifactKind::ContainerImage,
        source: image.source.kind().to_string(),
        reference: image.reference.clone(),
        digest: image.manifest_digest.as_ref().map(|d| d.to_string()),
        index_digest: image.index_digest.as_ref().map(|d| d.to_string()),
        media_type: image.media_type.clone(),
        config_digest: Some(image.config_digest.to_string()),
        platform: Some(image.platform.clone()),
        os: None,
        config,
        created: image.config.created().clone(),
        layers,
        base_image: None,
        files: scan.tree.len() as u64,
    }
}
