//! Temporary files: this process's are removed when it is interrupted (SIGINT, SIGTERM,
//! SIGHUP), and those left by a process that is gone are swept when the next one starts.
//!
//! Every temporary file or directory plimsoll writes carries its process id in its name,
//! right after a fixed prefix: `<cache>/tmp/archive-<pid>-XXXXXX` (a decompressed gzip
//! archive, up to gigabytes), `<cache>/tmp/download-<pid>-XXXXXX`, `<cache>/layers/.tmp-<pid>-…`,
//! `.NAME.<pid>-XXXXXX.tmp` beside a database being built (and SQLite's `-journal` beside
//! it), `.plimsoll-update.<pid>-…/` during `db update`, `plimsoll-archive-<pid>-…` in the
//! system's temporary directory under `--no-cache`. Only those names, in those
//! directories, are ever removed; a name without a process id is an older plimsoll's and is
//! removed once it is a day old.
//!
//! Removing the temporary file of a database build is safe at any moment: the database is
//! replaced by a rename, so the old one is intact until the new one is complete (also after
//! `kill -9`, which no handler sees; the next run sweeps what that leaves).
//!
//! A process id is "gone" when `/proc/<pid>` is absent. Processes in another PID namespace
//! sharing the cache directory (containers on one volume) cannot be seen that way, which is
//! why a file is also kept while it is younger than [`STALE`] unless its owner is known to
//! be gone in this namespace.

use crate::cli::{Cli, Command, DbCommand};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Older than this, a temporary file is stale whoever made it: no scan runs for a day.
const STALE: Duration = Duration::from_secs(24 * 3600);

/// Between the two removals of an interrupted process's temporaries.
const SETTLE: Duration = Duration::from_millis(50);

/// Sweeps stale temporaries of the directories `cli` will write to, and installs the signal
/// handler that removes this process's on SIGINT, SIGTERM or SIGHUP (exit status 128 + the
/// signal: 130, 143, 129).
pub fn install(cli: &Cli) {
    let places = places(cli);
    if places.is_empty() {
        return;
    }
    sweep(&places, std::process::id());
    let signals = [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ];
    // Without the handler a signal still ends the process; the next run sweeps.
    let Ok(mut signals) = signal_hook::iterator::Signals::new(signals) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // The other threads run on until the exit, and one may be re-creating a
                // temporary just removed (a database build copies into its temporary file by
                // name): remove, give such a step a moment to finish, remove again. Whatever
                // still escapes is swept by the next run, its owner being gone.
                remove_own(&places, std::process::id());
                std::thread::sleep(SETTLE);
                remove_own(&places, std::process::id());
                std::process::exit(128 + sig);
            }
        });
}

/// A directory plimsoll writes temporaries to, and the prefix their names start with.
#[derive(Debug, Clone)]
struct Place {
    dir: PathBuf,
    prefix: Prefix,
}

