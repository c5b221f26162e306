//! Packages that an earlier layer installed and a later layer removed (`--layers all`).
//!
//! An image's layers are applied in order, and a later layer can only hide what an earlier
//! one wrote: `apt-get purge` rewrites `var/lib/dpkg/status` without the package and deletes
//! its files, `rm -rf …/foo.dist-info` adds a whiteout. The earlier layer's blob still holds
//! the package, and anyone who can pull the image (`docker save`, `crane export` of one
//! layer) can read and run it. Trivy and Syft list only the final filesystem's packages.
//!
//! The walker already captured every layer's version of every package database and
//! manifest (the final inventory needs them to attribute packages to layers), so this reads
//! nothing more: for each captured path it follows the versions in layer order and notes
//! when each package (name, version, arch) appears and when it goes, either because a later
//! version of the file no longer lists it (a rewritten dpkg `status`, apk `installed` or
//! rpm database) or because a later layer deleted the file or a parent directory
//! (whiteouts, opaque directories) or replaced it. A package present in the final version of
//! its file is not removed, whatever happened before; an upgraded package's old version is
//! (its files are still in the earlier blob). A package removed and installed again before
//! its last removal is listed once, from the first layer that added it to the last that
//! removed it. Lockfile entries (`origin: declared`) are not listed: a deleted lockfile says
//! what was wanted, not what was installed.

use crate::{Catalog, Context, Mine, PackageKey};
use plimsoll_image::walker::EntryKind;
use plimsoll_image::{CapturedFile, WalkView};
use plimsoll_model::{Location, Origin, Package};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// What [`find`] reads of the inventory that was just built.
pub(crate) struct Finals<'a> {
    /// The final inventory (ids assigned).
    pub packages: &'a [Package],
    /// Paths whose final version could not be parsed: their history says nothing reliable.
    pub failed: &'a HashSet<String>,
    /// Owned files of the final OS databases (path, owning package name).
    pub owned: &'a [(String, String)],
    /// The final OS packages' ids by name.
    pub os_ids: &'a HashMap<String, String>,
    pub ctx: &'a Context,
}

/// The first layer after `older` and up to `newer` that deleted `path` (or a parent) with a
/// whiteout or an opaque directory.
pub(crate) fn deleted_in(
    scan: &WalkView<'_>,
    path: &str,
    older: usize,
    newer: usize,
) -> Option<usize> {
    let under = |p: &str| path == p || path.starts_with(&format!("{p}/"));
    scan.layers
        .iter()
        .filter(|l| l.index > older && l.index <= newer)
        .find(|l| {
            l.whiteouts.iter().any(|w| under(w))
                || l.opaque_dirs
                    .iter()
                    .any(|d| d.is_empty() || path.starts_with(&format!("{d}/")))
        })
        .map(|l| l.index)
}

/// One package's presence in one file's history.
struct Span {
    package: Package,
    added: usize,
    removed: Option<usize>,
}

