//! Ignore files: `.plimsollignore`, and Trivy's `.trivyignore` and `.trivyignore.yaml` read
//! as they are, so that Trivy users switch without rewriting them (docs/ignore.md).
//!
//! Two forms:
//!
//! - **Plain** (Trivy's `.trivyignore`): one vulnerability id per line; `#` starts a comment
//!   (whole-line or trailing); blank lines are skipped; `exp:YYYY-MM-DD` after the id sets an
//!   expiry date. Trivy skips a line whose date does not parse and ignores other tokens;
//!   here both are errors, since a typo would otherwise silently widen or narrow the rule.
//! - **YAML** (`.yaml`/`.yml`, or content that starts with one of the top-level keys): Trivy's
//!   `vulnerabilities:` list of entries with `id`, `paths` (globs over the file the package
//!   was found in), `purls`, `expired_at` and `statement`, plus our `packages` (names or
//!   purls, optionally with a version). Trivy's `secrets:` list holds entries with `id` (a
//!   secret rule id, `aws-access-key-id`), `paths`, `expired_at` and `statement`, plus our
//!   `fingerprint` (`PATH:RULE-ID:LINE`, one finding). Trivy's `misconfigurations:` list
//!   takes the same keys for plimsoll's hardening checks (`id: PLIM-IMG-010`, or a
//!   `fingerprint` `PATH:CHECK-ID`); its entries naming Trivy's own checks (`AVD-DS-0002`)
//!   are accepted and not used, as is the `licenses` list.
//!   Unknown keys are errors. As in Trivy's current format, `id` may be left out when the
//!   entry names a scope.
//!
//! A plain line applies to every kind, as in Trivy: its id is compared with a vulnerability's
//! ids, a secret's rule id or fingerprint, and a misconfiguration's check id or fingerprint
//! (a fingerprint has colons, which no vulnerability id has).
//!
//! A vulnerability entry applies to a finding when its id is the finding's id or one of its aliases
//! (case-insensitive, so ignoring a GHSA also ignores the CVE finding that merged it) and the
//! finding is inside every scope the entry names. A secret entry applies when its id is the
//! secret's rule id (any case) or its fingerprint is the secret's, and the secret's path is
//! inside its `paths`. An entry expires on its date, as in Trivy:
//! `exp:2025-01-01` applies through 2024-12-31.

use crate::FileError;
use crate::purl::Purl;
use jiff::civil::Date;
use plimsoll_model::{Finding, Misconfiguration, SecretFinding};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

/// A parsed ignore file.
#[derive(Debug, Clone)]
pub struct IgnoreFile {
    /// The path as the user gave it, or the default file's name; reasons and warnings
    /// start with it.
    pub name: String,
    pub rules: Vec<IgnoreRule>,
}

/// Which findings an ignore entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A plain-form line: a vulnerability id, a secret rule id or a secret fingerprint.
    Any,
    /// A YAML `vulnerabilities:` entry.
    Vulnerability,
    /// A YAML `secrets:` entry.
    Secret,
    /// A YAML `misconfigurations:` entry.
    Misconfiguration,
}

/// One entry of an ignore file.
#[derive(Debug, Clone)]
pub struct IgnoreRule {
    /// 1-based line of the entry.
    pub line: u64,
    pub kind: EntryKind,
    /// One secret finding (`PATH:RULE-ID:LINE`), for a `secrets:` entry that names one.
    pub fingerprint: Option<String>,
    /// The vulnerability id (any of a finding's ids); `None` ignores every vulnerability in
    /// the entry's scope.
    pub id: Option<String>,
    /// Globs over the path the package was found at (Trivy's `paths`).
    pub paths: Vec<String>,
    globs: Option<globset::GlobSet>,
    /// Purl patterns (Trivy's `purls` and our `packages` given as purls).
    pub purls: Vec<Purl>,
    /// Packages by name (our `packages`).
    pub packages: Vec<PackageName>,
    /// The first day on which the entry no longer applies.
    pub expires: Option<Date>,
    pub statement: Option<String>,
}

/// A package named in a `packages:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageName {
    /// Matches the package's name or the source package the advisory named
    /// (case-insensitive).
    pub name: String,
    /// When given, the installed version must be equal.
    pub version: Option<String>,
    /// When given, the OSV ecosystem the finding was matched in must start with it
    /// (`Debian` matches `Debian:12`; case-insensitive).
    pub ecosystem: Option<String>,
}

