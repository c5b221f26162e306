//! Evaluating a policy over a report: every rule in order, each over the items it judges,
//! exceptions applied, and the gate's verdict with its reasons.

use super::condition::{Condition, Item, Kind, SloState, Subject, Verdict, slo_state};
use super::schema::{Exception, Policy, Rule, When};
use crate::purl::Purl;
use jiff::civil::Date;
use plimsoll_model::{
    Action, ExceptionUse, Finding, FindingRef, Gate, GateResult, Package, Report, SecretRef,
    Violation,
};
use std::collections::{BTreeMap, HashMap};

/// What the rules read about the scanned artifact, computed once per report.
pub(super) struct Cx<'a> {
    pub report: &'a Report,
    pub today: Date,
    /// The names a scope's image patterns are compared with: the reference as given, the
    /// fully qualified reference, and that without its tag or digest.
    pub names: Vec<String>,
    packages: HashMap<&'a str, (&'a Package, Option<Purl>)>,
}

impl<'a> Cx<'a> {
    pub fn new(report: &'a Report, today: Date) -> Cx<'a> {
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
        // Removed packages' ids never equal a final package's (plimsoll-catalog), so the
        // findings of `removed: true` rules find their package here too.
        let packages = report
            .packages
            .iter()
            .chain(&report.removed_packages)
            .map(|p| (p.id.as_str(), (p, Purl::parse(&p.purl).ok())))
            .collect();
        Cx {
            report,
            today,
            names,
            packages,
        }
    }

    pub fn package(&self, id: &str) -> Option<&(&'a Package, Option<Purl>)> {
        self.packages.get(id)
    }
}

/// Days from an RFC 3339 time (or date) to `today`; `None` when unreadable.
pub(super) fn days_since(when: &str, today: Date) -> Option<i64> {
    let date = crate::utc_date(when).ok()?;
    let span = date.until((jiff::Unit::Day, today)).ok()?;
    Some(i64::from(span.get_days()))
}

/// Checks `conditions` on `item` in order: what held, or the first reason one did not.
pub(super) fn verdicts<'c>(
    conditions: impl Iterator<Item = &'c Condition>,
    item: Item,
    cx: &Cx,
) -> Result<Vec<String>, String> {
    conditions.map(|c| c.check(item, cx)).collect()
}

/// A rule's conditions for people: `severity >= HIGH and fix available`.
pub(super) fn describe(w: &When) -> String {
    w.conditions
        .iter()
        .map(|c| c.describe())
        .collect::<Vec<_>>()
        .join(" and ")
}

