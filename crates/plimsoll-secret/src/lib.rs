//! Secret detection: built-in rules, the `--secret-config` file, and a streaming scanner.
//!
//! This crate owns the rules and the matching; it does no image I/O. The engine hands it one
//! file's bytes at a time as they stream out of a layer ([`Scanner::scan_reader`]) and the
//! short texts of an image config ([`Scanner::scan_text`]), and stores the [`Hit`]s in the
//! layer cache. A `Hit` never holds a secret: only the rule id, the line and a redacted
//! prefix ([`redact`]).
//!
//! How a file is scanned, and why it stays cheap:
//! - The bytes are read in windows of [`CHUNK`] bytes plus an [`OVERLAP`] carried over from
//!   the previous window, so memory is bounded whatever the file size. A match is reported
//!   by the window in which it *starts* before the overlap (the last window reports
//!   everything), so a secret that straddles two windows is found once. The overlap is longer
//!   than the longest secret a rule looks for (a PEM key body is bounded by it).
//! - One Aho-Corasick automaton holds every rule's keywords (ASCII case-insensitive). A
//!   window without any keyword costs that one pass plus a newline count; a rule's regex
//!   runs only on windows holding one of its keywords.
//! - Regexes are `regex::bytes` with Unicode off, bounded repetitions and a size limit; the
//!   private-key matcher finds `-----END` with one forward search per window (cached), so
//!   thousands of `BEGIN` lines without an end stay linear.
//! - Content with a NUL byte in its first 8 KiB is binary and skipped, unless a rule asks
//!   for binaries (a custom rule with `binary: true`).
//!
//! Rules, allow rules and the config format are documented in docs/secrets.md.

mod config;
mod rules;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use base64::Engine as _;
use plimsoll_model::Severity;
use regex::bytes::{Regex, RegexBuilder};
use rules::{Check, Def};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;

/// New bytes per window.
pub const CHUNK: usize = 256 * 1024;
/// Bytes carried from one window to the next: a match must start before the overlap of a
/// window to be reported there, so no secret may be longer than this.
pub const OVERLAP: usize = 16 * 1024;
/// How far into the content a NUL byte marks it as binary.
pub const BINARY_SNIFF: usize = 8 * 1024;
/// How far from a keyword, on its line, a line-local rule looks for its match.
const LINE_SPAN: usize = 4096;
/// The longest PEM key body looked for (header to `-----END`).
const MAX_KEY: usize = OVERLAP - 512;
/// Compiled size limit of one regex (custom rules included).
const REGEX_SIZE_LIMIT: usize = 2 * 1024 * 1024;
/// Bumped whenever matching changes in a way the rule text does not show (the layer cache
/// keys on [`Scanner::fingerprint`]).
const ENGINE_VERSION: &str = "plimsoll-secret/1";

/// What a scan reports about a rule (SARIF, tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// The service or kind: `AWS`, `GitHub`, `AsymmetricPrivateKey`, `Generic`…
    pub category: String,
}

/// One secret found. It holds no secret: only where, which rule, and a redacted prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub rule_id: String,
    /// 1-based line of the secret (of the `BEGIN` line for a private key).
    pub line: u64,
    /// [`redact`] of the secret.
    pub redacted: String,
}

impl Hit {
    /// The finding's fingerprint for allow rules: `path:rule-id:line`, the path as the
    /// scan names it, without a leading `/` (e.g. `app/.env:aws-access-key-id:3`).
    pub fn fingerprint(&self, path: &str) -> String {
        format!(
            "{}:{}:{}",
            path.trim_start_matches('/'),
            self.rule_id,
            self.line
        )
    }
}

/// The outcome of [`Scanner::scan_stream`]: hits plus what the scan did not look at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileScan {
    pub hits: Vec<Hit>,
    /// Bytes read.
    pub bytes: u64,
    /// The size limit stopped the scan before the end of the content.
    pub truncated: bool,
    /// The content is binary and no rule asks for binaries: nothing was matched.
    pub binary: bool,
}

/// A short prefix of `secret` then `****`: at most 4 characters, fewer for short secrets
/// (20+ characters: 4; 12+: 3; 8+: 2; 4+: 1; shorter: none), and only the printable
/// ASCII characters it starts with.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = match n {
        20.. => 4,
        12.. => 3,
        8.. => 2,
        4.. => 1,
        _ => 0,
    };
    // Printable ASCII only: a match can start at a line break or a quote (a PEM body in a
    // source string), and a raw control character must never reach an output.
    let mut out: String = secret
        .chars()
        .take(keep)
        .take_while(char::is_ascii_graphic)
        .collect();
    out.push_str("****");
    out
}

/// A compiled rule.
struct Rule {
    info: RuleInfo,
    /// None for rules only another rule's check reports (openssh, pgp, encrypted keys).
    regex: Option<Regex>,
    keywords: Vec<String>,
    secret_groups: Vec<usize>,
    name_group: Option<usize>,
    entropy: f64,
    path: Option<Regex>,
    not_path: Option<Regex>,
    allow: Vec<Regex>,
    check: Check,
    priority: u8,
    binary: bool,
    /// The regex runs only on the lines holding a keyword, not on the whole window.
    line_local: bool,
    enabled: bool,
}

/// An allow rule: a finding is dropped when every condition it has holds.
struct Allow {
    id: String,
    path: Option<Regex>,
    regex: Option<Regex>,
    /// The regex is tried on the secret only, not on the context matched around it.
    secret_only: bool,
    fingerprint: Option<String>,
    enabled: bool,
}

