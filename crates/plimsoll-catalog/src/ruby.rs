//! Ruby gems: installed gemspecs (`specifications/*.gemspec`, as RubyGems writes them on
//! install) and `Gemfile.lock`.
//!
//! A gemspec is Ruby code. It is never evaluated: the literal assignments RubyGems writes
//! (`s.name = "rack".freeze`, `s.version = "3.0.8"`, `s.licenses = ["MIT".freeze]`) are read
//! by hand, and anything else (heredocs, `eval`, interpolation, method calls) is not read.

use crate::names::{alnum_or, valid_token};
use crate::{Cataloger, Context, Parsed};
use plimsoll_model::ecosystem::Ecosystem;
use plimsoll_model::{Origin, Package};
use std::collections::HashSet;

fn valid_name(n: &str) -> bool {
    valid_token(n, 200, alnum_or(b"-_."))
}

fn valid_version(v: &str) -> bool {
    valid_token(v, 200, alnum_or(b".-_+"))
}

fn package(name: &str, version: &str, platform: Option<&str>, origin: Origin) -> Package {
    let platform = platform.filter(|p| !p.is_empty() && *p != "ruby");
    let mut p = Package {
        kind: "gem".into(),
        ecosystem: Ecosystem::RubyGems.osv_name().into(),
        purl: crate::purl::purl(
            "gem",
            None,
            name,
            version,
            &[("platform", platform.unwrap_or(""))],
        ),
        name: name.into(),
        version: version.into(),
        origin,
        ..Package::default()
    };
    if let Some(pl) = platform {
        p.metadata.insert("platform".into(), pl.into());
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Installed gemspecs

/// Installed gems: the gemspecs RubyGems writes under `specifications/` (and
/// `specifications/default/` for the gems bundled with Ruby).
pub struct GemspecInstalled;

impl Cataloger for GemspecInstalled {
    fn name(&self) -> &'static str {
        "ruby-gemspec"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "**/specifications/*.gemspec",
            "**/specifications/default/*.gemspec",
        ]
    }
    fn max_size(&self) -> u64 {
        1 << 20
    }
    fn parse(&self, _path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        Ok(Parsed {
            packages: vec![parse_gemspec(data)?],
            ..Parsed::default()
        })
    }
}

/// A Ruby string literal (`"x"`, `'x'`), optionally `.freeze`d, at the start of `s`; returns
/// it and the rest. Interpolation (`#{`) and escapes other than `\\`, `\"`, `\'` are refused:
/// reading them would mean evaluating Ruby.
fn string_literal(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, e) = chars.next()?;
                if e == '\\' || e == q {
                    out.push(e);
                } else {
                    return None;
                }
            }
            '#' if q == '"' && s[1 + i + 1..].starts_with('{') => return None,
            c if c == q => {
                let rest = &s[1 + i + 1..];
                let rest = rest.strip_prefix(".freeze").unwrap_or(rest);
                return Some((out, rest));
            }
            c => out.push(c),
        }
    }
    None
}

/// The whole right-hand side as one string literal.
fn string_value(rhs: &str) -> Option<String> {
    let (v, rest) = string_literal(rhs)?;
    rest.trim().is_empty().then_some(v)
}

/// The whole right-hand side as an array of string literals.
fn string_array(rhs: &str) -> Option<Vec<String>> {
    let mut s = rhs.trim().strip_prefix('[')?;
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix(']') {
            return rest.trim().is_empty().then_some(out);
        }
        let (v, rest) = string_literal(s)?;
        out.push(v);
        s = rest.trim_start();
        s = s.strip_prefix(',').unwrap_or(s);
    }
}

/// Parses a gemspec as RubyGems writes it on install (`Gem::Specification#to_ruby`).
pub fn parse_gemspec(data: &[u8]) -> Result<Package, String> {
    let text = String::from_utf8_lossy(data);
    let mut name = None;
    let mut version = None;
    let mut platform = None;
    let mut licenses: Option<Vec<String>> = None;
    for line in text.lines() {
        let line = line.trim();
        // `<var>.<attr> = <value>`, the receiver a plain identifier (`s`, `spec`).
        let Some((lhs, rhs)) = line.split_once('=') else {
            continue;
        };
        if rhs.starts_with(['=', '~']) || lhs.ends_with(['!', '<', '>', '=']) {
            continue;
        }
        let Some((var, attr)) = lhs.trim().split_once('.') else {
            continue;
        };
        if var.is_empty() || !var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        match attr.trim() {
            "name" if name.is_none() => name = string_value(rhs),
            "version" if version.is_none() => version = string_value(rhs),
            "platform" if platform.is_none() => platform = string_value(rhs),
            "license" if licenses.is_none() => licenses = string_value(rhs).map(|l| vec![l]),
            "licenses" if licenses.is_none() => licenses = string_array(rhs),
            _ => {}
        }
    }
    let name = name
        .filter(|n| valid_name(n))
        .ok_or("no literal `name` assignment (not a gemspec RubyGems wrote)")?;
    let version = version
        .filter(|v| valid_version(v))
        .ok_or("no literal `version` assignment")?;
    let mut p = package(&name, &version, platform.as_deref(), Origin::Installed);
    p.licenses = licenses
        .unwrap_or_default()
        .into_iter()
        .filter(|l| !l.is_empty() && l.len() <= 200)
        .collect();
    Ok(p)
}

