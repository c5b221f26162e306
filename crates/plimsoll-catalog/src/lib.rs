//! Inventory: turns the files of an image into packages, each with the layer that brought
//! it in and the file that declares it.
//!
//! Each cataloger ([`Cataloger`]) names glob patterns and parses one file's bytes into
//! packages. The layer walker captures every layer's version of every matching file in its
//! single pass; this crate then
//!
//! 1. detects the operating system from the final image's release files ([`os`]);
//! 2. parses the final version of each matching file;
//! 3. attributes each package to the first layer from which it is present, unchanged, up to
//!    the final image, by parsing the file's earlier versions (an engineer reading
//!    `docker history` would say the same): a package upgraded in a later layer belongs to
//!    that layer; a package whose file was deleted and written again belongs to the later one;
//! 4. marks language packages whose declaring file an OS package installed (`owned_by`):
//!    those are the distribution's own, patched builds.
//!
//! This crate does no I/O: it reads what the walker captured.

pub mod apk;
pub mod binary;
pub mod classify;
pub mod dotnet;
pub mod dpkg;
pub mod golang;
pub mod java;
pub mod javascript;
mod names;
pub mod os;
pub mod php;
pub mod purl;
pub mod python;
mod removed;
pub mod rpm;
pub mod ruby;
pub mod rust;

pub use plimsoll_image::walker::Keep;
use plimsoll_image::walker::{EntryKind, Interest};
use plimsoll_image::{CapturedFile, ImageScan, WalkView};
use plimsoll_model::{Location, Origin, OsInfo, Package};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

pub use os::Distro;

/// What a cataloger knows about the image while parsing.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub distro: Option<Distro>,
    /// File names (last path components) of the files that declare language packages:
    /// only owned files ([`Parsed::owned_files`]) with one of these names can make a
    /// package `owned_by` an OS package, so OS catalogers keep only those. `None` keeps
    /// every owned file. An image's OS databases list hundreds of thousands of files (a
    /// `String` pair for each took 16 times the size of dpkg's `info/*.list` files).
    pub owned_names: Option<Arc<HashSet<String>>>,
}

impl Context {
    /// Should an OS cataloger keep `path` (root-relative) as an owned file?
    pub fn wants_owned(&self, path: &str) -> bool {
        self.owned_names.as_ref().is_none_or(|names| {
            let name = path.rsplit('/').next().unwrap_or(path);
            names.contains(name)
        })
    }
}

/// What a cataloger found in one file.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Packages without `id` and `locations`: the framework fills those in.
    pub packages: Vec<Package>,
    /// Files installed by an OS package: (root-relative path, owning package name); only
    /// those [`Context::wants_owned`] accepts.
    pub owned_files: Vec<(String, String)>,
    /// Things the file says that were not read, or read only in part (an archive nested
    /// too deep, duplicate entries merged): warnings naming the layer and path.
    pub warnings: Vec<String>,
}

/// A parser of one kind of file.
pub trait Cataloger: Sync {
    /// Short name for messages (`dpkg`, `python-dist-info`…).
    fn name(&self) -> &'static str;
    /// Glob patterns over root-relative paths; `*` stops at `/`, `**` crosses directories.
    fn patterns(&self) -> &'static [&'static str];
    /// Files larger than this are skipped with a warning.
    fn max_size(&self) -> u64 {
        32 << 20
    }
    /// Leading bytes every wanted file starts with (`\x7fELF`): the walker then reads only
    /// that prefix of other files matching the patterns, and keeps nothing of them.
    fn magic(&self) -> Option<&'static [u8]> {
        None
    }
    /// A test on a matching file's whole contents that is false only for files [`parse`]
    /// would find nothing in (and report no error about): the walker drops those at once
    /// instead of holding them (and caching them) until analysis. Output never depends on it.
    ///
    /// [`parse`]: Cataloger::parse
    fn keep(&self) -> Option<Keep> {
        None
    }
    /// True for OS package databases: their packages can own other packages' files.
    fn is_os(&self) -> bool {
        false
    }
    /// Parses one file. Errors become warnings naming the layer and path.
    fn parse(&self, path: &str, data: &[u8], ctx: &Context) -> Result<Parsed, String>;
}

/// A captured file of the catalog's share of a walk, with its interests numbered in
/// [`Catalog::interests`]' list.
struct Mine<'a> {
    file: &'a CapturedFile,
    interests: Vec<usize>,
}

