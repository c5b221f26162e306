//! Reading container images: from registries, `docker save` archives, OCI layouts and
//! archives, and unpacked directories; and the streaming layer walker that turns their
//! layers into one filesystem view in which every file knows the layer that last wrote it.
//!
//! The flow: [`ImageSource::parse`] reads what the user typed; [`open`] fetches the
//! manifest and config (choosing a platform from an index) and describes the layers;
//! [`scan_image`] walks the layers in parallel, verifying every blob and `diff_id`, and
//! hands back an [`ImageScan`] with the merged [`FileTree`], the contents of files that
//! analyzers registered interest in, and per-layer facts. [`scan_dir`] does the same for a
//! directory, as one layer.
//!
//! [`base_image`] decides which layers came from the base image.
//!
//! This crate does not know what packages are; that is `plimsoll-catalog`'s job.

pub mod archive;
pub mod base;
pub mod cache;
pub mod digest;
pub mod error;
pub mod fs;
pub mod image;
pub mod inspect;
pub mod layer_cache;
pub mod platform;
pub mod registry;
pub mod scan;
pub mod source;
pub mod walker;

pub use base::base_image;
pub use cache::BlobCache;
pub use digest::Digest;
pub use error::{Error, Result};
pub use fs::scan_dir;
pub use image::{Image, LayerDescriptor, OpenOptions, open};
pub use inspect::{Candidate, HEAD_LEN, Hit, Inspected, Inspector};
pub use layer_cache::LayerCache;
pub use registry::RegistryOptions;
pub use registry::auth::Credential;
pub use scan::{ImageScan, LayerSummary, WalkView, artifact, scan_image, scan_image_cached};
pub use source::{ImageSource, RegistryRef};
pub use walker::{CapturedFile, FileTree, Interest, Keep, Limits, WalkOptions};

/// The name prefix of a temporary file this process creates: `kind` then the process id
/// (`archive-1234-`), so that a signal handler can remove this process's temporaries and a
/// later run can tell those of a process that is gone.
pub fn temp_prefix(kind: &str) -> String {
    format!("{kind}{}-", std::process::id())
}
