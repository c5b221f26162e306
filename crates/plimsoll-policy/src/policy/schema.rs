//! A policy as evaluated: rules with their conditions, and exceptions. The YAML the user
//! writes is read into these by [`super::parse`]; nothing here reads text.

use super::condition::{Condition, Kind, Subject};
use crate::purl::Purl;
use globset::GlobMatcher;
use jiff::civil::Date;
use plimsoll_model::{Action, Severity};
use std::collections::BTreeMap;

/// A parsed, validated policy file.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The file's name as the user gave it.
    pub file: String,
    pub(super) rules: Vec<Rule>,
    pub(super) exceptions: Vec<Exception>,
}

impl Policy {
    /// Rules in the file, in order.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub fn exception_count(&self) -> usize {
        self.exceptions.len()
    }

    /// `policy.yaml:12`: where a rule or exception is written.
    pub(super) fn at(&self, line: u64) -> String {
        format!("{}:{line}", self.file)
    }
}

#[derive(Debug, Clone)]
pub(super) struct Rule {
    pub name: String,
    pub line: u64,
    pub action: Action,
    pub scope: Scope,
    pub when: When,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Scope {
    pub images: Vec<Pattern>,
    pub labels: Vec<(String, Pattern)>,
}

/// A rule's conditions, in the order of [`Condition`]'s variants (the order they are
/// checked and described in). All of them have to hold.
#[derive(Debug, Clone, Default)]
pub(super) struct When {
    pub conditions: Vec<Condition>,
}

impl When {
    /// What the rule judges: findings when it has a finding condition, else packages when
    /// it has a package condition, else the image. Image conditions in a finding or
    /// package rule are a precondition.
    pub fn judges(&self) -> Subject {
        let has = |s: Subject| self.conditions.iter().any(|c| c.subject() == s);
        if has(Subject::Finding) {
            Subject::Finding
        } else if has(Subject::Package) {
            Subject::Package
        } else {
            Subject::Image
        }
    }

    /// The kinds of finding a finding rule judges: those its `kind` names, else secrets
    /// when a condition judges only secrets (`rule_ids`, `paths`), else vulnerabilities.
    pub fn kinds(&self) -> Vec<Kind> {
        if let Some(Condition::Kind(k)) = self.conditions.first() {
            return k.clone();
        }
        if self.conditions.iter().any(|c| c.kinds() == [Kind::Secret]) {
            vec![Kind::Secret]
        } else {
            vec![Kind::Vulnerability]
        }
    }

    /// The SLO condition, which evaluation judges apart from the others.
    /// `removed: true`: the rule judges the vulnerabilities of removed packages
    /// (`removed_vulnerabilities`) instead of the final filesystem's.
    pub fn judges_removed(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| matches!(c, Condition::Removed(true)))
    }

    pub fn slo(&self) -> Option<&Slo> {
        self.conditions.iter().find_map(|c| match c {
            Condition::Slo(s) => Some(s),
            _ => None,
        })
    }

    /// The conditions about `subject`, in order.
    pub fn about(&self, subject: Subject) -> impl Iterator<Item = &Condition> {
        self.conditions
            .iter()
            .filter(move |c| c.subject() == subject)
    }
}

/// A glob, kept with its text for messages.
#[derive(Debug, Clone)]
pub(super) struct Pattern {
    pub text: String,
    pub glob: GlobMatcher,
}

impl Pattern {
    pub fn is_match(&self, s: &str) -> bool {
        self.glob.is_match(s)
    }
}

/// A CVE SLO: days allowed per severity, counted from disclosure, for findings with a fix.
#[derive(Debug, Clone, Default)]
pub(super) struct Slo {
    pub days: BTreeMap<Severity, i64>,
    pub warn_within: i64,
}

#[derive(Debug, Clone)]
pub(super) struct Lists<T> {
    pub allow: Vec<T>,
    pub deny: Vec<T>,
}

/// A package named by a purl (`pkg:npm/event-stream`, version optional) or a name glob.
#[derive(Debug, Clone)]
pub(super) enum PackagePattern {
    Purl(String, Purl),
    Name(Pattern),
}

impl PackagePattern {
    pub fn text(&self) -> &str {
        match self {
            PackagePattern::Purl(t, _) => t,
            PackagePattern::Name(p) => &p.text,
        }
    }

    pub fn matches(&self, name: &str, purl: Option<&Purl>) -> bool {
        match self {
            PackagePattern::Purl(_, p) => purl.is_some_and(|t| p.matches(t)),
            PackagePattern::Name(g) => g.is_match(name),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Exception {
    pub line: u64,
    pub vulnerability: Option<String>,
    pub package: Option<PackagePattern>,
    /// A secret rule id (any case) or one secret's fingerprint.
    pub secret: Option<String>,
    /// A glob over a secret's path.
    pub path: Option<Pattern>,
    pub images: Vec<Pattern>,
    pub rules: Vec<String>,
    pub expires: Date,
    pub justification: String,
}

impl Exception {
    /// Whether it names secrets (and so excuses nothing else).
    pub fn about_secrets(&self) -> bool {
        self.secret.is_some() || self.path.is_some()
    }

    pub fn expired(&self, today: Date) -> bool {
        self.expires <= today
    }
}
