//! Checks of the final filesystem's modes and contents: setuid and setgid files no OS
//! package ships, world-writable files and directories, and a shell or package manager in
//! an image that declares itself distroless.
//!
//! Modes come from the merged tree, as the last layer to write each path left it. Symbolic
//! links are always `0777` and mean nothing: they are never reported; hard links are
//! judged like the files they are.

use super::{At, Findings};
use crate::analyzer::Input;
use plimsoll_image::Interest;
use plimsoll_image::walker::EntryKind;
use std::collections::BTreeSet;

/// `os-release` files, for the distroless declaration (`PRETTY_NAME="Distroless"`).
const OS_RELEASE: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

pub fn interests() -> Vec<Interest> {
    OS_RELEASE
        .iter()
        .map(|p| Interest {
            pattern: (*p).to_string(),
            max_size: 64 << 10,
            magic: None,
            keep: None,
        })
        .collect()
}

/// Who ships a file: the OS package whose file list holds a final-image path.
pub trait Owners {
    fn owner(&self, path: &str) -> Option<String>;
    /// Whether an OS package database with file lists was read at all.
    fn file_lists(&self) -> bool;
}

/// Every file check of the walk.
pub fn check(input: &Input<'_>, owners: &dyn Owners, out: &mut Findings) {
    let tree = input.walk.tree;
    // One pass over the tree keeps the few entries with a special or world-write bit.
    let marked: Vec<_> = tree
        .iter()
        .filter(|(_, n)| {
            n.mode & 0o6002 != 0
                && matches!(
                    n.kind,
                    EntryKind::File | EntryKind::HardLink(_) | EntryKind::Dir
                )
        })
        .collect();
    special_bits(
        marked.iter().copied(),
        owners,
        has_os_package_db(input),
        out,
    );
    world_writable(marked.iter().copied(), out);
    distroless(input, out);
}

/// Paths of the package databases plimsoll reads: an image with one of them has OS
/// packages, whether or not their file lists could be read.
const OS_PACKAGE_DBS: [&str; 8] = [
    "var/lib/dpkg/status",
    "var/lib/dpkg/status.d",
    "lib/apk/db/installed",
    "var/lib/rpm/Packages",
    "var/lib/rpm/rpmdb.sqlite",
    "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages.db",
];

fn has_os_package_db(input: &Input<'_>) -> bool {
    OS_PACKAGE_DBS
        .iter()
        .any(|p| input.walk.tree.resolve(p).is_ok())
}

/// setuid (`04000`) and setgid (`02000`) regular files that no OS package's file list
/// holds. Directories are left alone (setgid on a directory only makes new files inherit
/// its group: `/var/mail` is `2775`). When an OS package database exists but none of its
/// file lists could be read, nothing can be told apart and a warning says so.
pub fn special_bits<'a>(
    nodes: impl Iterator<Item = (&'a str, &'a plimsoll_image::walker::Node)>,
    owners: &dyn Owners,
    has_os_db: bool,
    out: &mut Findings,
) {
    let mut unknown = 0usize;
    for (path, n) in nodes {
        if n.kind == EntryKind::Dir || n.mode & 0o6000 == 0 {
            continue;
        }
        if owners.owner(path).is_some() {
            continue;
        }
        if has_os_db && !owners.file_lists() {
            unknown += 1;
            continue;
        }
        let why = if has_os_db {
            "no OS package's file list holds it"
        } else {
            "the image has no OS package database"
        };
        let p = plimsoll_model::text::escape_controls(path);
        let mode = n.mode & 0o7777;
        if n.mode & 0o4000 != 0 {
            out.push(
                super::SETUID,
                format!(
                    "{p} is setuid (mode {mode:04o}, owner uid {}) and {why}",
                    n.uid
                ),
                At::file(path, n.layer),
            );
        } else {
            out.push(
                super::SETGID,
                format!(
                    "{p} is setgid (mode {mode:04o}, group gid {}) and {why}",
                    n.gid
                ),
                At::file(path, n.layer),
            );
        }
    }
    if unknown > 0 {
        out.warnings.push(format!(
            "{} and {}: {unknown} setuid or setgid files not judged: the image's OS package \
             database lists no files to compare them with",
            super::SETUID,
            super::SETGID
        ));
    }
}

