//! OSV `affected[].ranges` as data (<https://ossf.github.io/osv-schema/#affectedranges-field>),
//! and their evaluation against an installed version
//! (<https://ossf.github.io/osv-schema/#evaluation>).
//!
//! The types are shared by the database (which stores and validates them) and the matcher
//! (which evaluates them). They deserialize from the OSV JSON shape directly:
//! `{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}`.
//! `ranges[].database_specific` is deliberately not kept: the schema says it must never
//! change how a range is evaluated.
//!
//! # Evaluation
//!
//! [`evaluate`] follows the schema's `IsVulnerable` pseudocode for one `affected[]` entry: the
//! version is affected if it is listed in `versions` **or** lies in any range. Per range: if
//! the range has `limit` events, the version must be below at least one of them (`"*"`, or any
//! limit containing `*`, is infinity); then the events are sorted by version and walked, an
//! `introduced` at or below the version turning "vulnerable" on, a `fixed` at or below it or a
//! `last_affected` strictly below it turning it off. `introduced: "0"` sorts before every
//! version. The sort is stable, so two events at the same version keep the record's order:
//! `[introduced 1.0, fixed 1.0]` is an empty interval, while `[…, fixed 1.0, introduced 1.0,
//! …]` re-opens one at 1.0, which is what each record's author wrote.
//!
//! Orderings: `ECOSYSTEM` ranges use the ecosystem's [`Scheme`]; `SEMVER` ranges use SemVer 2.0
//! precedence whatever the ecosystem. Two leniencies follow osv.dev, whose data this is: SemVer
//! versions are coerced as osv.dev's `semver_index.coerce` does when they do not parse strictly
//! (a leading `v` dropped, missing minor/patch read as 0, leading zeros in numbers dropped:
//! `1.2` → `1.2.0`), and Go `ECOSYSTEM` versions may lack the `v` (GitHub's advisories write
//! `1.2.3` where the module version is `v1.2.3`).
//!
//! Traps, and what this module does about them:
//! - **GIT ranges** hold commit hashes, which cannot be ordered against a package version
//!   without the repository's commit graph. They are skipped for version matching, as
//!   osv-scanner does for package queries; the `versions` list (which osv.dev fills from the
//!   git tags) still applies. A package with only GIT ranges and no `versions` is reported as
//!   [`Problem::GitOnly`], never as silently unaffected.
//! - **Unparsable versions** never silently match or silently drop a range: an installed
//!   version or event version that does not parse leaves the range unevaluated and is reported
//!   in [`Evaluation::problems`], and the verdict is [`Verdict::Undetermined`] unless some
//!   other range or the `versions` list matched. `versions` entries that do not parse are only
//!   compared as exact strings (osv.dev fills `versions` with raw git tags for GIT ranges).
//! - **Malformed ranges** (no events, no `introduced`) are [`Problem::InvalidRange`]: the
//!   pseudocode would call them not vulnerable, but the schema forbids them, so the answer is
//!   unknown rather than "no".
//! - **`last_affected`** is inclusive, and versions above it count as unaffected (a possible
//!   false negative the schema accepts). A range with `last_affected` yields no fixed version.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::{AnyVersion, ParseError, Scheme, semver};

/// One entry of `affected[].ranges`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// The repository a `GIT` range's commits belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub events: Vec<Event>,
}

/// `ranges[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    /// SemVer 2.0.0 precedence, whatever the ecosystem.
    Semver,
    /// The ecosystem's own ordering.
    Ecosystem,
    /// Commit hashes, evaluated on the repository's commit graph.
    Git,
}

/// One event of a range; exactly one key per JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A version from which the package is affected; `"0"` means before every version.
    Introduced(String),
    /// The first version that is no longer affected.
    Fixed(String),
    /// The last affected version (inclusive).
    LastAffected(String),
    /// An upper bound on the range (`"*"` is infinity); meant for GIT ranges.
    Limit(String),
}

