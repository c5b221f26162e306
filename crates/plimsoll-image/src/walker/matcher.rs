//! Compiled interests: which files of a layer to capture, tested by path, then by their
//! first bytes (magic), then by a keep test on the whole contents.

use super::{Interest, Keep};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A file of a layer that was not captured because of its contents: its first bytes (as
/// far as the magic tests read) and the keep tests that refused it.
pub(crate) struct Dropped {
    pub(crate) head: Vec<u8>,
    pub(crate) refused: Vec<&'static str>,
}

/// Compiled interests, shared by the layers of one walk.
pub struct Matcher {
    set: GlobSet,
    max_sizes: Vec<u64>,
    magics: Vec<Option<&'static [u8]>>,
    keeps: Vec<Option<Keep>>,
}

impl Matcher {
    pub fn new(interests: &[Interest]) -> Result<Matcher, String> {
        let mut b = GlobSetBuilder::new();
        for i in interests {
            let g = GlobBuilder::new(i.pattern.trim_start_matches('/'))
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!("bad interest pattern {:?}: {e}", i.pattern))?;
            b.add(g);
        }
        Ok(Matcher {
            set: b.build().map_err(|e| e.to_string())?,
            max_sizes: interests.iter().map(|i| i.max_size).collect(),
            magics: interests.iter().map(|i| i.magic).collect(),
            keeps: interests.iter().map(|i| i.keep).collect(),
        })
    }

    pub fn matches(&self, path: &str) -> Vec<usize> {
        if self.max_sizes.is_empty() {
            return Vec::new();
        }
        self.set.matches(path)
    }

    /// Longest magic prefix to read before deciding, or 0 when some interest takes any file.
    pub(crate) fn magic_len(&self, idx: &[usize]) -> usize {
        if idx.iter().any(|&i| self.magics[i].is_none()) {
            return 0;
        }
        idx.iter()
            .filter_map(|&i| self.magics[i].map(<[u8]>::len))
            .max()
            .unwrap_or(0)
    }

    /// Keeps the interests whose magic (if any) `head` starts with.
    pub(crate) fn filter_magic(&self, idx: Vec<usize>, head: &[u8]) -> Vec<usize> {
        idx.into_iter()
            .filter(|&i| self.magics[i].is_none_or(|m| head.starts_with(m)))
            .collect()
    }

    /// Splits the interests into those that keep `data` and the names of the keep tests
    /// that refused it (each test runs once per file).
    pub(crate) fn filter_keep(
        &self,
        idx: Vec<usize>,
        data: &[u8],
    ) -> (Vec<usize>, Vec<&'static str>) {
        let mut results: Vec<(&'static str, bool)> = Vec::new();
        let mut kept = Vec::new();
        for i in idx {
            let Some(k) = self.keeps[i] else {
                kept.push(i);
                continue;
            };
            let ok = match results.iter().find(|(n, _)| *n == k.name) {
                Some(&(_, r)) => r,
                None => {
                    let r = (k.test)(data);
                    results.push((k.name, r));
                    r
                }
            };
            if ok {
                kept.push(i);
            }
        }
        let refused = results.into_iter().filter(|r| !r.1).map(|r| r.0).collect();
        (kept, refused)
    }

    /// Whether a file dropped for its contents would be dropped for every interest in
    /// `idx` too (a hard link to it has the same bytes): each has a magic its first bytes
    /// fail, or a keep test that refused it.
    pub(crate) fn refuses(&self, idx: &[usize], d: &Dropped) -> bool {
        idx.iter().all(|&i| {
            self.magics[i].is_some_and(|m| d.head.len() >= m.len() && !d.head.starts_with(m))
                || self.keeps[i].is_some_and(|k| d.refused.contains(&k.name))
        })
    }

    pub(crate) fn max_size(&self, idx: &[usize]) -> u64 {
        idx.iter().map(|&i| self.max_sizes[i]).max().unwrap_or(0)
    }
}