/// What an ignore entry or a VEX statement is compared against: a finding, its package's
/// purl and version.
pub(crate) struct Subject<'a> {
    pub finding: &'a Finding,
    pub purl: Option<&'a Purl>,
    pub version: &'a str,
}

impl Subject<'_> {
    /// Whether `id` is the finding's id or one of its aliases (case-insensitive).
    pub fn has_id(&self, id: &str) -> bool {
        self.finding.is_named(id)
    }
}

impl IgnoreRule {
    /// Whether the entry has expired on `today`.
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| d <= today)
    }

    /// What the entry ignores, for messages: the id, else its scope.
    pub fn describe(&self) -> String {
        if self.kind == EntryKind::Misconfiguration {
            return match (&self.fingerprint, &self.id) {
                (Some(f), _) => format!("misconfiguration {f}"),
                (None, Some(id)) if self.paths.is_empty() => format!("misconfiguration {id}"),
                (None, Some(id)) => format!("misconfiguration {id} in {}", self.paths.join(", ")),
                (None, None) => format!("every misconfiguration in {}", self.paths.join(", ")),
            };
        }
        if self.kind == EntryKind::Secret {
            return match (&self.fingerprint, &self.id) {
                (Some(f), _) => format!("secret {f}"),
                (None, Some(id)) if self.paths.is_empty() => format!("secret {id}"),
                (None, Some(id)) => format!("secret {id} in {}", self.paths.join(", ")),
                (None, None) => format!("every secret in {}", self.paths.join(", ")),
            };
        }
        if let Some(id) = &self.id {
            return id.clone();
        }
        let mut scope: Vec<String> = self.packages.iter().map(|p| p.name.clone()).collect();
        scope.extend(self.purls.iter().map(|p| p.name().to_string()));
        scope.extend(self.paths.iter().cloned());
        format!("every vulnerability in {}", scope.join(", "))
    }

    /// Whether the entry applies to a secret finding.
    pub(crate) fn matches_secret(&self, s: &SecretFinding) -> bool {
        if !matches!(self.kind, EntryKind::Any | EntryKind::Secret) {
            return false;
        }
        if self
            .id
            .as_deref()
            .is_some_and(|id| !s.rule_id.eq_ignore_ascii_case(id) && s.fingerprint != id)
        {
            return false;
        }
        if self
            .fingerprint
            .as_ref()
            .is_some_and(|f| *f != s.fingerprint)
        {
            return false;
        }
        match (&self.globs, &s.path) {
            (None, _) => true,
            (Some(g), Some(p)) => g.is_match(p.trim_start_matches('/')),
            (Some(_), None) => false,
        }
    }

    /// Whether the entry applies to a misconfiguration (a plain line by check id or
    /// fingerprint; a `misconfigurations:` entry by id or fingerprint, within its paths,
    /// `config` being the image config's and history's path).
    pub(crate) fn matches_misconfiguration(&self, m: &Misconfiguration) -> bool {
        if !matches!(self.kind, EntryKind::Any | EntryKind::Misconfiguration) {
            return false;
        }
        let fingerprint = m.fingerprint();
        if self
            .id
            .as_deref()
            .is_some_and(|id| !m.id.eq_ignore_ascii_case(id) && fingerprint != id)
        {
            return false;
        }
        if self.fingerprint.as_ref().is_some_and(|f| *f != fingerprint) {
            return false;
        }
        match &self.globs {
            None => true,
            Some(g) => g.is_match(
                m.path
                    .as_deref()
                    .unwrap_or("config")
                    .trim_start_matches('/'),
            ),
        }
    }

    pub(crate) fn matches(&self, s: &Subject) -> bool {
        if !matches!(self.kind, EntryKind::Any | EntryKind::Vulnerability) {
            return false;
        }
        if self.id.as_deref().is_some_and(|id| !s.has_id(id)) {
            return false;
        }
        if let Some(globs) = &self.globs {
            let path = s
                .finding
                .path
                .as_deref()
                .unwrap_or("")
                .trim_start_matches('/');
            if !globs.is_match(path) {
                return false;
            }
        }
        if !self.purls.is_empty() || !self.packages.is_empty() {
            let by_purl = s
                .purl
                .is_some_and(|t| self.purls.iter().any(|p| p.matches(t)));
            let by_name = self.packages.iter().any(|p| p.matches(s));
            if !by_purl && !by_name {
                return false;
            }
        }
        true
    }
}