impl std::ops::Deref for Mine<'_> {
    type Target = CapturedFile;
    fn deref(&self) -> &CapturedFile {
        self.file
    }
}

/// The result of inventory.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub os: Option<OsInfo>,
    pub distro: Option<Distro>,
    pub packages: Vec<Package>,
    /// Packages an earlier layer installed and a later one removed, each with
    /// `removed_in_layer` (only when asked for: [`Catalog::with_removed`]).
    pub removed: Vec<Package>,
    pub warnings: Vec<String>,
    /// Which OS package installed each executable, setuid/setgid file and shared library
    /// of the final image.
    pub owners: Owners,
}

/// The OS package that installed a file, for the final image's executables, setuid/setgid
/// files and shared libraries (`*.so*`): the files a hardening check or a binary classifier
/// asks about. Paths are root-relative, as the final tree has them (a `/bin/sh` listed by a
/// merged-`/usr` system is found at `usr/bin/sh`).
#[derive(Debug, Clone, Default)]
pub struct Owners {
    by_path: HashMap<String, String>,
    file_lists: bool,
}

impl Owners {
    /// The name of the OS package whose file list holds `path`.
    pub fn owner(&self, path: &str) -> Option<&str> {
        self.by_path.get(path).map(String::as_str)
    }

    /// Whether an OS package database with file lists was read: without one, no file has
    /// an owner and "not owned" means nothing.
    pub fn file_lists(&self) -> bool {
        self.file_lists
    }
}

/// Whether the catalog keeps the owner of this final-image file (see [`Owners`]).
fn asks_owner(path: &str, node: &plimsoll_image::walker::Node) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(node.kind, EntryKind::File | EntryKind::HardLink(_))
        && (node.mode & 0o6111 != 0 || name.contains(".so"))
}

/// A set of catalogers and the walker interests they need, in a fixed order.
pub struct Catalog {
    catalogers: Vec<Box<dyn Cataloger>>,
    /// Also list the packages earlier layers installed and later ones removed.
    removed: bool,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::new(all_catalogers())
    }
}

/// Every cataloger plimsoll has.
pub fn all_catalogers() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(dpkg::Dpkg),
        Box::new(apk::Apk),
        Box::new(rpm::RpmCataloger),
        Box::new(golang::GoModCataloger),
        Box::new(rust::CargoLockCataloger),
        Box::new(binary::BinaryCataloger),
        Box::new(python::PythonInstalled),
        Box::new(python::PythonLockfiles),
        Box::new(javascript::NpmInstalled),
        Box::new(javascript::NpmLockfiles),
        Box::new(ruby::GemspecInstalled),
        Box::new(ruby::GemfileLock),
        Box::new(php::ComposerCataloger),
        Box::new(dotnet::DotnetCataloger),
        Box::new(java::JavaArchives),
    ]
}

/// The first interests are the OS release files; then one per cataloger pattern.
const OS_FILES: &[&str] = os::RELEASE_FILES;

impl Catalog {
    pub fn new(catalogers: Vec<Box<dyn Cataloger>>) -> Catalog {
        Catalog {
            catalogers,
            removed: false,
        }
    }

    /// With `true`, inventory also lists the packages that an earlier layer installed and a
    /// later one removed ([`Inventory::removed`], `--layers all`), from the versions of
    /// each file the walk captured anyway: no layer is read again.
    pub fn with_removed(mut self, removed: bool) -> Catalog {
        self.removed = removed;
        self
    }

    /// The interests to register with the walker, in the order [`Catalog::inventory`] expects.
    pub fn interests(&self) -> Vec<Interest> {
        let mut v: Vec<Interest> = OS_FILES
            .iter()
            .map(|p| Interest {
                pattern: p.to_string(),
                max_size: 64 << 10,
                magic: None,
                keep: None,
            })
            .collect();
        for c in &self.catalogers {
            for p in c.patterns() {
                v.push(Interest {
                    pattern: p.to_string(),
                    max_size: c.max_size(),
                    magic: c.magic(),
                    keep: c.keep(),
                });
            }
        }
        v
    }

    /// Maps an interest index to the cataloger index (None for OS release files).
    fn owners(&self) -> Vec<Option<usize>> {
        let mut v = vec![None; OS_FILES.len()];
        for (i, c) in self.catalogers.iter().enumerate() {
            v.extend(std::iter::repeat_n(Some(i), c.patterns().len()));
        }
        v
    }