/// Files writable by everyone, and directories writable by everyone without the sticky
/// bit (`/tmp`'s `1777` is how a shared directory should be).
pub fn world_writable<'a>(
    nodes: impl Iterator<Item = (&'a str, &'a plimsoll_image::walker::Node)>,
    out: &mut Findings,
) {
    for (path, n) in nodes {
        if n.mode & 0o002 == 0 {
            continue;
        }
        let p = plimsoll_model::text::escape_controls(path);
        let mode = n.mode & 0o7777;
        if n.kind == EntryKind::Dir {
            if n.mode & 0o1000 == 0 {
                out.push(
                    super::WORLD_WRITABLE_DIR,
                    format!("{p}/ is writable by every user (mode {mode:04o}) without the sticky bit: anyone can replace or delete its files"),
                    At::file(path, n.layer),
                );
            }
        } else {
            out.push(
                super::WORLD_WRITABLE_FILE,
                format!("{p} is writable by every user (mode {mode:04o})"),
                At::file(path, n.layer),
            );
        }
    }
}

/// Shells, package managers and pip, as a distroless image must not have them.
const SHELLS_AND_MANAGERS: &[&str] = &[
    "bin/sh",
    "bin/bash",
    "bin/dash",
    "bin/ash",
    "bin/zsh",
    "bin/busybox",
    "busybox/sh",
    "busybox/busybox",
    "usr/bin/sh",
    "usr/bin/bash",
    "usr/bin/dash",
    "usr/bin/busybox",
    "usr/bin/apt",
    "usr/bin/apt-get",
    "usr/bin/dpkg",
    "sbin/apk",
    "usr/sbin/apk",
    "usr/bin/apk",
    "usr/bin/yum",
    "usr/bin/dnf",
    "usr/bin/microdnf",
    "usr/bin/rpm",
    "bin/rpm",
    "usr/bin/pip",
    "usr/bin/pip3",
    "usr/local/bin/pip",
    "usr/local/bin/pip3",
];

/// How the image declares itself distroless, if it does: a label or manifest annotation
/// naming distroless (`org.opencontainers.image.base.name`, `.title`, `.source`), or an
/// os-release of a distroless base (`PRETTY_NAME="Distroless"`; distroless images carry
/// per-package files in `var/lib/dpkg/status.d/`, no `status` database and no dpkg).
pub fn distroless_declaration(input: &Input<'_>) -> Option<String> {
    const KEYS: [&str; 3] = [
        "org.opencontainers.image.base.name",
        "org.opencontainers.image.title",
        "org.opencontainers.image.source",
    ];
    if let Some(img) = input.image {
        let labels = img.labels();
        for (what, map) in [
            ("manifest annotation", &img.annotations),
            ("label", &labels),
        ] {
            for k in KEYS {
                if map
                    .get(k)
                    .is_some_and(|v| v.to_ascii_lowercase().contains("distroless"))
                {
                    return Some(format!("its {what} {k} names distroless"));
                }
            }
        }
    }
    let tree = input.walk.tree;
    for p in OS_RELEASE {
        let Ok((real, node)) = tree.resolve(p) else {
            continue;
        };
        let file = input
            .walk
            .captured()
            .find(|(c, _)| c.path == real && c.layer == node.layer);
        if let Some((c, _)) = file {
            let text = String::from_utf8_lossy(&c.data);
            let distroless = text.lines().any(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                matches!(k.trim(), "PRETTY_NAME" | "NAME" | "ID")
                    && v.trim()
                        .trim_matches('"')
                        .eq_ignore_ascii_case("distroless")
            });
            if distroless {
                return Some(format!("its {real} says Distroless"));
            }
            return None;
        }
    }
    None
}

fn distroless(input: &Input<'_>, out: &mut Findings) {
    let Some(declared) = distroless_declaration(input) else {
        return;
    };
    let tree = input.walk.tree;
    let mut seen = BTreeSet::new();
    for p in SHELLS_AND_MANAGERS {
        let Ok((real, node)) = tree.resolve(p) else {
            continue;
        };
        if !matches!(node.kind, EntryKind::File | EntryKind::HardLink(_)) || !seen.insert(real) {
            continue;
        }
        let what = if p.contains("sh") && !p.contains("pip") {
            "a shell"
        } else if p.contains("pip") {
            "pip"
        } else if p.contains("busybox") {
            "busybox (a shell)"
        } else {
            "a package manager"
        };
        out.push(
            super::DISTROLESS_SHELL,
            format!("the image declares itself distroless ({declared}) yet ships {what}: {p}"),
            At::file(p, node.layer),
        );
    }
}