/// Compiled rules and one keyword prefilter.
struct Compiled {
    rules: Vec<Rule>,
    allows: Vec<Allow>,
    ac: Option<AhoCorasick>,
    /// Keyword pattern index → the rules it triggers.
    keyword_rules: Vec<Vec<usize>>,
    /// Enabled rules with a regex and no keyword (path-restricted).
    always: Vec<usize>,
    /// Known-binary file names (not scanned unless a binary rule's path matches).
    binary_ext: Regex,
    generic_name_not_secret: Regex,
    pem_end: Regex,
    pem_wanted: bool,
}

/// The secret rules and one keyword prefilter. `Send + Sync`: share one across threads.
///
/// The rules' regexes are compiled on first use, not when the scanner is made: a scan
/// whose layers all come from the layer cache needs only [`Scanner::fingerprint`] (and
/// [`Scanner::scan_text`] on a few short texts, which compiles nothing when none of the
/// rules' keywords is in them). Compiling every built-in rule costs about 40 ms and 16 MB.
pub struct Scanner {
    fingerprint: String,
    /// Lower-case keywords of every rule that runs; `None` when a rule runs on any path
    /// without one.
    keywords: Option<Vec<String>>,
    /// The paths of the rules that run without a keyword (`.pgpass`): a text whose path
    /// matches one is scanned whatever its words.
    keywordless_paths: Vec<Regex>,
    specs: (Vec<RuleSpec>, Vec<AllowSpec>, Vec<String>),
    compiled: std::sync::OnceLock<Compiled>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field(
                "rules",
                &self
                    .specs
                    .0
                    .iter()
                    .filter(|r| !self.specs.2.contains(&r.id))
                    .count(),
            )
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

const PEM_KINDS: [&str; 4] = [
    "private-key",
    "openssh-private-key",
    "pgp-private-key",
    "encrypted-private-key",
];

/// Whether rule or allow rule `id` is on (not in `disable-rules`).
fn enabled(disabled: &[String], id: &str) -> bool {
    !disabled.iter().any(|d| d == id)
}

/// The private-key matcher runs while any key kind it reports is enabled.
fn pem_wanted(rules: &[RuleSpec], disabled: &[String]) -> bool {
    rules
        .iter()
        .any(|r| enabled(disabled, &r.id) && PEM_KINDS.contains(&r.id.as_str()))
}

/// The fingerprint of a rule set (see [`Scanner::fingerprint`]), from the rules' text.
fn fingerprint_of(rules: &[RuleSpec], allows: &[AllowSpec], disabled: &[String]) -> String {
    let enabled = |id: &str| enabled(disabled, id);
    let pem_wanted = pem_wanted(rules, disabled);
    let mut h = Sha256::new();
    h.update(ENGINE_VERSION.as_bytes());
    h.update(format!("\0{CHUNK}\0{OVERLAP}\0{BINARY_SNIFF}\0{MAX_KEY}\0").as_bytes());
    for r in rules {
        let on = enabled(&r.id);
        if on || (r.check == Check::PemKey && pem_wanted) {
            h.update(r.canonical().as_bytes());
            h.update(format!("\0{on}\n").as_bytes());
        }
    }
    for a in allows.iter().filter(|a| enabled(&a.id)) {
        h.update(a.canonical().as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Scanner {
    /// The built-in rules and allow rules (compiled on first use).
    pub fn builtin() -> Scanner {
        Scanner::lazy(builtin_specs(), builtin_allow_specs(), Vec::new())
    }

    /// The built-in rules extended by a `--secret-config` YAML file (`name` is the file's
    /// name for error messages): `disable-rules`, `rules`, `allow-rules`. Compiled now, so
    /// that a bad regex is an error of the file.
    pub fn from_config(name: &str, yaml: &str) -> Result<Scanner, String> {
        config::load(name, yaml)
    }

    fn lazy(rules: Vec<RuleSpec>, allows: Vec<AllowSpec>, disabled: Vec<String>) -> Scanner {
        let enabled = |id: &str| enabled(&disabled, id);
        let pem_wanted = pem_wanted(&rules, &disabled);
        let mut keywords = Some(Vec::new());
        let mut keywordless_paths = Vec::new();
        for r in &rules {
            let runs =
                !r.regex.is_empty() && (enabled(&r.id) || (r.check == Check::PemKey && pem_wanted));
            if !runs {
                continue;
            }
            if r.keywords.is_empty() {
                match r.path.as_deref().map(compile) {
                    Some(Ok(re)) => keywordless_paths.push(re),
                    _ => keywords = None,
                }
            }
            if let Some(k) = keywords.as_mut() {
                k.extend(r.keywords.iter().map(|w| w.to_ascii_lowercase()));
            }
        }
        Scanner {
            fingerprint: fingerprint_of(&rules, &allows, &disabled),
            keywords,
            keywordless_paths,
            specs: (rules, allows, disabled),
            compiled: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn build(
        rules: Vec<RuleSpec>,
        allows: Vec<AllowSpec>,
        disabled: &[String],
    ) -> Result<Scanner, String> {
        let s = Scanner::lazy(rules, allows, disabled.to_vec());
        let c = Compiled::build(s.specs.0.clone(), s.specs.1.clone(), disabled)?;
        let _ = s.compiled.set(c);
        Ok(s)
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            Compiled::build(self.specs.0.clone(), self.specs.1.clone(), &self.specs.2)
                .expect("secret rules compile (checked when they were read)")
        })
    }

    /// Hex SHA-256 of the effective rule set (rules, keywords, entropy floors, allow rules,
    /// window sizes and the engine version): cached hits are reused only under the same value.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// Whether `path` is worth reading: false for allow-listed paths (an allow rule with
    /// only a path), for known binary and media files and `.git` objects (unless a rule asks
    /// for binaries there), and when no enabled rule applies to it.
    pub fn wants_path(&self, path: &str) -> bool {
        self.compiled().wants_path(path)
    }

    /// Every enabled rule (for SARIF's rule list), in a stable order.
    pub fn rules(&self) -> impl Iterator<Item = &RuleInfo> {
        self.compiled().rules()
    }

    /// An enabled rule by id.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.compiled().rule(id)
    }

    /// Scans one file's content as it streams (see the module docs); `max_size` bounds the
    /// bytes read. The hits are ordered by line.
    pub fn scan_reader(
        &self,
        path: &str,
        reader: &mut dyn Read,
        max_size: u64,
    ) -> std::io::Result<Vec<Hit>> {
        self.scan_stream(path, reader, max_size).map(|s| s.hits)
    }

    /// [`Scanner::scan_reader`] with what was skipped: the size limit reached (`truncated`)
    /// or binary content (`binary`).
    pub fn scan_stream(
        &self,
        path: &str,
        reader: &mut dyn Read,
        max_size: u64,
    ) -> std::io::Result<FileScan> {
        self.compiled().scan_stream(path, reader, max_size)
    }

    /// Scans a short text that is not a file: an Env entry `NAME=value`, a label `k=v`, a
    /// history `created_by`. `path` names it for path rules and allow rules
    /// (`config:Env`, `config:Labels`, `history:3`); `config:`, `history:`, `env:` and
    /// `label:` paths count as configuration for the generic rule. A text holding none of
    /// the rules' keywords is passed over without compiling the rules.
    pub fn scan_text(&self, path: &str, text: &str) -> Vec<Hit> {
        if let Some(keywords) = &self.keywords
            && self.compiled.get().is_none()
            && !self
                .keywordless_paths
                .iter()
                .any(|r| r.is_match(path.as_bytes()))
        {
            let lower = text.to_ascii_lowercase();
            if !keywords.iter().any(|k| lower.contains(k.as_str())) {
                return Vec::new();
            }
        }
        self.compiled().scan_text(path, text)
    }
}

pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > 8192 {
        return Err(format!(
            "regex is {} characters long (at most 8192)",
            pattern.len()
        ));
    }
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(4 * REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            // regex's message quotes the pattern over several lines: keep its last line.
            let m = e.to_string();
            let last = m.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            format!("bad regex {pattern:?}: {}", last.trim())
        })
}

/// A rule before compilation: built in or from a config file.
#[derive(Clone)]
pub(crate) struct RuleSpec {
    pub id: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    pub keywords: Vec<String>,
    pub regex: String,
    pub secret_group: Option<String>,
    pub entropy: f64,
    pub path: Option<String>,
    pub not_path: Option<String>,
    pub allow: Vec<String>,
    pub check: Check,
    pub priority: u8,
    pub binary: bool,
    pub line_local: bool,
}

#[derive(Clone)]
pub(crate) struct AllowSpec {
    pub id: String,
    pub description: String,
    pub path: Option<String>,
    pub regex: Option<String>,
    pub secret_only: bool,
    pub fingerprint: Option<String>,
}

impl RuleSpec {
    fn from_def(d: &Def) -> RuleSpec {
        RuleSpec {
            id: d.id.into(),
            title: d.title.into(),
            category: d.category.into(),
            severity: d.severity,
            keywords: d.keywords.iter().map(|k| k.to_string()).collect(),
            regex: d.regex.into(),
            secret_group: None,
            entropy: d.entropy,
            path: d.path.map(str::to_string),
            not_path: d.not_path.map(str::to_string),
            allow: d.allow.iter().map(|a| a.to_string()).collect(),
            check: d.check,
            priority: d.priority,
            binary: false,
            line_local: !d.multiline,
        }
    }

