//! Python packages: installed distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`,
//! `*.egg-info` files) and lockfiles (`poetry.lock`, `Pipfile.lock`, `uv.lock`, pinned
//! `requirements*.txt`).
//!
//! Names are normalized per PEP 503 (lower case, runs of `-`, `_`, `.` become one `-`), which
//! is also how OSV's PyPI ecosystem and the purl spec name them.

use crate::names::{alnum_or, valid_token};
use crate::{Cataloger, Context, Parsed};
use plimsoll_model::ecosystem::{Ecosystem, pep503};
use plimsoll_model::{Origin, Package};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

fn package(name: &str, version: &str, origin: Origin) -> Package {
    let name = pep503(name);
    let version = version.trim().to_string();
    Package {
        kind: "python".into(),
        ecosystem: Ecosystem::PyPI.osv_name().into(),
        purl: crate::purl::purl(Ecosystem::PyPI.purl_type(), None, &name, &version, &[]),
        name,
        version,
        origin,
        ..Package::default()
    }
}

/// Keeps the first of each (name, version); a dev-scoped duplicate of a main one is dropped,
/// a main one makes an earlier dev one main.
fn dedupe(pkgs: Vec<Package>) -> Vec<Package> {
    let mut out: Vec<Package> = Vec::with_capacity(pkgs.len());
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    for p in pkgs {
        match index.get(&(p.name.clone(), p.version.clone())) {
            Some(&i) => {
                if !p.metadata.contains_key("scope") {
                    out[i].metadata.remove("scope");
                }
            }
            None => {
                index.insert((p.name.clone(), p.version.clone()), out.len());
                out.push(p);
            }
        }
    }
    out
}

fn valid_name(n: &str) -> bool {
    valid_token(n, 200, alnum_or(b"-_."))
}

fn valid_version(v: &str) -> bool {
    valid_token(v, 200, alnum_or(b".-_+!"))
}

// ---------------------------------------------------------------------------------------------
// Installed: core metadata (email-header format)

/// Installed distributions: `METADATA` of wheels, `PKG-INFO` of eggs.
pub struct PythonInstalled;

impl Cataloger for PythonInstalled {
    fn name(&self) -> &'static str {
        "python-installed"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "**/*.dist-info/METADATA",
            "**/*.egg-info/PKG-INFO",
            "**/*.egg-info",
        ]
    }
    fn max_size(&self) -> u64 {
        // METADATA carries the long description (README); a few MiB is already unusual.
        8 << 20
    }
    fn parse(&self, _path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        Ok(Parsed {
            packages: vec![parse_metadata(data)?],
            ..Parsed::default()
        })
    }
}

