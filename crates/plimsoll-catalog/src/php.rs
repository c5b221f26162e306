//! PHP packages: `composer.lock` (declared) and `vendor/composer/installed.json` (installed;
//! Composer 1 writes a top-level array, Composer 2 `{"packages": [...]}`).
//!
//! Versions are kept as Composer writes them (`v5.4.0`, `1.2.3`, `dev-main`), in `version`
//! and in the purl alike: OSV's Packagist ecosystem and Packagist itself name versions by the
//! tag as written, and a purl whose version differs from the package's would not round-trip.

use crate::names::{alnum_or, valid_token};
use crate::{Cataloger, Context, Parsed};
use plimsoll_model::ecosystem::Ecosystem;
use plimsoll_model::{Origin, Package};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

fn valid_name(n: &str) -> bool {
    let Some((vendor, name)) = n.split_once('/') else {
        return false;
    };
    let part = |s: &str| valid_token(s, 214, alnum_or(b"-_."));
    n.len() <= 214 && part(vendor) && part(name)
}

fn valid_version(v: &str) -> bool {
    !v.is_empty() && v.len() <= 200 && !v.chars().any(|c| c.is_control() || c == ' ')
}

fn package(name: &str, version: &str, origin: Origin) -> Package {
    let (vendor, short) = name.split_once('/').unwrap_or(("", name));
    Package {
        kind: "composer".into(),
        ecosystem: Ecosystem::Packagist.osv_name().into(),
        purl: crate::purl::purl(
            Ecosystem::Packagist.purl_type(),
            Some(vendor),
            short,
            version,
            &[],
        ),
        name: name.into(),
        version: version.into(),
        origin,
        ..Package::default()
    }
}

/// Composer lockfiles and installed package lists.
pub struct ComposerCataloger;

impl Cataloger for ComposerCataloger {
    fn name(&self) -> &'static str {
        "php-composer"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/composer.lock", "**/vendor/composer/installed.json"]
    }
    fn max_size(&self) -> u64 {
        64 << 20
    }
    fn parse(&self, path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        let packages = if path.ends_with("installed.json") {
            parse_installed_json(data)?
        } else {
            parse_composer_lock(data)?
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

/// One entry of a `packages` array; None when it has no usable name and version.
fn entry(v: &Value, origin: Origin, dev: bool) -> Option<Package> {
    let name = v.get("name")?.as_str()?.trim();
    let version = v.get("version")?.as_str()?.trim();
    if !valid_name(name) || !valid_version(version) {
        return None;
    }
    let mut p = package(name, version, origin);
    p.licenses = match v.get("license") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|l| !l.is_empty() && l.len() <= 200)
            .map(str::to_string)
            .collect(),
        // Old packages declare a single string.
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 200 => vec![s.clone()],
        _ => vec![],
    };
    if dev {
        p.metadata.insert("scope".into(), "dev".into());
    }
    if let Some(t) = v
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && *t != "library" && t.len() <= 100)
    {
        p.metadata.insert("package_type".into(), t.into());
    }
    Some(p)
}

/// Keeps the first of each (name, version).
fn push(out: &mut Vec<Package>, seen: &mut HashSet<(String, String)>, p: Package) {
    if seen.insert((p.name.clone(), p.version.clone())) {
        out.push(p);
    }
}

/// `composer.lock`: `packages` and `packages-dev` (marked `scope=dev`).
pub fn parse_composer_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    let v = json(data)?;
    let obj = v.as_object().ok_or("not a composer.lock (not an object)")?;
    if !obj.contains_key("packages") && !obj.contains_key("packages-dev") {
        return Err("not a composer.lock (no `packages`)".into());
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (key, dev) in [("packages", false), ("packages-dev", true)] {
        match obj.get(key) {
            Some(Value::Array(a)) => {
                for e in a {
                    if let Some(p) = entry(e, Origin::Declared, dev) {
                        push(&mut out, &mut seen, p);
                    }
                }
            }
            None | Some(Value::Null) => {}
            Some(_) => return Err(format!("`{key}` is not an array")),
        }
    }
    Ok(out)
}

/// `vendor/composer/installed.json`: Composer 1's array or Composer 2's object, whose
/// `dev-package-names` lists the dev packages.
pub fn parse_installed_json(data: &[u8]) -> Result<Vec<Package>, String> {
    let v = json(data)?;
    let (list, dev_names): (&Vec<Value>, HashMap<&str, ()>) = match &v {
        Value::Array(a) => (a, HashMap::new()),
        Value::Object(o) => {
            let Some(Value::Array(a)) = o.get("packages") else {
                return Err("not an installed.json (no `packages` array)".into());
            };
            let dev = o
                .get("dev-package-names")
                .and_then(Value::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(Value::as_str)
                        .map(|n| (n, ()))
                        .collect()
                })
                .unwrap_or_default();
            (a, dev)
        }
        _ => return Err("not an installed.json (neither an array nor an object)".into()),
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for e in list {
        let dev = e
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| dev_names.contains_key(n));
        if let Some(p) = entry(e, Origin::Installed, dev) {
            push(&mut out, &mut seen, p);
        }
    }
    Ok(out)
}