impl PackageName {
    fn matches(&self, s: &Subject) -> bool {
        let f = s.finding;
        (f.package_name.eq_ignore_ascii_case(&self.name)
            || f.matched_name.eq_ignore_ascii_case(&self.name))
            && self
                .version
                .as_ref()
                .is_none_or(|v| *v == s.version || *v == f.installed_version)
            && self.ecosystem.as_ref().is_none_or(|e| {
                f.matched_ecosystem
                    .get(..e.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(e))
                    && matches!(
                        f.matched_ecosystem.as_bytes().get(e.len()),
                        None | Some(b':')
                    )
            })
    }
}

/// Parses an ignore file, YAML or plain (by the name's extension, else by its content).
pub fn parse(name: &str, text: &str) -> Result<IgnoreFile, FileError> {
    let lower = name.to_ascii_lowercase();
    let rules = if lower.ends_with(".yaml") || lower.ends_with(".yml") || looks_like_yaml(text) {
        parse_yaml(name, text)?
    } else {
        parse_plain(name, text)?
    };
    Ok(IgnoreFile {
        name: name.to_string(),
        rules,
    })
}

/// The YAML form starts (after comments) with a top-level key or a document marker; no
/// vulnerability id ends with `:`.
fn looks_like_yaml(text: &str) -> bool {
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    first == "---"
        || [
            "vulnerabilities",
            "misconfigurations",
            "secrets",
            "licenses",
        ]
        .iter()
        .any(|k| {
            first
                .strip_prefix(k)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
}

fn err(file: &str, line: u64, column: u64, message: impl Into<String>) -> FileError {
    FileError {
        file: file.to_string(),
        at: Some((line, column)),
        message: message.into(),
    }
}

fn parse_plain(name: &str, text: &str) -> Result<Vec<IgnoreRule>, FileError> {
    let mut rules = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n as u64 + 1;
        let content = raw.split('#').next().unwrap_or("");
        let mut tokens = tokens(content);
        let Some((_, id)) = tokens.next() else {
            continue;
        };
        let mut expires = None;
        for (col, tok) in tokens {
            let column = col as u64 + 1;
            match tok.strip_prefix("exp:") {
                Some(date) if expires.is_none() => {
                    expires =
                        Some(crate::utc_date(date).map_err(|m| {
                            err(name, line, column + 4, format!("exp:{date}: {m}"))
                        })?);
                }
                Some(_) => return Err(err(name, line, column, "a second exp: on one line")),
                None => {
                    return Err(err(
                        name,
                        line,
                        column,
                        format!(
                            "unexpected {tok:?} after the id {id}: a line holds one id, \
                             optionally followed by exp:YYYY-MM-DD"
                        ),
                    ));
                }
            }
        }
        rules.push(IgnoreRule {
            line,
            kind: EntryKind::Any,
            fingerprint: None,
            id: Some(id.to_string()),
            paths: vec![],
            globs: None,
            purls: vec![],
            packages: vec![],
            expires,
            statement: None,
        });
    }
    Ok(rules)
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split(|c: char| c.is_whitespace())
        .scan(0usize, |pos, tok| {
            let at = *pos;
            *pos += tok.len() + 1;
            Some((at, tok))
        })
        .filter(|(_, t)| !t.is_empty())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Trivy's other lists are accepted, not used.
struct RawFile {
    #[serde(default)]
    vulnerabilities: Option<Vec<Spanned<RawEntry>>>,
    #[serde(default)]
    misconfigurations: Option<Vec<Spanned<RawSecretEntry>>>,
    #[serde(default)]
    secrets: Option<Vec<Spanned<RawSecretEntry>>>,
    #[serde(default)]
    licenses: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(default)]
    id: Option<Spanned<StrictString>>,
    #[serde(default)]
    paths: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    purls: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    packages: Option<Vec<Spanned<RawPackage>>>,
    #[serde(default)]
    expired_at: Option<Spanned<String>>,
    #[serde(default)]
    statement: Option<String>,
}

/// A `secrets:` or `misconfigurations:` entry: Trivy's keys, and our `fingerprint`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecretEntry {
    #[serde(default)]
    id: Option<Spanned<StrictString>>,
    #[serde(default)]
    fingerprint: Option<Spanned<StrictString>>,
    #[serde(default)]
    paths: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    expired_at: Option<Spanned<String>>,
    #[serde(default)]
    statement: Option<String>,
}