/// Parses core metadata (<https://packaging.python.org/specifications/core-metadata/>).
/// Invalid UTF-8 is replaced, not refused: old eggs carry Latin-1 author names.
pub fn parse_metadata(data: &[u8]) -> Result<Package, String> {
    let text = String::from_utf8_lossy(data);
    let mut name = None;
    let mut version = None;
    let mut license: Option<String> = None;
    let mut expression = None;
    let mut classifiers = Vec::new();
    let mut last: Option<&str> = None;
    let mut license_lines = 0usize;
    for line in text.lines() {
        if line.is_empty() {
            // The body (long description) follows the headers. Blank lines inside a
            // multi-line field are indented, so they are continuations.
            break;
        }
        if line.starts_with([' ', '\t']) {
            if last == Some("license") {
                license_lines += 1;
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            // Not a header: a file that is not core metadata at all.
            if name.is_none() {
                return Err("not a core metadata file (no `Name:` header)".into());
            }
            break;
        };
        let v = v.trim();
        let k = k.trim().to_ascii_lowercase();
        match k.as_str() {
            "name" if name.is_none() => name = Some(v.to_string()),
            "version" if version.is_none() => version = Some(v.to_string()),
            "license" => license = Some(v.to_string()),
            "license-expression" => expression = Some(v.to_string()),
            "classifier" => {
                if let Some(l) = v.strip_prefix("License :: ") {
                    let l = l.rsplit(" :: ").next().unwrap_or(l).trim();
                    if !l.is_empty() && l != "OSI Approved" {
                        classifiers.push(l.to_string());
                    }
                }
            }
            _ => {}
        }
        last = Some(match k.as_str() {
            "license" => "license",
            _ => "",
        });
    }
    let name = name.filter(|n| !n.is_empty()).ok_or("no `Name:` header")?;
    let version = version
        .filter(|v| !v.is_empty())
        .ok_or("no `Version:` header")?;
    let mut p = package(&name, &version, Origin::Installed);
    p.licenses = if let Some(e) = expression.filter(|e| !e.is_empty()) {
        vec![e]
    } else if let Some(l) = license.filter(|l| {
        // The field sometimes holds the whole license text: that is not a name.
        license_lines == 0 && !l.is_empty() && l.len() <= 120 && !l.eq_ignore_ascii_case("UNKNOWN")
    }) {
        vec![l]
    } else {
        classifiers
    };
    Ok(p)
}

// ---------------------------------------------------------------------------------------------
// Lockfiles

/// Python lockfiles and pinned requirements: declared, not necessarily installed.
pub struct PythonLockfiles;

impl Cataloger for PythonLockfiles {
    fn name(&self) -> &'static str {
        "python-lockfile"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "**/poetry.lock",
            "**/Pipfile.lock",
            "**/uv.lock",
            "**/requirements*.txt",
            // The `requirements/base.txt`, `requirements/prod.txt` layout.
            "**/requirements/*.txt",
        ]
    }
    fn max_size(&self) -> u64 {
        64 << 20
    }
    fn parse(&self, path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        let file = path.rsplit('/').next().unwrap_or(path);
        let packages = match file {
            "poetry.lock" => parse_poetry_lock(data)?,
            "Pipfile.lock" => parse_pipfile_lock(data)?,
            "uv.lock" => parse_uv_lock(data)?,
            _ => parse_requirements(data)?,
        };
        Ok(Parsed {
            packages,
            ..Parsed::default()
        })
    }
}

#[derive(Deserialize)]
struct TomlLock {
    #[serde(default)]
    package: Vec<TomlPackage>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: String,
    #[serde(default)]
    version: Option<String>,
    /// poetry < 1.5: `main` or `dev`.
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    source: Option<toml::Value>,
}

fn toml_lock(data: &[u8]) -> Result<TomlLock, String> {
    let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"))?;
    toml::from_str(text).map_err(|e| format!("invalid TOML: {}", e.message()))
}

/// `poetry.lock`: `[[package]]` tables with `name` and `version`.
pub fn parse_poetry_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    let lock = toml_lock(data)?;
    let mut out = Vec::new();
    for p in lock.package {
        let Some(v) = p.version.filter(|v| !v.is_empty()) else {
            continue;
        };
        let mut pkg = package(&p.name, &v, Origin::Declared);
        if p.category.as_deref() == Some("dev") {
            pkg.metadata.insert("scope".into(), "dev".into());
        }
        out.push(pkg);
    }
    Ok(dedupe(out))
}

/// `uv.lock`: `[[package]]` tables; the project itself (`source = { editable = "." }` or
/// `{ virtual = "." }`) is not a dependency.
pub fn parse_uv_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    let lock = toml_lock(data)?;
    let mut out = Vec::new();
    for p in lock.package {
        let local = p
            .source
            .as_ref()
            .and_then(|s| s.as_table())
            .is_some_and(|t| t.contains_key("editable") || t.contains_key("virtual"));
        if local {
            continue;
        }
        let Some(v) = p.version.filter(|v| !v.is_empty()) else {
            continue;
        };
        out.push(package(&p.name, &v, Origin::Declared));
    }
    Ok(dedupe(out))
}

