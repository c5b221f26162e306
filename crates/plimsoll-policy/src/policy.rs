//! Policy files: rules that alert on or block what a team's policy forbids, and exceptions.
//!
//! A policy is YAML (docs/policy.md documents every key with an example). Rules are
//! evaluated in order and every rule is evaluated: a finding may violate several rules,
//! and the gate fails when any `block` rule is violated by something no exception excuses.
//! Each rule has one subject, decided by its conditions:
//!
//! - any vulnerability condition (`severity`, `cvss`, `status`, `fix_available`, `kev`,
//!   `epss`, `in_base_image`, `slo`): the rule judges findings, and package conditions
//!   narrow which packages' findings count;
//! - else package conditions (`packages`, `ecosystems`, `licenses`): it judges packages;
//! - else `image` facts: it judges the image.
//!
//! `image` facts in a vulnerability or package rule are a precondition ("block criticals
//! in images that run as root"). Conditions of one rule all have to hold (and).
//!
//! Every decision can be explained: [`Policy::explain`] gives, for one finding, each rule
//! that fired or was skipped and why, which `plimsoll explain` prints.

use crate::FileError;
use crate::purl::Purl;
use crate::risk::is_root;
use globset::{GlobBuilder, GlobMatcher};
use jiff::civil::Date;
use plimsoll_model::{
    ExceptionUse, Finding, FindingRef, FixStatus, Gate, GateResult, Package, Report, Severity,
    Violation,
};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::{BTreeMap, HashMap};

/// The starter file `plimsoll policy init` writes: every kind of condition, commented.
pub const STARTER: &str = include_str!("policy_starter.yaml");

/// A parsed, validated policy file.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The file's name as the user gave it.
    pub file: String,
    rules: Vec<Rule>,
    exceptions: Vec<Exception>,
}

pub use plimsoll_model::Action;

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    line: u64,
    action: Action,
    scope: Scope,
    when: When,
}

#[derive(Debug, Clone, Default)]
struct Scope {
    images: Vec<Pattern>,
    labels: Vec<(String, Pattern)>,
}

/// A glob, kept with its text for messages.
#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    glob: GlobMatcher,
}

impl Pattern {
    fn is_match(&self, s: &str) -> bool {
        self.glob.is_match(s)
    }
}

#[derive(Debug, Clone, Default)]
struct When {
    severity: Option<Severity>,
    cvss: Option<f64>,
    status: Option<Vec<FixStatus>>,
    fix_available: Option<bool>,
    kev: Option<bool>,
    epss: Option<f64>,
    in_base_image: Option<bool>,
    slo: Option<Slo>,
    packages: Option<Lists<PackagePattern>>,
    ecosystems: Option<Lists<Pattern>>,
    licenses: Option<Vec<Pattern>>,
    image: Option<ImageWhen>,
}

impl When {
    fn judges_findings(&self) -> bool {
        self.severity.is_some()
            || self.cvss.is_some()
            || self.status.is_some()
            || self.fix_available.is_some()
            || self.kev.is_some()
            || self.epss.is_some()
            || self.in_base_image.is_some()
            || self.slo.is_some()
    }

    fn judges_packages(&self) -> bool {
        self.packages.is_some() || self.ecosystems.is_some() || self.licenses.is_some()
    }
}

/// A CVE SLO: days allowed per severity, counted from disclosure, for findings with a fix.
#[derive(Debug, Clone, Default)]
struct Slo {
    days: BTreeMap<Severity, i64>,
    warn_within: i64,
}

#[derive(Debug, Clone)]
struct Lists<T> {
    allow: Vec<T>,
    deny: Vec<T>,
}

/// A package named by a purl (`pkg:npm/event-stream`, version optional) or a name glob.
#[derive(Debug, Clone)]
enum PackagePattern {
    Purl(String, Purl),
    Name(Pattern),
}

impl PackagePattern {
    fn text(&self) -> &str {
        match self {
            PackagePattern::Purl(t, _) => t,
            PackagePattern::Name(p) => &p.text,
        }
    }