impl Event {
    /// The version string of the event, whatever its kind.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// What [`evaluate`] concluded about one installed version and one `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub verdict: Verdict,
    /// The `fixed` versions that end the affected intervals the installed version lies in, as
    /// the record spells them, in range order, without duplicates. Empty when not affected,
    /// when only the `versions` list matched, or when the interval has no fix (no `fixed`
    /// event, or a `last_affected` one).
    pub fixed: Vec<String>,
    /// What matched, in order: the `versions` list first, then ranges by index. A listing
    /// that equals the installed version only under the scheme (not as a string) is looked
    /// for only when no range matched.
    pub matched_by: Vec<MatchedBy>,
    /// What could not be evaluated. Never empty when the verdict is
    /// [`Verdict::Undetermined`]; may be non-empty beside [`Verdict::Affected`] (something
    /// else matched).
    pub problems: Vec<Problem>,
}

/// The answer of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Listed in `versions` or inside at least one range.
    Affected,
    /// Everything was evaluated and nothing matched.
    NotAffected,
    /// Nothing matched, but something could not be evaluated: see [`Evaluation::problems`].
    Undetermined,
}

/// Why an [`Evaluation`] is affected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchedBy {
    /// The installed version is listed in `versions`.
    Listed,
    /// The installed version lies in `ranges[i]`.
    Range(usize),
}

/// Something [`evaluate`] could not evaluate. `range` is an index into the `ranges` given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The installed version does not parse under an ordering that a range or the
    /// `versions` list needed; those were not evaluated (or compared as exact strings only).
    #[error("installed version not comparable: {0}")]
    InstalledUnparsable(ParseError),
    /// An event version does not parse; the range was not evaluated.
    #[error("range {range}: {error}")]
    EventUnparsable { range: usize, error: ParseError },
    /// The range breaks the schema (no events, or no `introduced`).
    #[error("range {range} is invalid: {reason}")]
    InvalidRange { range: usize, reason: &'static str },
    /// Only GIT ranges and no `versions` list: commits cannot be ordered against a package
    /// version, so the record cannot be matched by version.
    #[error("only GIT ranges and no versions list: cannot be evaluated against a package version")]
    GitOnly,
    /// Neither ranges nor versions: the entry says nothing about which versions it affects.
    #[error("no ranges and no versions: nothing to evaluate")]
    Empty,
}

/// Parses a version for OSV evaluation under `scheme`, with the leniencies osv.dev applies
/// (see the module doc): SemVer coercion, and a Go version without its `v`.
pub fn parse_for_osv(scheme: Scheme, s: &str) -> Result<AnyVersion, ParseError> {
    match scheme {
        Scheme::Semver => semver_lenient(s).map(AnyVersion::Semver),
        Scheme::Go if !s.starts_with('v') => scheme.parse(&format!("v{s}")).map_err(|_| {
            // Name the record's own spelling in the error, not the one we tried.
            ParseError::new(
                "Go",
                s,
                "not a Go module version, with or without a leading v",
            )
        }),
        _ => scheme.parse(s),
    }
}

/// Strict SemVer first; when that fails, osv.dev's coercion; the strict error otherwise.
fn semver_lenient(s: &str) -> Result<semver::Version, ParseError> {
    match semver::parse(s) {
        Ok(v) => Ok(v),
        Err(e) => match coerce_semver(s) {
            Some(c) if c != s => semver::parse(&c).map_err(|_| e),
            _ => Err(e),
        },
    }
}

