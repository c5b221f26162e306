//! Why a finding matched: for each advisory record it merges, the record's entries for the
//! package, their ranges, and which range (or `versions` listing) holds the installed
//! version, evaluated again exactly as the matcher did. `plimsoll explain` prints it.

use plimsoll_model::Finding;
use plimsoll_version::Scheme;
use plimsoll_version::osv::{Event, MatchedBy, RangeKind, Verdict, evaluate};
use plimsoll_vulndb::{Db, Lookup};

/// One advisory record behind a finding.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordWhy {
    pub id: String,
    pub summary: Option<String>,
    pub published: Option<String>,
    pub modified: String,
    pub aliases: Vec<String>,
    pub upstream: Vec<String>,
    /// The record's entries for the package.
    pub entries: Vec<EntryWhy>,
}

/// One `affected[]` entry of a record, evaluated for the installed version.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryWhy {
    /// The full ecosystem of the entry (`Debian:12`).
    pub ecosystem: String,
    pub name: String,
    /// Each range as `ECOSYSTEM: introduced 0, fixed 2.32.0`.
    pub ranges: Vec<String>,
    /// How many versions the entry lists in `versions`.
    pub listed_versions: usize,
    /// What holds the installed version: `listed in versions`, `range 1 (ECOSYSTEM: …)`.
    pub matched: Vec<String>,
}

fn range_text(kind: RangeKind, events: &[Event]) -> String {
    let kind = match kind {
        RangeKind::Semver => "SEMVER",
        RangeKind::Ecosystem => "ECOSYSTEM",
        RangeKind::Git => "GIT",
    };
    let events: Vec<String> = events
        .iter()
        .map(|e| match e {
            Event::Introduced(v) => format!("introduced {v}"),
            Event::Fixed(v) => format!("fixed {v}"),
            Event::LastAffected(v) => format!("last_affected {v}"),
            Event::Limit(v) => format!("limit {v}"),
        })
        .collect();
    format!("{kind}: {}", events.join(", "))
}

/// The records of `finding` (its `data_source`), read from `db` and evaluated again for
/// its installed version under its matched ecosystem and name.
pub fn explain(db: &Db, finding: &Finding) -> plimsoll_vulndb::Result<Vec<RecordWhy>> {
    if finding.matched_ecosystem == crate::cpe::MATCHED_ECOSYSTEM {
        return crate::cpe::explain(db, finding);
    }
    let ids: Vec<&str> = finding.data_source.split(", ").collect();
    let base = finding
        .matched_ecosystem
        .split(':')
        .next()
        .unwrap_or_default();
    let found = db.lookup(&Lookup {
        ecosystem: base,
        name: &finding.matched_name,
        whole_base: true,
        include_withdrawn: false,
    })?;
    let scheme = Scheme::for_ecosystem(&finding.matched_ecosystem);
    let mut out: Vec<RecordWhy> = Vec::new();
    for adv in found {
        if !ids.contains(&adv.record.id.as_str()) || adv.ecosystem != finding.matched_ecosystem {
            continue;
        }
        let entries = adv
            .affected
            .iter()
            .map(|e| {
                let matched = match scheme {
                    Some(s) => {
                        let ev = evaluate(s, &finding.installed_version, &e.ranges, &e.versions);
                        if ev.verdict == Verdict::Affected {
                            ev.matched_by
                                .iter()
                                .map(|m| match m {
                                    MatchedBy::Listed => "listed in versions".to_string(),
                                    MatchedBy::Range(i) => format!(
                                        "range {} ({})",
                                        i + 1,
                                        range_text(e.ranges[*i].kind, &e.ranges[*i].events)
                                    ),
                                })
                                .collect()
                        } else {
                            Vec::new()
                        }
                    }
                    None => Vec::new(),
                };
                EntryWhy {
                    ecosystem: adv.ecosystem.clone(),
                    name: e.name.clone(),
                    ranges: e
                        .ranges
                        .iter()
                        .map(|r| range_text(r.kind, &r.events))
                        .collect(),
                    listed_versions: e.versions.len(),
                    matched,
                }
            })
            .collect();
        match out.iter_mut().find(|r| r.id == adv.record.id) {
            Some(r) => r.entries.extend(entries),
            None => out.push(RecordWhy {
                id: adv.record.id.clone(),
                summary: adv.record.summary.clone(),
                published: adv.record.published.clone(),
                modified: adv.record.modified.clone(),
                aliases: adv.record.aliases.clone(),
                upstream: adv.record.upstream.clone(),
                entries,
            }),
        }
    }
    out.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
    Ok(out)
}
