//! Which layers came from the base image (the `FROM` of the final stage), so that a team can
//! tell the findings it owns from those its base image brought.
//!
//! Nothing in an image says so for certain; plimsoll decides from the best evidence at hand,
//! in this order, and records which it used ([`BaseImage::method`]):
//!
//! 1. `--base-image REF` (`base-image`): the named image's layer `diff_id`s must be the first
//!    of this image's; they are its layers. Only its manifest and config are read. When they
//!    are not a prefix (another build of the base, or not the base at all) a warning says so
//!    and the next ways are tried.
//! 2. The manifest annotations `org.opencontainers.image.base.name` / `.base.digest`
//!    (`annotation`, [OCI annotations]; `docker buildx` writes them, with
//!    `--annotation`/BuildKit's `annotation-manifest`), else the same keys as config labels
//!    (`label`). They name the base but do not count its layers: the count comes from the
//!    history, as in 3.
//! 3. The config history (`history`): a Dockerfile's base image ends with its `CMD` or
//!    `ENTRYPOINT` (`debian:12` ends with `CMD ["bash"]`), an entry that made no layer
//!    (`empty_layer`). The last such entry that is followed by an entry that made a layer ends
//!    the base; the image's own trailing `CMD` is not one. Classic builder history spells it
//!    `/bin/sh -c #(nop)  CMD ["bash"]`, BuildKit `CMD ["bash"]` (comment
//!    `buildkit.dockerfile.v0`). An image built `FROM scratch` has none: no base image.
//!
//! The history way is a heuristic: a base image without a `CMD` (distroless images built by
//! Bazel write no such entry) is not found, and one whose own base's `CMD` is the last seen
//! (a Dockerfile that ends the base with `RUN`) is taken as that deeper base. `--base-image`
//! settles it.
//!
//! [OCI annotations]: https://github.com/opencontainers/image-spec/blob/main/annotations.md

use crate::Image;
use plimsoll_model::BaseImage;

/// The annotation (or label) naming the base image's reference.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// The annotation (or label) naming the base image's manifest digest.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// Decides which of `image`'s layers came from its base image, trying `given`
/// (`--base-image`, opened with manifest and config only), the base annotations, the base
/// labels and the history, in that order. `None` when nothing tells (an image built
/// `FROM scratch`); the warnings say why evidence was set aside.
pub fn base_image(image: &Image, given: Option<&Image>) -> (Option<BaseImage>, Vec<String>) {
    let mut warnings = Vec::new();
    if let Some(b) = given {
        match diff_id_prefix(image, b) {
            Ok(n) => {
                return (
                    Some(BaseImage {
                        method: "base-image".into(),
                        name: Some(b.input.clone()),
                        digest: b.manifest_digest.as_ref().map(|d| d.to_string()),
                        layers: n,
                        detail: format!(
                            "the {n} layer diff_id{} of {} {} this image's first: {}",
                            if n == 1 { "" } else { "s" },
                            b.input,
                            if n == 1 { "is" } else { "are" },
                            layer_span(n)
                        ),
                    }),
                    warnings,
                );
            }
            Err(w) => warnings.push(w),
        }
    }
    let history: Vec<Entry> = image
        .config
        .history()
        .iter()
        .flatten()
        .map(|h| Entry {
            created_by: h.created_by().as_deref().unwrap_or(""),
            empty_layer: h.empty_layer().unwrap_or(false),
        })
        .collect();
    let split = match split_history(&history, image.layers.len()) {
        Ok(s) => s,
        Err(w) => {
            warnings.push(format!("{}: {w}", image.input));
            None
        }
    };
    let labels = image.labels();
    let named = if image.annotations.contains_key(BASE_NAME)
        || image.annotations.contains_key(BASE_DIGEST)
    {
        Some(("annotation", "manifest annotation", &image.annotations))
    } else if labels.contains_key(BASE_NAME) || labels.contains_key(BASE_DIGEST) {
        Some(("label", "config label", &labels))
    } else {
        None
    };
    let base = match (named, split) {
        (Some((method, what, keys)), Some(s)) => {
            let key = if keys.contains_key(BASE_NAME) {
                BASE_NAME
            } else {
                BASE_DIGEST
            };
            Some(BaseImage {
                method: method.into(),
                name: keys.get(BASE_NAME).cloned(),
                digest: keys.get(BASE_DIGEST).cloned(),
                layers: s.layers,
                detail: format!(
                    "{what} {key} names it; history entry {} ({}) ends it",
                    s.entry, s.instruction
                ),
            })
        }
        (Some((_, what, keys)), None) => {
            let name = keys
                .get(BASE_NAME)
                .or_else(|| keys.get(BASE_DIGEST))
                .map_or("", String::as_str);
            warnings.push(format!(
                "{}: the {what} {BASE_NAME} names base image {name}, but the history does not \
                 show which layers are its (no CMD or ENTRYPOINT entry before the image's own \
                 layers): pass --base-image {name} to compare layers",
                image.input
            ));
            None
        }
        (None, Some(s)) => Some(BaseImage {
            method: "history".into(),
            name: None,
            digest: None,
            layers: s.layers,
            detail: s.detail(),
        }),
        (None, None) => None,
    };
    (base, warnings)
}

