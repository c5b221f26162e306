//! Debian-family packages: the dpkg database.
//!
//! - `var/lib/dpkg/status`: RFC 822-style stanzas separated by blank lines, continuation
//!   lines starting with a space or tab (deb-control(5), dpkg(1) `Status` states). Only
//!   packages whose files are on disk are kept: the third word of `Status:` is `installed`,
//!   `triggers-pending`, `triggers-awaited`, `half-configured` or `unpacked` (the last two
//!   are recorded in `metadata.status`); `config-files`, `half-installed` and `not-installed`
//!   are skipped.
//! - distroless `var/lib/dpkg/status.d/<pkg>`: one file (one or more stanzas) per package,
//!   without `Status:` (installed by construction); `status.d/<pkg>.md5sums` lists the
//!   package's files (`<md5>  <path>`) and gives ownership.
//! - `var/lib/dpkg/info/<pkg>[:<arch>].list`: one installed path per line, for ownership.
//!
//! `Source: name` or `Source: name (version)`: the version in parentheses is given only
//! when it differs from the binary version (binNMUs, renamed binaries).

use crate::{Cataloger, Context, MAX_FIELD, Parsed, valid_token};
use plimsoll_model::{Origin, Package, SourcePackage};
use std::collections::BTreeMap;

pub const STATUS: &str = "var/lib/dpkg/status";
pub const STATUS_D: &str = "var/lib/dpkg/status.d/";
pub const INFO: &str = "var/lib/dpkg/info/";

/// The dpkg database: packages from `status` and `status.d/*`, ownership from
/// `info/*.list` and `status.d/*.md5sums`.
pub struct Dpkg;

impl Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn patterns(&self) -> &'static [&'static str] {
        &[
            "var/lib/dpkg/status",
            "var/lib/dpkg/status.d/*",
            "var/lib/dpkg/info/*.list",
        ]
    }

    fn is_os(&self) -> bool {
        true
    }

    fn parse(&self, path: &str, data: &[u8], ctx: &Context) -> Result<Parsed, String> {
        if let Some(file) = path.strip_prefix(INFO) {
            let stem = file.strip_suffix(".list").unwrap_or(file);
            return Ok(Parsed {
                packages: vec![],
                owned_files: owned_list(owner_name(stem), data, false, ctx)?,
                warnings: vec![],
            });
        }
        if let Some(file) = path.strip_prefix(STATUS_D) {
            if let Some(stem) = file.strip_suffix(".md5sums") {
                return Ok(Parsed {
                    packages: vec![],
                    owned_files: owned_list(owner_name(stem), data, true, ctx)?,
                    warnings: vec![],
                });
            }
            return Ok(Parsed {
                packages: parse_status(data, ctx, false)?,
                ..Parsed::default()
            });
        }
        Ok(Parsed {
            packages: parse_status(data, ctx, true)?,
            ..Parsed::default()
        })
    }
}

/// `libssl3:amd64` → `libssl3`.
fn owner_name(stem: &str) -> &str {
    stem.split_once(':').map_or(stem, |(n, _)| n)
}

