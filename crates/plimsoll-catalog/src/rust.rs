//! Rust crates: `Cargo.lock`, and the dependency list `cargo auditable` embeds in binaries.
//!
//! `Cargo.lock` (v1–v4) is TOML with one `[[package]]` table per crate: `name`, `version`,
//! `source` (`registry+https://github.com/rust-lang/crates.io-index`,
//! `sparse+https://index.crates.io/`, `git+https://…#commit`). Packages without `source` are
//! the workspace's own crates and path dependencies: not published, so not listed.
//!
//! `cargo auditable` (<https://github.com/rust-secure-code/cargo-auditable>) stores
//! zlib-compressed JSON in the `.dep-v0` ELF section:
//! `{"packages":[{"name","version","source","kind","dependencies":[indexes],"root"}]}`, where
//! `source` is `crates.io`, `git`, `local`, `registry` or `other`, and `kind` is `runtime`
//! (the default) or `build`. Decompression stops at [`MAX_AUDIT_JSON`] bytes.

use crate::purl::purl;
use crate::{Cataloger, Context, Parsed};
use plimsoll_model::ecosystem::Ecosystem;
use plimsoll_model::{Origin, Package};
use serde::Deserialize;
use std::io::Read;

/// Decompressed `.dep-v0` JSON larger than this is refused (real ones are a few KiB).
pub const MAX_AUDIT_JSON: u64 = 8 << 20;

fn cargo_package(name: &str, version: &str, origin: Origin) -> Package {
    Package {
        kind: "cargo".into(),
        ecosystem: Ecosystem::CratesIo.osv_name().into(),
        name: name.to_string(),
        version: version.to_string(),
        purl: purl(Ecosystem::CratesIo.purl_type(), None, name, version, &[]),
        origin,
        ..Default::default()
    }
}

/// `**/Cargo.lock` (origin `declared`).
pub struct CargoLockCataloger;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    checksum: Option<String>,
}

impl Cataloger for CargoLockCataloger {
    fn name(&self) -> &'static str {
        "cargo-lock"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/Cargo.lock"]
    }
    fn max_size(&self) -> u64 {
        8 << 20
    }
    fn parse(&self, _path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        Ok(Parsed {
            packages: parse_cargo_lock(data)?,
            ..Default::default()
        })
    }
}

/// Parses a `Cargo.lock`; packages without a `source` (workspace members, path
/// dependencies) are left out.
pub fn parse_cargo_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    let text = std::str::from_utf8(data).map_err(|e| format!("Cargo.lock is not UTF-8: {e}"))?;
    let lock: Lock = toml::from_str(text).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut out = Vec::new();
    for p in lock.package {
        let Some(source) = p.source else { continue };
        let mut pkg = cargo_package(&p.name, &p.version, Origin::Declared);
        pkg.metadata.insert("source".into(), source);
        if let Some(c) = p.checksum {
            pkg.metadata.insert("checksum".into(), c);
        }
        out.push(pkg);
    }
    Ok(out)
}

#[derive(Deserialize)]
struct Audit {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    root: bool,
}