/// `Pipfile.lock`: JSON with `default` and `develop` maps of `name → {"version": "==x"}`.
pub fn parse_pipfile_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        default: BTreeMap<String, Entry>,
        #[serde(default)]
        develop: BTreeMap<String, Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        version: Option<String>,
    }
    let lock: Lock = serde_json::from_slice(data).map_err(|e| format!("invalid JSON: {e}"))?;
    let mut out = Vec::new();
    for (section, dev) in [(&lock.default, false), (&lock.develop, true)] {
        for (name, e) in section {
            // Entries without a pinned version are VCS or path dependencies.
            let Some(v) = e.version.as_deref().and_then(|v| v.strip_prefix("==")) else {
                continue;
            };
            let mut pkg = package(name, v, Origin::Declared);
            if dev {
                pkg.metadata.insert("scope".into(), "dev".into());
            }
            out.push(pkg);
        }
    }
    Ok(dedupe(out))
}

/// Pinned requirements (`name==version`, also with extras and environment markers); other
/// lines (ranges, URLs, options such as `-r`, `-e`, `--hash`) declare no exact version.
pub fn parse_requirements(data: &[u8]) -> Result<Vec<Package>, String> {
    let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"))?;
    if text.contains('\0') {
        return Err("binary data, not a requirements file".into());
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut logical = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        // Backslash continuation (used with `--hash` lines).
        let mut line = line;
        logical.clear();
        loop {
            let trimmed = line.trim_end();
            if let Some(head) = trimmed.strip_suffix('\\') {
                logical.push_str(head);
                logical.push(' ');
                match lines.next() {
                    Some(n) => line = n,
                    None => break,
                }
            } else {
                logical.push_str(trimmed);
                break;
            }
        }
        if let Some((name, version)) = pinned(&logical)
            && seen.insert((name.clone(), version.to_string()))
        {
            out.push(package(&name, version, Origin::Declared));
        }
    }
    Ok(out)
}

