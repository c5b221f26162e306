//! The `--secret-config` file: YAML that extends the built-in rules, gitleaks-style.
//!
//! ```yaml
//! disable-rules: [generic-secret]          # rule ids or built-in allow rule ids
//! rules:                                    # custom rules, added to the built-in ones
//!   - id: acme-api-key
//!     title: ACME API key
//!     severity: HIGH
//!     keywords: [acme_]
//!     regex: '\bacme_[a-z0-9]{32}\b'
//!     secret-group: 1                       # optional: number or name
//!     entropy: 3.5                          # optional floor, bits per character
//!     path: '\.env$'                        # optional: only paths matching it
//! allow-rules:
//!   - id: fixtures
//!     description: our test fixtures
//!     path: '^srv/app/tests/'              # any of path, regex, fingerprint;
//!     regex: 'acme_test_'                   #   all that are given must hold
//!     fingerprint: 'srv/app/.env:acme-api-key:3'
//! ```
//!
//! Every key is checked: an unknown key, a bad regex, an unknown rule id in
//! `disable-rules` or a duplicate id is an error naming the file and the line.

use crate::rules::Check;
use crate::{AllowSpec, RuleSpec, Scanner, compile};
use plimsoll_model::Severity;
use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    disable_rules: Vec<Spanned<String>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    allow_rules: Vec<Spanned<RawAllow>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    id: String,
    title: String,
    severity: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    regex: Spanned<String>,
    #[serde(default)]
    secret_group: Option<SecretGroup>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    path: Option<Spanned<String>>,
    #[serde(default)]
    binary: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SecretGroup {
    Index(u32),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAllow {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    path: Option<Spanned<String>>,
    #[serde(default)]
    regex: Option<Spanned<String>>,
    #[serde(default)]
    fingerprint: Option<String>,
}

fn at(name: &str, loc: &serde_saphyr::Location, message: impl std::fmt::Display) -> String {
    format!("{name}:{}:{}: {message}", loc.line(), loc.column())
}

/// serde-saphyr's first line without its `error: line L column C: ` (the rest of its
/// rendering is a snippet of the file), after `name:L:C: `.
fn yaml_error(name: &str, e: &serde_saphyr::Error) -> String {
    let msg = e.to_string();
    let msg = msg.lines().next().unwrap_or("invalid YAML");
    let msg = msg.strip_prefix("error: ").unwrap_or(msg);
    let msg = match msg.strip_prefix("line ") {
        Some(rest) if rest.contains(" column ") => {
            rest.split_once(": ").map_or(msg, |(_, after)| after)
        }
        _ => msg,
    };
    match e.location() {
        Some(l) => format!("{name}:{}:{}: {msg}", l.line(), l.column()),
        None => format!("{name}: {msg}"),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

pub(crate) fn load(name: &str, yaml: &str) -> Result<Scanner, String> {
    let raw: RawConfig = serde_saphyr::from_str(yaml).map_err(|e| yaml_error(name, &e))?;
    let (mut rules, mut allows) = crate::builtin_parts();
    let known: Vec<String> = rules
        .iter()
        .map(|r| r.id.clone())
        .chain(allows.iter().map(|a| a.id.clone()))
        .collect();
    let mut disabled = Vec::new();
    for d in &raw.disable_rules {
        if !known.contains(&d.value) {
            return Err(at(
                name,
                &d.referenced,
                format!("disable-rules: no built-in rule {:?}", d.value),
            ));
        }
        disabled.push(d.value.clone());
    }
    for r in raw.rules {
        let loc = r.referenced;
        let r = r.value;
        if !valid_id(&r.id) {
            return Err(at(
                name,
                &loc,
                format!("rule id {:?}: use lowercase letters, digits and '-'", r.id),
            ));
        }
        if let Some(i) = rules.iter().position(|x| x.id == r.id) {
            // A built-in rule may be replaced only once it is disabled.
            if i >= crate::rules::BUILTIN.len() || !disabled.contains(&r.id) {
                return Err(at(
                    name,
                    &loc,
                    format!(
                        "rule {:?} is already defined (to replace a built-in rule, list it in disable-rules)",
                        r.id
                    ),
                ));
            }
            rules.remove(i);
            disabled.retain(|d| *d != r.id);
        }
        let severity: Severity = r
            .severity
            .parse()
            .map_err(|e| at(name, &loc, format!("rule {}: {e}", r.id)))?;
        compile(&r.regex.value)
            .map_err(|e| at(name, &r.regex.referenced, format!("rule {}: {e}", r.id)))?;
        if let Some(p) = &r.path {
            compile(&p.value)
                .map_err(|e| at(name, &p.referenced, format!("rule {}: path: {e}", r.id)))?;
        }
        if r.keywords.is_empty() && r.path.is_none() {
            return Err(at(
                name,
                &loc,
                format!(
                    "rule {}: give keywords (the prefilter), or a path to run on every window of",
                    r.id
                ),
            ));
        }
        if r.keywords.iter().any(|k| k.trim().is_empty()) {
            return Err(at(name, &loc, format!("rule {}: empty keyword", r.id)));
        }
        let entropy = r.entropy.unwrap_or(0.0);
        if !(0.0..=8.0).contains(&entropy) {
            return Err(at(
                name,
                &loc,
                format!("rule {}: entropy must be between 0 and 8", r.id),
            ));
        }
        let spec = RuleSpec {
            id: r.id.clone(),
            title: r.title,
            category: r.category.unwrap_or_else(|| "Custom".into()),
            severity,
            keywords: r.keywords,
            regex: r.regex.value,
            secret_group: r.secret_group.map(|g| match g {
                SecretGroup::Index(i) => i.to_string(),
                SecretGroup::Name(n) => n,
            }),
            entropy,
            path: r.path.map(|p| p.value),
            not_path: None,
            allow: Vec::new(),
            check: Check::None,
            priority: 3,
            binary: r.binary,
            line_local: false,
        };
        // What is left to check (e.g. a secret-group the regex lacks) is reported at the rule.
        spec.clone()
            .compile()
            .map_err(|e| at(name, &loc, format!("rule {}: {e}", r.id)))?;
        rules.push(spec);
    }
    for a in raw.allow_rules {
        let loc = a.referenced;
        let a = a.value;
        if !valid_id(&a.id) {
            return Err(at(
                name,
                &loc,
                format!(
                    "allow rule id {:?}: use lowercase letters, digits and '-'",
                    a.id
                ),
            ));
        }
        if allows.iter().any(|x| x.id == a.id) {
            return Err(at(
                name,
                &loc,
                format!("allow rule {:?} is already defined", a.id),
            ));
        }
        if a.path.is_none() && a.regex.is_none() && a.fingerprint.is_none() {
            return Err(at(
                name,
                &loc,
                format!("allow rule {}: give a path, a regex or a fingerprint", a.id),
            ));
        }
        for (what, v) in [("path", &a.path), ("regex", &a.regex)] {
            if let Some(v) = v {
                compile(&v.value).map_err(|e| {
                    at(
                        name,
                        &v.referenced,
                        format!("allow rule {}: {what}: {e}", a.id),
                    )
                })?;
            }
        }
        if let Some(f) = &a.fingerprint {
            if !valid_fingerprint(f) {
                return Err(at(
                    name,
                    &loc,
                    format!(
                        "allow rule {}: fingerprint {f:?} is not path:rule-id:line",
                        a.id
                    ),
                ));
            }
        }
        allows.push(AllowSpec {
            id: a.id,
            description: a.description,
            path: a.path.map(|p| p.value),
            regex: a.regex.map(|r| r.value),
            fingerprint: a.fingerprint,
        });
    }
    Scanner::build(rules, allows, &disabled).map_err(|e| format!("{name}: {e}"))
}

/// `path:rule-id:line`: split from the right, since a path may hold `:`.
fn valid_fingerprint(f: &str) -> bool {
    let mut parts = f.rsplitn(3, ':');
    let line = parts.next().unwrap_or("");
    let id = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("");
    !path.is_empty() && valid_id(id) && line.parse::<u64>().is_ok_and(|l| l > 0)
}