/// A string that YAML typed as a string: an id written `12` or `true` is refused rather
/// than silently read as text.
struct StrictString(String);

impl<'de> Deserialize<'de> for StrictString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StrictString;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a vulnerability id (a string; quote ids that look like numbers)")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<StrictString, E> {
                Ok(StrictString(s.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A `packages:` item: a name or purl, or a mapping.
enum RawPackage {
    Text(String),
    Map(RawPackageMap),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackageMap {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    ecosystem: Option<String>,
}

impl<'de> Deserialize<'de> for RawPackage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawPackage;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a package name, a purl, or a mapping with name/purl, version, ecosystem",
                )
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<RawPackage, E> {
                Ok(RawPackage::Text(s.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawPackage, A::Error> {
                RawPackageMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawPackage::Map)
            }
        }
        d.deserialize_any(V)
    }
}

fn parse_yaml(name: &str, text: &str) -> Result<Vec<IgnoreRule>, FileError> {
    let raw: RawFile = serde_saphyr::from_str(text).map_err(|e| FileError::yaml(name, &e))?;
    let mut rules = Vec::new();
    for entry in raw.vulnerabilities.unwrap_or_default() {
        let line = entry.referenced.line();
        let column = entry.referenced.column();
        let e = entry.value;
        let at = |s: &serde_saphyr::Location| (s.line(), s.column());
        let (paths, globs) = path_globs(name, e.paths.unwrap_or_default(), line, column)?;
        let purl = |s: &Spanned<String>| {
            Purl::parse(&s.value).map_err(|m| {
                let (l, c) = at(&s.referenced);
                err(name, l, c, format!("bad purl {:?}: {m}", s.value))
            })
        };
        let mut purls = Vec::new();
        for p in e.purls.unwrap_or_default() {
            purls.push(purl(&p)?);
        }
        let mut packages = Vec::new();
        for p in e.packages.unwrap_or_default() {
            let (l, c) = at(&p.referenced);
            let spanned = |v: String| Spanned::new(v, p.referenced, p.defined);
            match p.value {
                RawPackage::Text(t) if t.starts_with("pkg:") => purls.push(purl(&spanned(t))?),
                RawPackage::Text(t) if t.trim().is_empty() => {
                    return Err(err(name, l, c, "empty package name"));
                }
                RawPackage::Text(t) => packages.push(PackageName {
                    name: t.trim().to_string(),
                    version: None,
                    ecosystem: None,
                }),
                RawPackage::Map(m) => match (m.name, m.purl) {
                    (Some(n), None) if !n.trim().is_empty() => packages.push(PackageName {
                        name: n.trim().to_string(),
                        version: m.version,
                        ecosystem: m.ecosystem,
                    }),
                    (None, Some(u)) if m.version.is_none() && m.ecosystem.is_none() => {
                        purls.push(purl(&spanned(u))?)
                    }
                    (None, Some(_)) => {
                        return Err(err(
                            name,
                            l,
                            c,
                            "a package given by purl takes its version from the purl \
                             (pkg:type/name@version), not from version/ecosystem",
                        ));
                    }
                    _ => {
                        return Err(err(
                            name,
                            l,
                            c,
                            "a package needs exactly one of name and purl",
                        ));
                    }
                },
            }
        }
        let expires = expiry(name, e.expired_at)?;
        let id = nonempty(name, e.id, "id")?;
        if id.is_none() && paths.is_empty() && purls.is_empty() && packages.is_empty() {
            return Err(err(
                name,
                line,
                column,
                "an entry needs an id, or a scope (paths, purls or packages) to ignore \
                 every vulnerability in",
            ));
        }
        rules.push(IgnoreRule {
            line,
            kind: EntryKind::Vulnerability,
            fingerprint: None,
            id,
            paths,
            globs,
            purls,
            packages,
            expires,
            statement: e.statement.filter(|s| !s.trim().is_empty()),
        });
    }
    let secret = Placed {
        kind: EntryKind::Secret,
        both: "a secret entry takes a rule id or a fingerprint, not both (the fingerprint \
               names the rule)",
        neither: "a secret entry needs an id (a secret rule id), a fingerprint \
                  (PATH:RULE-ID:LINE) or paths to ignore every secret in",
    };
    for entry in raw.secrets.unwrap_or_default() {
        rules.push(placed_rule(name, entry, &secret)?);
    }
    let misconfiguration = Placed {
        kind: EntryKind::Misconfiguration,
        both: "a misconfiguration entry takes a check id or a fingerprint, not both (the \
               fingerprint names the check)",
        neither: "a misconfiguration entry needs an id (a check id, PLIM-IMG-001), a \
                  fingerprint (PATH:CHECK-ID) or paths to ignore every misconfiguration in",
    };
    for entry in raw.misconfigurations.unwrap_or_default() {
        let rule = placed_rule(name, entry, &misconfiguration)?;
        // Trivy's own checks (`AVD-DS-0002`): accepted, as before plimsoll had any.
        if rule
            .id
            .as_deref()
            .is_some_and(|i| !i.to_ascii_uppercase().starts_with("PLIM-"))
        {
            continue;
        }
        rules.push(rule);
    }
    Ok(rules)
}

/// An entry kind found at a place (secrets, misconfigurations) and its two refusals.
struct Placed {
    kind: EntryKind,
    both: &'static str,
    neither: &'static str,
}

/// A secret or misconfiguration entry: an id or a fingerprint (not both), or paths alone.
fn placed_rule(
    name: &str,
    entry: Spanned<RawSecretEntry>,
    what: &Placed,
) -> Result<IgnoreRule, FileError> {
    let (line, column) = (entry.referenced.line(), entry.referenced.column());
    let e = entry.value;
    let (paths, globs) = path_globs(name, e.paths.unwrap_or_default(), line, column)?;
    let id = nonempty(name, e.id, "id")?;
    let fingerprint = nonempty(name, e.fingerprint, "fingerprint")?;
    if id.is_some() && fingerprint.is_some() {
        return Err(err(name, line, column, what.both));
    }
    if id.is_none() && fingerprint.is_none() && paths.is_empty() {
        return Err(err(name, line, column, what.neither));
    }
    Ok(IgnoreRule {
        line,
        kind: what.kind,
        fingerprint,
        id,
        paths,
        globs,
        purls: vec![],
        packages: vec![],
        expires: expiry(name, e.expired_at)?,
        statement: e.statement.filter(|s| !s.trim().is_empty()),
    })
}

/// An entry's `paths`: globs over root-relative paths (a leading `/` is dropped).
fn path_globs(
    name: &str,
    raw: Vec<Spanned<String>>,
    line: u64,
    column: u64,
) -> Result<(Vec<String>, Option<globset::GlobSet>), FileError> {
    let mut paths = Vec::new();
    let mut builder = globset::GlobSetBuilder::new();
    for p in raw {
        let pattern = p.value.trim_start_matches('/');
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|g| {
                err(
                    name,
                    p.referenced.line(),
                    p.referenced.column(),
                    format!("bad path pattern {:?}: {}", p.value, g.kind()),
                )
            })?;
        builder.add(glob);
        paths.push(p.value);
    }
    if paths.is_empty() {
        return Ok((paths, None));
    }
    let globs = builder
        .build()
        .map_err(|g| err(name, line, column, g.to_string()))?;
    Ok((paths, Some(globs)))
}