/// The removed packages of every captured path, with ids that no final package has.
pub(crate) fn find(
    cat: &Catalog,
    scan: &WalkView<'_>,
    current: &[&Mine<'_>],
    by_path: &BTreeMap<&str, Vec<&CapturedFile>>,
    finals: Finals<'_>,
) -> (Vec<Package>, Vec<String>) {
    let owners = cat.owners();
    // Each path's catalogers, in the order of its interests.
    let mut cats: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for c in current {
        let list = cats.entry(c.path.as_str()).or_default();
        for &i in &c.interests {
            if let Some(Some(ci)) = owners.get(i)
                && !list.contains(ci)
            {
                list.push(*ci);
            }
        }
    }
    let mut final_keys: HashSet<(&str, &str, &str, Option<&str>)> = HashSet::new();
    for p in finals.packages {
        for l in &p.locations {
            let k = (l.path.as_str(), p.name.as_str(), p.version.as_str());
            final_keys.insert((k.0, k.1, k.2, p.arch.as_deref()));
        }
    }
    let is_final = |path: &str, layer: usize| {
        scan.tree.get(path).is_some_and(|n| {
            n.layer == layer && matches!(n.kind, EntryKind::File | EntryKind::HardLink(_))
        })
    };

    // Language catalogers first: the names of the files that declared removed language
    // packages let the OS catalogers keep the owned files that matter (Context::owned_names).
    let mut jobs: Vec<(&str, usize)> = cats
        .iter()
        .flat_map(|(p, l)| l.iter().map(move |&ci| (*p, ci)))
        .collect();
    jobs.sort_by_key(|(_, ci)| cat.catalogers[*ci].is_os());

    let mut ctx = finals.ctx.clone();
    let mut declaring: HashSet<String> = HashSet::new();
    let mut extended = false;
    let mut removed: Vec<Package> = Vec::new();
    let mut os_removed: Vec<usize> = Vec::new();
    let mut owned_old: Vec<(String, String)> = Vec::new();
    let mut warnings = Vec::new();
    for (path, ci) in jobs {
        let c = cat.catalogers[ci].as_ref();
        if c.is_os() && !extended {
            extended = true;
            if let Some(names) = &ctx.owned_names {
                let mut all: HashSet<String> = (**names).clone();
                all.extend(declaring.drain());
                ctx.owned_names = Some(Arc::new(all));
            }
        }
        let Some(versions) = by_path.get(path) else {
            continue;
        };
        let Some(last) = versions.last() else {
            continue;
        };
        let last_is_final = is_final(path, last.layer);
        // One version, still in the final filesystem: nothing was removed.
        if last_is_final && (versions.len() == 1 || finals.failed.contains(path)) {
            continue;
        }
        // Keyed by (name, version, arch); `done` in the order packages went away.
        let mut open: HashMap<PackageKey, Span> = HashMap::new();
        let mut done: Vec<Span> = Vec::new();
        let mut done_at: HashMap<PackageKey, usize> = HashMap::new();
        let close = |open: &mut HashMap<PackageKey, Span>,
                     done: &mut Vec<Span>,
                     done_at: &mut HashMap<PackageKey, usize>,
                     keep: &dyn Fn(&PackageKey) -> bool,
                     at: usize| {
            let mut gone: Vec<PackageKey> = open.keys().filter(|k| !keep(k)).cloned().collect();
            gone.sort();
            for k in gone {
                let Some(mut s) = open.remove(&k) else {
                    continue;
                };
                s.removed = Some(at);
                match done_at.get(&k) {
                    // Listed once: from its first layer to its last removal.
                    Some(&i) => done[i].removed = s.removed,
                    None => {
                        done_at.insert(k, done.len());
                        done.push(s);
                    }
                }
            }
        };
        let mut prev: Option<usize> = None;
        let mut parsed_cache: HashMap<&[u8], Option<Vec<Package>>> = HashMap::new();
        for v in versions.iter() {
            if let Some(d) = prev.and_then(|p| deleted_in(scan, path, p, v.layer)) {
                close(&mut open, &mut done, &mut done_at, &|_| false, d);
            }
            prev = Some(v.layer);
            let now: Vec<Package> = if last_is_final && std::ptr::eq(*v, *last) {
                // The final version: the inventory's own packages of this path.
                finals
                    .packages
                    .iter()
                    .filter(|p| p.locations.iter().any(|l| l.path == path))
                    .cloned()
                    .collect()
            } else {
                let entry = parsed_cache.entry(v.data.as_slice()).or_insert_with(|| {
                    match c.parse(path, &v.data, &ctx) {
                        Ok(p) => {
                            owned_old.extend(p.owned_files);
                            Some(p.packages)
                        }
                        Err(e) => {
                            warnings.push(format!(
                                "layer {}: {path}: {} could not be read: {e}",
                                v.layer,
                                c.name()
                            ));
                            None
                        }
                    }
                });
                match entry {
                    Some(p) => p.clone(),
                    // Unreadable: what it lists is unknown, so nothing changes here.
                    None => continue,
                }
            };
            let now: Vec<(PackageKey, Package)> = now
                .into_iter()
                .filter(|p| p.origin != Origin::Declared)
                .map(|p| (owned_key(&p), p))
                .collect();
            let listed: HashSet<&PackageKey> = now.iter().map(|(k, _)| k).collect();
            close(
                &mut open,
                &mut done,
                &mut done_at,
                &|k| listed.contains(k),
                v.layer,
            );
            for (k, p) in now {
                open.entry(k).or_insert(Span {
                    package: p,
                    added: v.layer,
                    removed: None,
                });
            }
        }
        if !last_is_final {
            let at = scan.removed_after(path, last.layer).unwrap_or(last.layer);
            close(&mut open, &mut done, &mut done_at, &|_| false, at);
        }
        for s in done {
            let p = &s.package;
            if final_keys.contains(&(path, p.name.as_str(), p.version.as_str(), p.arch.as_deref()))
            {
                continue;
            }
            let mut p = s.package;
            p.locations = vec![Location {
                layer: Some(s.added),
                path: path.to_string(),
            }];
            p.removed_in_layer = s.removed;
            p.owned_by = None;
            if c.is_os() {
                os_removed.push(removed.len());
            } else {
                let name = path.rsplit('/').next().unwrap_or(path);
                declaring.insert(name.to_string());
            }
            removed.push(p);
        }
    }
    assign_ids(&mut removed, finals.packages);
    mark_owned(&mut removed, &os_removed, finals, &owned_old);
    removed.sort_by(|a, b| {
        let k = |p: &Package| {
            (
                p.kind.clone(),
                p.name.clone(),
                p.version.clone(),
                p.locations.clone(),
            )
        };
        k(a).cmp(&k(b))
    });
    (removed, warnings)
}

/// A package's identity across versions of its file: name, version and arch.
fn owned_key(p: &Package) -> PackageKey {
    (p.name.clone(), p.version.clone(), p.arch.clone())
}

/// `id` is the purl, unless a final package or another removed one has it already: then
/// the path is appended, and then the layer that added it. Final packages keep their ids
/// whatever `--layers` says.
fn assign_ids(removed: &mut [Package], finals: &[Package]) {
    let mut taken: HashSet<String> = finals.iter().map(|p| p.id.clone()).collect();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for p in removed.iter() {
        *count.entry(p.purl.as_str()).or_default() += 1;
    }
    let shared: HashSet<String> = count
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k.to_string())
        .collect();
    for p in removed.iter_mut() {
        let loc = p.locations.first().cloned().unwrap_or_default();
        let mut id = if shared.contains(&p.purl) {
            format!("{}#{}", p.purl, loc.path)
        } else {
            p.purl.clone()
        };
        if taken.contains(&id) {
            id = format!("{}#{}", p.purl, loc.path);
        }
        if taken.contains(&id) {
            id = format!(
                "{}#{}@layer{}",
                p.purl,
                loc.path,
                loc.layer.unwrap_or_default()
            );
        }
        taken.insert(id.clone());
        p.id = id;
    }
}