    /// The rule as text, for the fingerprint.
    fn canonical(&self) -> String {
        let keywords_text = format!("{:?}", self.keywords);
        format!(
            "rule\0{}\0{}\0{}\0{}\0{:?}\0{}\0{:?}\0{}\0{:?}\0{:?}\0{:?}\0{:?}\0{}\0{}\0{}",
            self.id,
            self.title,
            self.category,
            self.severity,
            keywords_text,
            self.regex,
            self.secret_group,
            self.entropy,
            self.path,
            self.not_path,
            self.allow,
            self.check,
            self.priority,
            self.binary,
            self.line_local
        )
    }

    fn compile(self) -> Result<Rule, String> {
        let regex = if self.regex.is_empty() {
            None
        } else {
            Some(compile(&self.regex)?)
        };
        let mut secret_groups = Vec::new();
        let mut name_group = None;
        if let Some(re) = &regex {
            let names: Vec<Option<&str>> = re.capture_names().collect();
            let index = |n: &str| names.iter().position(|x| *x == Some(n));
            match &self.secret_group {
                Some(g) => {
                    let i = match g.parse::<usize>() {
                        Ok(i) if i < names.len() => Some(i),
                        Ok(_) => None,
                        Err(_) => index(g),
                    };
                    secret_groups.push(i.ok_or_else(|| {
                        format!("secret-group {g:?} is not a group of the regex")
                    })?);
                }
                None => {
                    for n in ["secret", "secret2"] {
                        if let Some(i) = index(n) {
                            secret_groups.push(i);
                        }
                    }
                    if secret_groups.is_empty() {
                        secret_groups.push(usize::from(names.len() > 1));
                    }
                }
            }
            name_group = index("name");
        }
        let opt = |p: &Option<String>| p.as_deref().map(compile).transpose();
        let path = opt(&self.path).map_err(|e| format!("path: {e}"))?;
        let not_path = opt(&self.not_path)?;
        let allow = self
            .allow
            .iter()
            .map(|a| compile(a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rule {
            info: RuleInfo {
                id: self.id,
                title: self.title,
                severity: self.severity,
                category: self.category,
            },
            regex,
            keywords: self.keywords,
            secret_groups,
            name_group,
            entropy: self.entropy,
            path,
            not_path,
            allow,
            check: self.check,
            priority: self.priority,
            binary: self.binary,
            line_local: self.line_local,
            enabled: true,
        })
    }
}

impl AllowSpec {
    fn canonical(&self) -> String {
        format!(
            "allow\0{}\0{}\0{:?}\0{:?}\0{}\0{:?}",
            self.id, self.description, self.path, self.regex, self.secret_only, self.fingerprint
        )
    }

