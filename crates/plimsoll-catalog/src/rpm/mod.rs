//! rpm package databases, read directly (rpm is never run), in all three formats rpm has
//! used: SQLite `rpmdb.sqlite` (RHEL 9, Fedora ≥ 33, Rocky/Alma 9, Amazon Linux 2023),
//! Berkeley DB hash `Packages` (RHEL/CentOS ≤ 8, Amazon Linux 2) and ndb `Packages.db`
//! (SUSE). Each stores one rpm header blob per installed package ([`header`]); the format
//! is told by the file's magic, not its name.

pub mod bdb;
pub mod header;
pub mod ndb;

use crate::{Cataloger, Context, Parsed, purl};
use header::Header;
use plimsoll_model::{Origin, Package, SourcePackage};
use std::collections::BTreeMap;

/// Largest database read (RHEL 9 with a desktop installs a ~100 MB `rpmdb.sqlite`).
pub const MAX_DB_SIZE: u64 = 256 << 20;

/// The rpm cataloger: every database format at its usual paths.
pub struct RpmCataloger;

impl Cataloger for RpmCataloger {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn patterns(&self) -> &'static [&'static str] {
        &[
            "var/lib/rpm/rpmdb.sqlite",
            "var/lib/rpm/Packages",
            "var/lib/rpm/Packages.db",
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
            "usr/lib/sysimage/rpm/Packages",
            "usr/lib/sysimage/rpm/Packages.db",
        ]
    }

    fn max_size(&self) -> u64 {
        MAX_DB_SIZE
    }

    fn is_os(&self) -> bool {
        true
    }

    fn parse(&self, _path: &str, data: &[u8], ctx: &Context) -> Result<Parsed, String> {
        let blobs = header_blobs(data)?;
        packages_from_blobs(blobs.iter().map(|b| b.as_slice()), ctx)
    }
}

/// Which database format the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Sqlite,
    BerkeleyDb,
    Ndb,
}

pub fn format_of(data: &[u8]) -> Option<Format> {
    if data.starts_with(b"SQLite format 3\0") {
        Some(Format::Sqlite)
    } else if data.starts_with(b"RpmP") {
        Some(Format::Ndb)
    } else if data.len() >= 16
        && (data[12..16] == [0x61, 0x15, 0x06, 0x00] || data[12..16] == [0x00, 0x06, 0x15, 0x61])
    {
        Some(Format::BerkeleyDb)
    } else {
        None
    }
}

/// The header blobs of a database in any of the three formats.
pub fn header_blobs(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    match format_of(data) {
        Some(Format::Sqlite) => sqlite_blobs(data),
        Some(Format::Ndb) => Ok(ndb::read(data)?
            .into_iter()
            .map(|(_, b)| b.to_vec())
            .collect()),
        Some(Format::BerkeleyDb) => Ok(bdb::read(data)?
            .into_iter()
            // Key 0 holds rpm's header-instance counter, not a header.
            .filter(|(k, _)| k.iter().any(|&b| b != 0))
            .map(|(_, v)| v)
            .collect()),
        None => Err("not an rpm database (no SQLite, Berkeley DB or ndb magic)".into()),
    }
}

/// `SELECT blob FROM Packages` on an in-memory copy of the database.
fn sqlite_blobs(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use rusqlite::{Connection, OpenFlags};
    let err = |e: rusqlite::Error| format!("sqlite: {e}");
    let mut conn = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    // rpm leaves its database in WAL mode (header bytes 18 and 19 are 2), which an
    // in-memory database cannot open; the copy says "rollback journal" instead. Any WAL
    // file beside it is not read: rpm checkpoints it when it closes the database.
    let mut head = data[..data.len().min(100)].to_vec();
    if head.len() >= 20 && head[18] == 2 && head[19] == 2 {
        head[18] = 1;
        head[19] = 1;
    }
    let reader = std::io::Read::chain(&head[..], &data[head.len()..]);
    conn.deserialize_read_exact("main", reader, data.len(), true)
        .map_err(err)?;
    // Only a stored table: a crafted file could make `Packages` a view with a recursive
    // query, a virtual table, or a table with generated columns (`zeroblob(1e9)`), and
    // reading it would then compute without bound. A stored table's rows are all in the file.
    let plain: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'Packages' \
             AND rootpage > 0 \
             AND NOT EXISTS (SELECT 1 FROM pragma_table_xinfo('Packages') WHERE hidden != 0)",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    if plain != 1 {
        return Err("sqlite: no stored Packages table".into());
    }
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let mut out = Vec::new();
    let mut budget = data.len();
    while let Some(row) = rows.next().map_err(err)? {
        let blob = match row.get_ref(0).map_err(err)? {
            rusqlite::types::ValueRef::Blob(b) => b,
            _ => continue,
        };
        budget = budget
            .checked_sub(blob.len())
            .ok_or("sqlite: rows larger than the database file")?;
        out.push(blob.to_vec());
    }
    Ok(out)
}