// ---------------------------------------------------------------------------------------------
// Gemfile.lock

/// Bundler lockfiles: declared, not necessarily installed.
pub struct GemfileLock;

impl Cataloger for GemfileLock {
    fn name(&self) -> &'static str {
        "ruby-gemfile-lock"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/Gemfile.lock"]
    }
    fn max_size(&self) -> u64 {
        64 << 20
    }
    fn parse(&self, _path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        Ok(Parsed {
            packages: parse_gemfile_lock(data)?,
            ..Parsed::default()
        })
    }
}

/// Splits `1.15.4-x86_64-linux` into version and platform. Bundler writes
/// `name (version-platform)` for platform-specific gems; RubyGems versions written in a
/// lockfile use `.pre`, not `-`, for prereleases, so the first `-` starts the platform.
fn split_platform(v: &str) -> (&str, Option<&str>) {
    match v.split_once('-') {
        Some((v, p)) => (v, Some(p)),
        None => (v, None),
    }
}

/// Parses `Gemfile.lock`: the `specs:` of the `GEM`, `GIT` and `PATH` sections. Lines
/// indented four spaces are gems; six spaces, their dependencies.
pub fn parse_gemfile_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut known_sections = 0usize;
    // (source kind, remote, revision) of the current section; None outside GEM/GIT/PATH.
    let mut section: Option<(&str, Option<&str>, Option<&str>)> = None;
    let mut in_specs = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            in_specs = false;
            section = match line {
                "GEM" => Some(("rubygems", None, None)),
                "GIT" => Some(("git", None, None)),
                "PATH" => Some(("path", None, None)),
                _ => None,
            };
            if section.is_some()
                || matches!(
                    line,
                    "PLATFORMS" | "DEPENDENCIES" | "BUNDLED WITH" | "RUBY VERSION" | "CHECKSUMS"
                )
                || line.starts_with("PLUGIN")
            {
                known_sections += 1;
            }
            continue;
        }
        let Some((_, remote, revision)) = section.as_mut() else {
            continue;
        };
        if let Some(rest) = line.strip_prefix("  ")
            && !rest.starts_with(' ')
        {
            in_specs = rest == "specs:";
            if let Some(r) = rest.strip_prefix("remote: ") {
                *remote = Some(r.trim());
            } else if let Some(r) = rest.strip_prefix("revision: ") {
                *revision = Some(r.trim());
            }
            continue;
        }
        if !in_specs {
            continue;
        }
        let Some(spec) = line.strip_prefix("    ").filter(|s| !s.starts_with(' ')) else {
            // Six spaces: a dependency of the gem above, with a requirement, not a version.
            continue;
        };
        let Some((name, rest)) = spec.split_once(" (") else {
            continue;
        };
        let Some(full) = rest.strip_suffix(')') else {
            continue;
        };
        let (version, platform) = split_platform(full);
        if !valid_name(name) || !valid_version(version) {
            continue;
        }
        let (kind, remote, revision) = section.unwrap_or_default();
        if !seen.insert((name, version, platform, kind)) {
            continue;
        }
        let mut p = package(name, version, platform, Origin::Declared);
        p.metadata.insert("source".into(), kind.into());
        if kind != "rubygems" {
            if let Some(r) = remote {
                p.metadata.insert("remote".into(), r.into());
            }
            if let Some(r) = revision {
                p.metadata.insert("revision".into(), r.into());
            }
        }
        out.push(p);
    }
    if known_sections == 0 {
        return Err("not a Gemfile.lock (no GEM, GIT, PATH or DEPENDENCIES section)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(string_value(r#" "rack".freeze"#), Some("rack".to_string()));
        assert_eq!(string_value(" 'a\\'b'"), Some("a'b".to_string()));
        assert_eq!(string_value(r#" "a#{x}""#), None);
        assert_eq!(string_value(r#" "a".upcase"#), None);
        assert_eq!(string_value(" <<~EOS"), None);
        assert_eq!(
            string_array(r#" ["MIT".freeze, "Ruby".freeze]"#),
            Some(vec!["MIT".to_string(), "Ruby".to_string()])
        );
        assert_eq!(string_array(" []"), Some(vec![]));
        assert_eq!(string_array(r#" ["MIT""#), None);
        assert_eq!(string_value(" \"\\"), None);
        assert_eq!(string_value(" \"é\""), Some("é".to_string()));
    }

    #[test]
    fn platform_split() {
        assert_eq!(
            split_platform("1.15.4-x86_64-linux"),
            ("1.15.4", Some("x86_64-linux"))
        );
        assert_eq!(split_platform("3.0.8"), ("3.0.8", None));
    }
}