    fn compile(self) -> Result<Allow, String> {
        let path = self
            .path
            .as_deref()
            .map(compile)
            .transpose()
            .map_err(|e| format!("path: {e}"))?;
        let regex = self.regex.as_deref().map(compile).transpose()?;
        Ok(Allow {
            id: self.id,
            path,
            regex,
            secret_only: self.secret_only,
            fingerprint: self
                .fingerprint
                .map(|f| f.trim_start_matches('/').to_string()),
            enabled: true,
        })
    }
}

/// A match before it becomes a [`Hit`].
struct Cand {
    rule: usize,
    /// Offsets in the window.
    secret: (usize, usize),
    matched: (usize, usize),
    /// Offset whose line is reported.
    line_at: usize,
}

impl Compiled {
    fn build(
        rules: Vec<RuleSpec>,
        allows: Vec<AllowSpec>,
        disabled: &[String],
    ) -> Result<Compiled, String> {
        let pem_wanted = pem_wanted(&rules, disabled);
        let mut compiled = Vec::with_capacity(rules.len());
        for r in rules {
            let id = r.id.clone();
            let mut c = r.compile().map_err(|e| format!("rule {id}: {e}"))?;
            c.enabled = enabled(disabled, &c.info.id);
            compiled.push(c);
        }
        let mut allow_rules = Vec::with_capacity(allows.len());
        for a in allows {
            let id = a.id.clone();
            let mut c = a.compile().map_err(|e| format!("allow rule {id}: {e}"))?;
            c.enabled = enabled(disabled, &c.id);
            allow_rules.push(c);
        }

        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, r) in compiled.iter().enumerate() {
            let runs = r.regex.is_some() && (r.enabled || (r.check == Check::PemKey && pem_wanted));
            if !runs {
                continue;
            }
            if r.keywords.is_empty() {
                always.push(i);
            }
            for k in &r.keywords {
                let k = k.to_ascii_lowercase();
                match keywords.iter().position(|x| *x == k) {
                    Some(p) => keyword_rules[p].push(i),
                    None => {
                        keywords.push(k);
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let ac = if keywords.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&keywords)
                    .or_else(|_| {
                        AhoCorasickBuilder::new()
                            .ascii_case_insensitive(true)
                            .match_kind(MatchKind::Standard)
                            .build(&keywords)
                    })
                    .map_err(|e| format!("keywords: {e}"))?,
            )
        };
        Ok(Compiled {
            rules: compiled,
            allows: allow_rules,
            ac,
            keyword_rules,
            always,
            binary_ext: compile(BINARY_PATHS).expect("binary path regex"),
            generic_name_not_secret: compile(rules::GENERIC_NAME_NOT_SECRET)
                .expect("generic name regex"),
            pem_end: compile("-----END[ A-Z0-9_-]{0,40}PRIVATE KEY").expect("pem end regex"),
            pem_wanted,
        })
    }

    /// See [`Scanner::wants_path`].
    fn wants_path(&self, path: &str) -> bool {
        let p = path.as_bytes();
        if self.allows.iter().any(|a| {
            a.enabled
                && a.regex.is_none()
                && a.fingerprint.is_none()
                && a.path.as_ref().is_some_and(|r| r.is_match(p))
        }) {
            return false;
        }
        let binary = self.binary_ext.is_match(p);
        self.rules
            .iter()
            .any(|r| self.runs(r) && (!binary || r.binary) && r.applies(p))
    }

    /// Whether a rule's regex runs: it is enabled, or it is the private-key matcher and a
    /// key kind it reports is enabled.
    fn runs(&self, r: &Rule) -> bool {
        r.regex.is_some() && (r.enabled || (r.check == Check::PemKey && self.pem_wanted))
    }

    fn rules(&self) -> impl Iterator<Item = &RuleInfo> {
        self.rules.iter().filter(|r| r.enabled).map(|r| &r.info)
    }

    fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules
            .iter()
            .find(|r| r.enabled && r.info.id == id)
            .map(|r| &r.info)
    }

    fn scan_stream(
        &self,
        path: &str,
        reader: &mut dyn Read,
        max_size: u64,
    ) -> std::io::Result<FileScan> {
        self.scan_inner(path, reader, max_size, true)
    }

    /// See [`Scanner::scan_text`].
    fn scan_text(&self, path: &str, text: &str) -> Vec<Hit> {
        let mut bytes = text.as_bytes();
        self.scan_inner(path, &mut bytes, text.len() as u64, false)
            .map(|s| s.hits)
            .unwrap_or_default()
    }

