//! The rpm cataloger on real databases: `rpmdb.sqlite` written by rpm 4.18, Berkeley DB
//! `Packages` files written by Berkeley DB 5.3's `db_load` (and read back by rpm's own
//! `bdb_ro` backend), and an ndb `Packages.db` assembled from the same header blobs
//! (see `tests/fixtures/rpm/README.md`).

use plimsoll_catalog::os::detect;
use plimsoll_catalog::rpm::{self, Format, RpmCataloger, bdb, header::Header, ndb};
use plimsoll_catalog::{Cataloger, Context, Parsed};
use plimsoll_model::SourcePackage;

const SQLITE: &[u8] = include_bytes!("fixtures/rpm/rpmdb.sqlite");
const BDB: &[u8] = include_bytes!("fixtures/rpm/Packages");
const BDB_512: &[u8] = include_bytes!("fixtures/rpm/Packages-512");
const NDB: &[u8] = include_bytes!("fixtures/rpm/Packages.db");
const BDB_BE: &[u8] = include_bytes!("fixtures/rpm/Packages-be");

fn rocky() -> Context {
    Context {
        distro: detect(
            [(
                "etc/os-release",
                &b"ID=\"rocky\"\nVERSION_ID=\"9.3\"\nID_LIKE=\"rhel centos fedora\"\n"[..],
            )]
            .into_iter(),
        ),
        ..Context::default()
    }
}

fn parse(data: &[u8], path: &str) -> Parsed {
    RpmCataloger.parse(path, data, &rocky()).unwrap()
}

