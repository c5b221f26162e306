//! JavaScript packages: installed `node_modules/<name>/package.json` and lockfiles
//! (`package-lock.json` / `npm-shrinkwrap.json` v1–v3, `yarn.lock` classic and berry,
//! `pnpm-lock.yaml` 5.x, 6.x and 9.x).
//!
//! The YAML of `yarn.lock` (berry) and `pnpm-lock.yaml` is read line by line: both tools write
//! a fixed layout (entries as keys at one indentation, fields one level below), and only keys
//! and scalar fields are needed.

use crate::names::valid_token;
use crate::{Cataloger, Context, Parsed};
use plimsoll_model::ecosystem::Ecosystem;
use plimsoll_model::{Origin, Package};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// `@scope/name` → (Some("@scope"), "name").
fn split_scope(name: &str) -> (Option<&str>, &str) {
    if name.starts_with('@')
        && let Some((s, n)) = name.split_once('/')
    {
        return (Some(s), n);
    }
    (None, name)
}

fn valid_name(n: &str) -> bool {
    let (scope, base) = split_scope(n);
    !base.is_empty()
        && !base.contains('/')
        && scope.is_none_or(|s| s.len() > 1)
        && valid_token(n, 214, |b| {
            !b.is_ascii_whitespace() && !b.is_ascii_control()
        })
}

/// A registry version: starts with a digit (not a URL, path, git or alias spec).
fn valid_version(v: &str) -> bool {
    v.len() <= 256 && v.starts_with(|c: char| c.is_ascii_digit()) && !v.contains([':', '/', ' '])
}

fn package(name: &str, version: &str, origin: Origin) -> Package {
    let (scope, base) = split_scope(name);
    Package {
        kind: "npm".into(),
        ecosystem: Ecosystem::Npm.osv_name().into(),
        purl: crate::purl::purl(Ecosystem::Npm.purl_type(), scope, base, version, &[]),
        name: name.to_string(),
        version: version.to_string(),
        origin,
        ..Package::default()
    }
}

/// Collects lockfile packages, one per (name, version); dev only if every occurrence is dev.
#[derive(Default)]
struct Collector {
    out: Vec<Package>,
    index: HashMap<(String, String), usize>,
}

impl Collector {
    fn add(&mut self, name: &str, version: &str, dev: bool) {
        if !valid_name(name) || !valid_version(version) {
            return;
        }
        let key = (name.to_string(), version.to_string());
        if let Some(&i) = self.index.get(&key) {
            if !dev {
                self.out[i].metadata.remove("scope");
            }
            return;
        }
        let mut p = package(name, version, Origin::Declared);
        if dev {
            p.metadata.insert("scope".into(), "dev".into());
        }
        self.index.insert(key, self.out.len());
        self.out.push(p);
    }
}

// ---------------------------------------------------------------------------------------------
// Installed: node_modules/<name>/package.json

/// Packages installed in `node_modules`.
pub struct NpmInstalled;

impl Cataloger for NpmInstalled {
    fn name(&self) -> &'static str {
        "npm-installed"
    }
    /// Only a package's own manifest: `node_modules/<name>/package.json` or
    /// `node_modules/@scope/<name>/package.json` (not test fixtures deeper in a package, and
    /// not the application's own top-level `package.json`).
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "**/node_modules/*/package.json",
            "**/node_modules/@*/*/package.json",
        ]
    }
    fn max_size(&self) -> u64 {
        1 << 20
    }
    fn parse(&self, path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        if !in_node_modules(path) {
            return Ok(Parsed::default());
        }
        Ok(Parsed {
            packages: parse_package_json(data)?.into_iter().collect(),
            ..Parsed::default()
        })
    }
}

/// Is `path` `…node_modules/<name>/package.json` or `…node_modules/@scope/<name>/package.json`?
fn in_node_modules(path: &str) -> bool {
    let parts: Vec<&str> = path.rsplit('/').take(4).collect();
    match parts.as_slice() {
        ["package.json", name, "node_modules", ..] => !name.starts_with('@') && !name.is_empty(),
        ["package.json", _, scope, "node_modules"] => scope.starts_with('@') && scope.len() > 1,
        _ => false,
    }
}

