//! .NET packages: `*.deps.json` (written by the SDK next to a built application: what the
//! runtime loads) and `packages.lock.json` (NuGet's lockfile: declared).
//!
//! Only NuGet packages are reported: `project` and `reference` libraries of `deps.json`, and
//! `Project` dependencies of `packages.lock.json`, are the application's own code.

use crate::names::{alnum_or, valid_token};
use crate::{Cataloger, Context, Parsed};
use plimsoll_model::ecosystem::Ecosystem;
use plimsoll_model::{Origin, Package};
use serde_json::Value;
use std::collections::HashSet;

fn valid_name(n: &str) -> bool {
    valid_token(n, 200, alnum_or(b"-_."))
}

fn valid_version(v: &str) -> bool {
    valid_token(v, 200, alnum_or(b".-+"))
}

fn package(name: &str, version: &str, origin: Origin) -> Package {
    Package {
        kind: "nuget".into(),
        ecosystem: Ecosystem::NuGet.osv_name().into(),
        purl: crate::purl::purl(Ecosystem::NuGet.purl_type(), None, name, version, &[]),
        name: name.into(),
        version: version.into(),
        origin,
        ..Package::default()
    }
}

/// `*.deps.json` and `packages.lock.json`.
pub struct DotnetCataloger;

impl Cataloger for DotnetCataloger {
    fn name(&self) -> &'static str {
        "dotnet"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/*.deps.json", "**/packages.lock.json"]
    }
    fn max_size(&self) -> u64 {
        64 << 20
    }
    fn parse(&self, path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        let packages = if path.ends_with(".deps.json") {
            parse_deps_json(data)?
        } else {
            parse_packages_lock(data)?
        };
        Ok(Parsed {
            packages,
            ..Parsed::default()
        })
    }
}

fn json(data: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(data).map_err(|e| format!("invalid JSON: {e}"))
}

/// `*.deps.json`: the `libraries` map, keys `Name/Version`, of `type` `package`.
pub fn parse_deps_json(data: &[u8]) -> Result<Vec<Package>, String> {
    let v = json(data)?;
    let libs = v
        .get("libraries")
        .and_then(Value::as_object)
        .ok_or("not a deps.json (no `libraries` object)")?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (key, lib) in libs {
        if lib.get("type").and_then(Value::as_str) != Some("package") {
            continue;
        }
        let Some((name, version)) = key.split_once('/') else {
            continue;
        };
        if !valid_name(name) || !valid_version(version) || !seen.insert((name, version)) {
            continue;
        }
        let mut p = package(name, version, Origin::Installed);
        if let Some(s) = lib
            .get("sha512")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 200)
        {
            p.metadata.insert("sha512".into(), s.into());
        }
        out.push(p);
    }
    Ok(out)
}

/// `packages.lock.json`: `dependencies`, per target framework, name to
/// `{type, resolved}`; `Project` references are skipped. Each (name, version) once, with
/// `direct` when any framework depends on it directly.
pub fn parse_packages_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    let v = json(data)?;
    let frameworks = v
        .get("dependencies")
        .and_then(Value::as_object)
        .ok_or("not a packages.lock.json (no `dependencies` object)")?;
    let mut out: Vec<Package> = Vec::new();
    let mut index: std::collections::HashMap<(String, String), usize> = Default::default();
    for deps in frameworks.values() {
        let Some(deps) = deps.as_object() else {
            continue;
        };
        for (name, d) in deps {
            let ty = d.get("type").and_then(Value::as_str).unwrap_or("");
            if ty == "Project" {
                continue;
            }
            let Some(version) = d.get("resolved").and_then(Value::as_str) else {
                continue;
            };
            if !valid_name(name) || !valid_version(version) {
                continue;
            }
            let direct = ty == "Direct";
            let k = (name.clone(), version.to_string());
            if let Some(&i) = index.get(&k) {
                if direct {
                    out[i].metadata.insert("dependency".into(), "direct".into());
                }
                continue;
            }
            let mut p = package(name, version, Origin::Declared);
            p.metadata.insert(
                "dependency".into(),
                if direct { "direct" } else { "transitive" }.into(),
            );
            index.insert(k, out.len());
            out.push(p);
        }
    }
    Ok(out)
}