    fn matches(&self, name: &str, purl: Option<&Purl>) -> bool {
        match self {
            PackagePattern::Purl(_, p) => purl.is_some_and(|t| p.matches(t)),
            PackagePattern::Name(g) => g.is_match(name),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct ImageWhen {
    runs_as_root: Option<bool>,
    created_more_than_days: Option<i64>,
    layers_more_than: Option<usize>,
}

#[derive(Debug, Clone)]
struct Exception {
    line: u64,
    vulnerability: Option<String>,
    package: Option<PackagePattern>,
    images: Vec<Pattern>,
    rules: Vec<String>,
    expires: Date,
    justification: String,
}

impl Exception {
    fn expired(&self, today: Date) -> bool {
        self.expires <= today
    }
}

// ---------------------------------------------------------------------------------------
// Parsing

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
    severity: Option<Spanned<String>>,
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
    slo: Option<Spanned<RawSlo>>,
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
        if vulnerability.is_none() && package.is_none() && images.is_empty() && names.is_empty() {
            return Err(err(
                file,
                &at,
                "an exception needs at least one of vulnerability, package, images, rules",
            ));
        }
        exceptions.push(Exception {
            line: at.line(),
            vulnerability,
            package,
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

fn parse_when(file: &str, w: Spanned<RawWhen>) -> Result<When, FileError> {
    let at = w.referenced;
    let w = w.value;
    let mut out = When {
        fix_available: w.fix_available,
        kev: w.kev,
        in_base_image: w.in_base_image,
        ..When::default()
    };
    if let Some(s) = &w.severity {
        out.severity = Some(
            s.value
                .parse()
                .map_err(|m: String| err(file, &s.referenced, format!("severity: {m}")))?,
        );
    }
    if let Some(c) = &w.cvss {
        if !(0.0..=10.0).contains(&c.value) {
            return Err(err(
                file,
                &c.referenced,
                format!("cvss {}: a base score is 0 to 10", c.value),
            ));
        }
        out.cvss = Some(c.value);
    }
    if let Some(e) = &w.epss {
        if !(0.0..=1.0).contains(&e.value) {
            return Err(err(
                file,
                &e.referenced,
                format!("epss {}: a probability is 0 to 1 (0.1 is 10%)", e.value),
            ));
        }
        out.epss = Some(e.value);
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
        out.status = Some(v);
    }
    if let Some(s) = &w.slo {
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
        out.slo = Some(slo);
    }
    if let Some(l) = &w.packages {
        out.packages = Some(lists(file, "packages", l, |s| package_pattern(file, s))?);
    }
    if let Some(l) = &w.ecosystems {
        out.ecosystems = Some(lists(file, "ecosystems", l, |s| {
            glob(file, s, "ecosystem pattern", true)
        })?);
    }
    if let Some(l) = &w.licenses {
        if l.value.deny.is_empty() {
            return Err(err(file, &l.referenced, "licenses.deny is empty"));
        }
        let mut v = Vec::new();
        for s in &l.value.deny {
            v.push(license_pattern(file, s)?);
        }
        out.licenses = Some(v);
    }
    if let Some(i) = &w.image {
        let r = &i.value;
        let mut img = ImageWhen {
            runs_as_root: r.runs_as_root,
            ..ImageWhen::default()
        };
        if let Some(d) = &r.created_more_than_days {
            if d.value < 0 {
                return Err(err(file, &d.referenced, "days cannot be negative"));
            }
            img.created_more_than_days = Some(d.value);
        }
        if let Some(n) = &r.layers_more_than {
            if n.value < 0 {
                return Err(err(file, &n.referenced, "a layer count cannot be negative"));
            }
            img.layers_more_than = Some(n.value as usize);
        }
        if img.runs_as_root.is_none()
            && img.created_more_than_days.is_none()
            && img.layers_more_than.is_none()
        {
            return Err(err(
                file,
                &i.referenced,
                "image needs runs_as_root, created_more_than_days or layers_more_than",
            ));
        }
        out.image = Some(img);
    }
    if !out.judges_findings() && !out.judges_packages() && out.image.is_none() {
        return Err(err(
            file,
            &at,
            "a rule needs at least one condition under `when` (severity: UNKNOWN matches every vulnerability)",
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Evaluation

/// What the rules read about the scanned artifact, computed once per report.
struct Cx<'a> {
    report: &'a Report,
    today: Date,
    /// The names a scope's image patterns are compared with: the reference as given, the
    /// fully qualified reference, and that without its tag or digest.
    names: Vec<String>,
    packages: HashMap<&'a str, (&'a Package, Option<Purl>)>,
}

impl<'a> Cx<'a> {
    fn new(report: &'a Report, today: Date) -> Cx<'a> {
        let a = &report.artifact;
        let mut names = vec![a.name.clone()];
        if let Some(r) = &a.reference {
            names.push(r.clone());
            let bare = r.split('@').next().unwrap_or(r);
            let slash = bare.rfind('/').map_or(0, |i| i + 1);
            let bare = match bare[slash..].rfind(':') {
                Some(c) => &bare[..slash + c],
                None => bare,
            };
            names.push(bare.to_string());
        }
        names.dedup();
        let packages = report
            .packages
            .iter()
            .map(|p| (p.id.as_str(), (p, Purl::parse(&p.purl).ok())))
            .collect();
        Cx {
            report,
            today,
            names,
            packages,
        }
    }

    fn package(&self, id: &str) -> Option<&(&'a Package, Option<Purl>)> {
        self.packages.get(id)
    }
}

/// Days from an RFC 3339 time (or date) to `today`; `None` when unreadable.
fn days_since(when: &str, today: Date) -> Option<i64> {
    let date = if when.len() > 10 {
        when.parse::<jiff::Timestamp>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
    } else {
        when.parse::<Date>().ok()?
    };
    let span = date.until((jiff::Unit::Day, today)).ok()?;
    Some(i64::from(span.get_days()))
}

/// Where a finding stands against an SLO.
#[derive(Debug, Clone, PartialEq)]
enum SloState {
    /// A fix has been available longer than allowed.
    Breached { age: i64, days: i64 },
    /// The deadline is `left` days away, within the warning window.
    Due { age: i64, days: i64, left: i64 },
    /// Within the SLO, outside the warning window.
    Within { age: i64, days: i64 },
    /// The SLO does not judge it, and why.
    NotJudged(String),
}

fn slo_state(slo: &Slo, f: &Finding, today: Date) -> SloState {
    let Some(&days) = slo.days.get(&f.severity) else {
        return SloState::NotJudged(format!("the SLO sets no days for {}", f.severity));
    };
    if f.status != FixStatus::Fixed {
        return SloState::NotJudged("no fix is released, so the SLO clock has not started".into());
    }
    let Some(age) = f.published.as_deref().and_then(|p| days_since(p, today)) else {
        return SloState::NotJudged("the advisory has no published date".into());
    };
    if age > days {
        SloState::Breached { age, days }
    } else if days - age <= slo.warn_within {
        SloState::Due {
            age,
            days,
            left: days - age,
        }
    } else {
        SloState::Within { age, days }
    }
}

/// One condition's verdict: held (with what made it hold) or not (with why not).
type Verdict = Result<String, String>;

fn lists_verdict<T>(
    what: &str,
    lists: &Lists<T>,
    subject: &str,
    matches: impl Fn(&T) -> bool,
    text: impl Fn(&T) -> &str,
) -> Verdict {
    if let Some(d) = lists.deny.iter().find(|p| matches(p)) {
        return Ok(format!("{what} {subject} is denied ({})", text(d)));
    }
    if !lists.allow.is_empty() {
        if let Some(a) = lists.allow.iter().find(|p| matches(p)) {
            return Err(format!("{what} {subject} is allowed ({})", text(a)));
        }
        return Ok(format!("{what} {subject} is not in the allow list"));
    }
    Err(format!("{what} {subject} is not denied"))
}

/// Licenses of `p` that a deny list forbids: each declared license (an SPDX expression,
/// or free text) must be satisfiable with licenses the list does not deny.
fn denied_license(p: &Package, deny: &[Pattern]) -> Option<String> {
    let denied = |name: &str| deny.iter().find(|d| d.is_match(name));
    for l in &p.licenses {
        match spdx::Expression::parse_mode(l, spdx::ParseMode::LAX) {
            Ok(expr) => {
                let mut hit = None;
                let ok = expr.evaluate(|req| {
                    let name = match &req.license {
                        spdx::LicenseItem::Spdx { id, or_later } => {
                            if *or_later && !id.name.ends_with("-or-later") {
                                format!("{}-or-later", id.name.trim_end_matches("-only"))
                            } else {
                                id.name.to_string()
                            }
                        }
                        spdx::LicenseItem::Other(r) => format!("LicenseRef-{}", r.lic_ref),
                    };
                    match denied(&name) {
                        Some(d) => {
                            hit.get_or_insert_with(|| format!("{l} ({})", d.text));
                            false
                        }
                        None => true,
                    }
                });
                if !ok {
                    return hit.or_else(|| Some(l.clone()));
                }
            }
            Err(_) => {
                if let Some(d) = denied(l.trim()) {
                    return Some(format!("{l} ({})", d.text));
                }
            }
        }
    }
    None
}

impl Policy {
    /// Rules in the file, in order.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub fn exception_count(&self) -> usize {
        self.exceptions.len()
    }

    fn at(&self, line: u64) -> String {
        format!("{}:{line}", self.file)
    }

    fn in_scope(&self, rule: &Rule, cx: &Cx) -> Verdict {
        if !rule.scope.images.is_empty()
            && !rule
                .scope
                .images
                .iter()
                .any(|p| cx.names.iter().any(|n| p.is_match(n)))
        {
            return Err(format!(
                "out of scope: {} matches none of {}",
                cx.report.artifact.name,
                rule.scope
                    .images
                    .iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let labels = cx.report.artifact.config.as_ref().map(|c| &c.labels);
        for (k, pat) in &rule.scope.labels {
            match labels.and_then(|l| l.get(k)) {
                Some(v) if pat.is_match(v) => {}
                Some(v) => {
                    return Err(format!(
                        "out of scope: label {k}={v} does not match {}",
                        pat.text
                    ));
                }
                None => return Err(format!("out of scope: the image has no label {k}")),
            }
        }
        Ok("in scope".into())
    }

    fn image_verdicts(&self, w: &ImageWhen, cx: &Cx) -> Result<Vec<String>, String> {
        let a = &cx.report.artifact;
        let mut held = Vec::new();
        if let Some(want) = w.runs_as_root {
            let Some(c) = &a.config else {
                return Err("not an image: whether it runs as root is unknown".into());
            };
            let root = is_root(&c.user);
            let user = if c.user.is_empty() {
                "(empty)"
            } else {
                c.user.as_str()
            };
            if root != want {
                return Err(format!(
                    "the image's user is {user}, {}root",
                    if root { "" } else { "not " }
                ));
            }
            held.push(if root {
                format!("runs as root (user {user})")
            } else {
                format!("does not run as root (user {user})")
            });
        }
        if let Some(n) = w.created_more_than_days {
            let Some(age) = a.created.as_deref().and_then(|c| days_since(c, cx.today)) else {
                return Err("the image has no creation time".into());
            };
            if age <= n {
                return Err(format!("created {age} days ago, not more than {n}"));
            }
            held.push(format!("created {age} days ago (more than {n})"));
        }
        if let Some(n) = w.layers_more_than {
            if a.layers.len() <= n {
                return Err(format!("{} layers, not more than {n}", a.layers.len()));
            }
            held.push(format!("{} layers (more than {n})", a.layers.len()));
        }
        Ok(held)
    }

    fn package_verdicts(
        &self,
        w: &When,
        p: &Package,
        purl: Option<&Purl>,
    ) -> Result<Vec<String>, String> {
        let mut held = Vec::new();
        if let Some(l) = &w.packages {
            held.push(lists_verdict(
                "package",
                l,
                &p.name,
                |x| x.matches(&p.name, purl),
                |x| x.text(),
            )?);
        }
        if let Some(l) = &w.ecosystems {
            held.push(lists_verdict(
                "ecosystem",
                l,
                &p.ecosystem,
                |x| {
                    x.is_match(&p.ecosystem)
                        || x.is_match(p.ecosystem.split(':').next().unwrap_or(""))
                },
                |x| &x.text,
            )?);
        }
        if let Some(deny) = &w.licenses {
            match denied_license(p, deny) {
                Some(l) => held.push(format!("license {l} is denied")),
                None if p.licenses.is_empty() => return Err("no license is declared".into()),
                None => return Err(format!("licenses {} are not denied", p.licenses.join(", "))),
            }
        }
        Ok(held)
    }

    fn finding_verdicts(&self, w: &When, f: &Finding, cx: &Cx) -> Result<Vec<String>, String> {
        let mut held = Vec::new();
        if let Some(s) = w.severity {
            if f.severity < s {
                return Err(format!("severity {} is below {s}", f.severity));
            }
            held.push(format!("severity {} >= {s}", f.severity));
        }
        if let Some(min) = w.cvss {
            match &f.cvss {
                Some(c) if c.score >= min => held.push(format!("CVSS {} >= {min}", c.score)),
                Some(c) => return Err(format!("CVSS {} is below {min}", c.score)),
                None => return Err("no CVSS score".into()),
            }
        }
        if let Some(list) = &w.status {
            let name = f.status.as_str();
            if !list.contains(&f.status) {
                return Err(format!("status {name} is not one of those listed"));
            }
            held.push(format!("status {name}"));
        }
        if let Some(want) = w.fix_available {
            let has = f.status == FixStatus::Fixed;
            if has != want {
                return Err(if has {
                    format!("a fix is available ({})", f.fixed_versions.join(", "))
                } else {
                    "no fix is available".into()
                });
            }
            held.push(if has {
                format!("fix available ({})", f.fixed_versions.join(", "))
            } else {
                "no fix available".into()
            });
        }
        if let Some(want) = w.kev {
            if f.kev != want {
                return Err(if f.kev {
                    "in CISA KEV".into()
                } else {
                    "not in CISA KEV".into()
                });
            }
            held.push(if f.kev {
                "in CISA KEV".into()
            } else {
                "not in CISA KEV".into()
            });
        }
        if let Some(min) = w.epss {
            match &f.epss {
                Some(e) if e.score >= min => held.push(format!("EPSS {:.3} >= {min}", e.score)),
                Some(e) => return Err(format!("EPSS {:.3} is below {min}", e.score)),
                None => return Err("no EPSS score".into()),
            }
        }
        if let Some(want) = w.in_base_image {
            // No base image told apart: every layer is the image's own.
            let base = f.in_base_image.unwrap_or(false);
            if base != want {
                return Err(if base {
                    "in the base image".into()
                } else {
                    "not in the base image".into()
                });
            }
            held.push(if base {
                "in the base image".into()
            } else {
                "not in the base image".into()
            });
        }
        if let Some(slo) = &w.slo {
            match slo_state(slo, f, cx.today) {
                SloState::Breached { age, days } => held.push(format!(
                    "{} SLO of {days} days breached: disclosed {age} days ago with a fix available",
                    f.severity
                )),
                SloState::Due { age, days, left } => {
                    return Err(format!(
                        "{} SLO of {days} days not yet breached (disclosed {age} days ago): due in {left} days",
                        f.severity
                    ));
                }
                SloState::Within { age, days } => {
                    return Err(format!(
                        "{} SLO of {days} days not breached (disclosed {age} days ago)",
                        f.severity
                    ));
                }
                SloState::NotJudged(why) => return Err(why),
            }
        }
        if w.judges_packages() {
            let Some((p, purl)) = cx.package(&f.package_id) else {
                return Err(format!("package {} is not in the report", f.package_id));
            };
            held.extend(self.package_verdicts(w, p, purl.as_ref())?);
        }
        Ok(held)
    }

    /// The exceptions that bear on one item under one rule, in file order: every matching
    /// expired one (the report says it no longer applies) and the first matching one in
    /// force, which excuses the item. `evaluate` and `explain` both read them from here.
    fn bearing_exceptions(&self, rule: &Rule, cx: &Cx, item: Item) -> Vec<(usize, &Exception)> {
        let mut excused = false;
        self.exceptions
            .iter()
            .enumerate()
            .filter(|(_, x)| {
                let expired = x.expired(cx.today);
                if excused && !expired {
                    return false;
                }
                let applies = self.exception_matches(x, rule, cx, item);
                excused |= applies && !expired;
                applies
            })
            .collect()
    }

    fn exception_matches(&self, x: &Exception, rule: &Rule, cx: &Cx, item: Item) -> bool {
        if !x.rules.is_empty() && !x.rules.contains(&rule.name) {
            return false;
        }
        if !x.images.is_empty()
            && !x
                .images
                .iter()
                .any(|p| cx.names.iter().any(|n| p.is_match(n)))
        {
            return false;
        }
        match item {
            Item::Finding(f) => {
                if x.vulnerability.as_deref().is_some_and(|v| !f.is_named(v)) {
                    return false;
                }
                if let Some(pp) = &x.package {
                    let (name, purl) = match cx.package(&f.package_id) {
                        Some((p, u)) => (p.name.as_str(), u.as_ref()),
                        None => (f.package_name.as_str(), None),
                    };
                    if !pp.matches(name, purl) && !pp.matches(&f.matched_name, None) {
                        return false;
                    }
                }
                true
            }
            Item::Package(p, purl) => {
                x.vulnerability.is_none()
                    && x.package
                        .as_ref()
                        .is_none_or(|pp| pp.matches(&p.name, purl))
            }
            Item::Image => x.vulnerability.is_none() && x.package.is_none(),
        }
    }

    /// Evaluates the policy over a report on `today`'s date: the gate, with every violated
    /// rule, the exceptions that applied or expired, and SLO deadlines coming up.
    pub fn evaluate(&self, report: &Report, today: Date) -> Gate {
        let cx = Cx::new(report, today);
        let mut violations = Vec::new();
        let mut warnings = Vec::new();
        let mut uses: BTreeMap<usize, ExceptionUse> = BTreeMap::new();
        // The first exception that matches an item excuses it; matching expired ones are
        // recorded so the report can say they no longer apply.
        let excuse = |rule: &Rule, item: Item, uses: &mut BTreeMap<usize, ExceptionUse>| -> bool {
            let mut excused = false;
            for (i, x) in self.bearing_exceptions(rule, &cx, item) {
                let u = uses.entry(i).or_insert_with(|| ExceptionUse {
                    at: self.at(x.line),
                    justification: x.justification.clone(),
                    expires: x.expires.to_string(),
                    expired: x.expired(today),
                    rules: Vec::new(),
                    findings: Vec::new(),
                    packages: Vec::new(),
                    image: false,
                });
                if !u.rules.contains(&rule.name) {
                    u.rules.push(rule.name.clone());
                }
                match item {
                    Item::Finding(f) => {
                        if !u
                            .findings
                            .iter()
                            .any(|r| r.id == f.id && r.package_id == f.package_id)
                        {
                            u.findings.push(finding_ref(f, None));
                        }
                    }
                    Item::Package(p, _) => {
                        if !u.packages.contains(&p.id) {
                            u.packages.push(p.id.clone());
                        }
                    }
                    Item::Image => u.image = true,
                }
                excused |= !x.expired(today);
            }
            excused
        };
        for rule in &self.rules {
            if self.in_scope(rule, &cx).is_err() {
                continue;
            }
            let image_held = match &rule.when.image {
                Some(w) => match self.image_verdicts(w, &cx) {
                    Ok(h) => h,
                    Err(_) => continue,
                },
                None => Vec::new(),
            };
            let mut v = Violation {
                rule: rule.name.clone(),
                at: self.at(rule.line),
                action: rule.action,
                condition: describe(&rule.when),
                findings: Vec::new(),
                packages: Vec::new(),
                image: Vec::new(),
            };
            if rule.when.judges_findings() {
                // The SLO is judged apart from the rule's other conditions, once per finding:
                // breached is a violation and due soon a warning, each when the others hold.
                let rest = rule.when.slo.as_ref().map(|_| When {
                    slo: None,
                    ..rule.when.clone()
                });
                let rest = rest.as_ref().unwrap_or(&rule.when);
                for f in &report.vulnerabilities {
                    if self.finding_verdicts(rest, f, &cx).is_err() {
                        continue;
                    }
                    let detail = match rule.when.slo.as_ref().map(|s| slo_state(s, f, today)) {
                        None => None,
                        Some(SloState::Breached { age, days }) => Some(format!(
                            "disclosed {age} days ago with a fix available; {} SLO {days} days",
                            f.severity
                        )),
                        Some(SloState::Due { age, days, left }) => {
                            warnings.push(format!(
                                "rule {} ({}): {} {} in {} {} is due in {left} days ({} SLO {days} days, disclosed {age} days ago, fixed in {})",
                                rule.name,
                                self.at(rule.line),
                                f.severity,
                                f.id,
                                f.package_name,
                                f.installed_version,
                                f.severity,
                                f.fixed_versions.join(", ")
                            ));
                            continue;
                        }
                        Some(SloState::Within { .. } | SloState::NotJudged(_)) => continue,
                    };
                    if !excuse(rule, Item::Finding(f), &mut uses) {
                        v.findings.push(finding_ref(f, detail));
                    }
                }
            } else if rule.when.judges_packages() {
                for p in &report.packages {
                    let purl = cx.package(&p.id).and_then(|(_, u)| u.as_ref());
                    if self.package_verdicts(&rule.when, p, purl).is_ok()
                        && !excuse(rule, Item::Package(p, purl), &mut uses)
                    {
                        v.packages.push(p.id.clone());
                    }
                }
            } else if !excuse(rule, Item::Image, &mut uses) {
                v.image = image_held;
            }
            if !v.findings.is_empty() || !v.packages.is_empty() || !v.image.is_empty() {
                violations.push(v);
            }
        }
        for (i, x) in self.exceptions.iter().enumerate() {
            match uses.get(&i) {
                Some(u) if u.expired => warnings.push(format!(
                    "{}: exception expired on {}: it no longer excuses {} ({})",
                    self.at(x.line),
                    x.expires,
                    what_excused(u),
                    x.justification
                )),
                Some(_) => {}
                None if x.expired(today) => warnings.push(format!(
                    "{}: exception expired on {} (and matches nothing in this scan)",
                    self.at(x.line),
                    x.expires
                )),
                None => warnings.push(format!(
                    "{}: exception matches nothing in this scan: remove it if it is stale",
                    self.at(x.line)
                )),
            }
        }
        let blocked: Vec<&Violation> = violations
            .iter()
            .filter(|v| v.action == Action::Block)
            .collect();
        let alerts = violations.len() - blocked.len();
        let mut reasons = vec![format!(
            "policy {}: {} of {} rules violated ({} block, {alerts} alert), {} exceptions applied",
            self.file,
            violations.len(),
            self.rules.len(),
            blocked.len(),
            uses.values().filter(|u| !u.expired).count()
        )];
        for v in &violations {
            reasons.push(violation_line(v, &cx));
        }
        let missing_fails = crate::missing_data_verdict(report).lead(&mut reasons);
        let fail = !blocked.is_empty() || missing_fails;
        Gate {
            result: GateResult::failing_if(fail),
            reasons,
            policy: Some(self.file.clone()),
            violations,
            exceptions: uses.into_values().collect(),
            warnings,
        }
    }

    /// Every rule's verdict on one finding, in file order: fired (with the conditions that
    /// held), excused by an exception, or skipped (with the first reason it did not apply).
    pub fn explain(&self, report: &Report, f: &Finding, today: Date) -> Vec<RuleTrace> {
        let cx = Cx::new(report, today);
        let mut out = Vec::new();
        for rule in &self.rules {
            let mut t = RuleTrace {
                rule: rule.name.clone(),
                at: self.at(rule.line),
                action: rule.action,
                outcome: Outcome::Skipped,
                reasons: Vec::new(),
            };
            let verdict = (|| -> Result<Vec<String>, String> {
                self.in_scope(rule, &cx)?;
                let mut held = match &rule.when.image {
                    Some(w) => self.image_verdicts(w, &cx)?,
                    None => Vec::new(),
                };
                if !rule.when.judges_findings() {
                    return Err(if rule.when.judges_packages() {
                        "judges packages, not vulnerabilities".into()
                    } else {
                        "judges the image, not vulnerabilities".into()
                    });
                }
                held.extend(self.finding_verdicts(&rule.when, f, &cx)?);
                Ok(held)
            })();
            match verdict {
                Ok(held) => {
                    t.reasons = held;
                    t.outcome = Outcome::Fired;
                    for (_, x) in self.bearing_exceptions(rule, &cx, Item::Finding(f)) {
                        if x.expired(today) {
                            t.reasons.push(format!(
                                "exception at {} expired on {}",
                                self.at(x.line),
                                x.expires
                            ));
                        } else {
                            t.outcome = Outcome::Excused;
                            t.reasons.push(format!(
                                "excused by the exception at {} until {}: {}",
                                self.at(x.line),
                                x.expires,
                                x.justification
                            ));
                        }
                    }
                }
                Err(why) => t.reasons.push(why),
            }
            out.push(t);
        }
        out
    }
}

/// What a rule can be violated by.
#[derive(Clone, Copy)]
enum Item<'a> {
    Finding(&'a Finding),
    Package(&'a Package, Option<&'a Purl>),
    Image,
}

/// One rule's verdict on one finding, for `explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTrace {
    pub rule: String,
    pub at: String,
    pub action: Action,
    pub outcome: Outcome,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Fired,
    Excused,
    Skipped,
}

fn finding_ref(f: &Finding, detail: Option<String>) -> FindingRef {
    FindingRef {
        id: f.id.clone(),
        package_id: f.package_id.clone(),
        package_name: f.package_name.clone(),
        installed_version: f.installed_version.clone(),
        detail,
    }
}

fn what_excused(u: &ExceptionUse) -> String {
    let mut parts: Vec<String> = u
        .findings
        .iter()
        .map(|f| format!("{} in {}", f.id, f.package_name))
        .collect();
    if !u.packages.is_empty() {
        parts.push(format!("{} packages", u.packages.len()));
    }
    if u.image {
        parts.push("the image".into());
    }
    parts.join(", ")
}

/// A rule's conditions for people: `severity >= HIGH and fix available`.
fn describe(w: &When) -> String {
    let mut parts = Vec::new();
    if let Some(s) = w.severity {
        parts.push(format!("severity >= {s}"));
    }
    if let Some(c) = w.cvss {
        parts.push(format!("CVSS >= {c}"));
    }
    if let Some(s) = &w.status {
        parts.push(format!(
            "status in [{}]",
            s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(b) = w.fix_available {
        parts.push(
            if b {
                "fix available"
            } else {
                "no fix available"
            }
            .into(),
        );
    }
    if let Some(b) = w.kev {
        parts.push(if b { "in CISA KEV" } else { "not in CISA KEV" }.into());
    }
    if let Some(e) = w.epss {
        parts.push(format!("EPSS >= {e}"));
    }
    if let Some(b) = w.in_base_image {
        parts.push(
            if b {
                "in the base image"
            } else {
                "not in the base image"
            }
            .into(),
        );
    }
    if let Some(s) = &w.slo {
        let days: Vec<String> = s
            .days
            .iter()
            .rev()
            .map(|(k, v)| format!("{k} {v}d"))
            .collect();
        parts.push(format!("fix older than the SLO ({})", days.join(", ")));
    }
    for (what, l) in [
        (
            "package",
            w.packages.as_ref().map(|l| {
                (
                    l.allow
                        .iter()
                        .map(|x| x.text().to_string())
                        .collect::<Vec<_>>(),
                    l.deny
                        .iter()
                        .map(|x| x.text().to_string())
                        .collect::<Vec<_>>(),
                )
            }),
        ),
        (
            "ecosystem",
            w.ecosystems.as_ref().map(|l| {
                (
                    l.allow.iter().map(|x| x.text.clone()).collect(),
                    l.deny.iter().map(|x| x.text.clone()).collect(),
                )
            }),
        ),
    ] {
        if let Some((allow, deny)) = l {
            if !deny.is_empty() {
                parts.push(format!("{what} in [{}]", deny.join(", ")));
            }
            if !allow.is_empty() {
                parts.push(format!("{what} not in [{}]", allow.join(", ")));
            }
        }
    }
    if let Some(l) = &w.licenses {
        parts.push(format!(
            "license in [{}]",
            l.iter()
                .map(|x| x.text.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(i) = &w.image {
        if let Some(b) = i.runs_as_root {
            parts.push(
                if b {
                    "image runs as root"
                } else {
                    "image does not run as root"
                }
                .into(),
            );
        }
        if let Some(d) = i.created_more_than_days {
            parts.push(format!("image created more than {d} days ago"));
        }
        if let Some(n) = i.layers_more_than {
            parts.push(format!("image has more than {n} layers"));
        }
    }
    parts.join(" and ")
}

fn violation_line(v: &Violation, cx: &Cx) -> String {
    let mut what: Vec<String> = v
        .findings
        .iter()
        .take(5)
        .map(|f| format!("{} in {} {}", f.id, f.package_name, f.installed_version))
        .collect();
    if v.findings.len() > 5 {
        what.push(format!("{} more", v.findings.len() - 5));
    }
    let mut pk: Vec<String> = v
        .packages
        .iter()
        .take(5)
        .map(|id| {
            cx.package(id)
                .map_or(id.clone(), |(p, _)| format!("{} {}", p.name, p.version))
        })
        .collect();
    if v.packages.len() > 5 {
        pk.push(format!("{} more", v.packages.len() - 5));
    }
    what.extend(pk);
    what.extend(v.image.iter().cloned());
    let count = if !v.findings.is_empty() {
        plural(v.findings.len(), "finding")
    } else if !v.packages.is_empty() {
        plural(v.packages.len(), "package")
    } else {
        "the image".into()
    };
    format!(
        "{} rule {} ({}): {}: {count}: {}",
        v.action,
        v.rule,
        v.at,
        v.condition,
        what.join("; ")
    )
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_model::{Artifact, ArtifactKind, Cvss, EpssScore, ImageConfig, Layer};

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn finding(id: &str, pkg: &str, sev: Severity, fixed: &[&str], published: &str) -> Finding {
        Finding {
            id: id.into(),
            aliases: vec![],
            package_id: format!("pkg:{pkg}"),
            package_name: pkg.into(),
            matched_ecosystem: "Debian:12".into(),
            matched_name: pkg.into(),
            installed_version: "1.0".into(),
            fixed_versions: fixed.iter().map(|s| s.to_string()).collect(),
            status: if fixed.is_empty() {
                FixStatus::Affected
            } else {
                FixStatus::Fixed
            },
            severity: sev,
            severity_source: None,
            cvss: None,
            kev: false,
            epss: None,
            layer: Some(0),
            layer_created_by: None,
            path: None,
            data_source: id.into(),
            title: None,
            upstream_match: false,
            risk: None,
            published: Some(format!("{published}T12:00:00Z")),
            in_base_image: None,
        }
    }

    fn package(name: &str, eco: &str, purl: &str, licenses: &[&str]) -> Package {
        Package {
            id: format!("pkg:{name}"),
            kind: "deb".into(),
            ecosystem: eco.into(),
            name: name.into(),
            version: "1.0".into(),
            purl: purl.into(),
            licenses: licenses.iter().map(|s| s.to_string()).collect(),
            ..Package::default()
        }
    }

    /// A Debian 12 application image shaped like the demo: libssl3 (two CVEs), libwebp7
    /// (exploited), requests from PyPI.
    fn report() -> Report {
        let mut webp = finding(
            "CVE-2023-4863",
            "libwebp7",
            Severity::High,
            &["1.2.4-0.2+deb12u1"],
            "2023-09-12",
        );
        webp.kev = true;
        webp.epss = Some(EpssScore {
            score: 0.94,
            percentile: 0.99,
        });
        webp.cvss = Some(Cvss {
            version: "3.1".into(),
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H".into(),
            score: 8.8,
        });
        webp.in_base_image = Some(true);
        let mut req = finding(
            "CVE-2024-35195",
            "requests",
            Severity::Medium,
            &["2.32.0"],
            "2024-05-20",
        );
        req.aliases = vec!["GHSA-9wx4-h78v-vm56".into()];
        req.in_base_image = Some(false);
        req.cvss = Some(Cvss {
            version: "3.1".into(),
            vector: "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N".into(),
            score: 5.6,
        });
        Report {
            schema_version: 1,
            scanner: Default::default(),
            artifact: Artifact {
                reference: Some("registry.example.com/payments/api:1.4".into()),
                config: Some(ImageConfig {
                    user: String::new(),
                    labels: [("team".to_string(), "payments".to_string())].into(),
                    ..ImageConfig::default()
                }),
                created: Some("2026-01-02T03:04:05Z".into()),
                layers: vec![
                    Layer::default(),
                    Layer {
                        index: 1,
                        ..Layer::default()
                    },
                ],
                ..Artifact::new(
                    "registry.example.com/payments/api:1.4",
                    ArtifactKind::ContainerImage,
                    "registry",
                )
            },
            packages: vec![
                package(
                    "libssl3",
                    "Debian:12",
                    "pkg:deb/debian/libssl3@1.0",
                    &["Apache-2.0"],
                ),
                package(
                    "libwebp7",
                    "Debian:12",
                    "pkg:deb/debian/libwebp7@1.0",
                    &["BSD-3-Clause"],
                ),
                package("requests", "PyPI", "pkg:pypi/requests@1.0", &["Apache-2.0"]),
                package(
                    "readline",
                    "Debian:12",
                    "pkg:deb/debian/readline@1.0",
                    &["GPL-3.0-or-later"],
                ),
                package("dual", "npm", "pkg:npm/dual@1.0", &["MIT OR GPL-3.0-only"]),
                package(
                    "event-stream",
                    "npm",
                    "pkg:npm/event-stream@3.3.6",
                    &["MIT"],
                ),
            ],
            vulnerabilities: vec![
                webp,
                req,
                finding(
                    "CVE-2023-5678",
                    "libssl3",
                    Severity::Low,
                    &["3.0.13-1~deb12u1"],
                    "2023-11-06",
                ),
                finding(
                    "CVE-2024-0727",
                    "libssl3",
                    Severity::Medium,
                    &[],
                    "2024-01-26",
                ),
            ],
            suppressed: vec![],
            secrets: Vec::new(),
            suppressed_secrets: Vec::new(),
            misconfigurations: Vec::new(),
            malware: Vec::new(),
            gate: None,
            database: None,
            warnings: vec![],
        }
    }

    fn run(yaml: &str, today: &str) -> Gate {
        parse("p.yaml", yaml)
            .unwrap()
            .evaluate(&report(), date(today))
    }

    fn hits(g: &Gate, rule: &str) -> Vec<String> {
        let Some(v) = g.violations.iter().find(|v| v.rule == rule) else {
            return vec![];
        };
        let mut out: Vec<String> = v.findings.iter().map(|f| f.id.clone()).collect();
        out.extend(v.packages.iter().cloned());
        out.extend(v.image.iter().cloned());
        out
    }

    #[test]
    fn the_starter_policy_is_valid() {
        let p = parse("starter", STARTER).unwrap();
        assert_eq!(p.rule_count(), 8);
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
    fn vulnerability_conditions_combine_with_and() {
        let g = run(
            "rules:
  - {name: fixable-high, action: block, when: {severity: HIGH, fix_available: true}}
  - {name: cvss, action: alert, when: {cvss: 5.0, in_base_image: false}}
  - {name: unfixed, action: alert, when: {status: [affected, will_not_fix]}}
  - {name: epss, action: alert, when: {epss: 0.5}}
",
            "2026-12-02",
        );
        assert_eq!(hits(&g, "fixable-high"), ["CVE-2023-4863"]);
        assert_eq!(hits(&g, "cvss"), ["CVE-2024-35195"]);
        assert_eq!(hits(&g, "unfixed"), ["CVE-2024-0727"]);
        assert_eq!(hits(&g, "epss"), ["CVE-2023-4863"]);
        assert_eq!(g.result, GateResult::Fail);
        let alerts = run(
            "rules:\n  - {name: a, action: alert, when: {kev: true}}\n",
            "2026-12-02",
        );
        assert_eq!(
            alerts.result,
            GateResult::Pass,
            "alert rules never fail the gate"
        );
        assert_eq!(alerts.violations.len(), 1);
    }

    #[test]
    fn slo_windows_at_their_boundaries() {
        // requests: MEDIUM, fixed, published 2024-05-20. An SLO of 30 days ends on
        // 2024-06-19: breached from the 20th; warned 5 days before.
        let p = "rules:\n  - name: slo\n    action: block\n    when: {slo: {medium: 30, warn_within: 5}}\n";
        let g = run(p, "2024-06-19");
        assert!(hits(&g, "slo").is_empty(), "{g:?}");
        assert!(
            g.warnings
                .iter()
                .any(|w| w.contains("CVE-2024-35195") && w.contains("due in 0 days")),
            "{:?}",
            g.warnings
        );
        let g = run(p, "2024-06-20");
        assert_eq!(hits(&g, "slo"), ["CVE-2024-35195"]);
        assert_eq!(g.result, GateResult::Fail);
        let g = run(p, "2024-06-14");
        assert!(
            g.warnings.iter().any(|w| w.contains("due in 5 days")),
            "{:?}",
            g.warnings
        );
        let g = run(p, "2024-06-13");
        assert!(g.warnings.is_empty(), "{:?}", g.warnings);
        assert_eq!(g.result, GateResult::Pass);
        // The unfixed MEDIUM libssl3 CVE never starts the clock.
        let g = run(p, "2026-12-02");
        assert_eq!(hits(&g, "slo"), ["CVE-2024-35195"]);
    }

    #[test]
    fn slo_warnings_keep_the_rules_other_conditions() {
        // Due in 5 days, but the rule is only about another package: no warning, and none
        // for a rule whose package condition the finding fails.
        let only = |pkg: &str| {
            format!(
                "rules:\n  - name: slo\n    action: block\n    when: {{slo: {{medium: 30, warn_within: 5}}, packages: {{deny: [{pkg}]}}}}\n"
            )
        };
        let g = run(&only("libwebp7"), "2024-06-14");
        assert!(g.warnings.is_empty(), "{:?}", g.warnings);
        let g = run(&only("requests"), "2024-06-14");
        assert!(
            g.warnings
                .iter()
                .any(|w| w.contains("CVE-2024-35195") && w.contains("due in 5 days")),
            "{:?}",
            g.warnings
        );
        let g = run(&only("requests"), "2024-06-20");
        assert_eq!(hits(&g, "slo"), ["CVE-2024-35195"]);
        assert!(hits(&run(&only("libwebp7"), "2024-06-20"), "slo").is_empty());
    }

    #[test]
    fn exceptions_apply_until_they_expire_and_the_report_says_so() {
        let p = "rules:
  - {name: kev, action: block, when: {kev: true}}
exceptions:
  - vulnerability: cve-2023-4863
    package: libwebp*
    rules: [kev]
    expires: 2027-01-01
    justification: not reachable, OPS-12
  - {vulnerability: CVE-1999-0001, expires: 2027-01-01, justification: old}
";
        let g = run(p, "2026-12-31");
        assert_eq!(g.result, GateResult::Pass, "{g:?}");
        assert_eq!(g.exceptions.len(), 1);
        assert!(!g.exceptions[0].expired);
        assert_eq!(g.exceptions[0].at, "p.yaml:4");
        assert_eq!(g.exceptions[0].findings[0].id, "CVE-2023-4863");
        assert!(
            g.warnings
                .iter()
                .any(|w| w.starts_with("p.yaml:9:") && w.contains("matches nothing"))
        );
        let g = run(p, "2027-01-01");
        assert_eq!(g.result, GateResult::Fail);
        assert_eq!(hits(&g, "kev"), ["CVE-2023-4863"]);
        assert!(g.exceptions[0].expired);
        assert!(
            g.warnings
                .iter()
                .any(|w| w.contains("expired on 2027-01-01")),
            "{:?}",
            g.warnings
        );
    }

    #[test]
    fn package_ecosystem_and_image_rules() {
        let g = run(
            "rules:
  - {name: eco, action: alert, when: {ecosystems: {allow: [Debian, PyPI]}}}
  - {name: pkg, action: block, when: {packages: {deny: ['pkg:npm/event-stream', 'libssl*']}}}
  - {name: root, action: alert, when: {image: {runs_as_root: true}}}
  - {name: old, action: alert, when: {image: {created_more_than_days: 334}}}
  - {name: layers, action: alert, when: {image: {layers_more_than: 1}}}
  - {name: root-criticals, action: block, when: {severity: HIGH, image: {runs_as_root: false}}}
",
            "2026-12-02",
        );
        assert_eq!(hits(&g, "eco"), ["pkg:dual", "pkg:event-stream"]);
        assert_eq!(hits(&g, "pkg"), ["pkg:libssl3", "pkg:event-stream"]);
        assert_eq!(hits(&g, "root"), ["runs as root (user (empty))"]);
        assert!(hits(&g, "old").is_empty(), "334 days is not more than 334");
        assert_eq!(hits(&g, "layers"), ["2 layers (more than 1)"]);
        assert!(hits(&g, "root-criticals").is_empty());
    }

    #[test]
    fn scopes_by_image_glob_and_label() {
        let p = |scope: &str| {
            format!(
                "rules:\n  - name: s\n    action: block\n    scope: {scope}\n    when: {{kev: true}}\n"
            )
        };
        for (scope, fires) in [
            ("{images: ['registry.example.com/payments/*']}", true),
            ("{images: ['registry.example.com/payments/api']}", true),
            ("{images: ['registry.example.com/*']}", false),
            ("{images: ['registry.example.com/**']}", true),
            ("{labels: {team: pay*}}", true),
            ("{labels: {team: billing}}", false),
            ("{labels: {owner: '*'}}", false),
        ] {
            assert_eq!(
                !hits(&run(&p(scope), "2026-12-02"), "s").is_empty(),
                fires,
                "{scope}"
            );
        }
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
        ] {
            let e = parse("p.yaml", yaml).unwrap_err();
            assert_eq!(e.file, "p.yaml");
            assert_eq!(e.at.map(|a| a.0), Some(line), "{yaml}: {e}");
            assert!(e.message.contains(needle), "{yaml}: {e}");
        }
    }

    #[test]
    fn explain_lists_every_rule_with_its_reason() {
        let p = parse(
            "p.yaml",
            "rules:
  - {name: high, action: block, when: {severity: HIGH}}
  - {name: kev, action: block, when: {kev: true}}
  - {name: lic, action: alert, when: {licenses: {deny: ['GPL-*']}}}
exceptions:
  - {vulnerability: GHSA-9wx4-h78v-vm56, rules: [kev], expires: 2027-01-01, justification: x}
",
        )
        .unwrap();
        let r = report();
        let t = p.explain(&r, &r.vulnerabilities[0], date("2026-12-02"));
        assert_eq!(
            t.iter().map(|t| t.outcome).collect::<Vec<_>>(),
            [Outcome::Fired, Outcome::Fired, Outcome::Skipped]
        );
        assert_eq!(t[0].reasons, ["severity HIGH >= HIGH"]);
        assert_eq!(t[2].reasons, ["judges packages, not vulnerabilities"]);
        let t = p.explain(&r, &r.vulnerabilities[1], date("2026-12-02"));
        assert_eq!(t[0].reasons, ["severity MEDIUM is below HIGH"]);
        assert_eq!(t[1].outcome, Outcome::Skipped);
    }

    #[test]
    fn explain_and_the_gate_name_the_same_exceptions() {
        // One exception in force, and an expired one listed after it: the gate reports
        // both, and explain tells both.
        let p = parse(
            "p.yaml",
            "rules:
  - {name: kev, action: block, when: {kev: true}}
exceptions:
  - {vulnerability: CVE-2023-4863, expires: 2027-01-01, justification: in force}
  - {vulnerability: CVE-2023-4863, expires: 2025-01-01, justification: old}
",
        )
        .unwrap();
        let (r, today) = (report(), date("2026-12-02"));
        let g = p.evaluate(&r, today);
        assert_eq!(g.result, GateResult::Pass);
        assert_eq!(
            g.exceptions.iter().map(|x| x.expired).collect::<Vec<_>>(),
            [false, true]
        );
        let t = p.explain(&r, &r.vulnerabilities[0], today);
        assert_eq!(t[0].outcome, Outcome::Excused);
        assert_eq!(
            t[0].reasons[1..],
            [
                "excused by the exception at p.yaml:4 until 2027-01-01: in force",
                "exception at p.yaml:5 expired on 2025-01-01"
            ]
        );
    }
}
