//! The inventory analyzer: the OS and every package, by `plimsoll-catalog`, and the
//! unpackaged binaries its classifiers identify ([`crate::binaries`]).

use crate::analyzer::{Analyzer, Input};
use plimsoll_catalog::Catalog;
use plimsoll_catalog::classify::BinaryInspector;
use plimsoll_image::{Inspector, Interest};
use plimsoll_model::Report;
use std::sync::Arc;

/// Finds the OS release and the packages (OS databases, language manifests and lockfiles,
/// binaries).
#[derive(Default)]
pub struct Packages {
    catalog: Catalog,
}

impl Packages {
    /// With `removed`, also the packages earlier layers installed and later ones removed
    /// (`--layers all`), into `removed_packages`.
    pub fn new(removed: bool) -> Packages {
        Packages {
            catalog: Catalog::default().with_removed(removed),
        }
    }
}

impl Analyzer for Packages {
    fn name(&self) -> &'static str {
        "packages"
    }

    fn interests(&self) -> Vec<Interest> {
        self.catalog.interests()
    }

    fn inspectors(&self) -> Vec<Arc<dyn Inspector>> {
        vec![Arc::new(BinaryInspector)]
    }

    fn analyze(&self, input: &Input<'_>, report: &mut Report) {
        let inv = self.catalog.inventory_of(&input.walk);
        // The first analyzer: the others read the owners through their inputs.
        let _ = input.owners.set(inv.owners);
        report.artifact.os = inv.os;
        report.packages = inv.packages;
        report.removed_packages = inv.removed;
        report.warnings.extend(inv.warnings);
        let found = crate::binaries::packages(input, &report.packages, &mut report.warnings);
        crate::binaries::add(&mut report.packages, found);
    }
}
