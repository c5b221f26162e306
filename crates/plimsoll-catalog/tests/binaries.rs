//! Go and `cargo auditable` executables, built for real (see `fixtures/binaries/README.md`),
//! read alone and inside image layers; `go.mod` and `Cargo.lock` files in layers; and
//! damaged executables.

use plimsoll_catalog::binary::parse_binary;
use plimsoll_catalog::golang::read_buildinfo;
use plimsoll_catalog::{Catalog, Inventory};
use plimsoll_image::walker::WalkOptions;
use plimsoll_image::{ImageScan, ImageSource, OpenOptions, open, scan_image};
use plimsoll_model::{Location, Package};
use plimsoll_testkit::ImageBuilder;

const GO_HELLO: &[u8] = include_bytes!("fixtures/binaries/go-hello");
const TINY_AUDIT: &[u8] = include_bytes!("fixtures/binaries/tiny-audit");
const VULN_AUDIT: &[u8] = include_bytes!("fixtures/binaries/vuln-audit");
const GO_MOD: &[u8] = include_bytes!("fixtures/binaries/go-hello-src/go.mod");
const CARGO_LOCK: &[u8] = include_bytes!("fixtures/binaries/tiny-audit-src/Cargo.lock");

fn triples(pkgs: &[Package]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = pkgs
        .iter()
        .map(|p| (p.kind.clone(), p.name.clone(), p.version.clone()))
        .collect();
    v.sort();
    v
}

fn t(kind: &str, name: &str, version: &str) -> (String, String, String) {
    (kind.into(), name.into(), version.into())
}

#[test]
fn go_binary_built_by_go_1_19() {
    let info = read_buildinfo(GO_HELLO).unwrap().unwrap();
    assert_eq!(info.go_version, "go1.19.8");
    assert_eq!(info.path, "example.com/hello");
    assert_eq!(info.main.as_ref().unwrap().version, "(devel)");
    assert!(
        info.settings
            .contains(&("GOARCH".to_string(), "amd64".to_string()))
    );

    let pkgs = parse_binary(GO_HELLO).unwrap();
    assert_eq!(
        triples(&pkgs),
        [
            t("go-module", "example.com/dep", "v0.0.0"),
            t("go-module", "github.com/fake/greet", "v1.2.3"),
            t("go-module", "github.com/fork/fake", "v0.1.1"),
            t("go-module", "stdlib", "v1.19.8"),
        ]
    );
    let by = |n: &str| pkgs.iter().find(|p| p.name == n).unwrap();
    // Module replacement: the replacement is the package, the original in metadata.
    let fork = by("github.com/fork/fake");
    assert_eq!(fork.metadata["replaces"], "golang.org/x/fake");
    assert_eq!(fork.metadata["replaces_version"], "v0.1.0");
    assert_eq!(fork.purl, "pkg:golang/github.com/fork/fake@v0.1.1");
    // Directory replacement: the original module, with the directory noted.
    assert_eq!(by("example.com/dep").metadata["replaced_by_dir"], "./dep");
    let std = by("stdlib");
    assert_eq!(std.purl, "pkg:golang/stdlib@v1.19.8");
    assert_eq!(std.metadata["go_version"], "go1.19.8");
    for p in &pkgs {
        assert_eq!(p.ecosystem, "Go");
        assert_eq!(p.origin, "installed");
        assert_eq!(p.metadata["main_module"], "example.com/hello");
        assert_eq!(p.metadata["build.GOOS"], "linux");
    }
}

#[test]
fn rust_binary_built_by_cargo_auditable() {
    let pkgs = parse_binary(TINY_AUDIT).unwrap();
    assert_eq!(
        triples(&pkgs),
        [t("cargo", "itoa", "1.0.11"), t("cargo", "ryu", "1.0.18")]
    );
    for p in &pkgs {
        assert_eq!(p.ecosystem, "crates.io");
        assert_eq!(p.metadata["source"], "crates.io");
        assert_eq!(p.metadata["binary_crate"], "tiny-audit");
        assert_eq!(p.purl, format!("pkg:cargo/{}@{}", p.name, p.version));
    }
    // Neither is a Go program, and a script is not an executable we read.
    assert_eq!(read_buildinfo(TINY_AUDIT).unwrap(), None);
    assert!(parse_binary(b"#!/bin/sh\necho hi\n").unwrap().is_empty());
}

#[test]
fn rust_binary_with_two_versions_of_one_crate() {
    // Two semver-incompatible smallvec releases side by side (the e2e image's vulnerable
    // crates): both are packages of their own, and the crate's own entry is not a package.
    let pkgs = parse_binary(VULN_AUDIT).unwrap();
    assert_eq!(
        triples(&pkgs),
        [
            t("cargo", "maybe-uninit", "2.0.0"),
            t("cargo", "smallvec", "0.6.14"),
            t("cargo", "smallvec", "1.6.0"),
        ]
    );
    for p in &pkgs {
        assert_eq!(p.metadata["binary_crate"], "vuln-audit");
        assert_eq!(p.purl, format!("pkg:cargo/{}@{}", p.name, p.version));
    }
}