    fn scan_inner(
        &self,
        path: &str,
        reader: &mut dyn Read,
        max_size: u64,
        sniff: bool,
    ) -> std::io::Result<FileScan> {
        let p = path.as_bytes();
        let mut out = FileScan::default();
        // Rules that apply to this path; the allow rules that can apply to it.
        let applies: Vec<bool> = self
            .rules
            .iter()
            .map(|r| self.runs(r) && r.applies(p))
            .collect();
        if !applies.iter().any(|a| *a) {
            return Ok(out);
        }
        let allows: Vec<&Allow> = self
            .allows
            .iter()
            .filter(|a| a.enabled && a.path.as_ref().is_none_or(|r| r.is_match(p)))
            .collect();
        if allows
            .iter()
            .any(|a| a.regex.is_none() && a.fingerprint.is_none())
        {
            return Ok(out);
        }
        let mut binary_only = false;
        let mut buf: Vec<u8> = Vec::new();
        let mut base_line: u64 = 1;
        let mut first = true;
        let mut triggered = vec![false; self.rules.len()];
        loop {
            // Fill the window: up to CHUNK + OVERLAP bytes, within max_size.
            let room = (CHUNK + OVERLAP - buf.len()) as u64;
            let want = room.min(max_size - out.bytes);
            let got = reader.take(want).read_to_end(&mut buf)? as u64;
            out.bytes += got;
            let eof = got < want;
            let limit = !eof && out.bytes >= max_size;
            let last = eof || limit;
            if limit {
                out.truncated = true;
            }
            if first {
                first = false;
                if sniff && buf[..buf.len().min(BINARY_SNIFF)].contains(&0) {
                    out.binary = true;
                    if !self
                        .rules
                        .iter()
                        .zip(&applies)
                        .any(|(r, a)| *a && r.enabled && r.binary)
                    {
                        return Ok(out);
                    }
                    binary_only = true;
                }
            }
            let report_end = if last {
                buf.len()
            } else {
                buf.len().saturating_sub(OVERLAP)
            };
            let cands = self.scan_window(&buf, report_end, &applies, binary_only, &mut triggered);
            if !cands.is_empty() {
                self.emit(path, &buf, base_line, cands, &allows, &mut out.hits);
            }
            if last {
                break;
            }
            base_line += count_newlines(&buf[..report_end]);
            buf.drain(..report_end);
        }
        out.hits
            .sort_by(|a, b| (a.line, &a.rule_id).cmp(&(b.line, &b.rule_id)));
        out.hits.dedup();
        Ok(out)
    }

    /// The candidates of one window that start before `report_end`, overlaps resolved.
    fn scan_window(
        &self,
        win: &[u8],
        report_end: usize,
        applies: &[bool],
        binary_only: bool,
        triggered: &mut [bool],
    ) -> Vec<Cand> {
        triggered.iter_mut().for_each(|t| *t = false);
        let mut any = false;
        // Keyword positions of the line-local rules: (rule, position).
        let mut at: Vec<(usize, usize)> = Vec::new();
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(win) {
                for &r in &self.keyword_rules[m.pattern().as_usize()] {
                    triggered[r] = true;
                    any = true;
                    if self.rules[r].line_local && applies[r] {
                        at.push((r, m.start()));
                    }
                }
            }
        }
        for &r in &self.always {
            triggered[r] = true;
            any = true;
        }
        let mut cands = Vec::new();
        if !any {
            return cands;
        }
        at.sort_by_key(|&(r, _)| r); // stable: positions stay in order per rule
        let mut pem_cache: Option<(usize, Option<usize>)> = None;
        for (i, rule) in self.rules.iter().enumerate() {
            if !triggered[i] || !applies[i] || (binary_only && !rule.binary) {
                continue;
            }
            let Some(re) = &rule.regex else { continue };
            if rule.check == Check::PemKey {
                for m in re.find_iter(win) {
                    if m.start() >= report_end {
                        break;
                    }
                    if let Some(c) = self.pem(win, i, m.start(), m.end(), &mut pem_cache) {
                        cands.push(c);
                    }
                }
                continue;
            }
            if !rule.line_local || self.always.contains(&i) {
                self.matches(i, re, win, 0, report_end, &mut cands);
                continue;
            }
            // Only the lines holding a keyword (at most LINE_SPAN bytes each side of it).
            let first = at.partition_point(|&(r, _)| r < i);
            let mut done = 0usize;
            for &(_, pos) in at[first..].iter().take_while(|&&(r, _)| r == i) {
                if pos < done {
                    continue;
                }
                let lo = pos.saturating_sub(LINE_SPAN).max(done);
                let start = win[lo..pos]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(lo, |p| lo + p + 1);
                let hi = (pos + LINE_SPAN).min(win.len());
                let end = win[pos..hi]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(hi, |p| pos + p);
                // From the byte before the line, for regexes that open with a separator.
                let from = start.saturating_sub(1);
                self.matches(i, re, &win[..end], from, report_end, &mut cands);
                done = end;
            }
        }
        // Two rules on the same bytes: keep the more specific one (then the earlier rule).
        cands.sort_by_key(|c| {
            (
                c.secret.0,
                std::cmp::Reverse(self.rules[c.rule].priority),
                c.rule,
            )
        });
        let mut kept: Vec<Cand> = Vec::with_capacity(cands.len());
        for c in cands {
            let overlaps = kept.iter().rposition(|k| k.secret.1 > c.secret.0);
            match overlaps {
                Some(k) if self.rules[kept[k].rule].priority >= self.rules[c.rule].priority => {}
                Some(k) => kept[k] = c,
                None => kept.push(c),
            }
        }
        kept
    }

