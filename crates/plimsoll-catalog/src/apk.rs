//! Alpine-family packages (Alpine, Wolfi, Chainguard): the apk database
//! `lib/apk/db/installed` (`usr/lib/apk/db/installed` on merged-/usr systems).
//!
//! Records are separated by blank lines; each line is `<letter>:<value>`
//! (<https://wiki.alpinelinux.org/wiki/Apk_spec#Package_Database>): `P` name, `V` version,
//! `A` arch, `o` origin (the source package; its version is `V`), `L` license, `m`
//! maintainer, `c` commit, `F` a directory, `R` a file in the last `F` directory. Every
//! `F`+`R` pair (and every `F`) is a path owned by the package.

use crate::{Cataloger, Context, MAX_FIELD, Parsed, valid_token};
use plimsoll_model::{Origin, Package, SourcePackage};
use std::collections::BTreeMap;

pub struct Apk;

impl Cataloger for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn patterns(&self) -> &'static [&'static str] {
        &["lib/apk/db/installed", "usr/lib/apk/db/installed"]
    }

    fn is_os(&self) -> bool {
        true
    }

    fn parse(&self, _path: &str, data: &[u8], ctx: &Context) -> Result<Parsed, String> {
        parse_installed(data, ctx)
    }
}

#[derive(Default)]
struct Record {
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    origin: Option<String>,
    license: Option<String>,
    maintainer: Option<String>,
    commit: Option<String>,
    files: Vec<String>,
}

/// Parses an apk `installed` database into packages and owned files.
pub fn parse_installed(data: &[u8], ctx: &Context) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut named = 0usize;
    let mut cur = Record::default();
    let mut dir = String::new();
    let mut flush = |r: &mut Record, out: &mut Parsed| {
        let r = std::mem::take(r);
        if r.name.as_deref().is_some_and(valid_token) {
            named += 1;
        }
        to_package(r, ctx, out);
    };
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|b| *b == b' ' || *b == b'\t') {
            flush(&mut cur, &mut out);
            dir.clear();
            continue;
        }
        if line.len() < 2 || line[1] != b':' {
            continue;
        }
        let value = &line[2..];
        let text = || String::from_utf8_lossy(value).trim().to_string();
        let short = value.len() <= 4 * MAX_FIELD;
        match line[0] {
            b'P' => cur.name = Some(if short { text() } else { String::new() }),
            b'V' => cur.version = Some(if short { text() } else { String::new() }),
            b'A' if short => cur.arch = Some(text()),
            b'o' if short => cur.origin = Some(text()),
            b'L' if short => cur.license = Some(text()),
            b'm' if short => cur.maintainer = Some(text()),
            b'c' if short => cur.commit = Some(text()),
            b'F' => {
                dir.clear();
                if let Ok(d) = std::str::from_utf8(value)
                    && value.len() <= 4096
                {
                    dir.push_str(d.trim_matches('/'));
                }
                if !dir.is_empty() && ctx.wants_owned(&dir) {
                    cur.files.push(dir.clone());
                }
            }
            b'R' => {
                // The name alone decides (wants_owned looks at the last component): no
                // path is built for files that cannot matter.
                if let Ok(f) = std::str::from_utf8(value)
                    && !f.is_empty()
                    && f.len() <= 4096
                    && !f.contains('/')
                    && ctx.wants_owned(f)
                {
                    cur.files.push(if dir.is_empty() {
                        f.to_string()
                    } else {
                        format!("{dir}/{f}")
                    });
                }
            }
            _ => {}
        }
    }
    flush(&mut cur, &mut out);
    if named == 0 && data.iter().any(|b| !b.is_ascii_whitespace()) {
        return Err(format!(
            "not an apk database: {} bytes without a package record",
            data.len()
        ));
    }
    Ok(out)
}