    /// Builds the inventory from a walk made with [`Catalog::interests`] alone.
    pub fn inventory(&self, scan: &ImageScan) -> Inventory {
        self.inventory_of(&scan.view())
    }

    /// Builds the inventory from this catalog's share of a walk whose interests began with
    /// [`Catalog::interests`] (in that order).
    pub fn inventory_of(&self, scan: &WalkView<'_>) -> Inventory {
        let owners = self.owners();
        let mut inv = Inventory::default();

        // A path written twice in one layer (two tar entries) is the later entry, as
        // extraction would leave it: keep the last captured version per (path, layer).
        let mut seen: HashSet<(&str, usize)> = HashSet::new();
        let all: Vec<Mine<'_>> = scan
            .captured()
            .map(|(file, interests)| Mine { file, interests })
            .collect();
        let mut current: Vec<&Mine<'_>> = all
            .iter()
            .rev()
            .filter(|c| seen.insert((c.path.as_str(), c.layer)))
            .collect();
        current.reverse();
        // Every captured version of each path, in layer order.
        let mut by_path: BTreeMap<&str, Vec<&CapturedFile>> = BTreeMap::new();
        for c in &current {
            by_path.entry(c.path.as_str()).or_default().push(c.file);
        }
        for v in by_path.values_mut() {
            v.sort_by_key(|c| c.layer);
        }

        // Captured files still in the final image, as the layer that last wrote them has
        // them (and still files: a later entry of the same layer may have made the path a
        // link or a directory).
        let finals: Vec<&Mine<'_>> = current
            .iter()
            .copied()
            .filter(|c| {
                scan.tree.get(&c.path).is_some_and(|n| {
                    n.layer == c.layer && matches!(n.kind, EntryKind::File | EntryKind::HardLink(_))
                })
            })
            .collect();
        inv.distro = os::detect(
            finals
                .iter()
                .filter(|c| c.interests.iter().any(|&i| i < OS_FILES.len()))
                .map(|c| (c.path.as_str(), c.data.as_slice())),
        );
        inv.os = inv.distro.as_ref().map(Distro::os_info);
        let mut ctx = Context {
            distro: inv.distro.clone(),
            owned_names: None,
        };

        // (file, cataloger) pairs, language catalogers first: the OS catalogers then keep
        // only owned files that can own one of the packages found (see Context::owned_names).
        let mut jobs: Vec<(&Mine<'_>, usize)> = Vec::new();
        for file in &finals {
            let mut seen = Vec::new();
            for &i in &file.interests {
                if let Some(Some(ci)) = owners.get(i)
                    && !seen.contains(ci)
                {
                    seen.push(*ci);
                    jobs.push((file, *ci));
                }
            }
        }
        jobs.sort_by_key(|(_, ci)| self.catalogers[*ci].is_os());

        let mut os_packages: Vec<usize> = Vec::new();
        let mut owned: Vec<(String, String)> = Vec::new();
        let mut declaring: HashSet<String> = HashSet::new();
        let mut failed: HashSet<String> = HashSet::new();
        for (file, ci) in jobs {
            let cat = &self.catalogers[ci];
            if cat.is_os() && ctx.owned_names.is_none() {
                let mut names = std::mem::take(&mut declaring);
                for (path, node) in scan.tree.iter() {
                    if asks_owner(path, node) {
                        names.insert(path.rsplit('/').next().unwrap_or(path).to_string());
                    }
                }
                ctx.owned_names = Some(Arc::new(names));
            }
            let parsed = match cat.parse(&file.path, &file.data, &ctx) {
                Ok(p) => p,
                Err(e) => {
                    inv.warnings.push(format!(
                        "layer {}: {}: {} could not be read: {e}",
                        file.layer,
                        file.path,
                        cat.name()
                    ));
                    failed.insert(file.path.clone());
                    continue;
                }
            };
            for w in parsed.warnings {
                inv.warnings
                    .push(format!("layer {}: {}: {w}", file.layer, file.path));
            }
            if !cat.is_os() && !parsed.packages.is_empty() {
                let name = file.path.rsplit('/').next().unwrap_or(&file.path);
                declaring.insert(name.to_string());
            }
            let versions = by_path.get(file.path.as_str()).cloned().unwrap_or_default();
            let layers = attribute(
                scan,
                cat.as_ref(),
                &ctx,
                &file.path,
                &versions,
                &parsed.packages,
            );
            for (mut p, layer) in parsed.packages.into_iter().zip(layers) {
                p.locations = vec![Location {
                    layer: Some(layer),
                    path: file.path.clone(),
                }];
                if cat.is_os() {
                    os_packages.push(inv.packages.len());
                }
                inv.packages.push(p);
            }
            owned.extend(parsed.owned_files);
        }
        assign_ids(&mut inv.packages);
        inv.owners = owners_of(&owned, scan.tree);
        inv.owners.file_lists = !os_packages.is_empty() && !owned.is_empty();
        mark_owned(&mut inv.packages, &os_packages, &inv.owners);
        let os_ids: HashMap<String, String> = os_packages
            .iter()
            .map(|&i| (inv.packages[i].name.clone(), inv.packages[i].id.clone()))
            .collect();
        merge_declared(&mut inv.packages);
        sort_packages(&mut inv.packages);
        if self.removed {
            let finals = removed::Finals {
                packages: &inv.packages,
                failed: &failed,
                owned: &owned,
                os_ids: &os_ids,
                ctx: &ctx,
            };
            let (found, warnings) = removed::find(self, scan, &current, &by_path, finals);
            inv.removed = found;
            inv.warnings.extend(warnings);
        }
        inv
    }
}

/// The inventory's order: by kind, name, version, then where each was found.
pub fn sort_packages(packages: &mut [Package]) {
    fn key(p: &Package) -> (&str, &str, &str, &[Location]) {
        (&p.kind, &p.name, &p.version, &p.locations)
    }
    packages.sort_by(|a, b| key(a).cmp(&key(b)));
}

/// A lockfile entry that is also installed (`app/package-lock.json` and
/// `app/node_modules/lodash/package.json` for the same lodash) is one package, not two: the
/// installed one stays, with the lockfile as a further location, so that each vulnerability
/// is reported once per package (as Trivy and Syft, which read only installed packages in
/// images, would). Declared entries with nothing installed stay: then the lockfile is all
/// the image says.
fn merge_declared(packages: &mut Vec<Package>) {
    fn key(p: &Package) -> (String, String, String) {
        // The ecosystem's name rule: PEP 503 makes `PyYAML` in a lockfile `pyyaml` installed.
        let name = plimsoll_model::ecosystem::normalize_name(&p.ecosystem, &p.name);
        (p.ecosystem.clone(), name, p.version.clone())
    }
    let mut installed: HashMap<(String, String, String), usize> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        if p.origin == Origin::Installed {
            // Several installed copies: the lockfile goes with the earliest (layer, path).
            installed
                .entry(key(p))
                .and_modify(|j| {
                    if p.locations < packages[*j].locations {
                        *j = i;
                    }
                })
                .or_insert(i);
        }
    }
    let mut extra: Vec<(usize, Location)> = Vec::new();
    let mut drop = vec![false; packages.len()];
    for (i, p) in packages.iter().enumerate() {
        if p.origin != Origin::Declared {
            continue;
        }
        if let Some(&j) = installed.get(&key(p)) {
            drop[i] = true;
            extra.extend(p.locations.iter().cloned().map(|l| (j, l)));
        }
    }
    for (j, l) in extra {
        if !packages[j].locations.contains(&l) {
            packages[j].locations.push(l);
        }
    }
    let mut n = 0;
    packages.retain(|_| {
        n += 1;
        !drop[n - 1]
    });
}

