//! The merged view of an image's layers, in which every path knows the layer that last
//! wrote it, and symlink resolution inside it.

use super::{Entry, EntryKind};
use std::collections::BTreeMap;

/// One node of the merged filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Index of the layer that last wrote this path.
    pub layer: usize,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

/// The merged view of an image's layers: every path present in the final image, with the
/// layer that last wrote it.
#[derive(Debug, Clone, Default)]
pub struct FileTree {
    nodes: BTreeMap<String, Node>,
}

/// Symlink resolution failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("{0}: too many levels of symbolic links")]
    Loop(String),
    #[error("{0}: no such file in the image")]
    Missing(String),
}

impl FileTree {
    pub fn new() -> FileTree {
        FileTree::default()
    }

    /// Applies one layer on top of what is there. Whiteouts and opaque directories of a
    /// layer hide only lower layers' files, so they are applied before its own entries.
    pub fn apply(&mut self, layer: LayerEntries) {
        for dir in &layer.opaque_dirs {
            self.remove_children(dir);
        }
        for path in &layer.whiteouts {
            self.nodes.remove(path);
            self.remove_children(path);
        }
        for e in layer.entries {
            let node = Node {
                layer: layer.index,
                kind: e.kind,
                size: e.size,
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
            };
            // One lookup per entry: this loop runs once per file of the image.
            match self.nodes.entry(e.path) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(node);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    let hides_children =
                        o.get().kind == EntryKind::Dir && node.kind != EntryKind::Dir;
                    let key = hides_children.then(|| o.key().clone());
                    o.insert(node);
                    if let Some(k) = key {
                        // A file replacing a directory hides everything below it.
                        self.remove_children(&k);
                    }
                }
            }
        }
    }

    fn remove_children(&mut self, dir: &str) {
        if dir.is_empty() {
            self.nodes.clear();
            return;
        }
        let prefix = format!("{dir}/");
        let keys: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            self.nodes.remove(&k);
        }
    }

    fn has_children(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.nodes
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path.trim_start_matches('/'))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Follows symbolic links (in every path component) inside the image, never on the
    /// host, up to 40 links as Linux does. Returns the final path and its node.
    pub fn resolve(&self, path: &str) -> Result<(String, &Node), ResolveError> {
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .rev()
            .collect();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(c) = pending.pop() {
            if c == ".." {
                done.pop();
                continue;
            }
            done.push(c);
            let cur = done.join("/");
            let Some(node) = self.nodes.get(&cur) else {
                // Tars often omit parent directories: a path with children is a directory.
                if !pending.is_empty() && self.has_children(&cur) {
                    continue;
                }
                return Err(ResolveError::Missing(path.to_string()));
            };
            let target = match &node.kind {
                EntryKind::Symlink(t) => t.clone(),
                EntryKind::HardLink(t) => {
                    // Hard links share contents: continue from the target path.
                    done = t.split('/').map(str::to_string).collect();
                    continue;
                }
                _ => continue,
            };
            links += 1;
            if links > 40 {
                return Err(ResolveError::Loop(path.to_string()));
            }
            done.pop();
            if target.starts_with('/') {
                done.clear();
            }
            for t in target.split('/').rev() {
                if !t.is_empty() && t != "." {
                    pending.push(t.to_string());
                }
            }
        }
        let fin = done.join("/");
        match self.nodes.get(&fin) {
            Some(n) => Ok((fin, n)),
            None => Err(ResolveError::Missing(path.to_string())),
        }
    }
}

/// The parts of a [`LayerWalk`] that [`FileTree::apply`] consumes.
pub struct LayerEntries {
    pub index: usize,
    pub entries: Vec<Entry>,
    pub whiteouts: Vec<String>,
    pub opaque_dirs: Vec<String>,
}