    /// The candidates of rule `i` in `hay[from..]` (offsets are the window's).
    fn matches(
        &self,
        i: usize,
        re: &Regex,
        hay: &[u8],
        from: usize,
        report_end: usize,
        cands: &mut Vec<Cand>,
    ) {
        let rule = &self.rules[i];
        let generic = rule.check == Check::GenericName;
        let mut locs = re.capture_locations();
        let mut pos = from;
        while pos <= hay.len() {
            // The generic rule's groups are read from its match by hand: capture groups
            // would cost a backtracking pass per match, and it matches on most config lines.
            let (whole, secret_at, name_at) = if generic {
                let Some(m) = re.find_at(hay, pos) else { break };
                let split = generic_split(m.as_bytes());
                (m.range(), split.map(|(_, s)| s), split.map(|(n, _)| n))
            } else {
                let Some(m) = re.captures_read_at(&mut locs, hay, pos) else {
                    break;
                };
                let secret_at = rule.secret_groups.iter().find_map(|&g| locs.get(g));
                let name_at = rule.name_group.and_then(|g| locs.get(g));
                (
                    m.range(),
                    secret_at.map(|(a, b)| (a - m.start(), b - m.start())),
                    name_at.map(|(a, b)| (a - m.start(), b - m.start())),
                )
            };
            pos = if whole.end > whole.start {
                whole.end
            } else {
                whole.end + 1
            };
            if whole.start >= report_end {
                break;
            }
            let Some((s0, s1)) = secret_at.map(|(a, b)| (whole.start + a, whole.start + b)) else {
                continue;
            };
            let secret = &hay[s0..s1];
            if secret.is_empty()
                || (rule.entropy > 0.0 && entropy(secret) < rule.entropy)
                || rule.allow.iter().any(|a| a.is_match(secret))
            {
                continue;
            }
            let ok = match rule.check {
                Check::None | Check::PemKey => true,
                Check::Jwt => jwt_header_ok(secret),
                Check::Base64Colon => base64_colon(secret),
                Check::GenericName if is_comment_line(hay, s0) => false,
                Check::GenericName => {
                    let name =
                        name_at.map_or(&b""[..], |(a, b)| &hay[whole.start + a..whole.start + b]);
                    generic_ok(name, secret, &self.generic_name_not_secret)
                }
            };
            if ok {
                cands.push(Cand {
                    rule: i,
                    secret: (s0, s1),
                    matched: (whole.start, whole.end),
                    line_at: s0,
                });
            }
        }
    }

    /// A private-key header at `start..end`: find its end, classify it, check its body.
    fn pem(
        &self,
        win: &[u8],
        rule: usize,
        start: usize,
        end: usize,
        cache: &mut Option<(usize, Option<usize>)>,
    ) -> Option<Cand> {
        // One forward search for `-----END` serves every header before the one it found.
        let found = match *cache {
            Some((from, found)) if from <= end && found.is_none_or(|f| f >= end) => found,
            _ => {
                let f = self.pem_end.find_at(win, end).map(|m| m.start());
                *cache = Some((end, f));
                f
            }
        };
        let stop = found?;
        if stop - end > MAX_KEY {
            return None;
        }
        let header = &win[start..end];
        let body = &win[end..stop];
        let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        // The body must look like a key: no other armour line inside, mostly base64, at
        // least 64 characters of it.
        if contains(body, b"-----") {
            return None;
        }
        let (mut b64, mut other) = (0usize, 0usize);
        for line in body.split(|&b| b == b'\n') {
            let line = line.trim_ascii();
            if line.contains(&b':') {
                continue; // Proc-Type, DEK-Info, Version, Comment headers
            }
            for &b in line {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => b64 += 1,
                    b'\r' | b'\\' | b'"' | b',' => {}
                    _ => other += 1,
                }
            }
        }
        if b64 < 64 || other * 10 > b64 {
            return None;
        }
        let encrypted = contains(header, b"ENCRYPTED")
            || contains(body, b"Proc-Type: 4,ENCRYPTED")
            || (contains(header, b"OPENSSH") && openssh_cipher(body).is_some_and(|c| c != b"none"));
        let kind = if encrypted {
            "encrypted-private-key"
        } else if contains(header, b"OPENSSH") {
            "openssh-private-key"
        } else if contains(header, b"PGP") {
            "pgp-private-key"
        } else {
            "private-key"
        };
        let target = if kind == "private-key" {
            rule
        } else {
            self.rules.iter().position(|r| r.info.id == kind)?
        };
        if !self.rules[target].enabled {
            return None;
        }
        // The secret is the body without its leading header lines and whitespace.
        let skip = body
            .iter()
            .position(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
            .unwrap_or(0);
        let mut s = end + skip;
        // Skip `Proc-Type:`-style lines.
        while let Some(nl) = win[s..stop].iter().position(|&b| b == b'\n') {
            if win[s..s + nl].contains(&b':') {
                s += nl + 1;
                while s < stop && win[s].is_ascii_whitespace() {
                    s += 1;
                }
            } else {
                break;
            }
        }
        Some(Cand {
            rule: target,
            secret: (s, stop),
            matched: (start, stop),
            line_at: start,
        })
    }

