//! The conditions a rule's `when` can hold. Each is one variant of [`Condition`] with its
//! check ([`Condition::check`]: held, with what made it hold, or not, with why not) and its
//! description for people ([`Condition::describe`]). Adding a condition is a variant here,
//! its arm in both, and its key in `parse.rs`.
//!
//! A condition is about one [`Subject`]: a finding, a package or the image. A rule judges
//! the first subject its conditions name in that order (see
//! [`super::schema::When::judges`]); package conditions narrow a vulnerability rule to some
//! packages' findings, and image conditions are a precondition of any rule. A finding is
//! of one [`Kind`], a vulnerability, a secret, a misconfiguration or malware; each finding
//! condition says which kinds it can judge ([`Condition::kinds`]), and a rule judges the
//! kinds its `kind` names, else malware when it has a malware-only condition (`ids`), else
//! secrets when it has a condition vulnerabilities lack (`rule_ids`, `paths`: as before
//! misconfigurations), else vulnerabilities (as before secrets).

use super::evaluate::{Cx, days_since};
use super::schema::{Lists, PackagePattern, Pattern, Slo};
use crate::purl::Purl;
use crate::risk::is_root;
use jiff::civil::Date;
use plimsoll_model::{
    Finding, FixStatus, MalwareFinding, Misconfiguration, Package, SecretFinding, Severity,
};

/// What a condition reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subject {
    Finding,
    Package,
    Image,
}

/// A kind of finding a rule can judge (`kind:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Vulnerability,
    Secret,
    /// A hardening check's finding (`PLIM-IMG-…`).
    Misconfiguration,
    Malware,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Vulnerability,
        Kind::Secret,
        Kind::Misconfiguration,
        Kind::Malware,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vulnerability => "vulnerability",
            Kind::Secret => "secret",
            Kind::Misconfiguration => "misconfiguration",
            Kind::Malware => "malware",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Vulnerability => "vulnerabilities",
            Kind::Secret => "secrets",
            Kind::Misconfiguration => "misconfigurations",
            Kind::Malware => "malware findings",
        }
    }
}

const ALL_KINDS: &[Kind] = &Kind::ALL;
const VULNERABILITIES: &[Kind] = &[Kind::Vulnerability];
/// What `removed` judges: a removed package's vulnerability, a secret in a deleted file.
const VULNERABILITIES_AND_SECRETS: &[Kind] = &[Kind::Vulnerability, Kind::Secret];
/// What `rule_ids` judges: a secret's rule, a misconfiguration's check.
const SECRETS_AND_MISCONFIGURATIONS: &[Kind] = &[Kind::Secret, Kind::Misconfiguration];
/// What `paths` judges: where a secret, misconfiguration or malware is.
const PLACED: &[Kind] = &[Kind::Secret, Kind::Misconfiguration, Kind::Malware];
const MALWARE: &[Kind] = &[Kind::Malware];
/// Malware findings have no base-image mark.
const NOT_MALWARE: &[Kind] = &[Kind::Vulnerability, Kind::Secret, Kind::Misconfiguration];