/// An installed `package.json`: `None` without both `name` and `version`.
pub fn parse_package_json(data: &[u8]) -> Result<Option<Package>, String> {
    #[derive(Deserialize)]
    struct Manifest {
        #[serde(default)]
        name: Option<Value>,
        #[serde(default)]
        version: Option<Value>,
        #[serde(default)]
        license: Option<Value>,
        #[serde(default)]
        licenses: Option<Value>,
    }
    let m: Manifest = serde_json::from_slice(data).map_err(|e| format!("invalid JSON: {e}"))?;
    let (Some(Value::String(name)), Some(Value::String(version))) = (m.name, m.version) else {
        return Ok(None);
    };
    let (name, version) = (name.trim(), version.trim());
    if !valid_name(name) || version.is_empty() || version.len() > 256 {
        return Ok(None);
    }
    let mut p = package(name, version, Origin::Installed);
    let take = |v: &Value| -> Option<String> {
        let s = match v {
            Value::String(s) => s,
            Value::Object(o) => match o.get("type") {
                Some(Value::String(s)) => s,
                _ => return None,
            },
            _ => return None,
        };
        Some(s.trim().to_string()).filter(|s| !s.is_empty())
    };
    let mut licenses: Vec<String> = m.license.as_ref().and_then(take).into_iter().collect();
    // Legacy `licenses: [{type, url}]`.
    if licenses.is_empty()
        && let Some(Value::Array(a)) = &m.licenses
    {
        licenses = a.iter().filter_map(take).collect();
    }
    p.licenses = licenses;
    Ok(Some(p))
}

// ---------------------------------------------------------------------------------------------
// Lockfiles

/// npm, yarn and pnpm lockfiles.
pub struct NpmLockfiles;

impl Cataloger for NpmLockfiles {
    fn name(&self) -> &'static str {
        "npm-lockfile"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "**/package-lock.json",
            "**/npm-shrinkwrap.json",
            "**/yarn.lock",
            "**/pnpm-lock.yaml",
        ]
    }
    fn max_size(&self) -> u64 {
        64 << 20
    }
    fn parse(&self, path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        let file = path.rsplit('/').next().unwrap_or(path);
        let packages = match file {
            "yarn.lock" => parse_yarn_lock(data)?,
            "pnpm-lock.yaml" => parse_pnpm_lock(data)?,
            _ => parse_package_lock(data)?,
        };
        Ok(Parsed {
            packages,
            ..Parsed::default()
        })
    }
}

/// `package-lock.json` / `npm-shrinkwrap.json`: the `packages` map (v2, v3), else the nested
/// `dependencies` tree (v1).
pub fn parse_package_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default, rename = "lockfileVersion")]
        lockfile_version: Option<Value>,
        #[serde(default)]
        packages: Option<BTreeMap<String, Entry>>,
        #[serde(default)]
        dependencies: Option<BTreeMap<String, V1>>,
    }
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        resolved: Option<String>,
        #[serde(default)]
        link: bool,
        #[serde(default)]
        dev: bool,
    }
    let lock: Lock = serde_json::from_slice(data).map_err(|e| {
        if e.to_string().starts_with("recursion limit exceeded") {
            format!("nested too deeply to read (over 128 JSON levels): {e}")
        } else {
            format!("invalid JSON: {e}")
        }
    })?;
    if lock.lockfile_version.is_none() && lock.packages.is_none() && lock.dependencies.is_none() {
        return Err("no lockfileVersion, packages or dependencies: not an npm lockfile".into());
    }
    let mut c = Collector::default();
    if let Some(packages) = lock.packages {
        for (key, e) in &packages {
            if key.is_empty() || e.link || e.resolved.as_deref().is_some_and(non_registry) {
                continue;
            }
            // Workspace sources (`packages/foo`) are not installed dependencies.
            let Some(i) = key.rfind("node_modules/") else {
                continue;
            };
            let from_path = &key[i + "node_modules/".len()..];
            // An alias (`"node_modules/foo": {"name": "bar"}`) installs `bar` under `foo`.
            let name = e.name.as_deref().unwrap_or(from_path);
            if let Some(v) = &e.version {
                c.add(name, v, e.dev);
            }
        }
    } else if let Some(deps) = lock.dependencies {
        v1(&deps, &mut c);
    }
    Ok(c.out)
}