/// `name[extras]==version ; marker  --hash=…  # comment` → (name, version).
fn pinned(line: &str) -> Option<(String, &str)> {
    // A comment starts at `#` at the start or after whitespace.
    let mut end = line.len();
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            end = i;
            break;
        }
    }
    let line = line[..end].trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    let line = line.split(';').next()?.trim();
    // Per-requirement options (`--hash=…`) follow the specifier.
    let line = match line.find(" -") {
        Some(i) => line[..i].trim(),
        None => line,
    };
    let (lhs, rhs) = line.split_once("==")?;
    let rhs = rhs.trim();
    if rhs.starts_with('=') || rhs.contains([',', '*', ' ', '<', '>', '!', '~']) {
        return None; // `===` arbitrary equality, wildcards, or several clauses
    }
    let name = match lhs.find('[') {
        Some(i) => &lhs[..i],
        None => lhs,
    }
    .trim();
    if !valid_name(name) || !valid_version(rhs) {
        return None;
    }
    Some((name.to_string(), rhs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    #[test]
    fn names_are_pep503() {
        assert_eq!(
            package("Foo.Bar__baz-_.Qux", "1", Origin::Declared).name,
            "foo-bar-baz-qux"
        );
        assert_eq!(
            package("PyYAML", "6.0", Origin::Declared).purl,
            "pkg:pypi/pyyaml@6.0"
        );
    }

    #[test]
    fn requirement_lines() {
        assert_eq!(
            pinned("requests==2.31.0"),
            Some(("requests".into(), "2.31.0"))
        );
        assert_eq!(
            pinned("uvicorn[standard] == 0.29.0 ; python_version >= \"3.8\" # web"),
            Some(("uvicorn".into(), "0.29.0"))
        );
        assert_eq!(
            pinned("six==1.16.0 --hash=sha256:abc --hash=sha256:def"),
            Some(("six".into(), "1.16.0"))
        );
        assert_eq!(pinned("flask>=2"), None);
        assert_eq!(pinned("django==4.*"), None);
        assert_eq!(pinned("foo===1.0"), None);
        assert_eq!(pinned("foo>=1,==1.2"), None);
        assert_eq!(pinned("-r other.txt"), None);
        assert_eq!(pinned("-e git+https://x/y.git#egg=y"), None);
        assert_eq!(pinned("# pinned==1.0"), None);
        assert_eq!(pinned("pkg @ https://x/pkg-1.0.tar.gz"), None);
    }

    const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/python/");

    fn read(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{FIX}{rel}")).unwrap()
    }

    /// (name, version, purl, licenses joined by `|`, scope).
    fn summary(pkgs: &[Package]) -> Vec<(String, String, String, String, String)> {
        let mut v: Vec<_> = pkgs
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.purl.clone(),
                    p.licenses.join("|"),
                    p.metadata.get("scope").cloned().unwrap_or_default(),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn s(
        name: &str,
        version: &str,
        licenses: &str,
        scope: &str,
    ) -> (String, String, String, String, String) {
        (
            name.into(),
            version.into(),
            format!("pkg:pypi/{name}@{version}"),
            licenses.into(),
            scope.into(),
        )
    }

    #[test]
    fn real_dist_info_metadata() {
        let cases = [
            ("requests-2.31.0", "requests", "2.31.0", "Apache 2.0"),
            ("six-1.16.0", "six", "1.16.0", "MIT"),
            ("PyYAML-6.0.1", "pyyaml", "6.0.1", "MIT"),
            // No License field: the classifiers.
            (
                "packaging-25.0",
                "packaging",
                "25.0",
                "Apache Software License|BSD License",
            ),
            // Metadata 2.5: License-Expression.
            ("urllib3-2.8.0", "urllib3", "2.8.0", "MIT"),
        ];
        for (dir, name, version, licenses) in cases {
            let data = read(&format!("site-packages/{dir}.dist-info/METADATA"));
            let p = PythonInstalled
                .parse(
                    &format!("usr/lib/python3/site-packages/{dir}.dist-info/METADATA"),
                    &data,
                    &Context::default(),
                )
                .unwrap();
            assert_eq!(summary(&p.packages), vec![s(name, version, licenses, "")]);
            assert_eq!(p.packages[0].kind, "python");
            assert_eq!(p.packages[0].ecosystem, "PyPI");
            assert_eq!(p.packages[0].origin, Origin::Installed);
        }
    }

    #[test]
    fn egg_info_files_and_dirs() {
        let p = parse_metadata(&read("egg/PyYAML-5.3.1.egg-info/PKG-INFO")).unwrap();
        assert_eq!(summary(&[p]), vec![s("pyyaml", "5.3.1", "MIT", "")]);
        let p = parse_metadata(&read("egg/python_apt-2.6.0.egg-info")).unwrap();
        assert_eq!(summary(&[p]), vec![s("python-apt", "2.6.0", "GNU GPL", "")]);
        // Latin-1 bytes and a multi-line License (the license text: not a name).
        let p = parse_metadata(&read("egg/zope.interface-4.3.2-py2.7.egg-info")).unwrap();
        assert_eq!(
            summary(&[p]),
            vec![s("zope-interface", "4.3.2", "Zope Public License", "")]
        );
    }

    #[test]
    fn real_uv_lock_skips_the_project() {
        let p = parse_uv_lock(&read("uv.lock")).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                s("certifi", "2026.10.18", "", ""),
                s("charset-normalizer", "3.5.2", "", ""),
                s("idna", "3.20", "", ""),
                s("pyyaml", "6.0.1", "", ""),
                s("requests", "2.31.0", "", ""),
                s("setuptools", "84.2.1", "", ""),
                s("urllib3", "2.8.0", "", ""),
                s("zope-interface", "6.2", "", ""),
            ]
        );
        assert!(p.iter().all(|p| p.origin == "declared"));
    }

    #[test]
    fn real_requirements_with_hashes() {
        let p = parse_requirements(&read("requirements.txt")).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                s("certifi", "2026.10.18", "", ""),
                s("charset-normalizer", "3.5.2", "", ""),
                s("idna", "3.20", "", ""),
                s("pysocks", "1.7.1", "", ""),
                s("pyyaml", "6.0.1", "", ""),
                s("requests", "2.31.0", "", ""),
                s("urllib3", "2.8.0", "", ""),
            ]
        );
    }

    #[test]
    fn hand_written_requirements() {
        let data = b"# app\n-r base.txt\n--index-url https://example.invalid/simple\n\
            Django==4.2.7 ; python_version >= \"3.8\"\n\
            uvicorn[standard]==0.29.0  # server\n\
            flask>=2.0\nrequests\n-e ./local\n\
            zope.interface==6.2 \\\n    --hash=sha256:00 \\\n    --hash=sha256:11\n\
            Django==4.2.7\n";
        let p = parse_requirements(data).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                s("django", "4.2.7", "", ""),
                s("uvicorn", "0.29.0", "", ""),
                s("zope-interface", "6.2", "", ""),
            ]
        );
    }

    #[test]
    fn crlf_line_endings() {
        let p = parse_requirements(b"six==1.16.0 \\\r\n    --hash=sha256:00\r\nidna==3.20\r\n")
            .unwrap();
        assert_eq!(
            summary(&p),
            vec![s("idna", "3.20", "", ""), s("six", "1.16.0", "", "")]
        );
        let m = parse_metadata(b"Name: Six\r\nVersion: 1.16.0\r\nLicense: MIT\r\n\r\nBody: x\r\n")
            .unwrap();
        assert_eq!(summary(&[m]), vec![s("six", "1.16.0", "MIT", "")]);
        let lock = b"[[package]]\r\nname = \"six\"\r\nversion = \"1.16.0\"\r\n";
        assert_eq!(parse_poetry_lock(lock).unwrap().len(), 1);
    }

    #[test]
    fn requirements_directory_layout_is_caught() {
        let cat = Catalog::new(vec![Box::new(PythonLockfiles)]);
        let patterns: Vec<String> = cat.interests().into_iter().map(|i| i.pattern).collect();
        assert!(patterns.contains(&"**/requirements/*.txt".to_string()));
        let p = PythonLockfiles
            .parse(
                "srv/requirements/prod.txt",
                b"gunicorn==21.2.0\n",
                &Context::default(),
            )
            .unwrap();
        assert_eq!(summary(&p.packages), vec![s("gunicorn", "21.2.0", "", "")]);
    }

    #[test]
    fn poetry_lock() {
        let p = parse_poetry_lock(&read("poetry.lock")).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                s("certifi", "2023.7.22", "", ""),
                s("flask", "2.3.3", "", ""),
                s("jinja2", "3.1.2", "", ""),
                s("pytest", "7.4.2", "", "dev"),
                s("ruamel-yaml", "0.17.32", "", ""),
            ]
        );
    }

    #[test]
    fn pipfile_lock() {
        let p = parse_pipfile_lock(&read("Pipfile.lock")).unwrap();
        assert_eq!(
            summary(&p),
            vec![
                s("asgiref", "3.7.2", "", ""),
                s("django", "4.2.7", "", ""),
                s("pytest", "7.4.3", "", "dev"),
                // In both sections: not dev-only.
                s("sqlparse", "0.4.4", "", ""),
            ]
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let html = b"<!DOCTYPE html><html><body>404</body></html>";
        assert!(parse_metadata(html).is_err());
        assert!(parse_poetry_lock(html).is_err());
        assert!(parse_uv_lock(html).is_err());
        assert!(parse_pipfile_lock(html).is_err());
        assert!(parse_requirements(&[0xff, 0xfe, 0]).is_err());
        assert!(parse_poetry_lock(&[0xff, 0xfe]).is_err());
        assert!(parse_metadata(b"").is_err());
        assert!(parse_metadata(b"Name: x\n").is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_pipfile_lock(deep.as_bytes()).is_err());
        let deep_toml = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_poetry_lock(deep_toml.as_bytes()).is_err());
        let deep_inline = format!("a = {}1{}", "{b = ".repeat(50_000), "}".repeat(50_000));
        assert!(parse_uv_lock(deep_inline.as_bytes()).is_err());
    }
}