#[derive(Debug, Clone)]
enum Prefix {
    /// Names start with this exact string, then `<pid>-XXXXXX`, then the suffix.
    Exact(String, &'static str),
    /// `.STEM.<pid>-XXXXXX.tmp` for any STEM: the databases of `<cache>/db/osv/`.
    DotStemTmp,
}

fn place(dir: &Path, prefix: &str) -> Place {
    place_with(dir, prefix, "")
}

fn place_with(dir: &Path, prefix: &str, suffix: &'static str) -> Place {
    Place {
        dir: dir.to_path_buf(),
        prefix: Prefix::Exact(prefix.to_string(), suffix),
    }
}

/// Where the command may leave temporaries.
fn places(cli: &Cli) -> Vec<Place> {
    // `-o FILE` is written to `.FILE.<pid>-XXXXXX.tmp` beside it, then renamed.
    let (cache, db, export) = match &cli.command {
        Command::Image(a) => (&a.image.cache_dir, None, a.image.output.output.clone()),
        Command::Explain(a) => (
            &a.scan.image.cache_dir,
            None,
            a.scan.image.output.output.clone(),
        ),
        Command::Inventory(a) => (&a.cache_dir, None, a.output.output.clone()),
        Command::Fs(a) => (&a.cache_dir, None, a.output.output.clone()),
        Command::Sbom(a) => (&a.cache_dir, None, a.output.output.clone()),
        Command::Db(c) => {
            let (a, export) = match c {
                DbCommand::Update(u) => (&u.db, None),
                DbCommand::Import(i) => (&i.db, None),
                DbCommand::Export(e) => (&e.db, Some(e.file.clone())),
                DbCommand::Status(s) => (&s.db, None),
            };
            (&a.cache_dir, Some(crate::db::db_path(a)), export)
        }
        _ => return Vec::new(),
    };
    let cache = crate::db::cache_dir(cache);
    let tmp = cache.join("tmp");
    let db_dir = cache.join("db");
    let mut v = vec![
        place(&tmp, "archive-"),
        place(&tmp, "download-"),
        place(&tmp, "probe-"),
        place(&cache.join("layers"), ".tmp-"),
        place(&std::env::temp_dir(), "plimsoll-archive-"),
        Place {
            dir: db_dir.join("osv"),
            prefix: Prefix::DotStemTmp,
        },
    ];
    let mut db_beside = |db: &Path| {
        let dir = parent(db);
        if let Some(name) = db.file_name() {
            v.push(place_with(
                &dir,
                &format!(".{}.", name.to_string_lossy()),
                ".tmp",
            ));
        }
        v.push(place(&dir, ".plimsoll-update."));
        v.push(place_with(&dir, ".plimsoll-import.", ".tmp"));
    };
    db_beside(&db_dir.join("plimsoll.db"));
    if let Some(db) = db {
        db_beside(&db);
    }
    if let Some(out) = export {
        if let Some(name) = out.file_name() {
            v.push(place_with(
                &parent(&out),
                &format!(".{}.", name.to_string_lossy()),
                ".tmp",
            ));
        }
        v.push(place_with(&parent(&out), ".plimsoll-export.", ".tmp"));
    }
    v
}

fn parent(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Who made a temporary file, as its name tells.
#[derive(Debug, PartialEq, Eq)]
enum Owner {
    Pid(u32),
    /// An older plimsoll's name, without a process id.
    Unknown,
}

/// The owner of `name` if it is a temporary of `prefix`, else `None`.
fn owner(name: &str, prefix: &Prefix) -> Option<Owner> {
    // SQLite's rollback journal and WAL files sit beside the database they belong to.
    let base = ["-journal", "-wal", "-shm"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    let core = match prefix {
        Prefix::Exact(p, suffix) => base.strip_prefix(p.as_str())?.strip_suffix(suffix)?,
        Prefix::DotStemTmp => {
            let stem_core = base.strip_prefix('.')?.strip_suffix(".tmp")?;
            stem_core.rsplit_once('.')?.1
        }
    };
    // `tempfile` adds 6 random alphanumeric characters.
    let random = |s: &str| s.len() == 6 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    match core.split_once('-') {
        Some((pid, r))
            if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && random(r) =>
        {
            pid.parse().ok().map(Owner::Pid)
        }
        None if random(core) => Some(Owner::Unknown),
        _ => None,
    }
}

/// Whether process `pid` is gone, as far as this namespace can tell.
fn gone(pid: u32) -> bool {
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid.to_string()).exists()
}

/// Every temporary of `places` with its owner.
fn temporaries(places: &[Place]) -> Vec<(PathBuf, Owner)> {
    let mut found = Vec::new();
    for p in places {
        let Ok(rd) = std::fs::read_dir(&p.dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            if let Some(o) = name.to_str().and_then(|n| owner(n, &p.prefix)) {
                found.push((e.path(), o));
            }
        }
    }
    found
}

/// Removes the temporaries of processes that are gone, of an earlier process that had this
/// one's id (none of this process's exists yet), and any a day old.
fn sweep(places: &[Place], me: u32) {
    for (path, o) in temporaries(places) {
        let old = std::fs::symlink_metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE);
        let stale = match o {
            Owner::Pid(pid) => pid == me || gone(pid) || old,
            Owner::Unknown => old,
        };
        if stale {
            remove(&path);
        }
    }
}

fn remove_own(places: &[Place], me: u32) {
    for (path, o) in temporaries(places) {
        if o == Owner::Pid(me) {
            remove(&path);
        }
    }
}

fn remove(path: &Path) {
    let is_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    let _ = if is_dir {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(p: &str, suffix: &'static str) -> Prefix {
        Prefix::Exact(p.to_string(), suffix)
    }

    #[test]
    fn owners_from_names() {
        let a = exact("archive-", "");
        assert_eq!(owner("archive-1234-AbC123", &a), Some(Owner::Pid(1234)));
        assert_eq!(owner("archive-AbC123", &a), Some(Owner::Unknown));
        assert_eq!(owner("archive-", &a), None);
        assert_eq!(owner("archive-12-", &a), None);
        assert_eq!(owner("archive-1x-abcdef", &a), None);
        assert_eq!(owner("archive-1-abc", &a), None);
        assert_eq!(owner("download-1-abcdef", &a), None);
        let db = exact(".plimsoll.db.", ".tmp");
        assert_eq!(
            owner(".plimsoll.db.77-Xy9zQ1.tmp", &db),
            Some(Owner::Pid(77))
        );
        assert_eq!(
            owner(".plimsoll.db.77-Xy9zQ1.tmp-journal", &db),
            Some(Owner::Pid(77))
        );
        assert_eq!(owner(".plimsoll.db.Xy9zQ1.tmp", &db), Some(Owner::Unknown));
        // The database itself and the user's other files are never temporaries.
        assert_eq!(owner("plimsoll.db", &db), None);
        assert_eq!(owner(".plimsoll.db.backup", &db), None);
        assert_eq!(owner(".plimsoll.db.backup.tmp", &db), Some(Owner::Unknown));
        assert_eq!(owner(".plimsoll.db.my backup.tmp", &db), None);
        let osv = Prefix::DotStemTmp;
        assert_eq!(
            owner(".osv-0123abcd.db.4242-AAAAAA.tmp", &osv),
            Some(Owner::Pid(4242))
        );
        assert_eq!(owner("osv-0123abcd.db", &osv), None);
        assert_eq!(owner(".osv-0123abcd.db", &osv), None);
    }

    #[test]
    fn sweep_keeps_live_owners_and_removes_gone_ones() {
        let dir = tempfile::tempdir().unwrap();
        let places = [place(dir.path(), "archive-")];
        // A pid above the kernel's maximum (4194304) is never alive.
        let dead = dir.path().join("archive-4294967-AAAAAA");
        let live = dir.path().join(format!(
            "archive-{}-BBBBBB",
            std::os::unix::process::parent_id()
        ));
        let legacy = dir.path().join("archive-CCCCCC");
        let mine = dir.path().join("archive-4242-DDDDDD");
        let other = dir.path().join("notes.txt");
        for p in [&dead, &live, &legacy, &mine, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("archive-4294968-EEEEEE")).unwrap();
        std::fs::write(dir.path().join("archive-4294968-EEEEEE/x"), b"x").unwrap();
        sweep(&places, 4242);
        assert!(!dead.exists() && !mine.exists());
        assert!(!dir.path().join("archive-4294968-EEEEEE").exists());
        assert!(live.exists() && legacy.exists() && other.exists());
        remove_own(&places, std::os::unix::process::parent_id());
        assert!(!live.exists() && legacy.exists() && other.exists());
    }
}