/// osv.dev's `semver_index.coerce`: drop a leading `v`; `MAJOR[.MINOR[.PATCH]]` with missing
/// parts as 0 and leading zeros dropped; leading zeros dropped from numeric prerelease
/// identifiers; the rest kept. `None` when the string does not start with a digit.
fn coerce_semver(s: &str) -> Option<String> {
    fn digits(s: &str) -> usize {
        s.bytes().take_while(u8::is_ascii_digit).count()
    }
    fn no_leading_zeros(d: &str) -> &str {
        let t = d.trim_start_matches('0');
        if t.is_empty() { "0" } else { t }
    }
    let s = s.strip_prefix('v').unwrap_or(s);
    let n = digits(s);
    if n == 0 {
        return None;
    }
    let mut core = vec![no_leading_zeros(&s[..n])];
    let mut rest = &s[n..];
    while core.len() < 3 {
        match rest.strip_prefix('.') {
            Some(r) if digits(r) > 0 => {
                let n = digits(r);
                core.push(no_leading_zeros(&r[..n]));
                rest = &r[n..];
            }
            _ => break,
        }
    }
    while core.len() < 3 {
        core.push("0");
    }
    let mut out = core.join(".");
    if let Some(pre_and_more) = rest.strip_prefix('-') {
        let (pre, more) = match pre_and_more.find('+') {
            Some(i) => pre_and_more.split_at(i),
            None => (pre_and_more, ""),
        };
        out.push('-');
        let ids: Vec<&str> = pre
            .split('.')
            .map(|id| {
                if !id.is_empty() && id.bytes().all(|c| c.is_ascii_digit()) {
                    no_leading_zeros(id)
                } else {
                    id
                }
            })
            .collect();
        out.push_str(&ids.join("."));
        out.push_str(more);
    } else {
        out.push_str(rest);
    }
    Some(out)
}

/// Where an event sits in the sorted timeline.
#[derive(Debug)]
enum Bound {
    /// `introduced: "0"`: before every version.
    Zero,
    At(AnyVersion),
    /// A `limit` containing `*`.
    Infinity,
}

impl Bound {
    fn cmp(&self, other: &Bound) -> Ordering {
        match (self, other) {
            (Bound::Zero, Bound::Zero) | (Bound::Infinity, Bound::Infinity) => Ordering::Equal,
            (Bound::Zero, _) | (_, Bound::Infinity) => Ordering::Less,
            (_, Bound::Zero) | (Bound::Infinity, _) => Ordering::Greater,
            // Both parsed by the same scheme within one range, so `compare` is `Some`.
            (Bound::At(a), Bound::At(b)) => a.compare(b).unwrap_or(Ordering::Equal),
        }
    }

    /// `v.cmp(self)`: how the installed version compares with this bound.
    fn versus(&self, v: &AnyVersion) -> Ordering {
        match self {
            Bound::Zero => Ordering::Greater,
            Bound::Infinity => Ordering::Less,
            Bound::At(b) => v.compare(b).unwrap_or(Ordering::Equal),
        }
    }
}

/// Evaluates one OSV `affected[]` entry (its `ranges` and `versions`) for the `installed`
/// version of a package whose ecosystem orders versions by `scheme`.
///
/// Pure: no I/O, no allocation beyond the parsed events of one range at a time.
pub fn evaluate(
    scheme: Scheme,
    installed: &str,
    ranges: &[Range],
    versions: &[String],
) -> Evaluation {
    let mut eval = Evaluation {
        verdict: Verdict::NotAffected,
        fixed: Vec::new(),
        matched_by: Vec::new(),
        problems: Vec::new(),
    };
    // Parsed lazily: a record with only SEMVER ranges never needs the ecosystem's ordering.
    let mut eco: Option<Result<AnyVersion, ParseError>> = None;
    let mut sem: Option<Result<AnyVersion, ParseError>> = None;

    for (i, range) in ranges.iter().enumerate() {
        let (range_scheme, slot) = match range.kind {
            RangeKind::Git => continue,
            RangeKind::Semver => (Scheme::Semver, &mut sem),
            RangeKind::Ecosystem => (scheme, &mut eco),
        };
        if range.events.is_empty() {
            eval.problems.push(Problem::InvalidRange {
                range: i,
                reason: "no events",
            });
            continue;
        }
        if !range
            .events
            .iter()
            .any(|e| matches!(e, Event::Introduced(_)))
        {
            eval.problems.push(Problem::InvalidRange {
                range: i,
                reason: "no introduced event",
            });
            continue;
        }
        let iv = match slot.get_or_insert_with(|| parse_for_osv(range_scheme, installed)) {
            Ok(iv) => iv,
            Err(e) => {
                push_unique(&mut eval.problems, Problem::InstalledUnparsable(e.clone()));
                continue;
            }
        };
        match evaluate_range(range_scheme, iv, &range.events) {
            Ok(None) => {}
            Ok(Some(fix)) => {
                eval.matched_by.push(MatchedBy::Range(i));
                if let Some(fix) = fix
                    && !eval.fixed.iter().any(|f| f == fix)
                {
                    eval.fixed.push(fix.to_string());
                }
            }
            Err(errors) => eval.problems.extend(
                errors
                    .into_iter()
                    .map(|error| Problem::EventUnparsable { range: i, error }),
            ),
        }
    }

    // The `versions` list: the exact string first; equality under the scheme (`1.0` is
    // `1.0.0` in PEP 440) only when no range matched, since it parses every entry and an
    // Ubuntu record lists hundreds.
    if versions.iter().any(|v| v == installed) {
        eval.matched_by.insert(0, MatchedBy::Listed);
    } else if !versions.is_empty() && eval.matched_by.is_empty() {
        match eco.get_or_insert_with(|| parse_for_osv(scheme, installed)) {
            Ok(iv) => {
                if versions.iter().any(|v| {
                    parse_for_osv(scheme, v)
                        .is_ok_and(|pv| iv.compare(&pv) == Some(Ordering::Equal))
                }) {
                    eval.matched_by.insert(0, MatchedBy::Listed);
                }
            }
            Err(e) => push_unique(&mut eval.problems, Problem::InstalledUnparsable(e.clone())),
        }
    }

    if ranges.is_empty() && versions.is_empty() {
        eval.problems.push(Problem::Empty);
    } else if versions.is_empty() && ranges.iter().all(|r| r.kind == RangeKind::Git) {
        eval.problems.push(Problem::GitOnly);
    }
    eval.verdict = if !eval.matched_by.is_empty() {
        Verdict::Affected
    } else if !eval.problems.is_empty() {
        Verdict::Undetermined
    } else {
        Verdict::NotAffected
    };
    eval
}

