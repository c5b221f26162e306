//! Unpackaged binaries: the binary classifiers' hits (`plimsoll_catalog::classify`) turned
//! into packages found by `binary`, for files of the final image that no package database
//! lists.
//!
//! A hit is dropped when
//! - the file is not in the final image as that layer left it (deleted or replaced later:
//!   what the image runs is the later file);
//! - an OS package's file list holds the path: the binary *is* that package, matched through
//!   the distribution's advisories (a JDK's text `release` file is not an executable, so the
//!   owner of the `bin/java` beside it stands for it);
//! - Go build info already named the program's module with a version (traefik, consul,
//!   helm built with module versions): the `binary` cataloger's package is the same thing.
//!
//! The same product and version found in several files (`libcrypto.so.3`, `libssl.so.3` and
//! `openssl` of one build) is one package with a location per file; each location's layer
//! is the first from which the file held that version without a break.

use crate::analyzer::Input;
use plimsoll_catalog::classify;
use plimsoll_image::walker::EntryKind;
use plimsoll_model::{Location, Package};
use std::collections::BTreeMap;

/// Packages of the classifiers' hits (inspector 0 of the packages analyzer), given the
/// packages the catalog found (for Go build info).
pub fn packages(
    input: &Input<'_>,
    catalogued: &[Package],
    warnings: &mut Vec<String>,
) -> Vec<Package> {
    // Per path: every layer's (layer, classifier id, version), in layer order.
    let mut by_path: BTreeMap<&str, Vec<(usize, &str, &str)>> = BTreeMap::new();
    for (file, inspector) in input.walk.inspected() {
        if inspector != 0 {
            continue;
        }
        // One product per file: the first classifier of the table that found a version (a
        // MariaDB server named `mysqld` is MariaDB, not MySQL too).
        let hit = file
            .hits
            .iter()
            .filter(|h| classify::classifier(&h.rule).is_some())
            .min_by_key(|h| {
                classify::CLASSIFIERS
                    .iter()
                    .position(|c| c.id == h.rule)
                    .unwrap_or(usize::MAX)
            });
        let Some(hit) = hit else { continue };
        if !classify::valid_version(&hit.detail) {
            warnings.push(format!(
                "layer {}: {}: the {} classifier read an unusable version; skipped",
                file.layer, file.path, hit.rule
            ));
            continue;
        }
        by_path.entry(file.path.as_str()).or_default().push((
            file.layer,
            hit.rule.as_str(),
            hit.detail.as_str(),
        ));
    }
    let mut merged: BTreeMap<(String, String), Package> = BTreeMap::new();
    for (path, mut hits) in by_path {
        hits.sort_by_key(|h| h.0);
        let Some(&(layer, rule, version)) = hits.last() else {
            continue;
        };
        let final_file = input.walk.tree.get(path).is_some_and(|n| {
            n.layer == layer && matches!(n.kind, EntryKind::File | EntryKind::HardLink(_))
        });
        if !final_file || owned(input, path, rule) {
            continue;
        }
        let Some(c) = classify::classifier(rule) else {
            continue;
        };
        if let Some(module) = c.go_module
            && catalogued.iter().any(|p| {
                p.metadata.get("main").is_some_and(|m| m == "true")
                    && p.name.starts_with(module)
                    && p.locations.iter().any(|l| l.path == path)
            })
        {
            continue;
        }
        // The first layer from which the file held this version without a break.
        let mut first = layer;
        for &(l, r, v) in hits.iter().rev().skip(1) {
            if r != rule || v != version || deleted_between(input, path, l, first) {
                break;
            }
            first = l;
        }
        let location = Location {
            layer: Some(first),
            path: path.to_string(),
        };
        merged
            .entry((c.package.to_string(), version.to_string()))
            .and_modify(|p| p.locations.push(location.clone()))
            .or_insert_with(|| {
                let mut p = classify::package(c, version);
                p.locations = vec![location];
                p
            });
    }
    merged
        .into_values()
        .map(|mut p| {
            p.locations.sort();
            p
        })
        .collect()
}

/// Whether an OS package installed the file the hit is in.
fn owned(input: &Input<'_>, path: &str, rule: &str) -> bool {
    if input.owner(path).is_some() {
        return true;
    }
    // `JAVA_HOME/release` stands with `JAVA_HOME/bin/java`.
    if rule == "java-release-file"
        && let Some(home) = path.strip_suffix("/release")
    {
        return input.owner(&format!("{home}/bin/java")).is_some();
    }
    false
}

/// Did a layer after `older`, up to `newer`, delete `path` (or a directory above it)?
fn deleted_between(input: &Input<'_>, path: &str, older: usize, newer: usize) -> bool {
    let under = |p: &str| path == p || path.starts_with(&format!("{p}/"));
    input
        .walk
        .layers
        .iter()
        .filter(|l| l.index > older && l.index <= newer)
        .any(|l| {
            l.whiteouts.iter().any(|w| under(w))
                || l.opaque_dirs
                    .iter()
                    .any(|d| d.is_empty() || path.starts_with(&format!("{d}/")))
        })
}

/// Adds binary packages to the inventory, each with an id no other package has (the purl,
/// or the purl and the first path when the purl is taken), keeping the inventory's order
/// (type, name, version, locations).
pub fn add(packages: &mut Vec<Package>, found: Vec<Package>) {
    if found.is_empty() {
        return;
    }
    let taken: std::collections::HashSet<String> = packages.iter().map(|p| p.id.clone()).collect();
    for mut p in found {
        p.id = if taken.contains(&p.purl) {
            let path = p.locations.first().map(|l| l.path.as_str()).unwrap_or("");
            format!("{}#{path}", p.purl)
        } else {
            p.purl.clone()
        };
        packages.push(p);
    }
    plimsoll_catalog::sort_packages(packages);
}
