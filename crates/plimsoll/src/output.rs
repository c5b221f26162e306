//! Where command output goes: standard output or the `-o` file, checked before any input is
//! read and written whole or not at all. Every report and every command's output (tables,
//! `vercmp` answers, `db status`) is written through here, so that a write error has one
//! meaning everywhere:
//!
//! - the reader of standard output went away (`plimsoll … | head -1`): the command ends
//!   quietly with exit code [`EXIT_BROKEN_PIPE`] (141, what a shell reports for a process
//!   killed by SIGPIPE: the output was cut, so the run did not succeed, and a gate's verdict
//!   cannot be read as a pass);
//! - any other write error (a full disk, `/dev/full`, a closed standard output): exit 2,
//!   with a message naming where the output was going.
//!
//! A `-o FILE` that is a regular file (or does not exist yet) is written to a temporary file
//! in the same directory and renamed over FILE once complete, so a reader never sees half a
//! report. Because a report at FILE from an earlier run would look current if this run failed
//! before writing its own, that older report is removed when the run fails (see
//! [`Dest::drop`](Dest)). `-o` naming a device, a FIFO or anything under `/dev` or `/proc`
//! (`-o /dev/stdout`) is written in place, in append mode, so a shell's `>> log` is kept.
//!
//! The output is refused (exit 2) when it is the same file as one of the command's inputs
//! (same device and inode, so symlinks, hard links and `./` spellings are all caught):
//! `image img.tar -o img.tar` would replace the image with its report.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit code when standard output was closed by its reader (broken pipe): 128 + SIGPIPE.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// The reader of standard output went away: the command ends quietly with
/// [`EXIT_BROKEN_PIPE`].
#[derive(Debug)]
pub struct BrokenPipe;

impl std::fmt::Display for BrokenPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed by its reader")
    }
}

impl std::error::Error for BrokenPipe {}

/// A write error on `what` (standard output, or a file): broken pipe ends quietly, any other
/// error is exit 2 naming it.
fn write_err(what: &str, e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        anyhow::Error::new(BrokenPipe)
    } else {
        crate::input_err(format!("writing {what}: {e}"))
    }
}

/// Whether standard output was closed when the process started (`plimsoll … >&-`). The Rust
/// runtime reopens a closed standard descriptor on `/dev/null` read-write before `main`, so
/// writes to it would succeed and the output would vanish without a word; a shell's
/// `> /dev/null` opens it write-only. Read from `/proc`; false where there is none.
fn stdout_was_closed() -> bool {
    let Ok(target) = std::fs::read_link("/proc/self/fd/1") else {
        return false;
    };
    if target != Path::new("/dev/null") {
        return false;
    }
    let Ok(info) = std::fs::read_to_string("/proc/self/fdinfo/1") else {
        return false;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & 0o3 == 0o2)
}

fn check_stdout() -> anyhow::Result<()> {
    if stdout_was_closed() {
        return Err(crate::input_err(
            "standard output is closed, so the output would be lost: give -o FILE, or redirect \
             it (> /dev/null to discard it)",
        ));
    }
    Ok(())
}

/// Standard output, for commands that write as they go (`vercmp --batch`). Call
/// [`Stdout::finish`] at the end: buffered bytes are written then, and their errors reported.
pub struct Stdout {
    w: std::io::BufWriter<std::io::StdoutLock<'static>>,
}

impl Stdout {
    /// Standard output, refused when it was closed.
    pub fn open() -> anyhow::Result<Stdout> {
        check_stdout()?;
        Ok(Stdout {
            w: std::io::BufWriter::new(std::io::stdout().lock()),
        })
    }

    pub fn write(&mut self, text: &str) -> anyhow::Result<()> {
        self.w
            .write_all(text.as_bytes())
            .map_err(|e| write_err("standard output", e))
    }

    /// Writes what is buffered.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.w.flush().map_err(|e| write_err("standard output", e))
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.flush()
    }
}

/// Writes `text` to standard output.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = Stdout::open()?;
    out.write(text)?;
    out.finish()
}

/// The files a command reads, which its output must not replace. `-` (standard input) and
/// paths that do not exist are skipped.
#[derive(Debug, Default)]
pub struct Inputs(Vec<PathBuf>);

impl Inputs {
    pub fn add(&mut self, path: impl AsRef<Path>) -> &mut Self {
        let path = path.as_ref();
        if path.as_os_str() != "-" && !path.as_os_str().is_empty() {
            self.0.push(path.to_path_buf());
        }
        self
    }