fn to_package(r: Record, ctx: &Context, out: &mut Parsed) {
    let (Some(name), Some(version)) = (
        r.name.filter(|n| valid_token(n)),
        r.version.filter(|v| valid_token(v)),
    ) else {
        return;
    };
    let arch = r.arch.filter(|a| valid_token(a));
    let distro = ctx.distro.as_ref();
    let ecosystem = distro
        .and_then(|d| d.osv_ecosystem())
        .unwrap_or_else(|| "Alpine".to_string());
    let namespace = distro
        .map(|d| d.purl_namespace())
        .filter(|n| !n.is_empty())
        .unwrap_or("alpine");
    let distro_q = distro.map(|d| d.purl_distro()).unwrap_or_default();
    let purl = crate::purl::purl(
        "apk",
        Some(namespace),
        &name,
        &version,
        &[
            ("arch", arch.as_deref().unwrap_or("")),
            ("distro", &distro_q),
        ],
    );
    let source_name = r
        .origin
        .filter(|o| valid_token(o))
        .unwrap_or_else(|| name.clone());
    let mut metadata = BTreeMap::new();
    if let Some(m) = r.maintainer.filter(|m| !m.is_empty()) {
        metadata.insert("maintainer".to_string(), m);
    }
    if let Some(c) = r.commit.filter(|c| !c.is_empty()) {
        metadata.insert("commit".to_string(), c);
    }
    out.owned_files
        .extend(r.files.into_iter().map(|f| (f, name.clone())));
    out.packages.push(Package {
        kind: "apk".to_string(),
        ecosystem,
        source: Some(SourcePackage {
            name: source_name,
            version: version.clone(),
        }),
        licenses: r.license.filter(|l| !l.is_empty()).into_iter().collect(),
        name,
        version,
        purl,
        arch,
        origin: Origin::Installed,
        metadata,
        ..Package::default()
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::detect;

    fn ctx(os_release: &str) -> Context {
        Context {
            distro: detect([("etc/os-release", os_release.as_bytes())].into_iter()),
            ..Context::default()
        }
    }

    const INSTALLED: &str = "\
C:Q1/h5Ue6ZUBBOsPN8Kt9tRoGh3Ky=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407134
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1700235960
c:ba9dc1ae8ea8a1fd2b2ac6ed4b9b5ae88b7d7d3c
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1ahW43/nXJt+4VG0KOmMIz8pF8sY=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

C:Q1Q9C1vHTyuszCJ8RBAtXv6Svba9c=
P:libcrypto3
V:3.1.4-r5
A:x86_64
S:1707036
I:4407296
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1706612234
c:c3dc2a4ec1ab7e4e9ac9ee54ce26b17e3c8cc9f6
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
F:etc
F:etc/ssl
R:openssl.cnf
Z:Q1tPWRNfUEiq3uqlYwNw9T3jsYkb8=
F:usr
F:usr/lib
R:libcrypto.so.3
a:0:0:755
Z:Q1C8wbVi7lCZ8V08ct/9+C+CLPoEw=

C:Q1Bt4vmh7b27dGomGKmxf3jz3oVbA=
P:py3-yaml
V:6.0.1-r1
A:x86_64
S:160263
I:720896
T:Python3 bindings for YAML
U:https://pyyaml.org/wiki/PyYAML
L:MIT
o:py3-yaml
m:Natanael Copa <ncopa@alpinelinux.org>
t:1701453061
F:usr/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info
R:METADATA
R:RECORD
F:usr/lib/python3.11/site-packages/yaml
R:__init__.py

C:Q1y9SSJuAa7fYhOLrQlwnKVQX9y8g=
P:ca-certificates-bundle
V:20240226-r0
A:x86_64
L:MPL-2.0 AND MIT
o:ca-certificates
F:etc/ssl/certs
R:ca-certificates.crt
";

    #[test]
    fn alpine_installed_db() {
        let parsed = Apk
            .parse(
                "lib/apk/db/installed",
                INSTALLED.as_bytes(),
                &ctx("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n"),
            )
            .unwrap();
        let p = &parsed.packages;
        assert_eq!(p.len(), 4);
        let musl = &p[0];
        assert_eq!(
            (musl.kind.as_str(), musl.ecosystem.as_str()),
            ("apk", "Alpine:v3.19")
        );
        assert_eq!(
            musl.purl,
            "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1"
        );
        assert_eq!(musl.licenses, ["MIT"]);
        assert_eq!(
            musl.metadata["maintainer"],
            "Timo Teräs <timo.teras@iki.fi>"
        );
        let crypto = &p[1];
        assert_eq!(
            crypto.source,
            Some(SourcePackage {
                name: "openssl".into(),
                version: "3.1.4-r5".into()
            })
        );
        assert_eq!(p[3].licenses, ["MPL-2.0 AND MIT"]);
        assert_eq!(p[3].source.as_ref().unwrap().name, "ca-certificates");
        let owned = &parsed.owned_files;
        for (path, owner) in [
            ("lib/ld-musl-x86_64.so.1", "musl"),
            ("lib/libc.musl-x86_64.so.1", "musl"),
            ("etc/ssl/openssl.cnf", "libcrypto3"),
            ("usr/lib/libcrypto.so.3", "libcrypto3"),
            (
                "usr/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info/METADATA",
                "py3-yaml",
            ),
            (
                "usr/lib/python3.11/site-packages/yaml/__init__.py",
                "py3-yaml",
            ),
            (
                "etc/ssl/certs/ca-certificates.crt",
                "ca-certificates-bundle",
            ),
        ] {
            assert!(
                owned.contains(&(path.to_string(), owner.to_string())),
                "{path} owned by {owner}"
            );
        }
        // R: belongs to the last F: of its own record only.
        assert!(
            !owned
                .iter()
                .any(|(p, _)| p == "usr/lib/python3.11/site-packages/yaml/openssl.cnf")
        );
    }

    #[test]
    fn wolfi_chainguard_and_unknown() {
        let rec = "P:glibc\nV:2.39-r1\nA:aarch64\nL:LGPL-2.1-or-later\no:glibc\n";
        let p = parse_installed(rec.as_bytes(), &ctx("ID=wolfi\nVERSION_ID=20230201\n")).unwrap();
        assert_eq!(p.packages[0].ecosystem, "Wolfi");
        assert_eq!(
            p.packages[0].purl,
            "pkg:apk/wolfi/glibc@2.39-r1?arch=aarch64&distro=wolfi-20230201"
        );
        let p =
            parse_installed(rec.as_bytes(), &ctx("ID=chainguard\nVERSION_ID=20230214\n")).unwrap();
        assert_eq!(p.packages[0].ecosystem, "Chainguard");
        assert!(
            p.packages[0]
                .purl
                .starts_with("pkg:apk/chainguard/glibc@2.39-r1")
        );
        let p = parse_installed(rec.as_bytes(), &Context::default()).unwrap();
        assert_eq!(p.packages[0].ecosystem, "Alpine");
        assert_eq!(
            p.packages[0].purl,
            "pkg:apk/alpine/glibc@2.39-r1?arch=aarch64"
        );
        // No origin: the package is its own source.
        let p = parse_installed(b"P:busybox\nV:1.36.1-r15\n", &Context::default()).unwrap();
        assert_eq!(p.packages[0].source.as_ref().unwrap().name, "busybox");
        assert!(p.packages[0].licenses.is_empty());
    }

    #[test]
    fn bad_input() {
        let c = Context::default();
        let garbage: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        assert!(parse_installed(&garbage, &c).is_err());
        // Truncated: the last record lost its version.
        let cut = &INSTALLED[..INSTALLED.rfind("V:").unwrap()];
        assert_eq!(
            parse_installed(cut.as_bytes(), &c).unwrap().packages.len(),
            3
        );
        for n in 0..40 {
            let _ = parse_installed(&INSTALLED.as_bytes()[..n], &c);
        }
        let mut big = b"P:".to_vec();
        big.resize(20 << 20, b'a');
        assert!(parse_installed(&big, &c).is_err());
        assert!(parse_installed(&vec![b'z'; 20 << 20], &c).is_err());
        assert!(parse_installed(b"\n\n", &c).unwrap().packages.is_empty());
    }
}