fn push_unique(problems: &mut Vec<Problem>, p: Problem) {
    if !problems.contains(&p) {
        problems.push(p);
    }
}

/// One range's walk. `Ok(None)`: not affected; `Ok(Some(fix))`: affected, with the `fixed`
/// event that ends the interval if there is one; `Err`: event versions that do not parse.
fn evaluate_range<'a>(
    scheme: Scheme,
    v: &AnyVersion,
    events: &'a [Event],
) -> Result<Option<Option<&'a str>>, Vec<ParseError>> {
    let mut errors = Vec::new();
    let mut timeline: Vec<(&'a Event, Bound)> = Vec::with_capacity(events.len());
    for e in events {
        let s = e.version();
        let bound = match e {
            Event::Introduced(_) if s == "0" => Bound::Zero,
            Event::Limit(_) if s.contains('*') => Bound::Infinity,
            _ => match parse_for_osv(scheme, s) {
                Ok(p) => Bound::At(p),
                Err(err) => {
                    errors.push(err);
                    continue;
                }
            },
        };
        timeline.push((e, bound));
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut limits = timeline
        .iter()
        .filter(|(e, _)| matches!(e, Event::Limit(_)))
        .peekable();
    if limits.peek().is_some() && !limits.any(|(_, b)| b.versus(v) == Ordering::Less) {
        return Ok(None);
    }

    // Stable: events at one version keep the record's order (see the module doc).
    timeline.sort_by(|(_, a), (_, b)| a.cmp(b));
    let mut opened_at = None;
    for (j, (e, b)) in timeline.iter().enumerate() {
        let c = b.versus(v);
        match e {
            Event::Introduced(_) if c != Ordering::Less => opened_at = Some(j),
            Event::Fixed(_) if c != Ordering::Less => opened_at = None,
            Event::LastAffected(_) if c == Ordering::Greater => opened_at = None,
            _ => {}
        }
    }
    Ok(opened_at.map(|j| {
        // Every event after the opening one is above `v` (or a `last_affected` equal to
        // it), so the first `fixed` after it is the fix of this interval.
        timeline[j + 1..].iter().find_map(|(e, _)| match e {
            Event::Fixed(f) => Some(f.as_str()),
            _ => None,
        })
    }))
}