/// `expired_at`, read as a date.
fn expiry(name: &str, d: Option<Spanned<String>>) -> Result<Option<Date>, FileError> {
    d.map(|d| {
        crate::utc_date(&d.value).map_err(|m| {
            err(
                name,
                d.referenced.line(),
                d.referenced.column(),
                format!("expired_at {:?}: {m}", d.value),
            )
        })
    })
    .transpose()
}

/// A trimmed string value; empty is an error naming `what`.
fn nonempty(
    name: &str,
    v: Option<Spanned<StrictString>>,
    what: &str,
) -> Result<Option<String>, FileError> {
    match v {
        Some(v) if v.value.0.trim().is_empty() => Err(err(
            name,
            v.referenced.line(),
            v.referenced.column(),
            format!("empty {what}"),
        )),
        Some(v) => Ok(Some(v.value.0.trim().to_string())),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_model::{FixStatus, Severity};

    pub(crate) fn finding(id: &str, aliases: &[&str], name: &str, path: &str) -> Finding {
        Finding {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            package_id: format!("pkg:pypi/{name}@2.31.0"),
            package_name: name.into(),
            matched_ecosystem: "PyPI".into(),
            matched_name: name.into(),
            installed_version: "2.31.0".into(),
            fixed_versions: vec!["2.32.0".into()],
            status: FixStatus::Fixed,
            severity: Severity::Medium,
            severity_source: None,
            cvss: None,
            kev: false,
            epss: None,
            layer: Some(1),
            layer_created_by: None,
            path: Some(path.into()),
            data_source: id.into(),
            title: None,
            upstream_match: false,
            risk: None,
            published: None,
            in_base_image: None,
            removed_in_layer: None,
        }
    }

    fn subject<'a>(f: &'a Finding, purl: &'a Purl) -> Subject<'a> {
        Subject {
            finding: f,
            purl: Some(purl),
            version: "2.31.0",
        }
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn plain_form_reads_ids_comments_and_expiry() {
        let text = "# accepted risks\n\nCVE-2024-35195   # requests, fixed upstream\n\
                    \tGHSA-9wx4-h78v-vm56 exp:2025-06-01\nCVE-2023-5678 exp:2027-01-01 # later\n";
        let f = parse(".trivyignore", text).unwrap();
        let got: Vec<_> = f
            .rules
            .iter()
            .map(|r| (r.line, r.id.clone().unwrap(), r.expires))
            .collect();
        assert_eq!(
            got,
            [
                (3, "CVE-2024-35195".to_string(), None),
                (
                    4,
                    "GHSA-9wx4-h78v-vm56".to_string(),
                    Some(date("2025-06-01"))
                ),
                (5, "CVE-2023-5678".to_string(), Some(date("2027-01-01"))),
            ]
        );
    }

    #[test]
    fn plain_form_errors_point_at_line_and_column() {
        let e = parse(".plimsollignore", "CVE-1\nCVE-2 exp:2024-13-01\n").unwrap_err();
        assert_eq!(e.file, ".plimsollignore");
        assert_eq!(e.at, Some((2, 11)));
        assert!(e.message.contains("not a date"), "{e}");
        assert!(
            e.to_string()
                .starts_with(".plimsollignore:2:11: exp:2024-13-01"),
            "{e}"
        );
        let e = parse("x", "CVE-1 CVE-2\n").unwrap_err();
        assert_eq!(e.at, Some((1, 7)), "{e}");
        let e = parse("x", "CVE-1 exp:2024-01-01 exp:2025-01-01\n").unwrap_err();
        assert_eq!(e.at, Some((1, 22)), "{e}");
    }

    #[test]
    fn expiry_applies_up_to_the_day_before_the_date() {
        let f = parse("x", "CVE-1 exp:2026-12-02\n").unwrap();
        let r = &f.rules[0];
        assert!(!r.expired(date("2026-12-01")));
        assert!(r.expired(date("2026-12-02")));
        assert!(r.expired(date("2027-03-01")));
        assert!(!parse("x", "CVE-1\n").unwrap().rules[0].expired(date("9999-01-01")));
    }

    #[test]
    fn yaml_form_reads_trivy_entries_and_our_packages() {
        let text = r#"# Trivy's shape, reused as is
vulnerabilities:
  - id: CVE-2022-40897
    paths:
      - "usr/local/lib/python3.9/site-packages/setuptools-58.1.0.dist-info/METADATA"
    statement: Accept the risk
  - id: CVE-2023-3817
    purls:
      - "pkg:deb/debian/libssl1.1"
    expired_at: 2024-08-20
  - id: GHSA-9wx4-h78v-vm56
    packages:
      - requests
      - {name: openssl, version: "3.0.11-1~deb12u2", ecosystem: Debian}
      - pkg:npm/%40babel/core
  - purls: ["pkg:deb/ubuntu/linux-libc-dev"]
    statement: Kernel headers, not exercised at runtime
misconfigurations:
  - id: AVD-DS-0002
secrets:
licenses:
"#;
        let f = parse(".trivyignore.yaml", text).unwrap();
        assert_eq!(f.rules.len(), 4);
        assert_eq!(f.rules[0].line, 3);
        assert_eq!(f.rules[0].statement.as_deref(), Some("Accept the risk"));
        assert_eq!(f.rules[1].line, 7);
        assert_eq!(f.rules[1].expires, Some(date("2024-08-20")));
        assert_eq!(f.rules[2].packages.len(), 2);
        assert_eq!(
            f.rules[2].packages[1].version.as_deref(),
            Some("3.0.11-1~deb12u2")
        );
        assert_eq!(f.rules[2].purls.len(), 1);
        assert_eq!(f.rules[3].id, None);
        assert!(f.rules[3].describe().contains("linux-libc-dev"));
    }

    #[test]
    fn yaml_is_detected_by_content_too() {
        let f = parse(
            ".plimsollignore",
            "# ours\nvulnerabilities:\n  - id: CVE-1\n",
        )
        .unwrap();
        assert_eq!(f.rules[0].id.as_deref(), Some("CVE-1"));
        assert_eq!(f.rules[0].line, 3);
        // An empty file in either form ignores nothing.
        assert!(parse("a.yaml", "").unwrap().rules.is_empty());
        assert!(parse("a", "\n# nothing\n").unwrap().rules.is_empty());
    }

    #[test]
    fn yaml_errors_point_at_line_and_column() {
        let cases: &[(&str, (u64, u64), &str)] = &[
            // unknown key in an entry
            (
                "vulnerabilities:\n  - id: CVE-1\n    statment: x\n",
                (3, 5),
                "unknown field `statment`",
            ),
            // unknown top-level key
            (
                "vulnerability:\n  - id: CVE-1\n",
                (1, 1),
                "unknown field `vulnerability`",
            ),
            // an id that is not a string
            ("vulnerabilities:\n  - id: 12\n", (2, 5), "vulnerability id"),
            (
                "vulnerabilities:\n  - id: [CVE-1]\n",
                (2, 5),
                "vulnerability id",
            ),
            // a bad date
            (
                "vulnerabilities:\n  - id: CVE-1\n    expired_at: 2024-02-30\n",
                (3, 17),
                "expired_at",
            ),
            // bad YAML
            ("vulnerabilities:\n  - id: CVE-1\n   x: : [\n", (3, 4), ""),
            // a bad purl, a bad glob
            (
                "vulnerabilities:\n  - id: CVE-1\n    purls: [\"deb/x\"]\n",
                (3, 13),
                "bad purl",
            ),
            (
                "vulnerabilities:\n  - id: CVE-1\n    paths:\n      - \"a/[b\"\n",
                (4, 9),
                "bad path",
            ),
            // an entry with neither id nor scope
            (
                "vulnerabilities:\n  - statement: why\n",
                (2, 5),
                "needs an id",
            ),
            (
                "vulnerabilities:\n  - packages: [{name: a, purl: \"pkg:pypi/a\"}]\n",
                (2, 16),
                "exactly one",
            ),
        ];
        for (text, at, msg) in cases {
            let e = parse("ignore.yaml", text).unwrap_err();
            assert_eq!(e.at, Some(*at), "{text:?}: {e}");
            assert!(e.message.contains(msg), "{text:?}: {e}");
            assert!(!e.message.contains('\n'), "{e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("ignore.yaml:{}:{}: ", at.0, at.1)),
                "{e}"
            );
        }
    }

    #[test]
    fn secret_entries_read_trivys_keys_and_a_fingerprint() {
        let text = "secrets:
  - id: aws-access-key-id
    paths: [\"/app/**/.env\"]
    statement: rotated, OPS-31
    expired_at: 2027-01-01
  - fingerprint: app/config.yaml:generic-password:7
  - paths: [\"usr/share/doc/**\"]
";
        let f = parse(".trivyignore.yaml", text).unwrap();
        let kinds: Vec<_> = f.rules.iter().map(|r| (r.line, r.kind)).collect();
        assert_eq!(
            kinds,
            [
                (2, EntryKind::Secret),
                (6, EntryKind::Secret),
                (7, EntryKind::Secret)
            ]
        );
        assert_eq!(f.rules[0].expires, Some(date("2027-01-01")));
        assert_eq!(
            f.rules[1].describe(),
            "secret app/config.yaml:generic-password:7"
        );
        assert_eq!(f.rules[2].describe(), "every secret in usr/share/doc/**");
        let mut s = crate::secret::finding(
            "aws-access-key-id",
            plimsoll_model::Severity::High,
            "app/svc/.env",
            3,
            1,
        );
        assert!(f.rules[0].matches_secret(&s));
        s.rule_id = "AWS-Access-Key-ID".into();
        assert!(f.rules[0].matches_secret(&s), "rule ids in any case");
        s.path = Some("srv/.env".into());
        assert!(!f.rules[0].matches_secret(&s), "outside its paths");
        s.path = None;
        assert!(!f.rules[0].matches_secret(&s), "history has no path");
        let cfg = crate::secret::finding(
            "generic-password",
            plimsoll_model::Severity::Medium,
            "app/config.yaml",
            7,
            1,
        );
        assert!(f.rules[1].matches_secret(&cfg));
        let other_line = crate::secret::finding(
            "generic-password",
            plimsoll_model::Severity::Medium,
            "app/config.yaml",
            8,
            1,
        );
        assert!(!f.rules[1].matches_secret(&other_line));
        // A plain line is a vulnerability id, a secret rule id or a fingerprint.
        let plain = parse(".trivyignore", "app/config.yaml:generic-password:7\n").unwrap();
        assert_eq!(plain.rules[0].kind, EntryKind::Any);
        assert!(plain.rules[0].matches_secret(&cfg));
        assert!(!plain.rules[0].matches_secret(&other_line));
    }

    #[test]
    fn bad_secret_entries_point_at_the_entry() {
        for (text, at, msg) in [
            (
                "secrets:\n  - id: github-pat\n    purls: [\"pkg:npm/x\"]\n",
                (3, 5),
                "unknown field `purls`",
            ),
            ("secrets:\n  - statement: why\n", (2, 5), "needs an id"),
            (
                "secrets:\n  - {id: jwt, fingerprint: \"a:jwt:1\"}\n",
                (2, 5),
                "not both",
            ),
            ("secrets:\n  - id: \" \"\n", (2, 9), "empty id"),
            (
                "secrets:\n  - id: jwt\n    expired_at: someday\n",
                (3, 17),
                "expired_at",
            ),
        ] {
            let e = parse("ignore.yaml", text).unwrap_err();
            assert_eq!(e.at, Some(at), "{text:?}: {e}");
            assert!(e.message.contains(msg), "{text:?}: {e}");
        }
    }

    #[test]
    fn an_id_matches_the_finding_id_or_any_alias_in_any_case() {
        let f = finding(
            "CVE-2024-35195",
            &["GHSA-9wx4-h78v-vm56"],
            "requests",
            "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
        );
        let purl = Purl::parse("pkg:pypi/requests@2.31.0").unwrap();
        let s = subject(&f, &purl);
        for id in [
            "CVE-2024-35195",
            "ghsa-9wx4-h78v-vm56",
            "GHSA-9WX4-H78V-VM56",
        ] {
            assert!(parse("x", id).unwrap().rules[0].matches(&s), "{id}");
        }
        assert!(!parse("x", "CVE-2024-3519").unwrap().rules[0].matches(&s));
    }

    #[test]
    fn scopes_narrow_an_entry() {
        let f = finding(
            "CVE-2024-35195",
            &["GHSA-9wx4-h78v-vm56"],
            "requests",
            "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
        );
        let purl = Purl::parse("pkg:pypi/requests@2.31.0").unwrap();
        let s = subject(&f, &purl);
        let one = |yaml: &str| {
            parse("x.yaml", &format!("vulnerabilities:\n  - {yaml}\n"))
                .unwrap()
                .rules[0]
                .matches(&s)
        };
        assert!(one(
            "{id: CVE-2024-35195, paths: [\"**/site-packages/**\"]}"
        ));
        assert!(one(
            "{id: CVE-2024-35195, paths: [\"/usr/local/**/METADATA\"]}"
        ));
        assert!(!one("{id: CVE-2024-35195, paths: [\"opt/**\"]}"));
        assert!(one("{id: CVE-2024-35195, purls: [\"pkg:pypi/Requests\"]}"));
        assert!(!one(
            "{id: CVE-2024-35195, purls: [\"pkg:pypi/requests@2.32.0\"]}"
        ));
        assert!(one("{id: CVE-2024-35195, packages: [requests]}"));
        assert!(one(
            "{id: CVE-2024-35195, packages: [{name: requests, version: 2.31.0}]}"
        ));
        assert!(!one(
            "{id: CVE-2024-35195, packages: [{name: requests, version: 2.32.0}]}"
        ));
        assert!(one(
            "{id: CVE-2024-35195, packages: [{name: requests, ecosystem: pypi}]}"
        ));
        assert!(!one(
            "{id: CVE-2024-35195, packages: [{name: requests, ecosystem: npm}]}"
        ));
        assert!(!one("{id: CVE-2024-35195, packages: [urllib3]}"));
        // purls and packages: either may match.
        assert!(one(
            "{id: CVE-2024-35195, packages: [urllib3, \"pkg:pypi/requests\"]}"
        ));
        // No id: every vulnerability of the scope.
        assert!(one("{packages: [requests]}"));
        assert!(!one("{packages: [urllib3]}"));
    }
}