#[test]
fn damaged_executables_give_errors_or_nothing_never_a_panic() {
    for bin in [GO_HELLO, TINY_AUDIT] {
        // Truncations at many points, including inside headers and sections.
        let mut cut = 0;
        while cut < bin.len() {
            let _ = parse_binary(&bin[..cut]);
            cut += 1 + cut / 7;
        }
        // Bytes flipped in the ELF and section headers.
        for at in (0..64).chain(bin.len() - 4096..bin.len()) {
            let mut b = bin.to_vec();
            b[at] ^= 0xa5;
            let _ = parse_binary(&b);
        }
    }
    // Section header table pointing beyond the file (e_shoff at offset 0x28 in ELF64).
    let mut b = GO_HELLO.to_vec();
    b[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
    let _ = parse_binary(&b);

    // The Go header's varint length beyond the file: an error, not a read past the end.
    let mut b = GO_HELLO.to_vec();
    let at = find(&b, b"\xff Go buildinf:").unwrap();
    b[at + 32..at + 37].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(parse_binary(&b).is_err());

    // `.dep-v0` overwritten with garbage: an error naming zlib (the zlib bomb is in the
    // unit tests of `rust.rs`: a real section has no room for one).
    let mut b = TINY_AUDIT.to_vec();
    let sec = dep_v0_range(&b);
    for x in &mut b[sec.clone()] {
        *x = 0x55;
    }
    let e = parse_binary(&b).unwrap_err();
    assert!(e.contains("zlib"), "{e}");
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// File range of the `.dep-v0` section, from the ELF64 little-endian section headers.
fn dep_v0_range(b: &[u8]) -> std::ops::Range<usize> {
    let u16at = |o: usize| u16::from_le_bytes(b[o..o + 2].try_into().unwrap()) as usize;
    let u32at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize;
    let u64at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap()) as usize;
    let (shoff, shentsize, shnum, shstrndx) = (u64at(0x28), u16at(0x3a), u16at(0x3c), u16at(0x3e));
    let sh = |i: usize| shoff + i * shentsize;
    let strtab = u64at(sh(shstrndx) + 0x18);
    for i in 0..shnum {
        let name = strtab + u32at(sh(i));
        if b[name..].starts_with(b".dep-v0\0") {
            let off = u64at(sh(i) + 0x18);
            return off..off + u64at(sh(i) + 0x20);
        }
    }
    panic!("no .dep-v0 section");
}

fn scan_layout(img: &ImageBuilder) -> ImageScan {
    let dir = tempfile::tempdir().unwrap();
    img.write_oci_layout(dir.path(), None);
    let src = ImageSource::parse(dir.path().to_str().unwrap()).unwrap();
    let image = open("test", src, &OpenOptions::default()).unwrap();
    let opts = WalkOptions {
        interests: Catalog::default().interests(),
        ..Default::default()
    };
    scan_image(&image, &opts).unwrap()
}

fn ours(inv: &Inventory) -> Vec<&Package> {
    inv.packages
        .iter()
        .filter(|p| p.kind == "go-module" || p.kind == "cargo")
        .collect()
}

#[test]
fn binaries_and_lockfiles_in_image_layers() {
    let img = ImageBuilder::new()
        .layer("base", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file("usr/bin/notelf", "#!/bin/sh\n")
        })
        .layer("COPY hello /usr/local/bin/hello", |l| {
            l.file_mode("usr/local/bin/hello", GO_HELLO, 0o755)
        })
        .layer("COPY tiny-audit /app/tiny-audit", |l| {
            l.file_mode("app/tiny-audit", TINY_AUDIT, 0o755)
                .file("src/hello/go.mod", GO_MOD)
                .file("src/tiny/Cargo.lock", CARGO_LOCK)
        })
        .layer("COPY hello /server", |l| {
            l.file_mode("server", GO_HELLO, 0o755)
        });
    let scan = scan_layout(&img);
    let inv = Catalog::default().inventory(&scan);
    assert!(
        !inv.warnings
            .iter()
            .any(|w| w.contains("binary") || w.contains("go-mod") || w.contains("cargo")),
        "{:?}",
        inv.warnings
    );
    let found: Vec<(String, String, String, Location)> = ours(&inv)
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.origin.to_string(),
                p.locations[0].clone(),
            )
        })
        .collect();
    let at = |layer: usize, path: &str| Location {
        layer: Some(layer),
        path: path.into(),
    };
    let mut want = Vec::new();
    for (layer, path) in [(1, "usr/local/bin/hello"), (3, "server")] {
        for (n, v) in [
            ("example.com/dep", "v0.0.0"),
            ("github.com/fake/greet", "v1.2.3"),
            ("github.com/fork/fake", "v0.1.1"),
            ("stdlib", "v1.19.8"),
        ] {
            want.push((n, v, "installed", at(layer, path)));
        }
    }
    // Lockfile entries of what is also installed are not packages of their own: the go.mod
    // entries join the earliest binary, the Cargo.lock entries the cargo-auditable binary.
    for (n, v) in [("itoa", "1.0.11"), ("ryu", "1.0.18")] {
        want.push((n, v, "installed", at(2, "app/tiny-audit")));
    }
    let mut want: Vec<(String, String, String, Location)> = want
        .into_iter()
        .map(|(n, v, o, l)| (n.to_string(), v.to_string(), o.to_string(), l))
        .collect();
    want.sort();
    let mut found = found;
    found.sort();
    assert_eq!(found, want);
    let second = |name: &str, first: &str| -> Vec<Location> {
        ours(&inv)
            .iter()
            .filter(|p| p.name == name && p.locations[0].path == first)
            .flat_map(|p| p.locations[1..].to_vec())
            .collect()
    };
    assert_eq!(
        second("github.com/fake/greet", "usr/local/bin/hello"),
        vec![at(2, "src/hello/go.mod")]
    );
    assert!(second("github.com/fake/greet", "server").is_empty());
    assert_eq!(
        second("itoa", "app/tiny-audit"),
        vec![at(2, "src/tiny/Cargo.lock")]
    );
    // The same purl at two paths: ids are made unique with the path.
    let ids: std::collections::HashSet<&str> = inv.packages.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), inv.packages.len());
}