/// Paths from a `.list` file (one absolute path a line) or an `md5sums` file
/// (`<hex md5>  <relative path>`), as root-relative paths: those `ctx` wants (see
/// [`Context::wants_owned`]), without allocating for the others.
fn owned_list(
    owner: &str,
    data: &[u8],
    md5sums: bool,
    ctx: &Context,
) -> Result<Vec<(String, String)>, String> {
    if owner.is_empty() {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    let mut any = false;
    for line in data.split(|&b| b == b'\n') {
        let line = trim_cr(line);
        if line.is_empty() {
            continue;
        }
        let path = if md5sums {
            // 32 hex digits, then two spaces (md5sum(1) text mode) or " *" (binary mode).
            match line.iter().position(|&b| b == b' ') {
                Some(n) if line[..n].iter().all(u8::is_ascii_hexdigit) => {
                    let rest = &line[n..];
                    let rest = rest
                        .strip_prefix(b"  ")
                        .or_else(|| rest.strip_prefix(b" *"));
                    match rest {
                        Some(r) => r,
                        None => continue,
                    }
                }
                _ => continue,
            }
        } else {
            line
        };
        let Ok(path) = std::str::from_utf8(path) else {
            continue;
        };
        let path = path.trim_start_matches("./").trim_start_matches('/');
        if path.is_empty() || path == "." || path.contains('\0') {
            continue;
        }
        any = true;
        if ctx.wants_owned(path) {
            out.push((path.to_string(), owner.to_string()));
        }
    }
    if !any && data.iter().any(|b| !b.is_ascii_whitespace()) {
        return Err(format!("no file paths found in {} bytes", data.len()));
    }
    Ok(out)
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The fields of one stanza that matter here.
#[derive(Default)]
struct Stanza {
    package: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    source: Option<String>,
    status: Option<String>,
    maintainer: Option<String>,
}

/// Parses a status file (or a distroless `status.d` file). `need_status`: packages without
/// a `Status:` field are skipped (the main `status` file always has one).
pub fn parse_status(data: &[u8], ctx: &Context, need_status: bool) -> Result<Vec<Package>, String> {
    let mut packages = Vec::new();
    // Stanzas with a valid `Package:` name, installed or not.
    let mut named = 0usize;
    let mut cur = Stanza::default();
    let mut flush = |s: &mut Stanza, packages: &mut Vec<Package>| {
        let s = std::mem::take(s);
        if s.package.as_deref().is_some_and(valid_token) {
            named += 1;
        }
        if let Some(p) = to_package(s, ctx, need_status) {
            packages.push(p);
        }
    };
    for line in data.split(|&b| b == b'\n') {
        let line = trim_cr(line);
        if line.iter().all(|b| *b == b' ' || *b == b'\t') {
            flush(&mut cur, &mut packages);
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' || line[0] == b'#' {
            // Continuation of a multi-line field (Description, Conffiles…), or a comment.
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || name.len() > 64 || !name.iter().all(|b| b.is_ascii_graphic()) {
            continue;
        }
        let slot = match name.to_ascii_lowercase().as_slice() {
            b"package" => &mut cur.package,
            b"version" => &mut cur.version,
            b"architecture" => &mut cur.arch,
            b"source" => &mut cur.source,
            b"status" => &mut cur.status,
            b"maintainer" => &mut cur.maintainer,
            _ => continue,
        };
        if value.len() > 4 * MAX_FIELD {
            // Not a real field value: keep the stanza invalid rather than copy megabytes.
            *slot = Some(String::new());
            continue;
        }
        *slot = Some(String::from_utf8_lossy(value).trim().to_string());
    }
    flush(&mut cur, &mut packages);
    // A database of removed packages only (`deinstall ok config-files`) is no error; a
    // file with content but not one package stanza is not a dpkg database.
    if named == 0 && data.iter().any(|b| !b.is_ascii_whitespace()) {
        return Err(format!(
            "not a dpkg database: {} bytes without a package stanza",
            data.len()
        ));
    }
    Ok(packages)
}

fn to_package(s: Stanza, ctx: &Context, need_status: bool) -> Option<Package> {
    let name = s.package.filter(|n| valid_token(n))?;
    let version = s.version.filter(|v| valid_token(v))?;
    let mut metadata = BTreeMap::new();
    match s.status.as_deref() {
        Some(st) => {
            // "want flag state": install ok installed, hold ok installed, deinstall ok config-files…
            let words: Vec<&str> = st.split_whitespace().collect();
            let state = *words.get(2)?;
            match state {
                "installed" | "triggers-pending" | "triggers-awaited" => {}
                "half-configured" | "unpacked" => {
                    metadata.insert("status".to_string(), state.to_string());
                }
                _ => return None,
            }
            if words[0] != "install" {
                metadata.insert("selection".to_string(), words[0].to_string());
            }
        }
        None if need_status => return None,
        None => {}
    }
    let arch = s.arch.filter(|a| valid_token(a));
    let source = match s.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(src) => {
            let (sname, sver) = match src.split_once('(') {
                Some((n, rest)) => (n.trim(), rest.split(')').next().unwrap_or("").trim()),
                None => (src, ""),
            };
            let sname = if valid_token(sname) {
                sname
            } else {
                name.as_str()
            };
            let sver = if valid_token(sver) {
                sver
            } else {
                version.as_str()
            };
            SourcePackage {
                name: sname.to_string(),
                version: sver.to_string(),
            }
        }
        None => SourcePackage {
            name: name.clone(),
            version: version.clone(),
        },
    };
    if let Some(m) = s
        .maintainer
        .filter(|m| !m.is_empty() && m.len() <= MAX_FIELD)
    {
        metadata.insert("maintainer".to_string(), m);
    }
    let distro = ctx.distro.as_ref();
    let ecosystem = distro
        .and_then(|d| d.osv_ecosystem())
        .unwrap_or_else(|| "Debian".to_string());
    let namespace = distro.map_or("debian", |d| d.purl_namespace());
    let distro_q = distro.map(|d| d.purl_distro()).unwrap_or_default();
    let purl = crate::purl::purl(
        "deb",
        Some(namespace),
        &name,
        &version,
        &[
            ("arch", arch.as_deref().unwrap_or("")),
            ("distro", &distro_q),
        ],
    );
    Some(Package {
        kind: "deb".to_string(),
        ecosystem,
        name,
        version,
        purl,
        source: Some(source),
        arch,
        origin: Origin::Installed,
        metadata,
        ..Package::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::detect;

    fn debian12() -> Context {
        Context {
            distro: detect(
                [(
                    "etc/os-release",
                    &b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"[..],
                )]
                .into_iter(),
            ),
            ..Context::default()
        }
    }

    const STATUS_FILE: &str = "\
Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6156
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL
 and TLS cryptographic protocols for secure communication over the
 Internet.
 .
 It provides the libssl and libcrypto shared libraries.
Homepage: https://www.openssl.org/

Package: libgcc-s1
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 141
Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14
Replaces: libgcc1 (<< 1:10)
Provides: libgcc1 (= 1:12.2.0-14)
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)
Description: GCC support library
 Shared version of the GCC support library.
Homepage: https://gcc.gnu.org/

Package: tzdata
Status: deinstall ok config-files
Priority: required
Section: localization
Installed-Size: 3414
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: all
Version: 2024a-0+deb12u1
Conffiles:
 /etc/timezone 7c5aa14a6ae6d0ef4d6de6e3c4a3d5e5 obsolete
Description: time zone and daylight-saving time data

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Provides: libz1
Depends: libc6 (>= 2.14)
Description: compression library - runtime
 zlib is a library implementing the deflate compression method found
 in gzip and PKZIP.  This package includes the shared library.
Homepage: http://zlib.net/

Package: libbroken
Status: install reinstreq half-installed
Architecture: amd64
Version: 1.0-1

Package: bash
Essential: yes
Status: hold ok installed
Priority: required
Section: shells
Architecture: amd64
Version: 5.2.15-2+b2
Source: bash (5.2.15-2)
Description: GNU Bourne Again SHell
";

    #[test]
    fn status_file_installed_packages_with_sources() {
        let parsed = Dpkg
            .parse("var/lib/dpkg/status", STATUS_FILE.as_bytes(), &debian12())
            .unwrap();
        let p = &parsed.packages;
        let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["libssl3", "libgcc-s1", "zlib1g", "bash"]);
        let ssl = &p[0];
        assert_eq!(ssl.kind, "deb");
        assert_eq!(ssl.ecosystem, "Debian:12");
        assert_eq!(ssl.version, "3.0.11-1~deb12u2");
        assert_eq!(ssl.arch.as_deref(), Some("amd64"));
        assert_eq!(
            ssl.source,
            Some(SourcePackage {
                name: "openssl".into(),
                version: "3.0.11-1~deb12u2".into()
            })
        );
        assert_eq!(
            ssl.purl,
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            ssl.metadata["maintainer"],
            "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>"
        );
        assert!(ssl.licenses.is_empty());
        assert_eq!(ssl.origin, Origin::Installed);
        assert_eq!(p[1].source.as_ref().unwrap().name, "gcc-12");
        assert_eq!(p[1].source.as_ref().unwrap().version, "12.2.0-14");
        assert_eq!(
            p[2].purl,
            "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12"
        );
        // binNMU: the source version differs and is given in parentheses.
        let bash = &p[3];
        assert_eq!(bash.version, "5.2.15-2+b2");
        assert_eq!(
            bash.source,
            Some(SourcePackage {
                name: "bash".into(),
                version: "5.2.15-2".into()
            })
        );
        assert_eq!(bash.metadata["selection"], "hold");
        assert!(parsed.owned_files.is_empty());
    }

    #[test]
    fn unknown_distro_and_ubuntu() {
        let p = parse_status(STATUS_FILE.as_bytes(), &Context::default(), true).unwrap();
        assert_eq!(p[0].ecosystem, "Debian");
        assert_eq!(
            p[0].purl,
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"
        );
        let ubuntu = Context {
            distro: detect(
                [(
                    "etc/os-release",
                    &b"NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\n"[..],
                )]
                .into_iter(),
            ),
            ..Context::default()
        };
        let text = "Package: libc6\nStatus: install ok installed\nArchitecture: arm64\n\
                    Source: glibc\nVersion: 2.35-0ubuntu3.6\n";
        let p = parse_status(text.as_bytes(), &ubuntu, true).unwrap();
        assert_eq!(p[0].ecosystem, "Ubuntu:22.04:LTS");
        assert_eq!(
            p[0].purl,
            "pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6?arch=arm64&distro=ubuntu-22.04"
        );
        assert_eq!(p[0].source.as_ref().unwrap().name, "glibc");
    }

    #[test]
    fn crlf_case_and_no_source() {
        let text = "package: tini\r\nstatus: install ok installed\r\narchitecture: amd64\r\nversion: 0.19.0-1\r\n\r\n";
        let p = parse_status(text.as_bytes(), &debian12(), true).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "tini");
        assert_eq!(
            p[0].source,
            Some(SourcePackage {
                name: "tini".into(),
                version: "0.19.0-1".into()
            })
        );
    }

    #[test]
    fn distroless_status_d_and_md5sums() {
        let ctx = debian12();
        let control = "\
Package: libssl3
Version: 3.0.11-1~deb12u2
Architecture: amd64
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Installed-Size: 6156
Depends: libc6 (>= 2.34)
Section: libs
Priority: optional
Multi-Arch: same
Homepage: https://www.openssl.org/
Source: openssl
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation.
";
        let parsed = Dpkg
            .parse("var/lib/dpkg/status.d/libssl3", control.as_bytes(), &ctx)
            .unwrap();
        assert_eq!(parsed.packages.len(), 1);
        assert_eq!(parsed.packages[0].name, "libssl3");
        assert_eq!(parsed.packages[0].source.as_ref().unwrap().name, "openssl");
        // A status.d file with two stanzas (the base-files + netbase style).
        let two = "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\n\
                   Package: netbase\nVersion: 6.4\nArchitecture: all\n";
        let parsed = Dpkg
            .parse("var/lib/dpkg/status.d/base", two.as_bytes(), &ctx)
            .unwrap();
        assert_eq!(parsed.packages.len(), 2);
        assert_eq!(
            parsed.packages[1].purl,
            "pkg:deb/debian/netbase@6.4?arch=all&distro=debian-12"
        );

        let md5 = "\
2f1c3b1b0c3d0e6b2b8f0e0a4d1c1f10  usr/lib/x86_64-linux-gnu/libcrypto.so.3
8a5c0c8d1b7b8a2e5f3b6c7d9e0f1a2b  usr/lib/x86_64-linux-gnu/libssl.so.3
0123456789abcdef0123456789abcdef  usr/share/doc/libssl3/changelog.Debian.gz
";
        let parsed = Dpkg
            .parse(
                "var/lib/dpkg/status.d/libssl3.md5sums",
                md5.as_bytes(),
                &ctx,
            )
            .unwrap();
        assert!(parsed.packages.is_empty());
        assert_eq!(parsed.owned_files.len(), 3);
        assert_eq!(
            parsed.owned_files[1],
            (
                "usr/lib/x86_64-linux-gnu/libssl.so.3".to_string(),
                "libssl3".to_string()
            )
        );
    }

    /// With `owned_names` set, only files of those names are kept, and an info list with
    /// none of them is still a valid list (not "no file paths found").
    #[test]
    fn info_list_keeps_only_wanted_names() {
        let ctx = Context {
            owned_names: Some(std::sync::Arc::new(
                ["METADATA".to_string()].into_iter().collect(),
            )),
            ..debian12()
        };
        let list = "/.\n/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info\n\
                    /usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA\n\
                    /usr/lib/python3/dist-packages/yaml/__init__.py\n";
        let parsed = Dpkg
            .parse("var/lib/dpkg/info/python3-yaml.list", list.as_bytes(), &ctx)
            .unwrap();
        assert_eq!(
            parsed.owned_files,
            [(
                "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA".to_string(),
                "python3-yaml".to_string()
            )]
        );
        let parsed = Dpkg
            .parse(
                "var/lib/dpkg/info/libc6.list",
                b"/usr/lib/libc.so.6\n",
                &ctx,
            )
            .unwrap();
        assert!(parsed.owned_files.is_empty());
    }

    #[test]
    fn info_list_gives_ownership_with_arch_stripped() {
        let list = "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n\
                    /usr/lib/x86_64-linux-gnu/libssl.so.3\n/usr/share/doc/libssl3\n";
        let parsed = Dpkg
            .parse(
                "var/lib/dpkg/info/libssl3:amd64.list",
                list.as_bytes(),
                &debian12(),
            )
            .unwrap();
        assert!(parsed.packages.is_empty());
        assert!(parsed.owned_files.contains(&(
            "usr/lib/x86_64-linux-gnu/libssl.so.3".into(),
            "libssl3".into()
        )));
        assert!(
            parsed
                .owned_files
                .iter()
                .all(|(p, n)| !p.starts_with('/') && n == "libssl3")
        );
        let parsed = Dpkg
            .parse(
                "var/lib/dpkg/info/python3-yaml.list",
                b"/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA\n",
                &debian12(),
            )
            .unwrap();
        assert_eq!(parsed.owned_files[0].1, "python3-yaml");
        // An empty list (a package with no files) is fine.
        let parsed = Dpkg
            .parse("var/lib/dpkg/info/dummy.list", b"", &debian12())
            .unwrap();
        assert!(parsed.owned_files.is_empty());
    }

    #[test]
    fn bad_input_is_an_error_or_skipped_never_a_panic() {
        let ctx = debian12();
        // Binary garbage.
        let garbage: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(Dpkg.parse(STATUS, &garbage, &ctx).is_err());
        // Truncated: the last stanza lost its version; the others stay.
        let cut = &STATUS_FILE[..STATUS_FILE.find("Version: 5.2.15").unwrap()];
        let p = parse_status(cut.as_bytes(), &ctx, true).unwrap();
        assert_eq!(p.len(), 3);
        // Cut in the middle of a field name or after a colon.
        for n in [1, 5, 8, 9, 30, 100] {
            let _ = parse_status(&STATUS_FILE.as_bytes()[..n], &ctx, true);
        }
        // 20 MB without a newline, with and without a colon.
        let mut big = b"Package: ".to_vec();
        big.resize(20 << 20, b'a');
        let t = std::time::Instant::now();
        assert!(parse_status(&big, &ctx, true).is_err());
        let big = vec![b'x'; 20 << 20];
        assert!(parse_status(&big, &ctx, true).is_err());
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
        // Only removed packages: empty, not an error.
        let removed = "Package: tzdata\nStatus: deinstall ok config-files\nVersion: 2024a-0\n";
        assert!(
            parse_status(removed.as_bytes(), &ctx, true)
                .unwrap()
                .is_empty()
        );
        // Empty file.
        assert!(parse_status(b"", &ctx, true).unwrap().is_empty());
        // md5sums that are not md5sums.
        assert!(
            Dpkg.parse("var/lib/dpkg/status.d/x.md5sums", &garbage, &ctx)
                .is_err()
        );
        // Non-UTF-8 in a value does not panic.
        let p = parse_status(
            b"Package: caf\xe9\nStatus: install ok installed\nVersion: 1\nMaintainer: \xff\xfe\n",
            &ctx,
            true,
        )
        .unwrap();
        assert_eq!(p.len(), 1);
    }
}