/// A lockfile v1 dependency; nested `dependencies` are those installed beneath it.
#[derive(Deserialize)]
struct V1 {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    dependencies: Option<BTreeMap<String, V1>>,
}

fn v1(deps: &BTreeMap<String, V1>, c: &mut Collector) {
    for (name, d) in deps {
        if let Some(v) = &d.version {
            // An alias: `"version": "npm:real-name@1.2.3"`.
            match v.strip_prefix("npm:").and_then(split_spec) {
                Some((real, rv)) => c.add(real, rv, d.dev),
                None => c.add(name, v, d.dev),
            }
        }
        if let Some(sub) = &d.dependencies {
            v1(sub, c);
        }
    }
}

/// `name@range` → (name, range); the `@` of a scope is not the separator.
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

/// Removes one level of YAML quoting.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// A top-level (column 0) mapping key of a lockfile line: `key:` or `"a, b":`.
fn top_key(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t', '#']) || line.is_empty() {
        return None;
    }
    line.trim_end().strip_suffix(':')
}

fn text(data: &[u8]) -> Result<&str, String> {
    let t = std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"))?;
    if t.contains('\0') {
        return Err("binary data, not a lockfile".into());
    }
    Ok(t)
}

/// A dependency from git, a local path or a link: its version is the manifest's, not a
/// registry release, so it is not matched against registry advisories.
fn non_registry(spec: &str) -> bool {
    [
        "git",
        "github:",
        "gitlab:",
        "bitbucket:",
        "file:",
        "link:",
        "portal:",
    ]
    .iter()
    .any(|p| spec.starts_with(p))
        || spec.contains("://") && !spec.ends_with(".tgz")
}

/// `yarn.lock`: classic (v1) or berry (`__metadata:`).
pub fn parse_yarn_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    let t = text(data)?;
    let berry = t.lines().any(|l| l == "__metadata:");
    let mut c = Collector::default();
    let mut found_entry = false;
    // The current entry: name from its first descriptor, or skip.
    let mut current: Option<String> = None;
    let mut version: Option<String> = None;
    let mut resolution: Option<String> = None;
    let flush = |c: &mut Collector,
                 cur: &mut Option<String>,
                 ver: &mut Option<String>,
                 res: &mut Option<String>| {
        if let (Some(name), Some(v)) = (cur.take(), ver.take()) {
            if berry {
                // The resolution names the package actually installed (`name@npm:1.2.3`);
                // workspaces, patches (duplicates of the npm entry), links and git are not
                // registry packages.
                if let Some((n, r)) = res.as_deref().and_then(split_spec)
                    && r.starts_with("npm:")
                {
                    c.add(n, &v, false);
                }
            } else {
                c.add(&name, &v, false);
            }
        }
        *res = None;
    };
    for line in t.lines() {
        if let Some(key) = top_key(line) {
            flush(&mut c, &mut current, &mut version, &mut resolution);
            if key == "__metadata" {
                continue;
            }
            found_entry = true;
            let first = key.split(", ").next().unwrap_or(key);
            let first = unquote(first);
            current = split_spec(first)
                .filter(|(_, range)| berry || !non_registry(range))
                .map(|(n, range)| {
                    // Classic alias: `foo@npm:bar@^1.0.0` installs `bar`.
                    match range.strip_prefix("npm:").and_then(split_spec) {
                        Some((real, _)) if !berry => real.to_string(),
                        _ => n.to_string(),
                    }
                });
            continue;
        }
        let Some(field) = line.strip_prefix("  ") else {
            continue;
        };
        if field.starts_with(' ') {
            continue; // nested: dependencies, peerDependenciesMeta…
        }
        if berry {
            if let Some(v) = field.strip_prefix("version: ") {
                version = Some(unquote(v).to_string());
            } else if let Some(r) = field.strip_prefix("resolution: ") {
                resolution = Some(unquote(r).to_string());
            }
        } else if let Some(v) = field.strip_prefix("version ") {
            version = Some(unquote(v).to_string());
        }
    }
    flush(&mut c, &mut current, &mut version, &mut resolution);
    if !found_entry && !t.lines().all(|l| l.trim().is_empty() || l.starts_with('#')) {
        return Err("no lockfile entries: not a yarn.lock".into());
    }
    Ok(c.out)
}