/// (name, version, arch, licenses, source, epoch, release, modularitylabel, purl)
type Row = (
    String,
    String,
    Option<String>,
    Vec<String>,
    Option<SourcePackage>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

fn rows(p: &Parsed) -> Vec<Row> {
    let mut v: Vec<Row> = p
        .packages
        .iter()
        .map(|p| {
            assert_eq!(p.kind, "rpm");
            assert_eq!(p.ecosystem, "Rocky Linux:9");
            assert_eq!(p.origin, "installed");
            (
                p.name.clone(),
                p.version.clone(),
                p.arch.clone(),
                p.licenses.clone(),
                p.source.clone(),
                p.metadata.get("epoch").cloned(),
                p.metadata.get("release").cloned(),
                p.metadata.get("modularitylabel").cloned(),
                p.purl.clone(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn src(name: &str, version: &str) -> Option<SourcePackage> {
    Some(SourcePackage {
        name: name.into(),
        version: version.into(),
    })
}

fn expected() -> Vec<Row> {
    let s = |x: &str| x.to_string();
    let o = |x: &str| Some(x.to_string());
    let nodejs_release = "1.module+el8.9.0+20473+c4e3d824";
    vec![
        (
            s("hello"),
            s("1.0-1"),
            o("noarch"),
            vec![s("MIT")],
            src("hello", "1.0-1"),
            None,
            o("1"),
            None,
            s("pkg:rpm/rocky/hello@1.0-1?arch=noarch&distro=rocky-9.3"),
        ),
        (
            s("libfoo"),
            s("2:3.0.7-24.el9"),
            o("x86_64"),
            vec![s("Apache-2.0 AND MIT")],
            src("libfoo", "3.0.7-24.el9"),
            o("2"),
            o("24.el9"),
            None,
            s("pkg:rpm/rocky/libfoo@3.0.7-24.el9?arch=x86_64&distro=rocky-9.3&epoch=2"),
        ),
        (
            s("libfoo-devel"),
            s("2:3.0.7-24.el9"),
            o("x86_64"),
            vec![s("Apache-2.0")],
            src("libfoo", "3.0.7-24.el9"),
            o("2"),
            o("24.el9"),
            None,
            s("pkg:rpm/rocky/libfoo-devel@3.0.7-24.el9?arch=x86_64&distro=rocky-9.3&epoch=2"),
        ),
        (
            s("nodejs"),
            format!("1:18.18.2-{nodejs_release}"),
            o("noarch"),
            vec![s("MIT and ISC")],
            src("nodejs", &format!("18.18.2-{nodejs_release}")),
            o("1"),
            o(nodejs_release),
            o("nodejs:18:8090020231025:a75119d5"),
            s(
                "pkg:rpm/rocky/nodejs@18.18.2-1.module%2Bel8.9.0%2B20473%2Bc4e3d824?arch=noarch&distro=rocky-9.3&epoch=1",
            ),
        ),
        (
            s("zeroepoch"),
            s("0:0.9-3"),
            o("noarch"),
            vec![s("GPL-2.0-or-later")],
            src("zeroepoch", "0.9-3"),
            o("0"),
            o("3"),
            None,
            s("pkg:rpm/rocky/zeroepoch@0.9-3?arch=noarch&distro=rocky-9.3&epoch=0"),
        ),
    ]
}

fn owned(p: &Parsed) -> Vec<(String, String)> {
    let mut v = p.owned_files.clone();
    v.sort();
    v
}

fn expected_owned() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("usr/bin/hello", "hello"),
        ("usr/share/doc/hello/README", "hello"),
        ("usr/lib64/libfoo.so.3", "libfoo"),
        (
            "usr/lib/python3.11/site-packages/foo-3.0.7.dist-info/METADATA",
            "libfoo",
        ),
        ("usr/include/foo/foo.h", "libfoo-devel"),
        ("usr/bin/node", "nodejs"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    v.sort();
    v
}

#[test]
fn sqlite_database_from_rpm() {
    assert_eq!(rpm::format_of(SQLITE), Some(Format::Sqlite));
    let p = parse(SQLITE, "var/lib/rpm/rpmdb.sqlite");
    assert_eq!(rows(&p), expected());
    assert_eq!(owned(&p), expected_owned());
}

#[test]
fn berkeley_db_databases() {
    for (db, pages) in [(BDB, 4096), (BDB_512, 512), (BDB_BE, 1024)] {
        assert_eq!(rpm::format_of(db), Some(Format::BerkeleyDb));
        assert_eq!(db.len() % pages, 0);
        let p = parse(db, "var/lib/rpm/Packages");
        assert_eq!(rows(&p), expected(), "page size {pages}");
        assert_eq!(owned(&p), expected_owned(), "page size {pages}");
        // Six records: rpm's key-0 instance counter and the five headers.
        let kv = bdb::read(db).unwrap();
        assert_eq!(kv.len(), 6);
        assert!(
            kv.iter()
                .any(|(k, v)| k == &[0, 0, 0, 0] && v == &[5, 0, 0, 0])
        );
    }
}

#[test]
fn ndb_database() {
    assert_eq!(rpm::format_of(NDB), Some(Format::Ndb));
    let p = parse(NDB, "var/lib/rpm/Packages.db");
    assert_eq!(rows(&p), expected());
    assert_eq!(owned(&p), expected_owned());
    let idx: Vec<u32> = ndb::read(NDB).unwrap().iter().map(|(i, _)| *i).collect();
    assert_eq!(idx, [1, 2, 3, 4, 5]);
}

#[test]
fn the_three_formats_hold_the_same_headers() {
    let s = rpm::header_blobs(SQLITE).unwrap();
    let mut b = rpm::header_blobs(BDB).unwrap();
    let mut b512 = rpm::header_blobs(BDB_512).unwrap();
    let n = rpm::header_blobs(NDB).unwrap();
    b.sort();
    b512.sort();
    let mut s_sorted = s.clone();
    s_sorted.sort();
    assert_eq!(b, s_sorted);
    assert_eq!(b512, s_sorted);
    assert_eq!(n, s);
}

#[test]
fn without_a_distro() {
    let p = RpmCataloger
        .parse("var/lib/rpm/rpmdb.sqlite", SQLITE, &Context::default())
        .unwrap();
    let hello = p.packages.iter().find(|p| p.name == "hello").unwrap();
    assert_eq!(hello.ecosystem, "");
    assert_eq!(hello.purl, "pkg:rpm/hello@1.0-1?arch=noarch");
    // A distro OSV has no ecosystem for: the distro id.
    let ctx = Context {
        distro: detect([("etc/os-release", &b"ID=centos\nVERSION_ID=\"7\"\n"[..])].into_iter()),
        ..Context::default()
    };
    let p = RpmCataloger
        .parse("var/lib/rpm/Packages", BDB, &ctx)
        .unwrap();
    let hello = p.packages.iter().find(|p| p.name == "hello").unwrap();
    assert_eq!(hello.ecosystem, "centos");
    assert_eq!(
        hello.purl,
        "pkg:rpm/centos/hello@1.0-1?arch=noarch&distro=centos-7"
    );
}

fn page_size(db: &[u8]) -> usize {
    u32::from_le_bytes(db[20..24].try_into().unwrap()) as usize
}

/// Page numbers of a BDB file whose type byte is `ty`.
fn pages_of_type(db: &[u8], ty: u8) -> Vec<usize> {
    let ps = page_size(db);
    (0..db.len() / ps)
        .filter(|&i| db[i * ps + 25] == ty)
        .collect()
}

#[test]
fn corrupt_berkeley_db_pages_are_errors() {
    for db in [BDB, BDB_512] {
        let ps = page_size(db);
        let overflow = pages_of_type(db, 7);
        assert!(!overflow.is_empty(), "fixture has overflow pages");
        let hash = pages_of_type(db, 13);
        assert!(!hash.is_empty());

        // An overflow page that chains to itself.
        let mut d = db.to_vec();
        let pg = overflow[0];
        d[pg * ps + 16..pg * ps + 20].copy_from_slice(&(pg as u32).to_le_bytes());
        // (Its own length may already complete the item; then a second item finds the page.)
        d[pg * ps + 22..pg * ps + 24].copy_from_slice(&1u16.to_le_bytes());
        let e = bdb::read(&d).unwrap_err();
        assert!(e.contains("twice") || e.contains("ends"), "{e}");

        // A bucket page that chains to itself.
        let mut d = db.to_vec();
        let pg = hash[0];
        d[pg * ps + 16..pg * ps + 20].copy_from_slice(&(pg as u32).to_le_bytes());
        assert!(bdb::read(&d).unwrap_err().contains("twice"));

        // Page numbers out of range, in a bucket chain and in an off-page item.
        let mut d = db.to_vec();
        d[pg * ps + 16..pg * ps + 20].copy_from_slice(&1_000_000u32.to_le_bytes());
        assert!(bdb::read(&d).unwrap_err().contains("outside"));

        // An off-page item claiming 4 GiB: refused before anything is allocated.
        let mut d = db.to_vec();
        let n = u16::from_le_bytes([d[pg * ps + 20], d[pg * ps + 21]]) as usize;
        let mut patched = false;
        for i in 0..n {
            let off = u16::from_le_bytes([d[pg * ps + 26 + 2 * i], d[pg * ps + 27 + 2 * i]]);
            let at = pg * ps + off as usize;
            if d[at] == 3 {
                d[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
                patched = true;
                break;
            }
        }
        assert!(patched);
        assert!(bdb::read(&d).unwrap_err().contains("exceeds"));

        // Truncated files.
        for cut in [0, 100, ps, db.len() - ps, db.len() - 1] {
            assert!(
                RpmCataloger
                    .parse("var/lib/rpm/Packages", &db[..cut], &rocky())
                    .is_err(),
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn corrupt_ndb_is_an_error() {
    // Truncated inside the last blob.
    assert!(ndb::read(&NDB[..NDB.len() - 20]).is_err());
    // Blob offset past the end.
    let mut d = NDB.to_vec();
    d[32 + 8..32 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(ndb::read(&d).is_err());
    // Blob length larger than its blocks.
    let mut d = NDB.to_vec();
    let blk = u32::from_le_bytes(d[40..44].try_into().unwrap()) as usize * 16;
    d[blk + 12..blk + 16].copy_from_slice(&0x0fff_ffffu32.to_le_bytes());
    assert!(ndb::read(&d).is_err());
    // Slot pointing into the slot area.
    let mut d = NDB.to_vec();
    d[40..44].copy_from_slice(&1u32.to_le_bytes());
    assert!(ndb::read(&d).is_err());
    // Every free slot pointing at the first package's blocks: refused, not copied 250 times.
    let mut d = NDB.to_vec();
    let first: [u8; 16] = d[32..48].try_into().unwrap();
    for at in (48..4096).step_by(16) {
        d[at..at + 16].copy_from_slice(&first);
    }
    assert!(ndb::read(&d).unwrap_err().contains("share"));
    // Absurd slot page count.
    let mut d = NDB.to_vec();
    d[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(ndb::read(&d).is_err());
}

#[test]
fn corrupt_sqlite_is_an_error_not_a_panic() {
    for cut in [16, 100, 4096, SQLITE.len() / 2] {
        assert!(
            RpmCataloger
                .parse("var/lib/rpm/rpmdb.sqlite", &SQLITE[..cut], &rocky())
                .is_err(),
            "cut at {cut}"
        );
    }
    let mut d = b"SQLite format 3\0".to_vec();
    d.extend(std::iter::repeat_n(0xa5u8, 8192));
    assert!(
        RpmCataloger
            .parse("var/lib/rpm/rpmdb.sqlite", &d, &rocky())
            .is_err()
    );
    // A valid SQLite database that is not rpm's.
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let other = conn.serialize("main").unwrap().to_vec();
    let e = RpmCataloger
        .parse("var/lib/rpm/rpmdb.sqlite", &other, &rocky())
        .unwrap_err();
    assert!(e.contains("Packages"), "{e}");
    // `Packages` that is not a stored table: a view that would compute forever, a table with
    // a generated column that would allocate a gigabyte.
    for sql in [
        "CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
         SELECT x AS hnum, zeroblob(1000) AS blob FROM c;",
        "CREATE TABLE Packages(hnum INTEGER, blob BLOB AS (zeroblob(1000000000))); \
         INSERT INTO Packages(hnum) VALUES (1);",
    ] {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        let db = conn.serialize("main").unwrap().to_vec();
        let e = RpmCataloger
            .parse("var/lib/rpm/rpmdb.sqlite", &db, &rocky())
            .unwrap_err();
        assert!(e.contains("no stored Packages table"), "{e}");
    }
    // Randomly damaged pages: an error or packages, never a panic.
    let mut rng = Rng(7);
    for _ in 0..50 {
        let mut d = SQLITE.to_vec();
        for _ in 0..16 {
            let i = 100 + rng.next() as usize % (d.len() - 100);
            d[i] = rng.next() as u8;
        }
        let _ = RpmCataloger.parse("var/lib/rpm/rpmdb.sqlite", &d, &rocky());
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Random bytes, random bytes behind each magic, and randomly damaged fixtures: errors or
/// packages, never a panic.
#[test]
fn random_and_damaged_input_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let ctx = rocky();
    for round in 0..3000 {
        let len = (rng.next() % 9000) as usize;
        let mut d: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        match round % 4 {
            0 if d.len() >= 4 => d[..4].copy_from_slice(b"RpmP"),
            1 if d.len() >= 16 => d[12..16].copy_from_slice(&[0x61, 0x15, 0x06, 0x00]),
            _ => {}
        }
        let _ = RpmCataloger.parse("var/lib/rpm/Packages", &d, &ctx);
        let _ = Header::parse(&d).map(|h| h.files());
    }
    for db in [BDB, BDB_512, NDB] {
        for _ in 0..400 {
            let mut d = db.to_vec();
            for _ in 0..1 + rng.next() % 8 {
                let i = rng.next() as usize % d.len();
                d[i] = rng.next() as u8;
            }
            if let Ok(p) = RpmCataloger.parse("var/lib/rpm/Packages", &d, &ctx) {
                assert!(p.packages.len() <= 5);
            }
        }
    }
    for blob in rpm::header_blobs(SQLITE).unwrap() {
        for _ in 0..200 {
            let mut d = blob.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = rng.next() as usize % d.len();
                d[i] = rng.next() as u8;
            }
            if let Ok(h) = Header::parse(&d) {
                let _ = h.files();
                let _ = h.string(1000);
            }
        }
    }
}

/// Stands for the Python cataloger: `Name:`/`Version:` from `*.dist-info/METADATA`.
struct FakePython;

impl Cataloger for FakePython {
    fn name(&self) -> &'static str {
        "fake-python"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/*.dist-info/METADATA"]
    }
    fn parse(&self, _path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        let text = String::from_utf8_lossy(data);
        let field = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)).map(str::trim);
        let (Some(name), Some(version)) = (field("Name:"), field("Version:")) else {
            return Err("no Name or Version".into());
        };
        Ok(Parsed {
            packages: vec![plimsoll_model::Package {
                kind: "python".into(),
                purl: format!("pkg:pypi/{name}@{version}"),
                name: name.into(),
                version: version.into(),
                ..Default::default()
            }],
            ..Parsed::default()
        })
    }
}

/// Through `Catalog::inventory` on an image: the base layer's rpm database (written by
/// `rpm -e hello nodejs` on a copy of the full one) and a later layer's full database give
/// each package its layer; libfoo owns the python package's METADATA.
#[test]
fn image_layers_and_ownership() {
    use plimsoll_image::walker::WalkOptions;
    use plimsoll_image::{ImageSource, OpenOptions, open, scan_image};
    use plimsoll_testkit::ImageBuilder;

    const BASE: &[u8] = include_bytes!("fixtures/rpm/rpmdb-base.sqlite");
    let meta = "usr/lib/python3.11/site-packages/foo-3.0.7.dist-info/METADATA";
    let img = ImageBuilder::new()
        .layer("base", |l| {
            l.file(
                "etc/os-release",
                "NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\n",
            )
            .file("var/lib/rpm/rpmdb.sqlite", BASE)
            .file(meta, "Name: foo\nVersion: 3.0.7\n")
        })
        .layer("RUN dnf install -y hello nodejs", |l| {
            l.file("var/lib/rpm/rpmdb.sqlite", SQLITE)
        });
    let cat = plimsoll_catalog::Catalog::new(vec![Box::new(RpmCataloger), Box::new(FakePython)]);
    let dir = tempfile::tempdir().unwrap();
    img.write_oci_layout(dir.path(), None);
    let src = ImageSource::parse(dir.path().to_str().unwrap()).unwrap();
    let image = open("test", src, &OpenOptions::default()).unwrap();
    let opts = WalkOptions {
        interests: cat.interests(),
        ..Default::default()
    };
    let inv = cat.inventory(&scan_image(&image, &opts).unwrap());
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    let layers: Vec<(&str, usize)> = inv
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.locations[0].layer.unwrap()))
        .collect();
    assert_eq!(
        layers,
        [
            ("foo", 0),
            ("hello", 1),
            ("libfoo", 0),
            ("libfoo-devel", 0),
            ("nodejs", 1),
            ("zeroepoch", 0)
        ]
    );
    let foo = inv.packages.iter().find(|p| p.name == "foo").unwrap();
    assert_eq!(
        foo.owned_by.as_deref(),
        Some("pkg:rpm/rocky/libfoo@3.0.7-24.el9?arch=x86_64&distro=rocky-9.3&epoch=2")
    );
    let hello = inv.packages.iter().find(|p| p.name == "hello").unwrap();
    assert_eq!(hello.locations[0].path, "var/lib/rpm/rpmdb.sqlite");
}

/// 1500 records loaded by `db5.3_load` into 512-byte pages (190 buckets, split many times,
/// with overflow bucket pages and off-page items): every record, exactly once.
#[test]
fn berkeley_db_with_many_buckets() {
    let db = include_bytes!("fixtures/rpm/hash-many-512");
    let mut got = bdb::read(db).unwrap();
    got.sort();
    let mut want: Vec<(Vec<u8>, Vec<u8>)> = (1u32..=1500)
        .map(|i| {
            let n = if i % 97 == 0 { 200 } else { i as usize % 7 + 1 };
            (
                i.to_le_bytes().to_vec(),
                format!("value-{i}-").repeat(n).into_bytes(),
            )
        })
        .collect();
    want.sort();
    assert_eq!(got.len(), want.len());
    assert!(got == want);
    // Not rpm headers: the cataloger says so rather than inventing packages.
    assert!(
        RpmCataloger
            .parse("var/lib/rpm/Packages", db, &rocky())
            .is_err()
    );
}
