//! The rules of plimsoll's own (managed) database, `<cache dir>/db/plimsoll.db`: when a scan
//! refreshes it before matching, and what it fetches. A database named with `--db` is the
//! user's and never refreshed; these rules apply only to the managed one.

use crate::{ScanInfo, age, base_ecosystem, update};
use std::time::Duration;

/// A managed database older than this is refreshed before a scan (unless `--offline`). OSV
/// changes many times a day, and an incremental update costs one small request per
/// ecosystem, so a day keeps scans fresh without a round of requests before every scan.
pub const REFRESH_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Why and what to fetch before a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    /// Empty: nothing OSV publishes is needed.
    pub ecosystems: Vec<String>,
    /// For people: `the vulnerability database is 2 d 3 h old`.
    pub why: String,
}

/// The refresh a scan needs before matching packages of the `needed` ecosystems (OSV base
/// names), or `None`. With no database yet: every needed ecosystem. Otherwise a refresh is
/// due when the database is older than [`REFRESH_AFTER`] (then every ecosystem it has, plus
/// the needed ones), or lacks a needed ecosystem (then those alone). Only ecosystems
/// `db update` can fetch ([`update::DEFAULT_ECOSYSTEMS`]) are named.
pub fn refresh_plan(
    current: Option<(&ScanInfo, &[(String, u64)])>,
    needed: &[String],
) -> Option<Refresh> {
    let needed: Vec<String> = needed
        .iter()
        .filter(|e| update::DEFAULT_ECOSYSTEMS.contains(&e.as_str()))
        .cloned()
        .collect();
    let Some((st, ecosystems)) = current else {
        return Some(Refresh {
            ecosystems: needed,
            why: "no vulnerability database yet".into(),
        });
    };
    let mut have: std::collections::BTreeSet<String> = st
        .sources
        .iter()
        .filter_map(|s| s.name.strip_prefix("osv:").map(str::to_string))
        .collect();
    have.extend(
        ecosystems
            .iter()
            .map(|(e, _)| base_ecosystem(e).to_string()),
    );
    let missing: Vec<String> = needed
        .iter()
        .filter(|e| !have.contains(*e))
        .cloned()
        .collect();
    let built = st.built_at.as_deref().and_then(age);
    if built.is_none_or(|a| a > REFRESH_AFTER) {
        let mut all: Vec<String> = have
            .iter()
            .filter(|e| update::DEFAULT_ECOSYSTEMS.contains(&e.as_str()))
            .cloned()
            .collect();
        all.extend(missing);
        all.sort();
        all.dedup();
        return Some(Refresh {
            ecosystems: all,
            why: match built {
                Some(a) => format!("the vulnerability database is {} old", human_age(a)),
                None => "the vulnerability database has no build time".into(),
            },
        });
    }
    (!missing.is_empty()).then(|| Refresh {
        why: format!(
            "the vulnerability database has no advisories for {}",
            missing.join(", ")
        ),
        ecosystems: missing,
    })
}

/// "3 h", "2 d 4 h": an age for people.
pub fn human_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceInfo;

    fn info(built_at: Option<&str>, osv: &[&str]) -> ScanInfo {
        ScanInfo {
            schema_version: crate::SCHEMA_VERSION,
            built_at: built_at.map(str::to_string),
            records: 10,
            sources: osv
                .iter()
                .map(|e| SourceInfo {
                    name: format!("osv:{e}"),
                    kind: "osv".into(),
                    url: None,
                    state: None,
                    records: 1,
                    fetched_at: None,
                    details: None,
                })
                .collect(),
        }
    }

    fn now_minus(secs: i64) -> String {
        (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(secs)).to_string()
    }

    #[test]
    fn a_fresh_database_with_every_needed_ecosystem_is_used_as_it_is() {
        let st = info(Some(&now_minus(3600)), &["Debian", "PyPI"]);
        let need = ["Debian".to_string(), "PyPI".to_string()];
        assert_eq!(refresh_plan(Some((&st, &[])), &need), None);
    }

    #[test]
    fn a_missing_ecosystem_is_fetched_alone_and_a_day_old_database_in_full() {
        let st = info(Some(&now_minus(3600)), &["Debian"]);
        let need = ["Debian".to_string(), "npm".to_string()];
        let r = refresh_plan(Some((&st, &[])), &need).unwrap();
        assert_eq!(r.ecosystems, ["npm"]);
        assert_eq!(
            r.why,
            "the vulnerability database has no advisories for npm"
        );

        let st = info(
            Some(&now_minus(2 * 86_400 + 3 * 3600 + 5)),
            &["Debian", "Go"],
        );
        let r = refresh_plan(Some((&st, &[])), &need).unwrap();
        assert_eq!(r.ecosystems, ["Debian", "Go", "npm"]);
        assert_eq!(r.why, "the vulnerability database is 2 d 3 h old");
    }

    #[test]
    fn without_a_database_only_what_update_can_fetch_is_named() {
        let need = ["Debian".to_string(), "Photon OS".to_string()];
        let r = refresh_plan(None, &need).unwrap();
        assert_eq!(r.ecosystems, ["Debian"]);
    }
}