/// Decompresses and parses a `.dep-v0` section. Local crates (the binary's own, path
/// dependencies) are left out; build-time dependencies are kept, with
/// `dependency_kind=build` in metadata.
pub fn parse_auditable(section: &[u8]) -> Result<Vec<Package>, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(section)
        .take(MAX_AUDIT_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("cargo auditable data: zlib: {e}"))?;
    if json.len() as u64 > MAX_AUDIT_JSON {
        return Err(format!(
            "cargo auditable data: over {MAX_AUDIT_JSON} bytes decompressed; skipped"
        ));
    }
    let audit: Audit =
        serde_json::from_slice(&json).map_err(|e| format!("cargo auditable data: {e}"))?;
    let root = audit
        .packages
        .iter()
        .find(|p| p.root)
        .map(|p| p.name.clone());
    let mut out = Vec::new();
    for p in audit.packages {
        let source = p.source.unwrap_or_else(|| "crates.io".into());
        if source == "local" || p.root {
            continue;
        }
        let mut pkg = cargo_package(&p.name, &p.version, Origin::Installed);
        pkg.metadata.insert("source".into(), source);
        if p.kind.as_deref() == Some("build") {
            pkg.metadata
                .insert("dependency_kind".into(), "build".into());
        }
        if let Some(r) = &root {
            pkg.metadata.insert("binary_crate".into(), r.clone());
        }
        out.push(pkg);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn auditable_json() {
        let json = br#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
            {"name":"itoa","version":"1.0.11","source":"crates.io"},
            {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
            {"name":"mylib","version":"0.2.0","source":"local"},
            {"name":"forked","version":"0.3.0","source":"git"}
        ]}"#;
        let pkgs = parse_auditable(&zlib(json)).unwrap();
        let got: Vec<(&str, &str)> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [("itoa", "1.0.11"), ("cc", "1.0.83"), ("forked", "0.3.0")]
        );
        assert_eq!(pkgs[0].purl, "pkg:cargo/itoa@1.0.11");
        assert_eq!(pkgs[1].metadata["dependency_kind"], "build");
        assert_eq!(pkgs[2].metadata["source"], "git");
        assert_eq!(pkgs[0].metadata["binary_crate"], "app");
        assert!(
            pkgs.iter()
                .all(|p| p.origin == "installed" && p.kind == "cargo")
        );
    }

    #[test]
    fn zlib_bomb_is_refused() {
        // 64 MiB of spaces compress to ~64 KiB; decompression stops at the cap.
        let mut big = b"{\"packages\":[".to_vec();
        big.resize(64 << 20, b' ');
        let bomb = zlib(&big);
        assert!(bomb.len() < 1 << 20);
        let e = parse_auditable(&bomb).unwrap_err();
        assert!(e.contains("decompressed"), "{e}");
        assert!(parse_auditable(b"not zlib").is_err());
        assert!(parse_auditable(&zlib(b"{\"packages\": 3}")).is_err());
        let ok = zlib(br#"{"packages":[]}"#);
        for n in 0..ok.len() {
            let _ = parse_auditable(&ok[..n]);
        }
    }

    #[test]
    fn this_repositorys_cargo_lock() {
        let lock = include_bytes!("../../../Cargo.lock");
        let pkgs = parse_cargo_lock(lock).unwrap();
        assert!(pkgs.len() > 50);
        assert!(!pkgs.iter().any(|p| p.name.starts_with("plimsoll")));
        let serde = pkgs.iter().find(|p| p.name == "serde").unwrap();
        assert_eq!(
            serde.metadata["source"],
            "registry+https://github.com/rust-lang/crates.io-index"
        );
        assert_eq!(serde.purl, format!("pkg:cargo/serde@{}", serde.version));
        assert!(pkgs.iter().all(|p| p.origin == "declared"));
    }

    #[test]
    fn cargo_lock_v1_v3_and_git() {
        let lock = r#"# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "itoa",
 "regex 1.10.2",
 "semver",
]

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"

[[package]]
name = "regex"
version = "1.10.2"
source = "sparse+https://index.crates.io/"

[[package]]
name = "semver"
version = "1.0.20"
source = "git+https://github.com/dtolnay/semver?rev=abc#abcdef0123"

[[package]]
name = "local-helper"
version = "0.0.1"
"#;
        let pkgs = parse_cargo_lock(lock.as_bytes()).unwrap();
        let got: Vec<(&str, &str)> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("itoa", "1.0.11"),
                ("regex", "1.10.2"),
                ("semver", "1.0.20")
            ]
        );
        assert_eq!(
            pkgs[0].metadata["checksum"],
            "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
        );
        // Not a lockfile.
        assert!(parse_cargo_lock(b"[package]\nname = 3\n").is_err());
        assert!(parse_cargo_lock(b"{\"json\": true}").is_err());
        assert!(parse_cargo_lock(&[0xff, 0xfe]).is_err());
    }
}
