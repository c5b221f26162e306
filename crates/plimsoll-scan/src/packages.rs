//! The inventory analyzer: the OS and every package, by `plimsoll-catalog`.

use crate::analyzer::{Analyzer, Input};
use plimsoll_catalog::Catalog;
use plimsoll_image::Interest;
use plimsoll_model::Report;

/// Finds the OS release and the packages (OS databases, language manifests and lockfiles,
/// binaries).
#[derive(Default)]
pub struct Packages {
    catalog: Catalog,
}

impl Analyzer for Packages {
    fn name(&self) -> &'static str {
        "packages"
    }

    fn interests(&self) -> Vec<Interest> {
        self.catalog.interests()
    }

    fn analyze(&self, input: &Input<'_>, report: &mut Report) {
        let inv = self.catalog.inventory_of(&input.walk);
        // The first analyzer: the others read the owners through their inputs.
        let _ = input.owners.set(inv.owners);
        report.artifact.os = inv.os;
        report.packages = inv.packages;
        report.warnings.extend(inv.warnings);
    }
}