/// Marks removed language packages whose declaring file an OS package listed (a removed
/// one first, else a final one): matched only through the distribution's advisories, as
/// final ones are.
fn mark_owned(
    removed: &mut [Package],
    os_removed: &[usize],
    finals: Finals<'_>,
    owned_old: &[(String, String)],
) {
    if removed.len() == os_removed.len() {
        return;
    }
    let owner = finals.os_ids;
    let removed_os: Vec<(String, String)> = os_removed
        .iter()
        .map(|&i| (removed[i].name.clone(), removed[i].id.clone()))
        .collect();
    let mut by_name: HashMap<&str, &str> = HashMap::new();
    for (n, id) in &removed_os {
        by_name.insert(n.as_str(), id.as_str());
    }
    let mut owner_of: HashMap<&str, String> = HashMap::new();
    for (path, name) in finals.owned.iter().chain(owned_old) {
        let id = by_name
            .get(name.as_str())
            .map(|s| s.to_string())
            .or_else(|| owner.get(name.as_str()).cloned());
        if let Some(id) = id {
            owner_of.entry(path.as_str()).or_insert(id);
        }
    }
    let os: HashSet<usize> = os_removed.iter().copied().collect();
    for (i, p) in removed.iter_mut().enumerate() {
        if os.contains(&i) {
            continue;
        }
        let path = p
            .locations
            .first()
            .map(|l| l.path.clone())
            .unwrap_or_default();
        // Merged /usr: dpkg lists `/lib/python3/…` while the file is `usr/lib/python3/…`.
        let alt = path.strip_prefix("usr/").map(str::to_string);
        let hit = owner_of
            .get(path.as_str())
            .or_else(|| alt.as_deref().and_then(|a| owner_of.get(a)));
        if let Some(id) = hit {
            p.owned_by = Some(id.clone());
        }
    }
}