/// How many layers `base` gives `image`: all of its own when its diff_ids are the first of
/// `image`'s, else an error saying how they differ.
fn diff_id_prefix(image: &Image, base: &Image) -> Result<usize, String> {
    let ours: Vec<_> = image.layers.iter().map(|l| l.diff_id.as_ref()).collect();
    let theirs: Vec<_> = base.layers.iter().map(|l| l.diff_id.as_ref()).collect();
    let same = ours
        .iter()
        .zip(&theirs)
        .take_while(|(a, b)| a.is_some() && a == b)
        .count();
    if same == theirs.len() && !theirs.is_empty() {
        return Ok(same);
    }
    let how = if theirs.is_empty() {
        "it has no layers".to_string()
    } else if same == 0 {
        format!(
            "none of its {} layers is among the first of {}'s {}",
            theirs.len(),
            image.input,
            ours.len()
        )
    } else {
        format!(
            "only the first {same} of its {} layers match {}'s (another build of it?)",
            theirs.len(),
            image.input
        )
    };
    Err(format!(
        "--base-image {} is not the base of {}: {how}; the base image is decided from \
         annotations, labels and history instead",
        base.input, image.input
    ))
}

/// One config history entry, as deciding needs it.
#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    created_by: &'a str,
    empty_layer: bool,
}

/// Where the history says the base image ends.
#[derive(Debug, PartialEq, Eq)]
struct Split {
    /// Index of the ending CMD/ENTRYPOINT entry in the config history.
    entry: usize,
    /// Its instruction, shortened.
    instruction: String,
    /// Layers made before it: the base image's.
    layers: usize,
}

impl Split {
    fn detail(&self) -> String {
        format!(
            "history entry {} ({}) ends the base image: {}",
            self.entry,
            self.instruction,
            layer_span(self.layers)
        )
    }
}

/// The base image's end in `history`: the last CMD/ENTRYPOINT entry that made no layer and
/// is followed by one that did. `Ok(None)` when there is none, or no layer precedes it; an
/// error when the history does not describe `layers` layers (it cannot be trusted then).
fn split_history(history: &[Entry], layers: usize) -> Result<Option<Split>, String> {
    if history.is_empty() {
        return Ok(None);
    }
    let made = history.iter().filter(|e| !e.empty_layer).count();
    if made != layers {
        return Err(format!(
            "the history lists {made} entries that made a layer but the image has {layers} \
             layers: the base image is not decided from history"
        ));
    }
    let mut made_before = 0;
    let mut candidate: Option<Split> = None;
    let mut best: Option<Split> = None;
    for (i, e) in history.iter().enumerate() {
        if !e.empty_layer {
            // A layer after a candidate confirms it ended a base.
            if let Some(c) = candidate.take() {
                best = Some(c);
            }
            made_before += 1;
            continue;
        }
        if let Some(instruction) = end_of_base(e.created_by) {
            candidate = Some(Split {
                entry: i,
                instruction,
                layers: made_before,
            });
        }
    }
    Ok(best.filter(|s| s.layers > 0))
}

/// The instruction when `created_by` is a CMD or ENTRYPOINT: classic builder text
/// (`/bin/sh -c #(nop)  CMD ["bash"]`) or BuildKit's (`CMD ["bash"]`).
fn end_of_base(created_by: &str) -> Option<String> {
    // Shown in the report: redacted like the layers' `created_by`.
    let created_by = plimsoll_model::redact::created_by(created_by);
    let s = created_by.trim();
    let s = s
        .strip_prefix("/bin/sh -c #(nop)")
        .unwrap_or(s)
        .trim_start();
    let word = s
        .split(|c: char| c.is_whitespace() || c == '[')
        .next()
        .unwrap_or("");
    if word != "CMD" && word != "ENTRYPOINT" {
        return None;
    }
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(if s.chars().count() > 60 {
        let cut: String = s.chars().take(59).collect();
        format!("{cut}…")
    } else {
        s
    })
}