/// What a rule can be violated by.
#[derive(Clone, Copy)]
pub(super) enum Item<'a> {
    Finding(&'a Finding),
    Secret(&'a SecretFinding),
    Misconfiguration(&'a Misconfiguration),
    Malware(&'a MalwareFinding),
    Package(&'a Package, Option<&'a Purl>),
    Image,
}

/// One condition's verdict: held (with what made it hold) or not (with why not).
pub(super) type Verdict = Result<String, String>;

/// One condition of a rule, in the order they are checked and described.
#[derive(Debug, Clone)]
pub(super) enum Condition {
    /// `kind: secret` (or a list): the kinds of finding the rule judges.
    Kind(Vec<Kind>),
    /// `severity: HIGH`: at or above.
    Severity(Severity),
    /// `severity: [LOW, MEDIUM]`: one of those listed.
    SeverityIn(Vec<Severity>),
    /// `cvss: 7.0`: base score at or above.
    Cvss(f64),
    /// `status: [affected, will_not_fix]`.
    Status(Vec<FixStatus>),
    /// `fix_available: true`.
    FixAvailable(bool),
    /// `kev: true`: in CISA's Known Exploited Vulnerabilities.
    Kev(bool),
    /// `epss: 0.1`: probability at or above.
    Epss(f64),
    /// `in_base_image: false`.
    InBaseImage(bool),
    /// `removed: true`: a vulnerability of a package a later layer removed (`--layers
    /// all`), or a secret in a file a later layer deleted. Rules without it judge only the
    /// final filesystem's vulnerabilities.
    Removed(bool),
    /// `slo: {critical: 7, …}`: a fix older than the days allowed.
    Slo(Slo),
    /// `rule_ids: [aws-*]`: the secret rule that matched, or the misconfiguration's check
    /// id (`PLIM-IMG-00*`) (globs, any case).
    RuleIds(Vec<Pattern>),
    /// `paths: [app/**]`: where the secret, misconfiguration or malware is (globs over the
    /// file's root-relative path, or the Env variable's name or label's key; `config` for a
    /// misconfiguration of the image config or history).
    Paths(Vec<Pattern>),
    /// `ids: [MAL-*, eicar-test-file]`: the malware finding's id (globs, any case).
    Ids(Vec<Pattern>),
    /// `packages: {allow, deny}`: names, globs or purls.
    Packages(Lists<PackagePattern>),
    /// `ecosystems: {allow, deny}`: globs over `Debian:12`, or its family `Debian`.
    Ecosystems(Lists<Pattern>),
    /// `licenses: {deny}`: SPDX identifiers or globs over them.
    Licenses(Vec<Pattern>),
    /// `image: {runs_as_root}`.
    RunsAsRoot(bool),
    /// `image: {created_more_than_days}`.
    CreatedMoreThanDays(i64),
    /// `image: {layers_more_than}`.
    LayersMoreThan(usize),
}

impl Condition {
    pub fn subject(&self) -> Subject {
        use Condition::*;
        match self {
            Kind(_) | Severity(_) | SeverityIn(_) | Cvss(_) | Status(_) | FixAvailable(_)
            | Kev(_) | Epss(_) | InBaseImage(_) | Removed(_) | Slo(_) | RuleIds(_) | Paths(_)
            | Ids(_) => Subject::Finding,
            Packages(_) | Ecosystems(_) | Licenses(_) => Subject::Package,
            RunsAsRoot(_) | CreatedMoreThanDays(_) | LayersMoreThan(_) => Subject::Image,
        }
    }

    /// The kinds of finding a finding condition can judge.
    pub fn kinds(&self) -> &'static [Kind] {
        use Condition::*;
        match self {
            Kind(_) | Severity(_) | SeverityIn(_) => ALL_KINDS,
            InBaseImage(_) => NOT_MALWARE,
            Removed(_) => VULNERABILITIES_AND_SECRETS,
            RuleIds(_) => SECRETS_AND_MISCONFIGURATIONS,
            Paths(_) => PLACED,
            Ids(_) => MALWARE,
            _ => VULNERABILITIES,
        }
    }

    /// The key that writes it under `when`, for messages.
    pub fn key(&self) -> &'static str {
        use Condition::*;
        match self {
            Kind(_) => "kind",
            Severity(_) | SeverityIn(_) => "severity",
            Cvss(_) => "cvss",
            Status(_) => "status",
            FixAvailable(_) => "fix_available",
            Kev(_) => "kev",
            Epss(_) => "epss",
            InBaseImage(_) => "in_base_image",
            Removed(_) => "removed",
            Slo(_) => "slo",
            RuleIds(_) => "rule_ids",
            Paths(_) => "paths",
            Ids(_) => "ids",
            Packages(_) => "packages",
            Ecosystems(_) => "ecosystems",
            Licenses(_) => "licenses",
            RunsAsRoot(_) => "image.runs_as_root",
            CreatedMoreThanDays(_) => "image.created_more_than_days",
            LayersMoreThan(_) => "image.layers_more_than",
        }
    }

    /// Whether the condition holds for `item` (image conditions read the artifact).
    pub fn check(&self, item: Item, cx: &Cx) -> Verdict {
        match self.subject() {
            Subject::Image => self.check_image(cx),
            Subject::Package => match item {
                Item::Package(p, purl) => self.check_package(p, purl),
                Item::Finding(f) => match cx.package(&f.package_id) {
                    Some((p, purl)) => self.check_package(p, purl.as_ref()),
                    None => Err(format!("package {} is not in the report", f.package_id)),
                },
                Item::Secret(_) => Err("a secret has no package".into()),
                Item::Misconfiguration(_) => Err("a misconfiguration has no package".into()),
                Item::Malware(_) => Err("judges packages, not malware findings".into()),
                Item::Image => Err("judges packages, not the image".into()),
            },
            Subject::Finding => match item {
                Item::Finding(f) => self.check_finding(f, cx.today),
                Item::Secret(s) => self.check_secret(s),
                Item::Misconfiguration(m) => self.check_misconfiguration(m, cx),
                Item::Malware(m) => self.check_malware(m),
                _ => Err("judges findings".into()),
            },
        }
    }

    fn check_finding(&self, f: &Finding, today: Date) -> Verdict {
        // Each verdict's text is built only for the side that is returned: a rule is
        // checked against every finding of the image.
        let fact = |ok: bool, text: &str| -> Verdict {
            if ok {
                Ok(text.to_string())
            } else {
                Err(text.to_string())
            }
        };
        match self {
            Condition::Kind(_) | Condition::Severity(_) | Condition::SeverityIn(_) => {
                self.check_common(Kind::Vulnerability, f.severity)
            }
            Condition::Cvss(min) => match &f.cvss {
                Some(c) if c.score >= *min => Ok(format!("CVSS {} >= {min}", c.score)),
                Some(c) => Err(format!("CVSS {} is below {min}", c.score)),
                None => Err("no CVSS score".into()),
            },
            Condition::Status(list) => {
                let name = f.status.as_str();
                if list.contains(&f.status) {
                    Ok(format!("status {name}"))
                } else {
                    Err(format!("status {name} is not one of those listed"))
                }
            }
            Condition::FixAvailable(want) => {
                let has = f.status == FixStatus::Fixed;
                let fixed = || f.fixed_versions.join(", ");
                match (has == *want, has) {
                    (true, true) => Ok(format!("fix available ({})", fixed())),
                    (true, false) => Ok("no fix available".into()),
                    (false, true) => Err(format!("a fix is available ({})", fixed())),
                    (false, false) => Err("no fix is available".into()),
                }
            }
            Condition::Kev(want) => {
                let text = if f.kev {
                    "in CISA KEV"
                } else {
                    "not in CISA KEV"
                };
                fact(f.kev == *want, text)
            }
            Condition::Epss(min) => match &f.epss {
                Some(e) if e.score >= *min => Ok(format!("EPSS {:.3} >= {min}", e.score)),
                Some(e) => Err(format!("EPSS {:.3} is below {min}", e.score)),
                None => Err("no EPSS score".into()),
            },
            // No base image told apart: every layer is the image's own.
            Condition::InBaseImage(want) => in_base_image(f.in_base_image.unwrap_or(false), *want),
            Condition::Removed(want) => match f.removed_in_layer {
                Some(n) if *want => Ok(format!("package removed in layer {n}")),
                Some(n) => Err(format!("package removed in layer {n}")),
                None => fact(!*want, "package in the final filesystem"),
            },
            Condition::Slo(slo) => match slo_state(slo, f, today) {
                SloState::Breached { age, days } => Ok(format!(
                    "{} SLO of {days} days breached: disclosed {age} days ago with a fix available",
                    f.severity
                )),
                SloState::Due { age, days, left } => Err(format!(
                    "{} SLO of {days} days not yet breached (disclosed {age} days ago): due in {left} days",
                    f.severity
                )),
                SloState::Within { age, days } => Err(format!(
                    "{} SLO of {days} days not breached (disclosed {age} days ago)",
                    f.severity
                )),
                SloState::NotJudged(why) => Err(why),
            },
            Condition::RuleIds(_) | Condition::Paths(_) => Err(format!(
                "{} judges secrets and misconfigurations, not vulnerabilities",
                self.key()
            )),
            Condition::Ids(_) => Err("ids judges malware, not vulnerabilities".into()),
            _ => unreachable!("not a finding condition"),
        }
    }

    /// The conditions on every kind of finding: its kind and severity.
    fn check_common(&self, kind: Kind, severity: Severity) -> Verdict {
        match self {
            Condition::Kind(kinds) => {
                if kinds.contains(&kind) {
                    Ok(format!("a {}", kind.as_str()))
                } else {
                    Err(format!("a {}, not {}", kind.as_str(), kinds_text(kinds)))
                }
            }
            Condition::Severity(s) if severity >= *s => Ok(format!("severity {severity} >= {s}")),
            Condition::Severity(s) => Err(format!("severity {severity} is below {s}")),
            Condition::SeverityIn(list) if list.contains(&severity) => {
                Ok(format!("severity {severity}"))
            }
            Condition::SeverityIn(_) => {
                Err(format!("severity {severity} is not one of those listed"))
            }
            _ => unreachable!("not a common condition"),
        }
    }

    fn check_secret(&self, s: &SecretFinding) -> Verdict {
        match self {
            Condition::Kind(_) | Condition::Severity(_) | Condition::SeverityIn(_) => {
                self.check_common(Kind::Secret, s.severity)
            }
            Condition::InBaseImage(want) => in_base_image(s.in_base_image.unwrap_or(false), *want),
            Condition::Removed(want) => match s.deleted_in_layer {
                Some(n) if *want => Ok(format!("file deleted in layer {n}")),
                Some(n) => Err(format!("file deleted in layer {n}")),
                None if *want => Err("not in a deleted file".into()),
                None => Ok("not in a deleted file".into()),
            },
            Condition::RuleIds(ids) => match ids.iter().find(|p| p.is_match(&s.rule_id)) {
                Some(p) => Ok(format!("rule {} ({})", s.rule_id, p.text)),
                None => Err(format!("rule {} is not one of those listed", s.rule_id)),
            },
            Condition::Paths(paths) => {
                let Some(path) = s.path.as_deref() else {
                    return Err(format!("a secret in the {} has no path", s.source.as_str()));
                };
                let path = path.trim_start_matches('/');
                match paths.iter().find(|p| p.is_match(path)) {
                    Some(p) => Ok(format!("path {path} ({})", p.text)),
                    None => Err(format!("path {path} matches none of those listed")),
                }
            }
            _ => Err(format!(
                "{} judges vulnerabilities, not secrets",
                self.key()
            )),
        }
    }

    fn check_misconfiguration(&self, m: &Misconfiguration, cx: &Cx) -> Verdict {
        match self {
            Condition::Kind(_) | Condition::Severity(_) | Condition::SeverityIn(_) => {
                self.check_common(Kind::Misconfiguration, m.severity)
            }
            Condition::InBaseImage(want) => {
                // A finding of the config or history as a whole (no layer) is the image's.
                let base = cx
                    .report
                    .artifact
                    .base_image
                    .as_ref()
                    .and_then(|b| b.holds(m.layer))
                    .unwrap_or(false);
                in_base_image(base, *want)
            }
            Condition::RuleIds(ids) => match ids.iter().find(|p| p.is_match(&m.id)) {
                Some(p) => Ok(format!("check {} ({})", m.id, p.text)),
                None => Err(format!("check {} is not one of those listed", m.id)),
            },
            Condition::Paths(paths) => {
                let path = m.path.as_deref().unwrap_or("config");
                let path = path.trim_start_matches('/');
                match paths.iter().find(|p| p.is_match(path)) {
                    Some(p) => Ok(format!("path {path} ({})", p.text)),
                    None => Err(format!("path {path} matches none of those listed")),
                }
            }
            _ => Err(format!(
                "{} judges vulnerabilities, not misconfigurations",
                self.key()
            )),
        }
    }

    fn check_malware(&self, m: &MalwareFinding) -> Verdict {
        match self {
            Condition::Kind(_) | Condition::Severity(_) | Condition::SeverityIn(_) => {
                self.check_common(Kind::Malware, m.severity)
            }
            Condition::Ids(ids) => match ids.iter().find(|p| p.is_match(&m.id)) {
                Some(p) => Ok(format!("malware {} ({})", m.id, p.text)),
                None => Err(format!("malware {} is not one of those listed", m.id)),
            },
            Condition::Paths(paths) => {
                let path = m.path.trim_start_matches('/');
                match paths.iter().find(|p| p.is_match(path)) {
                    Some(p) => Ok(format!("path {path} ({})", p.text)),
                    None => Err(format!("path {path} matches none of those listed")),
                }
            }
            _ => Err(format!("{} does not judge malware", self.key())),
        }
    }

    fn check_package(&self, p: &Package, purl: Option<&Purl>) -> Verdict {
        match self {
            Condition::Packages(l) => lists_verdict(
                "package",
                l,
                &p.name,
                |x| x.matches(&p.name, purl),
                |x| x.text(),
            ),
            Condition::Ecosystems(l) => lists_verdict(
                "ecosystem",
                l,
                &p.ecosystem,
                |x| {
                    x.is_match(&p.ecosystem)
                        || x.is_match(p.ecosystem.split(':').next().unwrap_or(""))
                },
                |x| &x.text,
            ),
            Condition::Licenses(deny) => match denied_license(p, deny) {
                Some(l) => Ok(format!("license {l} is denied")),
                None if p.licenses.is_empty() => Err("no license is declared".into()),
                None => Err(format!("licenses {} are not denied", p.licenses.join(", "))),
            },
            _ => unreachable!("not a package condition"),
        }
    }

    fn check_image(&self, cx: &Cx) -> Verdict {
        let a = &cx.report.artifact;
        match self {
            Condition::RunsAsRoot(want) => {
                let Some(c) = &a.config else {
                    return Err("not an image: whether it runs as root is unknown".into());
                };
                let root = is_root(&c.user);
                let user = if c.user.is_empty() {
                    "(empty)"
                } else {
                    c.user.as_str()
                };
                if root != *want {
                    return Err(format!(
                        "the image's user is {user}, {}root",
                        if root { "" } else { "not " }
                    ));
                }
                Ok(if root {
                    format!("runs as root (user {user})")
                } else {
                    format!("does not run as root (user {user})")
                })
            }
            Condition::CreatedMoreThanDays(n) => {
                let Some(age) = a.created.as_deref().and_then(|c| days_since(c, cx.today)) else {
                    return Err("the image has no creation time".into());
                };
                if age <= *n {
                    return Err(format!("created {age} days ago, not more than {n}"));
                }
                Ok(format!("created {age} days ago (more than {n})"))
            }
            Condition::LayersMoreThan(n) => {
                if a.layers.len() <= *n {
                    return Err(format!("{} layers, not more than {n}", a.layers.len()));
                }
                Ok(format!("{} layers (more than {n})", a.layers.len()))
            }
            _ => unreachable!("not an image condition"),
        }
    }

    /// The condition for people: `severity >= HIGH`, `fix available`.
    pub fn describe(&self) -> String {
        let yes_no = |b: bool, yes: &str, no: &str| if b { yes } else { no }.to_string();
        let texts = |v: &[Pattern]| {
            v.iter()
                .map(|x| x.text.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Condition::Kind(k) => format!("kind {}", kinds_text(k)),
            Condition::Severity(s) => format!("severity >= {s}"),
            Condition::SeverityIn(s) => format!(
                "severity in [{}]",
                s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
            ),
            Condition::Cvss(c) => format!("CVSS >= {c}"),
            Condition::Status(s) => format!(
                "status in [{}]",
                s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
            ),
            Condition::FixAvailable(b) => yes_no(*b, "fix available", "no fix available"),
            Condition::Kev(b) => yes_no(*b, "in CISA KEV", "not in CISA KEV"),
            Condition::Epss(e) => format!("EPSS >= {e}"),
            Condition::InBaseImage(b) => yes_no(*b, "in the base image", "not in the base image"),
            Condition::Removed(b) => yes_no(
                *b,
                "removed by a later layer",
                "not removed by a later layer",
            ),
            Condition::Slo(s) => {
                let days: Vec<String> = s
                    .days
                    .iter()
                    .rev()
                    .map(|(k, v)| format!("{k} {v}d"))
                    .collect();
                format!("fix older than the SLO ({})", days.join(", "))
            }
            Condition::RuleIds(l) => format!("rule id in [{}]", texts(l)),
            Condition::Paths(l) => format!("path in [{}]", texts(l)),
            Condition::Ids(l) => format!("malware id in [{}]", texts(l)),
            Condition::Packages(l) => lists_text(
                "package",
                &l.allow.iter().map(|x| x.text()).collect::<Vec<_>>(),
                &l.deny.iter().map(|x| x.text()).collect::<Vec<_>>(),
            ),
            Condition::Ecosystems(l) => lists_text(
                "ecosystem",
                &l.allow.iter().map(|x| x.text.as_str()).collect::<Vec<_>>(),
                &l.deny.iter().map(|x| x.text.as_str()).collect::<Vec<_>>(),
            ),
            Condition::Licenses(l) => format!("license in [{}]", texts(l)),
            Condition::RunsAsRoot(b) => {
                yes_no(*b, "image runs as root", "image does not run as root")
            }
            Condition::CreatedMoreThanDays(d) => format!("image created more than {d} days ago"),
            Condition::LayersMoreThan(n) => format!("image has more than {n} layers"),
        }
    }
}

/// `secret`, `vulnerability or secret`.
pub(super) fn kinds_text(kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// `secrets`, `vulnerabilities and secrets`.
pub(super) fn kinds_plural(kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|k| k.plural())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `package in [deny…] and package not in [allow…]` (each part when its list is given).
fn lists_text(what: &str, allow: &[&str], deny: &[&str]) -> String {
    let mut parts = Vec::new();
    if !deny.is_empty() {
        parts.push(format!("{what} in [{}]", deny.join(", ")));
    }
    if !allow.is_empty() {
        parts.push(format!("{what} not in [{}]", allow.join(", ")));
    }
    parts.join(" and ")
}

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

/// Where a finding stands against an SLO.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum SloState {
    /// A fix has been available longer than allowed.
    Breached { age: i64, days: i64 },
    /// The deadline is `left` days away, within the warning window.
    Due { age: i64, days: i64, left: i64 },
    /// Within the SLO, outside the warning window.
    Within { age: i64, days: i64 },
    /// The SLO does not judge it, and why.
    NotJudged(String),
}

pub(super) fn slo_state(slo: &Slo, f: &Finding, today: Date) -> SloState {
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
/// `in_base_image: WANT` of a finding that is (`base`) or is not in the base image.
fn in_base_image(base: bool, want: bool) -> Verdict {
    let text = if base {
        "in the base image"
    } else {
        "not in the base image"
    };
    if base == want {
        Ok(text.into())
    } else {
        Err(text.into())
    }
}