/// Longest name, version or arch an OS package database field may have; anything longer is
/// not a real field (a corrupt or hostile database).
pub(crate) const MAX_FIELD: usize = 512;

/// A name, version or arch as package databases write them: non-empty, bounded, no spaces
/// or control characters.
pub(crate) fn valid_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_FIELD && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Owned form of [`key`].
type PackageKey = (String, String, Option<String>);

/// Identity of a package across versions of its file: same name, version and arch.
fn key(p: &Package) -> (&str, &str, Option<&str>) {
    (p.name.as_str(), p.version.as_str(), p.arch.as_deref())
}

/// For each package of the final file, the first layer from which it is present unchanged.
fn attribute(
    scan: &WalkView<'_>,
    cat: &dyn Cataloger,
    ctx: &Context,
    path: &str,
    versions: &[&CapturedFile],
    finals: &[Package],
) -> Vec<usize> {
    let Some(last) = versions.last() else {
        return vec![0; finals.len()];
    };
    if finals.is_empty() {
        // Ownership lists (dpkg `.list`): nothing to attribute, no older version to parse.
        return vec![];
    }
    let mut layers = vec![last.layer; finals.len()];
    let mut alive: Vec<bool> = vec![true; finals.len()];
    let mut newer = *last;
    let mut cache: HashMap<&[u8], Vec<PackageKey>> = HashMap::new();
    for older in versions.iter().rev().skip(1) {
        if deleted_between(scan, path, older.layer, newer.layer) {
            break;
        }
        let keys = cache.entry(older.data.as_slice()).or_insert_with(|| {
            cat.parse(path, &older.data, ctx)
                .map(|p| {
                    p.packages
                        .iter()
                        .map(|p| (p.name.clone(), p.version.clone(), p.arch.clone()))
                        .collect()
                })
                .unwrap_or_default()
        });
        let mut any = false;
        for (i, p) in finals.iter().enumerate() {
            if !alive[i] {
                continue;
            }
            let k = key(p);
            if keys
                .iter()
                .any(|(n, v, a)| (n.as_str(), v.as_str(), a.as_deref()) == k)
            {
                layers[i] = older.layer;
                any = true;
            } else {
                alive[i] = false;
            }
        }
        if !any {
            break;
        }
        newer = older;
    }
    layers
}