/// `pnpm-lock.yaml`: keys of `packages:` (and `snapshots:` in 9.x).
///
/// - 5.x: `/name/1.2.3:`, `/@scope/name/1.2.3_peer@1.0.0:`
/// - 6.x: `/name@1.2.3:`, `/name@1.2.3(peer@1.0.0):`
/// - 9.x: `name@1.2.3:`, `'@scope/name@1.2.3':`, peers as in 6.x in `snapshots:`.
pub fn parse_pnpm_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    let t = text(data)?;
    let mut lockfile_version: Option<String> = None;
    let mut section = "";
    let mut c = Collector::default();
    // The entry being read: (name, version, dev).
    let mut entry: Option<(String, String, bool)> = None;
    for line in t.lines() {
        if let Some(key) = top_key(line).or_else(|| {
            // `lockfileVersion: 5.4` is a top-level scalar.
            (!line.starts_with([' ', '#']) && line.contains(": ")).then_some("")
        }) {
            if let Some((n, v, dev)) = entry.take() {
                c.add(&n, &v, dev);
            }
            if let Some(v) = line.strip_prefix("lockfileVersion:") {
                lockfile_version = Some(unquote(v).to_string());
            }
            section = if key.is_empty() { "" } else { key };
            continue;
        }
        if section != "packages" && section != "snapshots" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("  ")
            && !rest.starts_with(' ')
            && !rest.is_empty()
        {
            if let Some((n, v, dev)) = entry.take() {
                c.add(&n, &v, dev);
            }
            let key = entry_key(rest);
            let v5 = lockfile_version
                .as_deref()
                .is_some_and(|v| v.starts_with('5'));
            entry = pnpm_key(key, v5).map(|(n, v)| (n.to_string(), v.to_string(), false));
            continue;
        }
        if let Some(rest) = line.strip_prefix("    ")
            && rest.trim_end() == "dev: true"
            && let Some(e) = entry.as_mut()
        {
            e.2 = true;
        }
    }
    if let Some((n, v, dev)) = entry.take() {
        c.add(&n, &v, dev);
    }
    if lockfile_version.is_none() {
        return Err("no lockfileVersion: not a pnpm lockfile".into());
    }
    Ok(c.out)
}

/// The key of `  key:` / `  'key': {}` / `  "key":`.
fn entry_key(rest: &str) -> &str {
    let rest = rest.trim_end();
    for q in ['\'', '"'] {
        if let Some(r) = rest.strip_prefix(q)
            && let Some(end) = r.find(q)
        {
            return &r[..end];
        }
    }
    match rest.find(": ") {
        Some(i) => &rest[..i],
        None => rest.strip_suffix(':').unwrap_or(rest),
    }
}

