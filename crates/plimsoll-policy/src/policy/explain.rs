//! Explaining a policy's decision on one finding (a vulnerability or a secret): every rule
//! in file order, fired, excused by an exception or skipped, each with its reasons
//! (`plimsoll explain` prints them).

use super::condition::{Item, Kind, Subject, kinds_plural};
use super::evaluate::{Cx, verdicts};
use super::schema::Policy;
use jiff::civil::Date;
use plimsoll_model::{Action, Finding, Report, SecretFinding};

impl Policy {
    /// Every rule's verdict on one finding, in file order: fired (with the conditions that
    /// held), excused by an exception, or skipped (with the first reason it did not apply).
    pub fn explain(&self, report: &Report, f: &Finding, today: Date) -> Vec<RuleTrace> {
        self.explain_item(report, Item::Finding(f), Kind::Vulnerability, today)
    }

    /// [`Policy::explain`] for one secret finding.
    pub fn explain_secret(
        &self,
        report: &Report,
        s: &SecretFinding,
        today: Date,
    ) -> Vec<RuleTrace> {
        self.explain_item(report, Item::Secret(s), Kind::Secret, today)
    }

    fn explain_item(&self, report: &Report, item: Item, kind: Kind, today: Date) -> Vec<RuleTrace> {
        let cx = Cx::new(report, today);
        let kind_name = kind.plural();
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
                let mut held = verdicts(rule.when.about(Subject::Image), Item::Image, &cx)?;
                match rule.when.judges() {
                    Subject::Finding => {
                        let kinds = rule.when.kinds();
                        if !kinds.contains(&kind) {
                            return Err(format!(
                                "judges {}, not {kind_name}",
                                kinds_plural(&kinds)
                            ));
                        }
                        // A removed package's finding is judged only by `removed: true`
                        // rules (evaluate.rs).
                        if let Item::Finding(f) = item
                            && f.removed_in_layer.is_some()
                            && !rule.when.judges_removed()
                        {
                            return Err("judges the final filesystem's vulnerabilities, not a removed package's (no removed: true)".into());
                        }
                    }
                    Subject::Package => {
                        return Err(format!("judges packages, not {kind_name}"));
                    }
                    Subject::Image => return Err(format!("judges the image, not {kind_name}")),
                }
                let rest = rule
                    .when
                    .conditions
                    .iter()
                    .filter(|c| c.subject() != Subject::Image);
                held.extend(verdicts(rest, item, &cx)?);
                Ok(held)
            })();
            match verdict {
                Ok(held) => {
                    t.reasons = held;
                    t.outcome = Outcome::Fired;
                    for (_, x) in self.bearing_exceptions(rule, &cx, item) {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn explain_tells_each_rules_verdict_on_a_secret() {
        let p = policy(
            "rules:
  - {name: vulns, action: block, when: {severity: HIGH}}
  - {name: secrets-high, action: block, when: {kind: secret, severity: HIGH}}
  - {name: cloud, action: alert, when: {rule_ids: ['gcp-*']}}
  - {name: root, action: alert, when: {image: {runs_as_root: true}}}
  - {name: app, action: block, when: {paths: ['app/**']}}
exceptions:
  - {secret: 'app/.env:aws-access-key-id:3', rules: [app], expires: 2027-01-01, justification: rotated}
",
        );
        let r = report_with_secrets();
        let t = p.explain_secret(&r, &r.secrets[0], date("2026-12-02"));
        assert_eq!(
            t.iter().map(|t| t.outcome).collect::<Vec<_>>(),
            [
                Outcome::Skipped,
                Outcome::Fired,
                Outcome::Skipped,
                Outcome::Skipped,
                Outcome::Excused
            ]
        );
        assert_eq!(t[0].reasons, ["judges vulnerabilities, not secrets"]);
        assert_eq!(t[1].reasons, ["a secret", "severity CRITICAL >= HIGH"]);
        assert_eq!(
            t[2].reasons,
            ["rule aws-access-key-id is not one of those listed"]
        );
        assert_eq!(t[3].reasons, ["judges the image, not secrets"]);
        assert_eq!(
            t[4].reasons,
            [
                "path app/.env (app/**)",
                "excused by the exception at p.yaml:8 until 2027-01-01: rotated"
            ]
        );
        // And a vulnerability is not judged by the secret rules.
        let t = p.explain(&r, &r.vulnerabilities[0], date("2026-12-02"));
        assert_eq!(t[1].reasons, ["judges secrets, not vulnerabilities"]);
        assert_eq!(t[2].reasons, ["judges secrets, not vulnerabilities"]);
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