    /// Turns a window's candidates into hits: allow rules, line numbers, redaction.
    fn emit(
        &self,
        path: &str,
        win: &[u8],
        base_line: u64,
        mut cands: Vec<Cand>,
        allows: &[&Allow],
        hits: &mut Vec<Hit>,
    ) {
        cands.sort_by_key(|c| c.line_at);
        let mut line = base_line;
        let mut at = 0;
        for c in cands {
            line += count_newlines(&win[at..c.line_at]);
            at = c.line_at;
            let secret = &win[c.secret.0..c.secret.1];
            let matched = &win[c.matched.0..c.matched.1];
            let id = &self.rules[c.rule].info.id;
            let allowed = allows.iter().any(|a| {
                a.regex
                    .as_ref()
                    .is_none_or(|r| r.is_match(secret) || (!a.secret_only && r.is_match(matched)))
                    && a.fingerprint.as_ref().is_none_or(|f| {
                        *f == format!("{}:{}:{}", path.trim_start_matches('/'), id, line)
                    })
            });
            if allowed {
                continue;
            }
            hits.push(Hit {
                rule_id: id.clone(),
                line,
                redacted: redact(&String::from_utf8_lossy(&secret[..secret.len().min(64)])),
            });
        }
    }
}

impl Rule {
    fn applies(&self, p: &[u8]) -> bool {
        self.path.as_ref().is_none_or(|r| r.is_match(p))
            && self.not_path.as_ref().is_none_or(|r| !r.is_match(p))
    }
}