/// A pnpm package key → (name, version), peer suffixes removed.
fn pnpm_key(key: &str, v5: bool) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    // 6.x and 9.x peers: `name@1.0.0(react@18.2.0)(…)`.
    let key = match key.find('(') {
        Some(i) => &key[..i],
        None => key,
    };
    let (name, version) = if v5 {
        // `name/1.0.0` or `@scope/name/1.0.0`.
        let skip = if key.starts_with('@') {
            key.find('/')? + 1
        } else {
            0
        };
        let i = skip + key[skip..].find('/')?;
        (&key[..i], &key[i + 1..])
    } else {
        split_spec(key)?
    };
    // 5.x peers: `1.0.0_react@18.2.0+react-dom@18.2.0`.
    let version = match version.find('_') {
        Some(i) => &version[..i],
        None => version,
    };
    Some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnpm_keys() {
        assert_eq!(pnpm_key("/ms/2.1.3", true), Some(("ms", "2.1.3")));
        assert_eq!(
            pnpm_key("/@babel/core/7.23.0", true),
            Some(("@babel/core", "7.23.0"))
        );
        assert_eq!(
            pnpm_key("/react-dom/18.2.0_react@18.2.0", true),
            Some(("react-dom", "18.2.0"))
        );
        assert_eq!(
            pnpm_key(
                "/@testing-library/react/14.0.0_biqbaboplfbrettd7655fr4n2y",
                true
            ),
            Some(("@testing-library/react", "14.0.0"))
        );
        assert_eq!(
            pnpm_key("/@scope/pkg/1.0.0_@types+node@20.0.0", true),
            Some(("@scope/pkg", "1.0.0"))
        );
        assert_eq!(pnpm_key("/ms@2.1.3", false), Some(("ms", "2.1.3")));
        assert_eq!(
            pnpm_key("/react-dom@18.2.0(react@18.2.0)", false),
            Some(("react-dom", "18.2.0"))
        );
        assert_eq!(
            pnpm_key("@types/node@20.11.30", false),
            Some(("@types/node", "20.11.30"))
        );
    }

    #[test]
    fn node_modules_paths() {
        assert!(in_node_modules("app/node_modules/ms/package.json"));
        assert!(in_node_modules("node_modules/@types/node/package.json"));
        assert!(in_node_modules(
            "app/node_modules/debug/node_modules/ms/package.json"
        ));
        assert!(in_node_modules(
            "node_modules/.pnpm/@types+node@20.11.30/node_modules/@types/node/package.json"
        ));
        assert!(!in_node_modules("app/package.json"));
        assert!(!in_node_modules("node_modules/@types/package.json"));
        assert!(!in_node_modules("node_modules/x/test/package.json"));
    }

    const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/npm/");

    fn read(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{FIX}{rel}")).unwrap()
    }

    /// "name version purl [scope]" per package, sorted.
    fn summary(pkgs: &[Package]) -> Vec<String> {
        let mut v: Vec<String> = pkgs
            .iter()
            .map(|p| {
                let mut s = format!("{} {} {}", p.name, p.version, p.purl);
                if let Some(scope) = p.metadata.get("scope") {
                    s.push_str(&format!(" {scope}"));
                }
                s
            })
            .collect();
        v.sort();
        v
    }

    /// The packages of the real `npm install` in `tests/fixtures/npm`.
    fn demo(dev: &str) -> Vec<String> {
        vec![
            "@types/node 20.11.30 pkg:npm/%40types/node@20.11.30".into(),
            "debug 4.3.4 pkg:npm/debug@4.3.4".into(),
            format!("is-number 7.0.0 pkg:npm/is-number@7.0.0{dev}"),
            "ms 2.1.2 pkg:npm/ms@2.1.2".into(),
            "ms 2.1.3 pkg:npm/ms@2.1.3".into(),
            "undici-types 5.26.5 pkg:npm/undici-types@5.26.5".into(),
        ]
    }

    #[test]
    fn real_node_modules() {
        let mut all = Vec::new();
        for path in [
            "node_modules/@types/node/package.json",
            "node_modules/debug/package.json",
            "node_modules/debug/node_modules/ms/package.json",
            "node_modules/is-number/package.json",
            "node_modules/ms/package.json",
            "node_modules/undici-types/package.json",
        ] {
            let p = NpmInstalled
                .parse(&format!("app/{path}"), &read(path), &Context::default())
                .unwrap();
            assert_eq!(p.packages.len(), 1, "{path}");
            assert_eq!(p.packages[0].licenses, vec!["MIT".to_string()], "{path}");
            assert_eq!(p.packages[0].origin, Origin::Installed);
            assert_eq!(p.packages[0].kind, "npm");
            assert_eq!(p.packages[0].ecosystem, "npm");
            all.extend(p.packages);
        }
        assert_eq!(summary(&all), demo(""));
        // The application's own manifest is not a package.
        let own = NpmInstalled
            .parse(
                "app/package.json",
                &read("package.json"),
                &Context::default(),
            )
            .unwrap();
        assert!(own.packages.is_empty());
    }

    #[test]
    fn package_json_variants() {
        let p = |s: &str| parse_package_json(s.as_bytes()).unwrap();
        let obj = p(r#"{"name":"a","version":"1.0.0","license":{"type":"ISC","url":"x"}}"#);
        assert_eq!(obj.unwrap().licenses, vec!["ISC".to_string()]);
        let legacy = p(
            r#"{"name":"b","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}"#,
        );
        assert_eq!(
            legacy.unwrap().licenses,
            vec!["MIT".to_string(), "Apache-2.0".to_string()]
        );
        assert!(p(r#"{"name":"c"}"#).is_none());
        assert!(p(r#"{"version":"1.0.0"}"#).is_none());
        assert!(p(r#"{"name":1,"version":"1.0.0"}"#).is_none());
        assert!(p(r#"[]"#).is_none() || parse_package_json(b"[]").is_err());
    }

    #[test]
    fn real_package_lock_v3_marks_dev() {
        let p = parse_package_lock(&read("package-lock.json")).unwrap();
        assert_eq!(summary(&p), demo(" dev"));
        assert!(p.iter().all(|p| p.origin == "declared"));
    }

    #[test]
    fn package_lock_v1_nested_and_aliases() {
        let p = parse_package_lock(&read("package-lock-v1.json")).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                "@babel/code-frame 7.12.13 pkg:npm/%40babel/code-frame@7.12.13 dev",
                "debug 2.6.9 pkg:npm/debug@2.6.9",
                "express 4.17.1 pkg:npm/express@4.17.1",
                "left-pad 1.3.0 pkg:npm/left-pad@1.3.0",
                "ms 2.0.0 pkg:npm/ms@2.0.0",
                "ms 2.1.2 pkg:npm/ms@2.1.2",
            ]
        );
    }

    #[test]
    fn package_lock_v2_links_workspaces_and_dedupe() {
        let lock = br#"{
          "name": "ws", "lockfileVersion": 2, "requires": true,
          "packages": {
            "": {"name": "ws", "workspaces": ["packages/*"]},
            "node_modules/@acme/lib": {"resolved": "packages/lib", "link": true},
            "packages/lib": {"name": "@acme/lib", "version": "0.1.0"},
            "node_modules/ms": {"version": "2.1.3", "dev": true},
            "packages/lib/node_modules/ms": {"version": "2.1.3"},
            "node_modules/string-width-cjs": {"name": "string-width", "version": "4.2.3"},
            "node_modules/my-tool": {"version": "1.0.0", "resolved": "git+ssh://git@example.invalid/my-tool.git#0123456789abcdef"},
            "node_modules/local": {"version": "1.0.0", "resolved": "file:../local"}
          },
          "dependencies": {"ignored": {"version": "9.9.9"}}
        }"#;
        let p = parse_package_lock(lock).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                "ms 2.1.3 pkg:npm/ms@2.1.3",
                "string-width 4.2.3 pkg:npm/string-width@4.2.3",
            ]
        );
    }

    #[test]
    fn real_yarn_classic() {
        let p = parse_yarn_lock(&read("yarn-classic.lock")).unwrap();
        assert_eq!(summary(&p), demo(""));
    }

    #[test]
    fn yarn_classic_descriptors_aliases_git() {
        let p = parse_yarn_lock(&read("yarn-classic-alias.lock")).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                "@babel/runtime 7.23.2 pkg:npm/%40babel/runtime@7.23.2",
                "lodash 4.17.21 pkg:npm/lodash@4.17.21",
                "regenerator-runtime 0.14.0 pkg:npm/regenerator-runtime@0.14.0",
            ]
        );
    }

    #[test]
    fn real_yarn_berry_skips_the_workspace() {
        let p = parse_yarn_lock(&read("yarn-berry.lock")).unwrap();
        assert_eq!(summary(&p), demo(""));
    }

    #[test]
    fn yarn_berry_patches_and_workspaces() {
        let p = parse_yarn_lock(&read("yarn-berry-patch.lock")).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                "path-parse 1.0.7 pkg:npm/path-parse@1.0.7",
                "resolve 1.22.8 pkg:npm/resolve@1.22.8",
                "typescript 5.3.3 pkg:npm/typescript@5.3.3",
            ]
        );
    }

    #[test]
    fn real_pnpm_locks() {
        let v9 = parse_pnpm_lock(&read("pnpm-lock-v9.yaml")).unwrap();
        assert_eq!(summary(&v9), demo(""), "9.0");
        let v6 = parse_pnpm_lock(&read("pnpm-lock-v6.yaml")).unwrap();
        assert_eq!(summary(&v6), demo(" dev"), "6.0");
        let v5 = parse_pnpm_lock(&read("pnpm-lock-v5.yaml")).unwrap();
        assert_eq!(summary(&v5), demo(" dev"), "5.4");
    }

    #[test]
    fn pnpm_peer_suffixes() {
        let p = parse_pnpm_lock(&read("pnpm-lock-v6-peers.yaml")).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                "js-tokens 4.0.0 pkg:npm/js-tokens@4.0.0",
                "loose-envify 1.4.0 pkg:npm/loose-envify@1.4.0",
                "react 18.2.0 pkg:npm/react@18.2.0",
                "react-dom 18.2.0 pkg:npm/react-dom@18.2.0",
                "scheduler 0.23.0 pkg:npm/scheduler@0.23.0",
                "typescript 5.3.3 pkg:npm/typescript@5.3.3 dev",
            ]
        );
        let v9 = b"lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      react-dom:\n        specifier: ^18\n        version: 18.2.0(react@18.2.0)\n\npackages:\n\n  react-dom@18.2.0:\n    resolution: {integrity: sha512-x}\n    peerDependencies:\n      react: ^18.2.0\n\n  react@18.2.0:\n    resolution: {integrity: sha512-y}\n\n  local@file:packages/local:\n    resolution: {directory: packages/local, type: directory}\n\nsnapshots:\n\n  react-dom@18.2.0(react@18.2.0):\n    dependencies:\n      react: 18.2.0\n\n  react@18.2.0: {}\n\n  local@file:packages/local: {}\n";
        assert_eq!(
            summary(&parse_pnpm_lock(v9).unwrap()),
            vec![
                "react 18.2.0 pkg:npm/react@18.2.0",
                "react-dom 18.2.0 pkg:npm/react-dom@18.2.0",
            ]
        );
    }

    #[test]
    fn crlf_line_endings() {
        let crlf = |f: &str| String::from_utf8(read(f)).unwrap().replace('\n', "\r\n");
        let y = parse_yarn_lock(crlf("yarn-classic.lock").as_bytes()).unwrap();
        assert_eq!(summary(&y), demo(""));
        let b = parse_yarn_lock(crlf("yarn-berry.lock").as_bytes()).unwrap();
        assert_eq!(summary(&b), demo(""));
        let p = parse_pnpm_lock(crlf("pnpm-lock-v5.yaml").as_bytes()).unwrap();
        assert_eq!(summary(&p), demo(" dev"));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let html = b"<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>\n";
        assert!(parse_package_lock(html).is_err());
        assert!(parse_package_json(html).is_err());
        assert!(parse_yarn_lock(html).is_err());
        assert!(parse_pnpm_lock(html).is_err());
        assert!(parse_package_lock(b"{}").is_err());
        let bad_utf8 = [b'{', b'"', 0xff, 0xfe, b'"', b'}'];
        assert!(parse_package_lock(&bad_utf8).is_err());
        assert!(parse_package_json(&bad_utf8).is_err());
        assert!(parse_yarn_lock(&bad_utf8).is_err());
        assert!(parse_pnpm_lock(&bad_utf8).is_err());
        // serde_json's recursion limit (128) turns deep nesting into an error.
        let deep = format!(
            "{{\"lockfileVersion\":1,\"dependencies\":{}{}}}",
            "{\"a\":".repeat(100_000),
            "}".repeat(100_000)
        );
        assert!(parse_package_lock(deep.as_bytes()).is_err());
        let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        assert!(parse_package_json(deep.as_bytes()).is_err());
        // v1 nesting within the limit does not overflow the recursive walk.
        let mut nested = String::from("{\"lockfileVersion\":1,\"dependencies\":");
        for i in 0..40 {
            nested.push_str(&format!(
                "{{\"p{i}\":{{\"version\":\"1.0.{i}\",\"dependencies\":"
            ));
        }
        nested.push_str("{}");
        nested.push_str(&"}}".repeat(40));
        nested.push('}');
        assert_eq!(parse_package_lock(nested.as_bytes()).unwrap().len(), 40);
    }
}
