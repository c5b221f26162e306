//! Reading a policy file: YAML into [`Policy`], every value checked, and every error
//! pointing at the line and column of the value at fault (`policy.yaml:4:21: …`).

use super::condition::{Condition, Kind, Subject, kinds_plural};
use super::schema::{Exception, Lists, PackagePattern, Pattern, Policy, Rule, Scope, Slo, When};
use crate::FileError;
use crate::purl::Purl;
use globset::GlobBuilder;
use jiff::civil::Date;
use plimsoll_model::{Action, FixStatus, Severity};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    version: Option<Spanned<u32>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    exceptions: Vec<Spanned<RawException>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    /// Documentation for people; read, not used.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    action: Spanned<String>,
    #[serde(default)]
    scope: Option<RawScope>,
    when: Spanned<RawWhen>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    images: Vec<Spanned<String>>,
    #[serde(default)]
    labels: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    #[serde(default)]
    kind: Option<Spanned<OneOrMany>>,
    #[serde(default)]
    severity: Option<Spanned<OneOrMany>>,
    #[serde(default)]
    cvss: Option<Spanned<f64>>,
    #[serde(default)]
    status: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    fix_available: Option<bool>,
    #[serde(default)]
    kev: Option<bool>,
    #[serde(default)]
    epss: Option<Spanned<f64>>,
    #[serde(default)]
    in_base_image: Option<bool>,
    #[serde(default)]
    removed: Option<bool>,
    #[serde(default)]
    slo: Option<Spanned<RawSlo>>,
    #[serde(default)]
    rule_ids: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    paths: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    packages: Option<Spanned<RawLists>>,
    #[serde(default)]
    ecosystems: Option<Spanned<RawLists>>,
    #[serde(default)]
    licenses: Option<Spanned<RawLicenses>>,
    #[serde(default)]
    image: Option<Spanned<RawImage>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlo {
    #[serde(default, alias = "CRITICAL")]
    critical: Option<Spanned<i64>>,
    #[serde(default, alias = "HIGH")]
    high: Option<Spanned<i64>>,
    #[serde(default, alias = "MEDIUM")]
    medium: Option<Spanned<i64>>,
    #[serde(default, alias = "LOW")]
    low: Option<Spanned<i64>>,
    #[serde(default, alias = "UNKNOWN")]
    unknown: Option<Spanned<i64>>,
    #[serde(default)]
    warn_within: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLists {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLicenses {
    deny: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    #[serde(default)]
    runs_as_root: Option<bool>,
    #[serde(default)]
    created_more_than_days: Option<Spanned<i64>>,
    #[serde(default)]
    layers_more_than: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    #[serde(default)]
    vulnerability: Option<Spanned<String>>,
    #[serde(default)]
    secret: Option<Spanned<String>>,
    #[serde(default)]
    path: Option<Spanned<String>>,
    #[serde(default)]
    package: Option<Spanned<String>>,
    #[serde(default)]
    images: Vec<Spanned<String>>,
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    #[serde(default)]
    expires: Option<Spanned<String>>,
    #[serde(default)]
    justification: Option<String>,
}

/// A string, or a list of strings (`kind: secret`, `severity: [LOW, MEDIUM]`).
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(s.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    v.push(s);
                }
                Ok(OneOrMany::Many(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads and validates a policy file. A file without rules is refused: it would be a gate
/// that passes every image.
pub fn load(path: &std::path::Path) -> Result<Policy, FileError> {
    let name = path.display().to_string();
    let bytes = crate::read_bounded(path, &name, "a policy file", crate::MAX_POLICY_SIZE)?;
    let text = String::from_utf8(bytes).map_err(|e| FileError {
        file: name.clone(),
        at: None,
        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })?;
    let policy = parse(&name, &text)?;
    if policy.rule_count() == 0 {
        return Err(FileError {
            file: name,
            at: None,
            message: "no rules: a policy without rules passes every image (`plimsoll policy \
                      init` writes a starter policy)"
                .into(),
        });
    }
    Ok(policy)
}

fn err(file: &str, at: &serde_saphyr::Location, message: impl Into<String>) -> FileError {
    FileError {
        file: file.to_string(),
        at: Some((at.line(), at.column())),
        message: message.into(),
    }
}

fn glob(
    file: &str,
    s: &Spanned<String>,
    what: &str,
    case_insensitive: bool,
) -> Result<Pattern, FileError> {
    let text = s.value.trim();
    if text.is_empty() {
        return Err(err(file, &s.referenced, format!("empty {what}")));
    }
    let glob = GlobBuilder::new(text)
        .literal_separator(true)
        .case_insensitive(case_insensitive)
        .build()
        .map_err(|g| {
            err(
                file,
                &s.referenced,
                format!("bad {what} {text:?}: {}", g.kind()),
            )
        })?;
    Ok(Pattern {
        text: text.to_string(),
        glob: glob.compile_matcher(),
    })
}

fn package_pattern(file: &str, s: &Spanned<String>) -> Result<PackagePattern, FileError> {
    let text = s.value.trim();
    if text.starts_with("pkg:") {
        let p = Purl::parse(text)
            .map_err(|m| err(file, &s.referenced, format!("bad purl {text:?}: {m}")))?;
        return Ok(PackagePattern::Purl(text.to_string(), p));
    }
    glob(file, s, "package pattern", true).map(PackagePattern::Name)
}

/// A license deny entry: an SPDX identifier (any case), a `LicenseRef-`, or a glob over
/// identifiers (`AGPL-*`). A plain word that is no SPDX identifier is refused: a typo
/// would deny nothing.
fn license_pattern(file: &str, s: &Spanned<String>) -> Result<Pattern, FileError> {
    let text = s.value.trim();
    let has_glob = text.contains(['*', '?', '[']);
    if !has_glob
        && !text.starts_with("LicenseRef-")
        && spdx::license_id(text).is_none()
        && !spdx::identifiers::LICENSES
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(text))
    {
        return Err(err(
            file,
            &s.referenced,
            format!("{text:?} is not an SPDX license identifier (see https://spdx.org/licenses/)"),
        ));
    }
    glob(file, s, "license pattern", true)
}

/// An `{allow, deny}` pair of lists, each entry read by `entry`; one of them must be given.
fn lists<T>(
    file: &str,
    key: &str,
    l: &Spanned<RawLists>,
    entry: impl Fn(&Spanned<String>) -> Result<T, FileError>,
) -> Result<Lists<T>, FileError> {
    if l.value.allow.is_empty() && l.value.deny.is_empty() {
        return Err(err(
            file,
            &l.referenced,
            format!("{key} needs allow or deny"),
        ));
    }
    Ok(Lists {
        allow: l.value.allow.iter().map(&entry).collect::<Result<_, _>>()?,
        deny: l.value.deny.iter().map(&entry).collect::<Result<_, _>>()?,
    })
}

fn parse_date(file: &str, s: &Spanned<String>) -> Result<Date, FileError> {
    let t = s.value.trim();
    if !crate::is_ymd(t) {
        return Err(err(
            file,
            &s.referenced,
            format!("expires {t:?}: not a date (YYYY-MM-DD)"),
        ));
    }
    t.parse::<Date>().map_err(|e| {
        err(
            file,
            &s.referenced,
            format!("expires {t:?}: not a date: {e}"),
        )
    })
}

/// Parses a policy's text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Policy, FileError> {
    let raw: RawPolicy = serde_saphyr::from_str(text).map_err(|e| FileError::yaml(file, &e))?;
    if let Some(v) = &raw.version
        && v.value != 1
    {
        return Err(err(
            file,
            &v.referenced,
            format!(
                "policy version {} is not known (this plimsoll reads version 1)",
                v.value
            ),
        ));
    }
    let mut rules = Vec::new();
    for r in raw.rules {
        let at = r.referenced;
        let r = r.value;
        let name = r.name.value.trim().to_string();
        if name.is_empty() {
            return Err(err(file, &r.name.referenced, "empty rule name"));
        }
        if let Some(prev) = rules.iter().find(|p: &&Rule| p.name == name) {
            return Err(err(
                file,
                &r.name.referenced,
                format!("rule name {name:?} is already used at line {}", prev.line),
            ));
        }
        let action = match r.action.value.trim() {
            "alert" => Action::Alert,
            "block" => Action::Block,
            other => {
                return Err(err(
                    file,
                    &r.action.referenced,
                    format!("action {other:?}: expected alert or block"),
                ));
            }
        };
        let mut scope = Scope::default();
        if let Some(s) = r.scope {
            for i in &s.images {
                scope.images.push(glob(file, i, "image pattern", false)?);
            }
            for (k, v) in &s.labels {
                scope
                    .labels
                    .push((k.clone(), glob(file, v, "label pattern", false)?));
            }
        }
        let when = parse_when(file, r.when)?;
        rules.push(Rule {
            name,
            line: at.line(),
            action,
            scope,
            when,
        });
    }
    let mut exceptions = Vec::new();
    for x in raw.exceptions {
        let at = x.referenced;
        let x = x.value;
        let Some(expires) = &x.expires else {
            return Err(err(file, &at, "an exception needs `expires: YYYY-MM-DD`"));
        };
        let expires = parse_date(file, expires)?;
        let justification = x.justification.unwrap_or_default().trim().to_string();
        if justification.is_empty() {
            return Err(err(file, &at, "an exception needs a `justification`"));
        }
        let vulnerability = match x.vulnerability {
            Some(v) if v.value.trim().is_empty() => {
                return Err(err(file, &v.referenced, "empty vulnerability id"));
            }
            v => v.map(|v| v.value.trim().to_string()),
        };
        let package = x
            .package
            .as_ref()
            .map(|p| package_pattern(file, p))
            .transpose()?;
        let secret = match x.secret {
            Some(v) if v.value.trim().is_empty() => {
                return Err(err(
                    file,
                    &v.referenced,
                    "empty secret rule id or fingerprint",
                ));
            }
            v => v.map(|v| v.value.trim().to_string()),
        };
        let path = x
            .path
            .as_ref()
            .map(|p| glob(file, p, "path pattern", true))
            .transpose()?;
        if (secret.is_some() || path.is_some()) && (vulnerability.is_some() || package.is_some()) {
            return Err(err(
                file,
                &at,
                "an exception names a vulnerability or package, or a secret (secret, path), not both",
            ));
        }
        let mut images = Vec::new();
        for i in &x.images {
            images.push(glob(file, i, "image pattern", false)?);
        }
        let mut names = Vec::new();
        for r in &x.rules {
            let n = r.value.trim();
            if !rules.iter().any(|p| p.name == n) {
                return Err(err(file, &r.referenced, format!("no rule is named {n:?}")));
            }
            names.push(n.to_string());
        }
        if vulnerability.is_none()
            && package.is_none()
            && secret.is_none()
            && path.is_none()
            && images.is_empty()
            && names.is_empty()
        {
            return Err(err(
                file,
                &at,
                "an exception needs at least one of vulnerability, package, secret, path, images, rules",
            ));
        }
        exceptions.push(Exception {
            line: at.line(),
            vulnerability,
            package,
            secret,
            path,
            images,
            rules: names,
            expires,
            justification,
        });
    }
    Ok(Policy {
        file: file.to_string(),
        rules,
        exceptions,
    })
}

/// A rule's `when`, into conditions in [`Condition`]'s order.
fn parse_when(file: &str, w: Spanned<RawWhen>) -> Result<When, FileError> {
    let at = w.referenced;
    let w = w.value;
    let mut out = Vec::new();
    if let Some(k) = &w.kind {
        let mut kinds = Vec::new();
        for name in one_or_many(file, k, "kind")? {
            let Some(kind) = Kind::ALL.into_iter().find(|x| x.as_str() == name.trim()) else {
                return Err(err(
                    file,
                    &k.referenced,
                    format!("kind {name:?}: expected vulnerability or secret"),
                ));
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        out.push(Condition::Kind(kinds));
    }
    if let Some(s) = &w.severity {
        let severity = |t: &str| {
            t.parse()
                .map_err(|m: String| err(file, &s.referenced, format!("severity: {m}")))
        };
        out.push(match &s.value {
            OneOrMany::One(t) => Condition::Severity(severity(t)?),
            OneOrMany::Many(_) => Condition::SeverityIn(
                one_or_many(file, s, "severity")?
                    .iter()
                    .map(|t| severity(t))
                    .collect::<Result<_, _>>()?,
            ),
        });
    }
    if let Some(c) = &w.cvss {
        if !(0.0..=10.0).contains(&c.value) {
            return Err(err(
                file,
                &c.referenced,
                format!("cvss {}: a base score is 0 to 10", c.value),
            ));
        }
        out.push(Condition::Cvss(c.value));
    }
    if let Some(list) = &w.status {
        let mut v = Vec::new();
        for s in list {
            let name = s.value.trim();
            let Some(status) = FixStatus::ALL.into_iter().find(|x| x.as_str() == name) else {
                return Err(err(
                    file,
                    &s.referenced,
                    format!("status {name:?}: expected fixed, affected, will_not_fix or unknown"),
                ));
            };
            v.push(status);
        }
        out.push(Condition::Status(v));
    }
    if let Some(b) = w.fix_available {
        out.push(Condition::FixAvailable(b));
    }
    if let Some(b) = w.kev {
        out.push(Condition::Kev(b));
    }
    if let Some(e) = &w.epss {
        if !(0.0..=1.0).contains(&e.value) {
            return Err(err(
                file,
                &e.referenced,
                format!("epss {}: a probability is 0 to 1 (0.1 is 10%)", e.value),
            ));
        }
        out.push(Condition::Epss(e.value));
    }
    if let Some(b) = w.in_base_image {
        out.push(Condition::InBaseImage(b));
    }
    if let Some(b) = w.removed {
        out.push(Condition::Removed(b));
    }
    if let Some(s) = &w.slo {
        out.push(Condition::Slo(parse_slo(file, s)?));
    }
    if let Some(list) = &w.rule_ids {
        out.push(Condition::RuleIds(globs(
            file,
            list,
            &at,
            "rule_ids",
            "rule id pattern",
        )?));
    }
    if let Some(list) = &w.paths {
        out.push(Condition::Paths(globs(
            file,
            list,
            &at,
            "paths",
            "path pattern",
        )?));
    }
    if let Some(l) = &w.packages {
        out.push(Condition::Packages(lists(file, "packages", l, |s| {
            package_pattern(file, s)
        })?));
    }
    if let Some(l) = &w.ecosystems {
        out.push(Condition::Ecosystems(lists(file, "ecosystems", l, |s| {
            glob(file, s, "ecosystem pattern", true)
        })?));
    }
    if let Some(l) = &w.licenses {
        if l.value.deny.is_empty() {
            return Err(err(file, &l.referenced, "licenses.deny is empty"));
        }
        let mut v = Vec::new();
        for s in &l.value.deny {
            v.push(license_pattern(file, s)?);
        }
        out.push(Condition::Licenses(v));
    }
    if let Some(i) = &w.image {
        let r = &i.value;
        let before = out.len();
        if let Some(b) = r.runs_as_root {
            out.push(Condition::RunsAsRoot(b));
        }
        if let Some(d) = &r.created_more_than_days {
            if d.value < 0 {
                return Err(err(file, &d.referenced, "days cannot be negative"));
            }
            out.push(Condition::CreatedMoreThanDays(d.value));
        }
        if let Some(n) = &r.layers_more_than {
            if n.value < 0 {
                return Err(err(file, &n.referenced, "a layer count cannot be negative"));
            }
            out.push(Condition::LayersMoreThan(n.value as usize));
        }
        if out.len() == before {
            return Err(err(
                file,
                &i.referenced,
                "image needs runs_as_root, created_more_than_days or layers_more_than",
            ));
        }
    }
    if out.is_empty() {
        return Err(err(
            file,
            &at,
            "a rule needs at least one condition under `when` (severity: UNKNOWN matches every vulnerability)",
        ));
    }
    let when = When { conditions: out };
    check_kinds(file, &at, &when)?;
    Ok(when)
}

/// Refuses a finding rule whose conditions cannot all judge the kinds it judges
/// (`kind: secret` with `kev`, `rule_ids` with `cvss`): it would never fire.
fn check_kinds(file: &str, at: &serde_saphyr::Location, when: &When) -> Result<(), FileError> {
    if when.judges() != Subject::Finding {
        return Ok(());
    }
    let kinds = when.kinds();
    let explicit = when
        .conditions
        .iter()
        .any(|c| matches!(c, Condition::Kind(_)));
    for c in &when.conditions {
        let judges = |k: &Kind| match c.subject() {
            Subject::Finding => c.kinds().contains(k),
            Subject::Package => *k == Kind::Vulnerability,
            Subject::Image => true,
        };
        if let Some(k) = kinds.iter().find(|k| !judges(k)) {
            let about = match c.subject() {
                Subject::Package => "packages (a secret has none)".to_string(),
                _ => kinds_plural(c.kinds()),
            };
            return Err(err(
                file,
                at,
                format!(
                    "{} is about {about}, and this rule judges {}{}",
                    c.key(),
                    k.plural(),
                    if explicit {
                        ""
                    } else {
                        " (its other conditions say so; set kind: to say which)"
                    }
                ),
            ));
        }
    }
    Ok(())
}

/// A list that may also be written as one string; an empty list is refused.
fn one_or_many(file: &str, v: &Spanned<OneOrMany>, key: &str) -> Result<Vec<String>, FileError> {
    let list = match &v.value {
        OneOrMany::One(s) => vec![s.clone()],
        OneOrMany::Many(l) => l.clone(),
    };
    if list.is_empty() {
        return Err(err(file, &v.referenced, format!("{key} is an empty list")));
    }
    Ok(list)
}

/// A non-empty list of globs (case-insensitive, `*` stops at `/`).
fn globs(
    file: &str,
    list: &[Spanned<String>],
    at: &serde_saphyr::Location,
    key: &str,
    what: &str,
) -> Result<Vec<Pattern>, FileError> {
    if list.is_empty() {
        return Err(err(file, at, format!("{key} is an empty list")));
    }
    list.iter().map(|s| glob(file, s, what, true)).collect()
}

fn parse_slo(file: &str, s: &Spanned<RawSlo>) -> Result<Slo, FileError> {
    let r = &s.value;
    let mut slo = Slo::default();
    for (sev, d) in [
        (Severity::Critical, &r.critical),
        (Severity::High, &r.high),
        (Severity::Medium, &r.medium),
        (Severity::Low, &r.low),
        (Severity::Unknown, &r.unknown),
    ] {
        if let Some(d) = d {
            if d.value < 0 {
                return Err(err(file, &d.referenced, "days cannot be negative"));
            }
            slo.days.insert(sev, d.value);
        }
    }
    if slo.days.is_empty() {
        return Err(err(
            file,
            &s.referenced,
            "slo needs days for at least one severity (critical, high, medium, low, unknown)",
        ));
    }
    if let Some(d) = &r.warn_within {
        if d.value < 0 {
            return Err(err(file, &d.referenced, "days cannot be negative"));
        }
        slo.warn_within = d.value;
    }
    Ok(slo)
}

#[cfg(test)]
mod tests {
    use super::super::STARTER;
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn the_starter_policy_is_valid() {
        let p = parse("starter", STARTER).unwrap();
        assert_eq!(p.rule_count(), 10);
        let g = p.evaluate(&report_with_secrets(), date("2026-12-02"));
        assert_eq!(
            hits(&g, "secrets-critical-high"),
            [
                "app/.env:aws-access-key-id:3",
                "root/.ssh/id_rsa:private-key:1"
            ]
        );
        assert_eq!(
            hits(&g, "secrets-other"),
            [
                "app/tests/fixtures/token.txt:jwt:2",
                "env:DB_PASSWORD:generic-password:0"
            ]
        );
        assert_eq!(
            hits(&g, "fixable-critical-high"),
            ["CVE-2023-4863"],
            "vulnerability rules judge no secret"
        );
        let g = p.evaluate(&report(), date("2026-12-02"));
        assert_eq!(g.result, GateResult::Fail);
        assert_eq!(hits(&g, "known-exploited"), ["CVE-2023-4863"]);
        assert_eq!(
            hits(&g, "copyleft"),
            ["pkg:readline"],
            "MIT OR GPL-3.0-only may be taken as MIT"
        );
        assert_eq!(hits(&g, "denied-packages"), ["pkg:event-stream"]);
    }

    #[test]
    fn bad_policies_name_the_line() {
        for (yaml, line, needle) in [
            (
                "rules:\n  - name: a\n    action: block\n    when: {severity: HIGH, colour: red}\n",
                4,
                "colour",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when:\n      cvss: high\n",
                5,
                "",
            ),
            (
                "rules:\n  - name: a\n    action: deny\n    when: {kev: true}\n",
                3,
                "alert or block",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when: {severity: SEVERE}\n",
                4,
                "unknown severity",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    scope: {images: ['reg/[x']}\n    when: {kev: true}\n",
                4,
                "bad image pattern",
            ),
            (
                "rules:\n  - {name: a, action: block, when: {kev: true}}\nexceptions:\n  - {vulnerability: CVE-1, expires: 2027-02-30, justification: x}\n",
                4,
                "not a date",
            ),
            (
                "rules:\n  - {name: a, action: block, when: {kev: true}}\nexceptions:\n  - {vulnerability: CVE-1, expires: 2027-01-01}\n",
                4,
                "justification",
            ),
            (
                "rules:\n  - {name: a, action: block, when: {kev: true}}\nexceptions:\n  - {rules: [b], expires: 2027-01-01, justification: x}\n",
                4,
                "no rule is named",
            ),
            (
                "rules:\n  - {name: a, action: block, when: {kev: true}}\n  - {name: a, action: alert, when: {kev: true}}\n",
                3,
                "already used at line 2",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when:\n      licenses: {deny: [GPL-3]}\n",
                5,
                "not an SPDX",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when: {}\n",
                4,
                "at least one condition",
            ),
            (
                "rules:\n  - {name: a, action: block, when: {epss: 10}}\n",
                2,
                "0 to 1",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when: {kind: secret, kev: true}\n",
                4,
                "kev is about vulnerabilities, and this rule judges secrets",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when: {rule_ids: [aws-*], cvss: 7}\n",
                4,
                "cvss is about vulnerabilities, and this rule judges secrets (its other conditions say so",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when: {kind: [secret], packages: {deny: [x]}}\n",
                4,
                "packages is about packages (a secret has none)",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when: {kind: secrets}\n",
                4,
                "expected vulnerability or secret",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when: {kind: secret, severity: []}\n",
                4,
                "severity is an empty list",
            ),
            (
                "rules:\n  - name: a\n    action: block\n    when:\n      paths: ['app/[x']\n",
                5,
                "bad path pattern",
            ),
            (
                "rules:\n  - {name: a, action: block, when: {kind: secret}}\nexceptions:\n  - {secret: jwt, vulnerability: CVE-1, expires: 2027-01-01, justification: x}\n",
                4,
                "not both",
            ),
        ] {
            let e = parse("p.yaml", yaml).unwrap_err();
            assert_eq!(e.file, "p.yaml");
            assert_eq!(e.at.map(|a| a.0), Some(line), "{yaml}: {e}");
            assert!(e.message.contains(needle), "{yaml}: {e}");
        }
    }
}