impl Policy {
    pub(super) fn in_scope(&self, rule: &Rule, cx: &Cx) -> Verdict {
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

    /// The exceptions that bear on one item under one rule, in file order: every matching
    /// expired one (the report says it no longer applies) and the first matching one in
    /// force, which excuses the item. `evaluate` and `explain` both read them from here.
    pub(super) fn bearing_exceptions(
        &self,
        rule: &Rule,
        cx: &Cx,
        item: Item,
    ) -> Vec<(usize, &Exception)> {
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
        if x.about_secrets() != matches!(item, Item::Secret(_))
            && (x.about_secrets() || x.vulnerability.is_some() || x.package.is_some())
        {
            // Named a secret and this is not one, or named a vulnerability or package and
            // this is a secret.
            return false;
        }
        match item {
            Item::Secret(s) => {
                x.secret
                    .as_deref()
                    .is_none_or(|id| s.rule_id.eq_ignore_ascii_case(id) || s.fingerprint == id)
                    && x.path.as_ref().is_none_or(|p| {
                        s.path
                            .as_deref()
                            .is_some_and(|path| p.is_match(path.trim_start_matches('/')))
                    })
            }
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
                    secrets: Vec::new(),
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
                    Item::Secret(s) => {
                        if !u.secrets.iter().any(|r| r.fingerprint == s.fingerprint) {
                            u.secrets.push(SecretRef::of(s));
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
            let Ok(image_held) = verdicts(rule.when.about(Subject::Image), Item::Image, &cx) else {
                continue;
            };
            let mut v = Violation {
                rule: rule.name.clone(),
                at: self.at(rule.line),
                action: rule.action,
                condition: describe(&rule.when),
                findings: Vec::new(),
                packages: Vec::new(),
                secrets: Vec::new(),
                image: Vec::new(),
            };
            let judges = rule.when.judges();
            if judges == Subject::Finding {
                // The SLO is judged apart from the rule's other conditions, once per finding:
                // breached is a violation and due soon a warning, each when the others hold.
                let rest = || {
                    rule.when.conditions.iter().filter(|c| {
                        c.subject() != Subject::Image && !matches!(c, Condition::Slo(_))
                    })
                };
                let kinds = rule.when.kinds();
                let vulnerabilities: &[Finding] = if !kinds.contains(&Kind::Vulnerability) {
                    &[]
                } else if rule.when.judges_removed() {
                    &report.removed_vulnerabilities
                } else {
                    &report.vulnerabilities
                };
                if kinds.contains(&Kind::Secret) {
                    for s in &report.secrets {
                        if verdicts(rest(), Item::Secret(s), &cx).is_ok()
                            && !excuse(rule, Item::Secret(s), &mut uses)
                        {
                            v.secrets.push(SecretRef::of(s));
                        }
                    }
                }
                for f in vulnerabilities {
                    if verdicts(rest(), Item::Finding(f), &cx).is_err() {
                        continue;
                    }
                    let detail = match rule.when.slo().map(|s| slo_state(s, f, today)) {
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
            } else if judges == Subject::Package {
                for p in &report.packages {
                    let purl = cx.package(&p.id).and_then(|(_, u)| u.as_ref());
                    if verdicts(
                        rule.when.about(Subject::Package),
                        Item::Package(p, purl),
                        &cx,
                    )
                    .is_ok()
                        && !excuse(rule, Item::Package(p, purl), &mut uses)
                    {
                        v.packages.push(p.id.clone());
                    }
                }
            } else if !excuse(rule, Item::Image, &mut uses) {
                v.image = image_held;
            }
            if !v.findings.is_empty()
                || !v.secrets.is_empty()
                || !v.packages.is_empty()
                || !v.image.is_empty()
            {
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
    parts.extend(
        u.secrets
            .iter()
            .map(|s| format!("secret {}", s.fingerprint)),
    );
    if u.image {
        parts.push("the image".into());
    }
    parts.join(", ")
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
    what.extend(
        v.secrets
            .iter()
            .take(5)
            .map(|s| format!("{} secret {}", s.severity, s.fingerprint)),
    );
    if v.secrets.len() > 5 {
        what.push(format!("{} more", v.secrets.len() - 5));
    }
    what.extend(v.image.iter().cloned());
    let count = if !v.findings.is_empty() && !v.secrets.is_empty() {
        format!(
            "{} and {}",
            plural(v.findings.len(), "finding"),
            plural(v.secrets.len(), "secret")
        )
    } else if !v.findings.is_empty() {
        plural(v.findings.len(), "finding")
    } else if !v.secrets.is_empty() {
        plural(v.secrets.len(), "secret")
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
    use super::super::fixtures::*;
    use super::*;

    const KEY: &str = "app/.env:aws-access-key-id:3";
    const SSH: &str = "root/.ssh/id_rsa:private-key:1";
    const JWT: &str = "app/tests/fixtures/token.txt:jwt:2";
    const ENV: &str = "env:DB_PASSWORD:generic-password:0";

    #[test]
    fn secret_rules_block_serious_secrets_and_alert_on_the_rest() {
        let g = run_secrets(
            "rules:
  - {name: fixable-high, action: block, when: {severity: HIGH, fix_available: true}}
  - {name: secrets-high, action: block, when: {kind: secret, severity: HIGH}}
  - {name: secrets-other, action: alert, when: {kind: secret, severity: [MEDIUM, LOW, UNKNOWN]}}
",
            "2026-12-02",
        );
        // A rule without `kind` judges vulnerabilities, as before secrets.
        assert_eq!(hits(&g, "fixable-high"), ["CVE-2023-4863"]);
        assert_eq!(hits(&g, "secrets-high"), [KEY, SSH]);
        assert_eq!(hits(&g, "secrets-other"), [JWT, ENV]);
        assert_eq!(g.result, GateResult::Fail);
        let v = &g.violations[1];
        assert_eq!(v.condition, "kind secret and severity >= HIGH");
        assert_eq!(
            (v.secrets[0].rule_id.as_str(), v.secrets[0].severity),
            ("aws-access-key-id", plimsoll_model::Severity::Critical)
        );
        assert_eq!(
            g.reasons[2],
            "block rule secrets-high (p.yaml:3): kind secret and severity >= HIGH: 2 secrets: \
             CRITICAL secret app/.env:aws-access-key-id:3; HIGH secret root/.ssh/id_rsa:private-key:1"
        );
        assert!(
            !g.reasons.iter().any(|r| r.contains("AKIA")),
            "no value in the reasons, not even redacted"
        );
        // The alert rule alone passes the gate.
        let g = run_secrets(
            "rules:\n  - {name: s, action: alert, when: {kind: secret}}\n",
            "2026-12-02",
        );
        assert_eq!(g.result, GateResult::Pass);
        assert_eq!(hits(&g, "s"), [KEY, SSH, JWT, ENV]);
    }

    #[test]
    fn secret_conditions_on_rule_id_path_base_image_and_both_kinds() {
        let g = run_secrets(
            "rules:
  - {name: cloud, action: block, when: {rule_ids: ['aws-*', 'gcp-*']}}
  - {name: app, action: block, when: {paths: ['app/**'], severity: MEDIUM}}
  - {name: own, action: alert, when: {kind: secret, in_base_image: false}}
  - {name: all-high, action: block, when: {kind: [vulnerability, secret], severity: HIGH}}
  - {name: env, action: alert, when: {paths: ['DB_*']}}
",
            "2026-12-02",
        );
        // rule_ids and paths judge secrets without saying `kind`.
        assert_eq!(hits(&g, "cloud"), [KEY]);
        assert_eq!(hits(&g, "app"), [KEY, JWT]);
        // No base image told apart: every layer is the image's own.
        assert_eq!(hits(&g, "own"), [KEY, SSH, JWT, ENV]);
        assert_eq!(hits(&g, "all-high"), ["CVE-2023-4863", KEY, SSH]);
        assert!(
            g.reasons
                .iter()
                .any(|r| r.contains("all-high") && r.contains("1 finding and 2 secrets")),
            "{:?}",
            g.reasons
        );
        assert_eq!(hits(&g, "env"), [ENV], "an Env secret's path is its name");
    }

    #[test]
    fn exceptions_excuse_secrets_by_rule_id_fingerprint_or_path() {
        let rules = "rules:\n  - {name: secrets, action: block, when: {kind: secret}}\n";
        let with = |x: &str| run_secrets(&format!("{rules}exceptions:\n{x}"), "2026-12-02");
        let g = with(
            "  - {secret: JWT, expires: 2027-01-01, justification: fixture}
  - {secret: 'root/.ssh/id_rsa:private-key:1', expires: 2027-01-01, justification: 'build key, removed'}
  - {path: 'DB_*', rules: [secrets], expires: 2027-01-01, justification: dev database}
  - {vulnerability: CVE-2023-4863, expires: 2027-01-01, justification: not a secret}
",
        );
        assert_eq!(hits(&g, "secrets"), [KEY]);
        let excused: Vec<Vec<&str>> = g
            .exceptions
            .iter()
            .map(|u| u.secrets.iter().map(|s| s.fingerprint.as_str()).collect())
            .collect();
        assert_eq!(excused, [vec![JWT], vec![SSH], vec![ENV]]);
        assert!(
            g.warnings
                .iter()
                .any(|w| w.starts_with("p.yaml:7:") && w.contains("matches nothing")),
            "a vulnerability exception excuses no secret: {:?}",
            g.warnings
        );
        // An exception naming only rules excuses that rule's secrets; expired, it says so.
        let g = with("  - {rules: [secrets], expires: 2026-12-01, justification: old}\n");
        assert_eq!(hits(&g, "secrets"), [KEY, SSH, JWT, ENV]);
        assert!(
            g.warnings
                .iter()
                .any(|w| w.contains("expired on 2026-12-01")
                    && w.contains("secret app/.env:aws-access-key-id:3")),
            "{:?}",
            g.warnings
        );
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
    fn removed_findings_are_judged_only_by_rules_that_say_removed() {
        // --layers all: curl was installed in layer 1 and purged in layer 2; its CRITICAL
        // finding is in removed_vulnerabilities, and a secret sits in a deleted file.
        let mut r = report_with_secrets();
        let mut curl = package("curl", "Debian:12", "pkg:deb/debian/curl@1.0", &[]);
        curl.removed_in_layer = Some(2);
        r.removed_packages = vec![curl];
        let mut f = finding(
            "CVE-2023-38545",
            "curl",
            plimsoll_model::Severity::Critical,
            &["1.1"],
            "2023-10-11",
        );
        f.layer = Some(1);
        f.removed_in_layer = Some(2);
        r.removed_vulnerabilities = vec![f];
        r.secrets[1].deleted_in_layer = Some(3);
        let today = date("2026-12-02");
        let eval = |yaml: &str| policy(yaml).evaluate(&r, today);

        // Rules as they were: the removed finding counts nowhere.
        let g = eval("rules:\n  - {name: crit, action: block, when: {severity: CRITICAL}}\n");
        assert!(!hits(&g, "crit").contains(&"CVE-2023-38545".to_string()));

        let g = eval(
            "rules:
  - {name: removed, action: block, when: {removed: true, severity: HIGH, packages: {deny: [curl]}}}
  - {name: deleted-secrets, action: alert, when: {kind: secret, removed: true}}
  - {name: shipped-secrets, action: alert, when: {kind: secret, removed: false, severity: HIGH}}
",
        );
        assert_eq!(hits(&g, "removed"), ["CVE-2023-38545"]);
        assert_eq!(g.result, GateResult::Fail);
        assert_eq!(
            g.violations[0].condition,
            "severity >= HIGH and removed by a later layer and package in [curl]"
        );
        assert_eq!(hits(&g, "deleted-secrets"), [SSH]);
        assert_eq!(hits(&g, "shipped-secrets"), [KEY]);

        // Its exceptions excuse it as any other finding.
        let g = eval(
            "rules:
  - {name: removed, action: block, when: {removed: true}}
exceptions:
  - {vulnerability: CVE-2023-38545, justification: only in a layer blob, expires: 2027-01-01}
",
        );
        assert_eq!(g.result, GateResult::Pass, "{:?}", g.reasons);
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
}