/// Did a layer strictly after `older` and up to `newer` delete `path` (or a parent) before
/// `newer` wrote it again? Whiteouts in `newer` itself apply to lower layers, so they count.
fn deleted_between(scan: &WalkView<'_>, path: &str, older: usize, newer: usize) -> bool {
    removed::deleted_in(scan, path, older, newer).is_some()
}

/// `id` is the purl; when the same purl is found at several paths, the path is appended.
fn assign_ids(packages: &mut [Package]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for p in packages.iter() {
        *count.entry(p.purl.clone()).or_default() += 1;
    }
    for p in packages.iter_mut() {
        p.id = if count[&p.purl] > 1 {
            let path = p.locations.first().map(|l| l.path.as_str()).unwrap_or("");
            format!("{}#{path}", p.purl)
        } else {
            p.purl.clone()
        };
    }
}

/// Marks packages whose declaring file an OS package installed. Owned paths are as the
/// package database lists them; on merged-/usr images (`bin` -> `usr/bin`, `lib` ->
/// `usr/lib`) dpkg lists `/bin/bash` while the image holds `usr/bin/bash`, so listed paths
/// absent from the final tree are also resolved through its symbolic links.
/// The owner of each path an OS package lists, under the path the final tree has it at
/// too when the listed one goes through a symlink (`bin/sh` in a merged-`/usr` image).
fn owners_of(owned: &[(String, String)], tree: &plimsoll_image::FileTree) -> Owners {
    // Sized up front: growing it rehashed every path several times (5% of a warm scan).
    let mut by_path: HashMap<String, String> = HashMap::with_capacity(owned.len());
    for (path, name) in owned {
        if tree.get(path).is_none()
            && let Ok((real, _)) = tree.resolve(path)
        {
            by_path.insert(real, name.clone());
        }
        by_path.insert(path.clone(), name.clone());
    }
    Owners {
        by_path,
        file_lists: false,
    }
}

/// Marks the language packages whose declaring file an OS package installed.
fn mark_owned(packages: &mut [Package], os_packages: &[usize], owners: &Owners) {
    if owners.by_path.is_empty() || packages.len() == os_packages.len() {
        return;
    }
    let mut os_by_name: HashMap<&str, usize> = HashMap::new();
    for &i in os_packages {
        os_by_name.insert(packages[i].name.as_str(), i);
    }
    let owner_of = |path: &str| owners.owner(path).and_then(|n| os_by_name.get(n).copied());
    let os: std::collections::HashSet<usize> = os_packages.iter().copied().collect();
    let marks: Vec<(usize, String)> = packages
        .iter()
        .enumerate()
        .filter(|(i, _)| !os.contains(i))
        .filter_map(|(i, p)| {
            let path = p.locations.first().map(|l| l.path.as_str()).unwrap_or("");
            owner_of(path).map(|o| (i, packages[o].id.clone()))
        })
        .collect();
    for (i, id) in marks {
        packages[i].owned_by = Some(id);
    }
}