/// `layer 0`, `layers 0–3`.
fn layer_span(n: usize) -> String {
    match n {
        0 => "no layers".into(),
        1 => "layer 0".into(),
        n => format!("layers 0–{}", n - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(created_by, empty_layer)` pairs, as `docker history --no-trunc` lists them oldest
    /// first.
    fn entries<'a>(h: &[(&'a str, bool)]) -> Vec<Entry<'a>> {
        h.iter()
            .map(|&(created_by, empty_layer)| Entry {
                created_by,
                empty_layer,
            })
            .collect()
    }

    fn layers(h: &[(&str, bool)]) -> usize {
        h.iter().filter(|e| !e.1).count()
    }

    fn split(h: &[(&str, bool)]) -> Option<Split> {
        split_history(&entries(h), layers(h)).unwrap()
    }

    /// `debian:12` as the classic builder wrote it, then an application built on it.
    const CLASSIC: &[(&str, bool)] = &[
        (
            "/bin/sh -c #(nop) ADD file:3b8e9f3a1d36a2f5c0e7 in / ",
            false,
        ),
        ("/bin/sh -c #(nop)  CMD [\"bash\"]", true),
        ("/bin/sh -c #(nop)  ENV APP_HOME=/app", true),
        (
            "/bin/sh -c apt-get update && apt-get install -y curl",
            false,
        ),
        ("/bin/sh -c #(nop) COPY dir:1f2e3d in /app ", false),
        ("/bin/sh -c #(nop)  CMD [\"/app/run\"]", true),
    ];

    #[test]
    fn classic_builder_base_ends_at_its_cmd() {
        let s = split(CLASSIC).unwrap();
        assert_eq!(s.entry, 1);
        assert_eq!(s.layers, 1);
        assert_eq!(s.instruction, "CMD [\"bash\"]");
        assert_eq!(
            s.detail(),
            "history entry 1 (CMD [\"bash\"]) ends the base image: layer 0"
        );
    }

    /// `python:3.12-slim` (itself on `debian:12-slim`) built by BuildKit, then the app: the
    /// base is python's, ending at its `CMD ["python3"]`, not debian's `CMD ["bash"]`.
    #[test]
    fn buildkit_base_on_a_base_ends_at_the_last_cmd() {
        let h: &[(&str, bool)] = &[
            (
                "# debian.sh --arch 'amd64' out/ 'bookworm' '@1733097600'",
                false,
            ),
            ("CMD [\"bash\"]", true),
            (
                "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
                true,
            ),
            (
                "RUN /bin/sh -c set -eux; apt-get update; apt-get install -y --no-install-recommends ca-certificates netbase tzdata # buildkit",
                false,
            ),
            ("ENV PYTHON_VERSION=3.12.8", true),
            (
                "RUN /bin/sh -c set -eux; wget -O python.tar.xz \"https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz\" # buildkit",
                false,
            ),
            (
                "RUN /bin/sh -c set -eux; for src in idle3 pip3 pydoc3 python3 python3-config; do ln -svT \"$src\" \"/usr/local/bin/${src%3}\"; done # buildkit",
                false,
            ),
            ("CMD [\"python3\"]", true),
            ("WORKDIR /app", false),
            ("COPY requirements.txt . # buildkit", false),
            (
                "RUN /bin/sh -c pip install --no-cache-dir -r requirements.txt # buildkit",
                false,
            ),
            ("COPY . . # buildkit", false),
            ("ENTRYPOINT [\"python3\", \"-m\", \"app\"]", true),
        ];
        let s = split(h).unwrap();
        assert_eq!((s.entry, s.layers), (7, 4));
        assert_eq!(s.instruction, "CMD [\"python3\"]");
    }

    /// A multi-stage build: the final image's history holds only the final stage's base
    /// and its own steps (`COPY --from=build`), so the split is the same as a single stage.
    #[test]
    fn multi_stage_final_stage_on_distroless_like_base() {
        let h: &[(&str, bool)] = &[
            ("/bin/sh -c #(nop) ADD file:9a1b2c3d in / ", false),
            ("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]", true),
            (
                "RUN /bin/sh -c apk add --no-cache ca-certificates # buildkit",
                false,
            ),
            ("COPY /out/server /usr/local/bin/server # buildkit", false),
            ("USER 65532:65532", true),
            ("ENTRYPOINT [\"/usr/local/bin/server\"]", true),
        ];
        let s = split(h).unwrap();
        assert_eq!((s.entry, s.layers), (1, 1));
    }

    /// `FROM scratch` with a static binary: no base image.
    #[test]
    fn from_scratch_has_no_base() {
        let h: &[(&str, bool)] = &[
            ("COPY /out/server /server # buildkit", false),
            ("ENTRYPOINT [\"/server\"]", true),
        ];
        assert_eq!(split(h), None);
    }

    /// The only CMD is the image's own last entry (a base image scanned by itself): nothing
    /// follows it, so it ends no base.
    #[test]
    fn only_trailing_cmd_is_not_a_base() {
        let h: &[(&str, bool)] = &[
            (
                "/bin/sh -c #(nop) ADD file:3b8e9f3a1d36a2f5c0e7 in / ",
                false,
            ),
            ("/bin/sh -c #(nop)  CMD [\"bash\"]", true),
        ];
        assert_eq!(split(h), None);
        // …nor does a CMD followed only by other empty entries.
        let h: &[(&str, bool)] = &[
            (
                "/bin/sh -c #(nop) ADD file:3b8e9f3a1d36a2f5c0e7 in / ",
                false,
            ),
            ("/bin/sh -c #(nop)  CMD [\"bash\"]", true),
            ("/bin/sh -c #(nop)  LABEL a=b", true),
        ];
        assert_eq!(split(h), None);
    }

    /// A CMD before any layer (`FROM scratch`, `CMD`, `COPY`) gives a base of no layers:
    /// none.
    #[test]
    fn cmd_before_any_layer_is_no_base() {
        let h: &[(&str, bool)] = &[
            ("CMD [\"/server\"]", true),
            ("COPY server /server # buildkit", false),
        ];
        assert_eq!(split(h), None);
    }

    /// Shell commands that mention CMD, and a RUN that made no layer, are not base ends.
    #[test]
    fn only_cmd_and_entrypoint_instructions_count() {
        let h: &[(&str, bool)] = &[
            ("/bin/sh -c #(nop) ADD file:3b8e in / ", false),
            ("/bin/sh -c CMD=1 true", true),
            ("RUN /bin/sh -c echo CMD [\"x\"] # buildkit", true),
            ("/bin/sh -c #(nop)  ENV CMD=x", true),
            ("COPY app /app # buildkit", false),
        ];
        assert_eq!(split(h), None);
        assert_eq!(
            end_of_base("/bin/sh -c #(nop)  ENTRYPOINT [\"docker-entrypoint.sh\"]").as_deref(),
            Some("ENTRYPOINT [\"docker-entrypoint.sh\"]")
        );
        assert_eq!(
            end_of_base("CMD [\"nginx\", \"-g\", \"daemon off;\"]").as_deref(),
            Some("CMD [\"nginx\", \"-g\", \"daemon off;\"]")
        );
        assert_eq!(end_of_base("CMD"), Some("CMD".into()));
        assert_eq!(end_of_base("CMDX [\"a\"]"), None);
    }

    /// History that does not describe the layers (a squashed image, a hand-edited config) is
    /// not trusted.
    #[test]
    fn history_not_matching_the_layers_is_refused() {
        let e = split_history(&entries(CLASSIC), 2).unwrap_err();
        assert!(
            e.contains("3 entries that made a layer but the image has 2"),
            "{e}"
        );
        assert_eq!(split_history(&[], 3), Ok(None));
    }

    #[test]
    fn spans() {
        assert_eq!(layer_span(1), "layer 0");
        assert_eq!(layer_span(4), "layers 0–3");
    }

    /// Opened images, as the CLI decides for them.
    mod opened {
        use super::super::*;
        use crate::{ImageSource, OpenOptions, open};
        use plimsoll_testkit::ImageBuilder;

        fn debian() -> ImageBuilder {
            ImageBuilder::new()
                .layer("/bin/sh -c #(nop) ADD file:3b8e9f3a in / ", |l| {
                    l.file("etc/debian_version", "12.5\n")
                })
                .empty_step("/bin/sh -c #(nop)  CMD [\"bash\"]")
        }

        fn app(base: ImageBuilder) -> ImageBuilder {
            base.layer("RUN /bin/sh -c apt-get install -y curl # buildkit", |l| {
                l.file("usr/bin/curl", "curl")
            })
            .layer("COPY app /app # buildkit", |l| l.file("app/run", "run"))
            .empty_step("CMD [\"/app/run\"]")
        }

        fn opened(dir: &std::path::Path, b: &ImageBuilder) -> Image {
            b.write_oci_layout(dir, None);
            let input = format!("oci:{}", dir.display());
            let source = ImageSource::parse(&input).unwrap();
            open(&input, source, &OpenOptions::default()).unwrap()
        }

        #[test]
        fn history_alone() {
            let t = tempfile::tempdir().unwrap();
            let img = opened(t.path(), &app(debian()));
            let (b, w) = base_image(&img, None);
            assert!(w.is_empty(), "{w:?}");
            let b = b.unwrap();
            assert_eq!((b.method.as_str(), b.layers, b.name), ("history", 1, None));
            assert_eq!(
                b.detail,
                "history entry 1 (CMD [\"bash\"]) ends the base image: layer 0"
            );
        }

        #[test]
        fn annotations_name_the_base_and_history_counts_it() {
            let t = tempfile::tempdir().unwrap();
            let img = opened(
                t.path(),
                &app(debian())
                    .annotation(BASE_NAME, "docker.io/library/debian:12")
                    .annotation(BASE_DIGEST, "sha256:abc")
                    .label(BASE_NAME, "docker.io/library/debian:11"),
            );
            let (b, _) = base_image(&img, None);
            let b = b.unwrap();
            assert_eq!(b.method, "annotation");
            assert_eq!(b.name.as_deref(), Some("docker.io/library/debian:12"));
            assert_eq!(b.digest.as_deref(), Some("sha256:abc"));
            assert_eq!(b.layers, 1);
            assert!(b.detail.starts_with("manifest annotation"), "{}", b.detail);
        }

        #[test]
        fn labels_when_no_annotation() {
            let t = tempfile::tempdir().unwrap();
            let img = opened(
                t.path(),
                &app(debian()).label(BASE_NAME, "docker.io/library/debian:12"),
            );
            let (b, _) = base_image(&img, None);
            let b = b.unwrap();
            assert_eq!((b.method.as_str(), b.layers), ("label", 1));
        }

        /// A label naming a base the history cannot place: a warning, no guess.
        #[test]
        fn label_without_history_split_warns() {
            let t = tempfile::tempdir().unwrap();
            let img = opened(
                t.path(),
                &ImageBuilder::new()
                    .layer("COPY app /app # buildkit", |l| l.file("app/run", "run"))
                    .label(BASE_NAME, "docker.io/library/debian:12"),
            );
            let (b, w) = base_image(&img, None);
            assert_eq!(b, None);
            assert!(
                w[0].contains("--base-image docker.io/library/debian:12"),
                "{w:?}"
            );
        }

        #[test]
        fn given_base_compares_diff_ids() {
            let (t1, t2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            // A base of two layers and no CMD: history alone would not find it.
            let base = ImageBuilder::new()
                .layer("ADD rootfs.tar / # buildkit", |l| {
                    l.file("etc/os-release", "ID=x\n")
                })
                .layer("RUN /bin/sh -c install-runtime # buildkit", |l| {
                    l.file("usr/lib/rt", "rt")
                });
            let app = base
                .clone()
                .layer("COPY app /app # buildkit", |l| l.file("app/run", "run"));
            let img = opened(t1.path(), &app);
            let b = opened(t2.path(), &base);
            assert_eq!(base_image(&img, None).0, None);
            let (got, w) = base_image(&img, Some(&b));
            assert!(w.is_empty(), "{w:?}");
            let got = got.unwrap();
            assert_eq!((got.method.as_str(), got.layers), ("base-image", 2));
            assert_eq!(got.name.as_deref(), Some(b.input.as_str()));
            assert_eq!(
                got.digest,
                b.manifest_digest.as_ref().map(|d| d.to_string())
            );
            assert!(got.detail.ends_with("layers 0–1"), "{}", got.detail);
        }

        /// A `--base-image` that is not the base: a warning naming both, then history.
        #[test]
        fn given_base_that_is_not_a_prefix_falls_through() {
            let (t1, t2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            let img = opened(t1.path(), &app(debian()));
            let other = opened(
                t2.path(),
                &ImageBuilder::new().layer("ADD other / # buildkit", |l| l.file("x", "y")),
            );
            let (b, w) = base_image(&img, Some(&other));
            assert_eq!(b.unwrap().method, "history");
            assert_eq!(w.len(), 1);
            assert!(
                w[0].contains(&other.input) && w[0].contains(&img.input),
                "{w:?}"
            );
            // A base with more layers than the image is no prefix of it either.
            let t3 = tempfile::tempdir().unwrap();
            let bigger = opened(
                t3.path(),
                &app(debian()).layer("RUN more # buildkit", |l| l.file("m", "m")),
            );
            let (_, w) = base_image(&img, Some(&bigger));
            assert!(w[0].contains("only the first 3 of its 4 layers"), "{w:?}");
        }
    }
}