    pub fn extend<P: AsRef<Path>>(&mut self, paths: impl IntoIterator<Item = P>) -> &mut Self {
        for p in paths {
            self.add(p);
        }
        self
    }

    /// The input that is the same file as `output`, if any.
    fn same_as(&self, output: &Path) -> Option<&Path> {
        let out = std::fs::metadata(output).ok()?;
        self.0
            .iter()
            .find(|i| std::fs::metadata(i).is_ok_and(|m| same_file(&m, &out)))
            .map(PathBuf::as_path)
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// Refuses `output` when it is the same file as one of `inputs` (exit 2, naming both).
pub fn refuse_same_file(output: &Path, inputs: &Inputs) -> anyhow::Result<()> {
    if let Some(input) = inputs.same_as(output) {
        let also = if input == output {
            String::new()
        } else {
            format!(" ({})", input.display())
        };
        return Err(crate::input_err(format!(
            "{}: the output is the same file as an input{also}; writing it would destroy the \
             input: choose another output file",
            output.display()
        )));
    }
    Ok(())
}

/// Checks that `path` can be written as a file: not a directory, in a directory that
/// exists and that a file can be created in. Returns how to write it.
fn check_file(path: &Path) -> anyhow::Result<FileDest> {
    let name = path.display();
    let in_place = |p: &Path| p.starts_with("/dev") || p.starts_with("/proc");
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(crate::input_err(format!(
            "{name}: is a directory; -o takes a file name"
        ))),
        Ok(m) if !m.is_file() || in_place(path) => Ok(FileDest::InPlace(path.to_path_buf())),
        Ok(m) => {
            // Through a symlink, the file it points to is replaced, not the link.
            let target = std::fs::canonicalize(path)
                .map_err(|e| crate::input_err(format!("{name}: {e}")))?;
            probe_dir(path, &target)?;
            Ok(FileDest::Replace {
                target,
                existing: Some(m.permissions()),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(crate::input_err(format!(
                    "{name}: a symbolic link to a file that does not exist; give the file itself"
                )));
            }
            if in_place(path) {
                return Err(crate::input_err(format!("{name}: no such file")));
            }
            probe_dir(path, path)?;
            Ok(FileDest::Replace {
                target: path.to_path_buf(),
                existing: None,
            })
        }
        Err(e) => Err(crate::input_err(format!("{name}: {e}"))),
    }
}

/// The directory `target` will be written in.
fn parent_dir(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Proves that a file can be created beside `target` (`given` is the path as the user wrote
/// it, for the message) by creating and removing an empty temporary file.
fn probe_dir(given: &Path, target: &Path) -> anyhow::Result<()> {
    let dir = parent_dir(target);
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(crate::input_err(format!(
                "{}: {} is not a directory",
                given.display(),
                dir.display()
            )));
        }
        Err(e) => {
            return Err(crate::input_err(format!(
                "{}: directory {}: {}",
                given.display(),
                dir.display(),
                if e.kind() == std::io::ErrorKind::NotFound {
                    "does not exist".to_string()
                } else {
                    e.to_string()
                }
            )));
        }
    }
    temp_in(target).map(drop).map_err(|e| {
        crate::input_err(format!(
            "{}: cannot create a file in {}: {e}",
            given.display(),
            dir.display()
        ))
    })
}

/// An empty temporary file beside `target`, named after it and this process (so that an
/// interrupted run's is removed, see `cleanup`): `.report.json.<pid>-XXXXXX.tmp`.
fn temp_in(target: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let base = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plimsoll-output".into());
    let prefix = format!(".{base}.{}-", std::process::id());
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // What `fs::write` would create: 0666 less the umask.
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(parent_dir(target))
}

/// How a checked `-o FILE` is written.
#[derive(Debug)]
enum FileDest {
    /// A regular file, or a new one: written to a temporary file beside it, then renamed
    /// over it. `existing` holds the permissions of the file replaced.
    Replace {
        target: PathBuf,
        existing: Option<std::fs::Permissions>,
    },
    /// A device or FIFO (`/dev/stdout`, `/dev/null`): opened and written in place.
    InPlace(PathBuf),
}

/// Where a command's output goes, checked before any input is read.
#[derive(Debug)]
pub struct Dest {
    /// The file as the user named it, `None` for standard output.
    given: Option<PathBuf>,
    file: Option<FileDest>,
    written: bool,
}

impl Dest {
    /// Checks the output before anything is read: `-o FILE` must be writable, not a
    /// directory, in a directory that exists, and no input; standard output must be open.
    /// Every failure is an input error (exit 2).
    pub fn prepare(output: Option<&Path>, inputs: &Inputs) -> anyhow::Result<Dest> {
        let Some(path) = output else {
            check_stdout()?;
            return Ok(Dest {
                given: None,
                file: None,
                written: false,
            });
        };
        refuse_same_file(path, inputs)?;
        let file = check_file(path)?;
        Ok(Dest {
            given: Some(path.to_path_buf()),
            file: Some(file),
            written: false,
        })
    }

    /// Whether the output goes to standard output.
    pub fn is_stdout(&self) -> bool {
        self.given.is_none()
    }

    /// Writes the whole output.
    pub fn write(&mut self, text: &str) -> anyhow::Result<()> {
        self.write_with(|w| w.write_all(text.as_bytes()))
    }

    /// Writes the whole output as `produce` makes it, buffered: what a JSON format is
    /// serialized into, so that a report of a million packages is never also held as one
    /// string.
    pub fn write_with(
        &mut self,
        produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        match (&self.given, &self.file) {
            (Some(given), Some(file)) => write_file(given, file, produce)?,
            _ => {
                // `prepare` checked that standard output is open.
                let mut out = Stdout {
                    w: std::io::BufWriter::new(std::io::stdout().lock()),
                };
                produce(&mut out.w).map_err(|e| write_err("standard output", e))?;
                out.finish()?;
            }
        }
        self.written = true;
        Ok(())
    }
}

fn write_file(
    given: &Path,
    file: &FileDest,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let name = given.display().to_string();
    // Produces into `f` through a buffer, and flushes it: the first write error wins.
    let fill = |f: &mut dyn Write| -> std::io::Result<()> {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
        produce(&mut w)?;
        w.flush()
    };
    match file {
        FileDest::InPlace(path) => {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(|e| crate::input_err(format!("{name}: {e}")))?;
            fill(&mut f).map_err(|e| write_err(&name, e))?;
        }
        FileDest::Replace { target, existing } => {
            let mut tmp = temp_in(target).map_err(|e| {
                crate::input_err(format!(
                    "{name}: cannot create a file in {}: {e}",
                    parent_dir(target).display()
                ))
            })?;
            fill(&mut tmp).map_err(|e| write_err(&name, e))?;
            if let Some(p) = existing {
                tmp.as_file()
                    .set_permissions(p.clone())
                    .with_context(|| format!("{name}: setting permissions"))?;
            }
            tmp.persist(target)
                .map_err(|e| crate::input_err(format!("{name}: {}", e.error)))?;
        }
    }
    Ok(())
}

impl Drop for Dest {
    /// A run that fails before writing its output removes the report an earlier run left at
    /// `-o FILE`, which would otherwise look like this run's.
    fn drop(&mut self) {
        if self.written {
            return;
        }
        if let Some(FileDest::Replace {
            target,
            existing: Some(_),
        }) = &self.file
        {
            let _ = std::fs::remove_file(target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_is_found_through_symlinks_and_dot_spellings() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("img.tar");
        std::fs::write(&img, b"image").unwrap();
        let link = dir.path().join("link.tar");
        std::os::unix::fs::symlink(&img, &link).unwrap();
        let mut inputs = Inputs::default();
        inputs.add(&img);
        assert!(inputs.same_as(&link).is_some());
        assert!(
            inputs
                .same_as(&dir.path().join(".").join("img.tar"))
                .is_some()
        );
        assert!(inputs.same_as(&dir.path().join("other.tar")).is_none());
    }

    #[test]
    fn standard_input_and_missing_inputs_never_match() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        std::fs::write(&out, b"{}").unwrap();
        let mut inputs = Inputs::default();
        inputs.add("-").add(dir.path().join("missing"));
        assert!(inputs.same_as(&out).is_none());
    }

    #[test]
    fn replacing_keeps_the_old_file_mode_and_leaves_no_temporary() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report.json");
        std::fs::write(&out, b"old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut d = Dest::prepare(Some(&out), &Inputs::default()).unwrap();
        d.write("new\n").unwrap();
        drop(d);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new\n");
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the report: {names:?}");
    }

    #[test]
    fn an_unwritten_output_removes_the_older_report() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report.json");
        std::fs::write(&out, b"old").unwrap();
        drop(Dest::prepare(Some(&out), &Inputs::default()).unwrap());
        assert!(!out.exists());
    }
}
