//! An unpacked root filesystem directory, read as a single layer.
//!
//! Symbolic links are recorded, never followed on the host; files are opened with
//! `O_NOFOLLOW` semantics by checking the entry type from `symlink_metadata` first. Only
//! regular files, directories and links are recorded; sockets and devices are skipped.

use crate::scan::ImageScan;
use crate::walker::{CapturedFile, Entry, EntryKind, LayerWalk, Matcher, WalkContext, WalkOptions};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Walks `root` as layer 0.
pub fn scan_dir(root: &Path, opts: &WalkOptions) -> Result<ImageScan, String> {
    let meta = std::fs::metadata(root).map_err(|e| format!("{}: {e}", root.display()))?;
    if !meta.is_dir() {
        return Err(format!("{}: not a directory", root.display()));
    }
    let matcher = Matcher::new(&opts.interests)?;
    let ctx = WalkContext::new(&matcher, &opts.limits);
    let mut walk = LayerWalk::default();
    let mut stack = vec![root.to_path_buf()];
    let mut captured_total = 0u64;
    while let Some(dir) = stack.pop() {
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                push_warning(&mut walk, &ctx, format!("{}: {e}", dir.display()));
                continue;
            }
        };
        let mut children: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        children.sort_by_key(|e| e.file_name());
        for child in children {
            let p = child.path();
            let rel = match p.strip_prefix(root) {
                Ok(r) => r.to_string_lossy().into_owned(),
                Err(_) => continue,
            };
            let md = match std::fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    push_warning(&mut walk, &ctx, format!("{rel}: {e}"));
                    continue;
                }
            };
            if walk.entries.len() as u64 >= ctx.limits.max_entries {
                walk.error = Some(format!(
                    "more than {} entries (raise it with --max-entries)",
                    ctx.limits.max_entries
                ));
                return Ok(ImageScan::from_walks(vec![walk]));
            }
            let ft = md.file_type();
            let kind = if ft.is_symlink() {
                EntryKind::Symlink(
                    std::fs::read_link(&p)
                        .map(|t| t.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                )
            } else if ft.is_dir() {
                stack.push(p.clone());
                EntryKind::Dir
            } else if ft.is_file() {
                EntryKind::File
            } else {
                continue;
            };
            let size = if kind == EntryKind::File { md.len() } else { 0 };
            let captured_before = walk.captured.len();
            if kind == EntryKind::File {
                let interests = matcher.matches(&rel);
                if !interests.is_empty() {
                    let max = interests
                        .iter()
                        .map(|&i| opts.interests[i].max_size)
                        .max()
                        .unwrap_or(0);
                    if size > max {
                        push_warning(
                            &mut walk,
                            &ctx,
                            format!(
                                "{rel}: {size} bytes, over the {max}-byte limit for analysis; skipped"
                            ),
                        );
                    } else if captured_total + size > ctx.limits.max_capture_total {
                        push_warning(
                            &mut walk,
                            &ctx,
                            format!(
                                "{rel}: total analysed content over {} bytes (raise it with --max-capture); skipped",
                                ctx.limits.max_capture_total
                            ),
                        );
                    } else {
                        let mut data = Vec::new();
                        match std::fs::File::open(&p)
                            .and_then(|f| f.take(max + 1).read_to_end(&mut data))
                        {
                            Ok(_) => {
                                captured_total += data.len() as u64;
                                walk.captured.push(CapturedFile {
                                    layer: 0,
                                    path: rel.clone(),
                                    interests,
                                    mode: md.mode(),
                                    data,
                                });
                            }
                            Err(e) => push_warning(&mut walk, &ctx, format!("{rel}: {e}")),
                        }
                    }
                }
            }
            if kind == EntryKind::File && !opts.inspectors.is_empty() {
                inspect_file(
                    &mut walk,
                    &ctx,
                    opts,
                    &p,
                    &rel,
                    (size, md.mode()),
                    captured_before,
                );
            }
            walk.uncompressed_size += size;
            walk.entries.push(Entry {
                path: rel,
                kind,
                size,
                mode: md.mode() & 0o7777,
                uid: u64::from(md.uid()),
                gid: u64::from(md.gid()),
            });
        }
    }
    Ok(ImageScan::from_walks(vec![walk]))
}

/// Runs the inspectors that want a file over it: over its captured contents when the walk
/// just captured it, else streamed from the file. A file that cannot be read is a warning.
fn inspect_file(
    walk: &mut LayerWalk,
    ctx: &WalkContext<'_>,
    opts: &WalkOptions,
    p: &Path,
    rel: &str,
    (size, mode): (u64, u32),
    captured_before: usize,
) {
    // A file just captured is inspected from its captured bytes (borrowed: the hits go to
    // another field of the walk), any other from the file, opened once: its head first.
    let known = walk.captured[captured_before..]
        .last()
        .map(|c| c.data.as_slice());
    let mut head = Vec::new();
    let mut rest: Box<dyn Read> = match known {
        Some(_) => Box::new(std::io::empty()),
        None => match std::fs::File::open(p).and_then(|mut f| {
            (&mut f)
                .take(crate::inspect::HEAD_LEN as u64)
                .read_to_end(&mut head)?;
            Ok(f)
        }) {
            Ok(f) => Box::new(f),
            Err(e) => {
                push_warning(walk, ctx, format!("{rel}: {e}"));
                return;
            }
        },
    };
    let candidate = crate::inspect::Candidate {
        path: rel,
        size,
        mode,
        head: known.unwrap_or(&head),
    };
    let wanting: Vec<usize> = (0..opts.inspectors.len())
        .filter(|&i| opts.inspectors[i].wants(&candidate))
        .collect();
    if wanting.is_empty() {
        return;
    }
    let file = crate::inspect::Wanted {
        layer: 0,
        path: rel,
        size,
        known,
        prefix: &head,
    };
    let result = crate::inspect::run(
        &opts.inspectors,
        &wanting,
        &file,
        &mut rest,
        &mut walk.inspected,
    );
    match result {
        Ok(None) => {}
        Ok(Some(note)) => push_warning(walk, ctx, note),
        Err(e) => push_warning(walk, ctx, format!("{rel}: {e}")),
    }
}

fn push_warning(walk: &mut LayerWalk, ctx: &WalkContext<'_>, w: String) {
    if walk.warnings.len() < ctx.limits.max_warnings {
        walk.warnings.push(w);
    }
}