/// Packages from header blobs. A header that cannot be read is an error only when no other
/// header could be: one damaged record does not hide the rest.
pub fn packages_from_blobs<'a>(
    blobs: impl Iterator<Item = &'a [u8]>,
    ctx: &Context,
) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut first_err = None;
    let mut any = false;
    for blob in blobs {
        match package(blob, ctx) {
            Ok(Some((p, files))) => {
                any = true;
                parsed.owned_files.extend(
                    files
                        .into_iter()
                        .filter(|f| ctx.wants_owned(f))
                        .map(|f| (f, p.name.clone())),
                );
                parsed.packages.push(p);
            }
            Ok(None) => any = true,
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) if !any => Err(e),
        _ => Ok(parsed),
    }
}

/// `openssl-3.0.7-24.el9.src.rpm` → (`openssl`, `3.0.7-24.el9`).
pub fn split_source_rpm(s: &str) -> Option<(String, String)> {
    let base = s
        .strip_suffix(".src.rpm")
        .or_else(|| s.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = base.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.to_string(), format!("{version}-{release}")))
}

/// One package and the files it owns; `None` for rpm's `gpg-pubkey` pseudo-packages.
fn package(blob: &[u8], ctx: &Context) -> Result<Option<(Package, Vec<String>)>, String> {
    let h = Header::parse(blob)?;
    let name = h
        .string(header::NAME)?
        .filter(|n| !n.is_empty())
        .ok_or("header without a name")?;
    if name == "gpg-pubkey" {
        return Ok(None);
    }
    let version = h.string(header::VERSION)?.unwrap_or("");
    let release = h.string(header::RELEASE)?.unwrap_or("");
    let epoch = h.int32(header::EPOCH)?;
    let arch = h.string(header::ARCH)?.filter(|a| !a.is_empty());
    let license = h.string(header::LICENSE)?.filter(|l| !l.is_empty());
    let source_rpm = h.string(header::SOURCERPM)?.filter(|s| !s.is_empty());
    let modularity = h.string(header::MODULARITYLABEL)?.filter(|s| !s.is_empty());
    let files = h.files()?;

    let vr = if release.is_empty() {
        version.to_string()
    } else {
        format!("{version}-{release}")
    };
    let full = match epoch {
        Some(e) => format!("{e}:{vr}"),
        None => vr.clone(),
    };
    let distro = ctx.distro.as_ref();
    let epoch_s = epoch.map(|e| e.to_string()).unwrap_or_default();
    let purl_distro = distro.map(|d| d.purl_distro()).unwrap_or_default();
    let purl = purl::purl(
        "rpm",
        distro.map(|d| d.purl_namespace()),
        name,
        &vr,
        &[
            ("arch", arch.unwrap_or("")),
            ("epoch", &epoch_s),
            ("distro", &purl_distro),
        ],
    );
    let mut metadata = BTreeMap::new();
    if let Some(e) = epoch {
        metadata.insert("epoch".to_string(), e.to_string());
    }
    metadata.insert("release".to_string(), release.to_string());
    if let Some(m) = modularity {
        metadata.insert("modularitylabel".to_string(), m.to_string());
    }
    if let Some(s) = source_rpm {
        metadata.insert("sourcerpm".to_string(), s.to_string());
    }
    let p = Package {
        kind: "rpm".into(),
        ecosystem: distro
            .map(|d| d.osv_ecosystem().unwrap_or_else(|| d.id.clone()))
            .unwrap_or_default(),
        name: name.to_string(),
        version: full,
        purl,
        source: source_rpm
            .and_then(split_source_rpm)
            .map(|(name, version)| SourcePackage { name, version }),
        licenses: license.map(|l| vec![l.to_string()]).unwrap_or_default(),
        arch: arch.map(str::to_string),
        origin: Origin::Installed,
        metadata,
        ..Package::default()
    };
    Ok(Some((p, files)))
}

#[cfg(test)]
mod tests {
    use super::header::tests::{blob, i32a, s, sa};
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            split_source_rpm("openssl-3.0.7-24.el9.src.rpm"),
            Some(("openssl".into(), "3.0.7-24.el9".into()))
        );
        assert_eq!(
            split_source_rpm("python3.11-3.11.5-1.el9_3.src.rpm"),
            Some(("python3.11".into(), "3.11.5-1.el9_3".into()))
        );
        assert_eq!(split_source_rpm("(none)"), None);
        assert_eq!(split_source_rpm("x.src.rpm"), None);
    }

    #[test]
    fn gpg_pubkeys_are_not_packages_and_bad_headers_do_not_hide_good_ones() {
        let key = blob(&[
            s(header::NAME, "gpg-pubkey"),
            s(header::VERSION, "fd431d51"),
        ]);
        let good = blob(&[
            s(header::NAME, "bash"),
            s(header::VERSION, "5.1.8"),
            s(header::RELEASE, "6.el9"),
            i32a(header::EPOCH, &[0]),
            sa(header::DIRNAMES, &["/usr/bin/"]),
            sa(header::BASENAMES, &["bash"]),
            i32a(header::DIRINDEXES, &[0]),
        ]);
        let bad = [0xffu8; 40];
        let ctx = Context::default();
        let p = packages_from_blobs([&key[..], &bad[..], &good[..]].into_iter(), &ctx).unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.packages[0].version, "0:5.1.8-6.el9");
        assert_eq!(p.packages[0].purl, "pkg:rpm/bash@5.1.8-6.el9?epoch=0");
        assert_eq!(p.owned_files, [("usr/bin/bash".into(), "bash".into())]);
        assert!(packages_from_blobs([&bad[..]].into_iter(), &ctx).is_err());
    }
}