/// Go < 1.18 writes two pointers to Go string headers instead of inline strings. No such
/// toolchain is at hand: the real binary's header is rewritten into that form (the strings
/// moved behind it, in the same loaded segment), with 8-byte little-endian and 4-byte
/// big-endian pointers, and must read the same.
#[test]
fn go_before_1_18_pointer_form() {
    use object::{Object, ObjectSection};
    let inline = read_buildinfo(GO_HELLO).unwrap().unwrap();
    let f = object::File::parse(GO_HELLO).unwrap();
    let s = f.section_by_name(".go.buildinfo").unwrap();
    let (off, _) = s.file_range().unwrap();
    let (off, addr) = (off as usize, s.address());
    // The inline strings: one-byte varint lengths for the version, two for the module info.
    let b = GO_HELLO;
    let vlen = b[off + 32] as usize;
    let version = b[off + 33..off + 33 + vlen].to_vec();
    let m_at = off + 33 + vlen;
    let mlen = (b[m_at] & 0x7f) as usize | (b[m_at + 1] as usize) << 7;
    assert!(b[m_at] & 0x80 != 0 && b[m_at + 1] & 0x80 == 0);
    let modinfo = b[m_at + 2..m_at + 2 + mlen].to_vec();

    for (ptr, big) in [(8usize, false), (4, true)] {
        let mut b = GO_HELLO.to_vec();
        let put = |b: &mut Vec<u8>, at: usize, v: u64| {
            let bytes = match (ptr, big) {
                (8, false) => v.to_le_bytes().to_vec(),
                _ => (v as u32).to_be_bytes().to_vec(),
            };
            b[at..at + ptr].copy_from_slice(&bytes);
        };
        b[off + 14] = ptr as u8;
        b[off + 15] = u8::from(big);
        let (vhdr, mhdr, data) = (32u64, 32 + 2 * ptr as u64, 32 + 4 * ptr as u64);
        put(&mut b, off + 16, addr + vhdr);
        put(&mut b, off + 16 + ptr, addr + mhdr);
        put(&mut b, off + vhdr as usize, addr + data);
        put(&mut b, off + vhdr as usize + ptr, version.len() as u64);
        let mdata = data + version.len() as u64;
        put(&mut b, off + mhdr as usize, addr + mdata);
        put(&mut b, off + mhdr as usize + ptr, modinfo.len() as u64);
        b[off + data as usize..][..version.len()].copy_from_slice(&version);
        b[off + mdata as usize..][..modinfo.len()].copy_from_slice(&modinfo);
        let old = read_buildinfo(&b).unwrap().unwrap();
        assert_eq!(old, inline, "pointer size {ptr}, big-endian {big}");

        // A string pointer outside every segment: an error, not a read elsewhere.
        put(&mut b, off + vhdr as usize, 0x10);
        assert!(read_buildinfo(&b).is_err());
        // A length reaching past the segment's file contents: also an error.
        put(&mut b, off + vhdr as usize, addr + data);
        put(&mut b, off + vhdr as usize + ptr, 0x7fff_ffff);
        assert!(read_buildinfo(&b).is_err());
    }
}
