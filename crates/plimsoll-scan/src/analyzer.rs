//! The analyzers a scan runs over its one walk.
//!
//! Each analyzer declares what it wants to see: files to capture whole ([`Interest`]s, for
//! package databases and manifests) and inspectors that read files while they stream
//! ([`Inspector`]s, for secrets in every text file). The engine concatenates every
//! analyzer's lists into one walk and hands each analyzer back its own share
//! ([`plimsoll_image::WalkView`]), numbered from 0 in its own lists: no analyzer owns or
//! sees the walk's numbering. The analyzer then writes what it found into the report.

use plimsoll_catalog::Owners;
use plimsoll_image::{Image, Inspector, Interest, WalkView};
use plimsoll_model::Report;
use std::sync::{Arc, OnceLock};

/// One kind of analysis over the walk.
pub trait Analyzer: Sync {
    /// Short name for messages (`packages`, `secrets`).
    fn name(&self) -> &'static str;
    /// Files to capture whole, in the order the analyzer numbers them.
    fn interests(&self) -> Vec<Interest> {
        Vec::new()
    }
    /// Inspectors to run on files while layers stream, in the order the analyzer numbers
    /// them.
    fn inspectors(&self) -> Vec<Arc<dyn Inspector>> {
        Vec::new()
    }
    /// Reads the analyzer's share of the walk (and the image's config and history) and
    /// writes its findings into the report. Runs after every layer was walked.
    fn analyze(&self, input: &Input<'_>, report: &mut Report);
}

/// What an analyzer reads.
pub struct Input<'a> {
    pub walk: WalkView<'a>,
    /// The image, when an image was scanned (not a directory).
    pub image: Option<&'a Image>,
    /// Set by the packages analyzer, which runs first: see [`Input::owner`].
    pub owners: &'a OnceLock<Owners>,
}

impl Input<'_> {
    /// The OS package (its name) whose file list holds this final-image path; known for
    /// every executable, setuid/setgid file and shared library.
    pub fn owner(&self, path: &str) -> Option<&str> {
        self.owners.get().and_then(|o| o.owner(path))
    }

    /// Whether an OS package database with file lists was read: without one, no file has
    /// an owner and "not owned" means nothing.
    pub fn package_file_lists(&self) -> bool {
        self.owners.get().is_some_and(Owners::file_lists)
    }
}