fn count_newlines(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(b: &[u8]) -> f64 {
    if b.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &c in b {
        counts[c as usize] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

fn b64_engine(url: bool) -> base64::engine::GeneralPurpose {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let alphabet = if url {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, config)
}

/// A JWT's header decodes to a JSON object naming its algorithm.
fn jwt_header_ok(token: &[u8]) -> bool {
    let head = token.split(|&b| b == b'.').next().unwrap_or(b"");
    match b64_engine(true).decode(head) {
        Ok(h) => {
            let t = h.trim_ascii_start();
            t.first() == Some(&b'{') && h.windows(5).any(|w| w == b"\"alg\"")
        }
        Err(_) => false,
    }
}

/// A Docker `auth` value decodes to `user:password` (or, for `.dockerconfigjson`, JSON).
fn base64_colon(v: &[u8]) -> bool {
    match b64_engine(false).decode(v) {
        Ok(d) => match d.iter().position(|&b| b == b':') {
            Some(i) => i > 0 && i + 1 < d.len(),
            None => false,
        },
        Err(_) => false,
    }
}

/// The cipher name of an OpenSSH private key body (`openssh-key-v1\0`, then a string).
fn openssh_cipher(body: &[u8]) -> Option<Vec<u8>> {
    let b64: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/' || *b == b'=')
        .take(128)
        .collect();
    let n = b64.len() / 4 * 4;
    let raw = b64_engine(false).decode(&b64[..n]).ok()?;
    let rest = raw.strip_prefix(b"openssh-key-v1\0")?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    rest.get(4..4 + len).map(<[u8]>::to_vec)
}

/// The name and the value of a generic assignment match (offsets in it), as the rule's
/// regex reads them: an optional separator byte, the name (a run of `[A-Za-z0-9_.-]`), an
/// optional quote, blanks, `:=`, `=>`, `:` or `=`, blanks, an optional quote, the value.
fn generic_split(m: &[u8]) -> Option<((usize, usize), (usize, usize))> {
    let is_name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    let mut i = usize::from(!is_name(*m.first()?));
    let n0 = i;
    while i < m.len() && is_name(m[i]) {
        i += 1;
    }
    let n1 = i;
    let blanks = |i: &mut usize| {
        while *i < m.len() && matches!(m[*i], b' ' | b'\t') {
            *i += 1;
        }
    };
    if i < m.len() && matches!(m[i], b'"' | b'\'') {
        i += 1;
    }
    blanks(&mut i);
    let rest = &m[i..];
    i += if rest.starts_with(b":=") || rest.starts_with(b"=>") {
        2
    } else if rest.starts_with(b":") || rest.starts_with(b"=") {
        1
    } else {
        return None;
    };
    blanks(&mut i);
    if i < m.len() && matches!(m[i], b'"' | b'\'') {
        i += 1;
    }
    (i < m.len()).then_some(((n0, n1), (i, m.len())))
}

/// Whether the line holding `at` is a comment (`#`, `;`, `//`, `<!--`, `--`, `REM`): config
/// files document their options in commented-out assignments with sample values.
fn is_comment_line(hay: &[u8], at: usize) -> bool {
    let lo = at.saturating_sub(4096);
    let start = hay[lo..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(lo, |p| lo + p + 1);
    let line = hay[start..at].trim_ascii_start();
    [&b"#"[..], b";", b"//", b"<!--", b"--", b"REM ", b"rem "]
        .iter()
        .any(|c| line.starts_with(c))
}

/// The generic rule's value and name checks beyond its allow list.
fn generic_ok(name: &[u8], value: &[u8], not_secret: &Regex) -> bool {
    if not_secret.is_match(name) {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    let strong = [
        &b"password"[..],
        b"passwd",
        b"passphrase",
        b"pwd",
        b"secret",
        b"token",
        b"key",
        b"credential",
    ];
    if !strong
        .iter()
        .any(|s| lower.windows(s.len()).any(|w| w == *s))
    {
        // Only "pass": it must be a word of the name (DB_PASS, pass), not bypass/passenger.
        let word = lower
            .split(|b| matches!(b, b'_' | b'.' | b'-'))
            .any(|w| w == b"pass");
        if !word {
            return false;
        }
    }
    // Identifiers, dotted references and words are names, not values.
    if value
        .iter()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-'))
    {
        return false;
    }
    // A reference that ends a code expression: `r.apiKey}`, `cfg.token)`.
    let trimmed = value.trim_ascii_end();
    let bare = trimmed
        .iter()
        .rposition(|b| !matches!(b, b'}' | b')' | b']'))
        .map_or(&b""[..], |i| &trimmed[..=i]);
    if bare
        .iter()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-'))
    {
        return false;
    }
    // A call or an attribute: `getpass(`, `os.environ.get(`, `settings.SECRET_KEY`.
    if let Some(p) = value.iter().position(|&b| b == b'(')
        && value[..p]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
    {
        return false;
    }
    true
}

/// Files no text rule applies to: images, fonts, media, archives, compiled objects, and
/// git's object store.
const BINARY_PATHS: &str = r"(?i)\.(?:png|jpe?g|gif|bmp|ico|icns|webp|tiff?|psd|xcf|woff2?|ttf|otf|eot|pfb|mp[34]|m4a|wav|ogg|oga|flac|avi|mov|mkv|webm|pdf|zip|gz|tgz|bz2|xz|zst|lz4|lzma|7z|rar|jar|war|ear|whl|egg|so(?:\.[0-9.]+)?|a|o|ko|dll|exe|pyc|pyo|class|mo|db|sqlite3?|deb|rpm|apk|iso|img|bin|dat|pack|idx|wasm|node)$|(?:^|/)\.git/objects/";

fn builtin_specs() -> Vec<RuleSpec> {
    rules::BUILTIN.iter().map(RuleSpec::from_def).collect()
}

fn builtin_allow_specs() -> Vec<AllowSpec> {
    rules::BUILTIN_ALLOW
        .iter()
        .map(|a| AllowSpec {
            id: a.id.into(),
            description: a.description.into(),
            path: a.path.map(str::to_string),
            regex: a.regex.map(str::to_string),
            secret_only: true,
            fingerprint: None,
        })
        .collect()
}

pub(crate) fn builtin_parts() -> (Vec<RuleSpec>, Vec<AllowSpec>) {
    (builtin_specs(), builtin_allow_specs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_keeps_a_short_prefix() {
        assert_eq!(redact("AKIAZ7XQ3MPLW5RT6YUB"), "AKIA****");
        assert_eq!(redact("hunter2!"), "hu****");
        assert_eq!(redact("abc"), "****");
        // Printable ASCII only: no control character, no multi-byte text.
        assert_eq!(redact("pässwörd-123"), "p****");
        assert_eq!(redact("n\"\n MIIEvQIBADANBgkq"), "n\"****");
    }

    #[test]
    fn rules_compile_on_first_need_only() {
        let s = Scanner::builtin();
        let fp = s.fingerprint();
        assert!(
            s.compiled.get().is_none(),
            "making a scanner compiles nothing"
        );
        // A text without any rule's keyword is passed over without compiling.
        assert!(
            s.scan_text("history:0", "/bin/sh -c #(nop) CMD [\"bash\"]")
                .is_empty()
        );
        assert!(s.compiled.get().is_none());
        // One with a keyword compiles the rules, and the fingerprint stays what it was.
        let token = format!(
            "ghp_{}",
            "a1B2c3D4e5".repeat(4).get(..36).unwrap_or_default()
        );
        assert_eq!(
            s.scan_text("config:Env", &format!("GITHUB_TOKEN={token}"))
                .len(),
            1
        );
        assert!(s.compiled.get().is_some());
        assert_eq!(s.fingerprint(), fp);
    }

    #[test]
    fn builtin_rules_compile_and_ids_are_unique() {
        let s = Scanner::builtin();
        let ids: Vec<&str> = s.rules().map(|r| r.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids.len(), sorted.len());
        assert!(ids.iter().all(|id| {
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }));
        assert_eq!(s.fingerprint().len(), 64);
        assert_eq!(s.fingerprint(), Scanner::builtin().fingerprint());
    }

    #[test]
    fn wants_path_skips_media_and_allowed_trees() {
        let s = Scanner::builtin();
        assert!(s.wants_path("app/.env"));
        assert!(s.wants_path("etc/ssl/private/server.key"));
        assert!(!s.wants_path("usr/share/icons/a.png"));
        assert!(!s.wants_path("srv/.git/objects/ab/cdef"));
        assert!(
            !s.wants_path("usr/lib/python3/dist-packages/Crypto/SelfTest/PublicKey/test_RSA.py")
        );
        assert!(!s.wants_path("usr/share/doc/openssl/README"));
        assert!(!s.wants_path("usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info/PKG-INFO"));
    }

    #[test]
    fn generic_split_reads_what_the_regex_captures() {
        let def = rules::BUILTIN
            .iter()
            .find(|d| d.id == "generic-secret")
            .unwrap();
        let re = compile(def.regex).unwrap();
        let corpus = include_str!("../tests/data/not-secrets.txt");
        let extra = "DB_PASSWORD=Xk29!fQ0zLm7\n\"api_key\" : 'Zk8Qm2Xv7Rt4'\nx token:=abc12345678\n\
                     secret => \"v4lue-with=eq\"\n  password:\t\tQw3rty!!99\n";
        let mut n = 0;
        for text in [corpus, extra] {
            for caps in re.captures_iter(text.as_bytes()) {
                let m = caps.get(0).unwrap();
                let (name, secret) = generic_split(m.as_bytes()).expect("split");
                let off = |g: &str| {
                    let c = caps.name(g).unwrap();
                    (c.start() - m.start(), c.end() - m.start())
                };
                assert_eq!(
                    (name, secret),
                    (off("name"), off("secret")),
                    "{:?}",
                    m.as_bytes()
                );
                n += 1;
            }
        }
        assert!(n > 20, "{n}");
    }

    #[test]
    fn scanner_is_shared_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Scanner>();
        send_sync::<Hit>();
    }

    #[test]
    fn entropy_of_uniform_and_constant() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
