//! Whether the database has advisories for every ecosystem a scan's packages need.
//!
//! A database without a single record for `Debian:12` answers every Debian 12 package with
//! "no known vulnerability", which a gate would read as clean. So before a gate judges a
//! scan, [`missing_data`] lists the ecosystems the matcher would query for the packages
//! (exactly as [`crate::match_packages`] queries them: release-scoped for distributions,
//! every `Maven:…` repository for Maven, the major release for Red Hat) that the database
//! holds no record of. A database that has *some* records for an ecosystem is taken to cover
//! it: whether it is complete is the business of `db update` and `db status`. Packages of a
//! distribution whose release is unknown are never covered: no query can be made for them.

use crate::{MatchOptions, Plan, plan};
use plimsoll_model::{MissingData, Package};
use plimsoll_vulndb::{Db, base_ecosystem};
use std::collections::BTreeMap;

/// The ecosystems `packages` need advisories for and `db` has none of, with how many
/// packages each concerns, sorted by ecosystem. Reads only the database's small
/// `ecosystem_counts` table.
pub fn missing_data(
    packages: &[Package],
    db: &Db,
    opts: &MatchOptions,
) -> plimsoll_vulndb::Result<Vec<MissingData>> {
    let have: Vec<String> = db
        .ecosystems()?
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(e, _)| e)
        .collect();
    Ok(missing_in(packages, &have, opts))
}

/// [`missing_data`] against a list of the ecosystems a database has records for.
pub fn missing_in(packages: &[Package], have: &[String], opts: &MatchOptions) -> Vec<MissingData> {
    // Per distinct query shape: (label, covered?) and the package count.
    let mut need: BTreeMap<String, (bool, u64)> = BTreeMap::new();
    for pkg in packages {
        let p = match plan(pkg, opts) {
            Plan::Match(p) => p,
            // A distribution's packages whose release is unknown (Debian sid has no
            // VERSION_ID) cannot be asked about at all: whatever the database holds, they
            // were not checked.
            Plan::Unmatchable { key, .. } if key.starts_with("release:") => {
                let base = key.trim_start_matches("release:");
                need.entry(format!("{base} (release unknown)"))
                    .or_insert((false, 0))
                    .1 += 1;
                continue;
            }
            _ => continue,
        };
        // Every query of one package asks in the same ecosystem (an rpm's own and source
        // names); the first stands for them all.
        let Some(q) = p.queries.first() else { continue };
        let label = match &q.rhel_major {
            Some(major) => format!("{} {major}", q.ecosystem),
            None => q.ecosystem.clone(),
        };
        let entry = need.entry(label).or_insert_with(|| {
            let covered = have.iter().any(|e| {
                if q.whole_base {
                    base_ecosystem(e) == base_ecosystem(&q.ecosystem) && q.accepts(e)
                } else {
                    *e == q.ecosystem
                }
            });
            (covered, 0)
        });
        entry.1 += 1;
    }
    need.into_iter()
        .filter(|(_, (covered, _))| !covered)
        .map(|(ecosystem, (_, packages))| MissingData {
            ecosystem,
            packages,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(ecosystem: &str, name: &str, purl: &str) -> Package {
        Package {
            id: format!("{ecosystem}/{name}"),
            ecosystem: ecosystem.into(),
            name: name.into(),
            version: "1.0-1".into(),
            purl: purl.into(),
            ..Package::default()
        }
    }

    fn missing(packages: &[Package], have: &[&str]) -> Vec<String> {
        let have: Vec<String> = have.iter().map(|s| s.to_string()).collect();
        missing_in(packages, &have, &MatchOptions::default())
            .into_iter()
            .map(|m| m.to_string())
            .collect()
    }

    #[test]
    fn a_debian_image_needs_its_release_not_just_any_data() {
        let pkgs = [
            pkg("Debian:12", "openssl", ""),
            pkg("Debian:12", "zlib", ""),
            pkg("PyPI", "requests", ""),
        ];
        assert_eq!(
            missing(&pkgs, &["PyPI"]),
            ["Debian:12 (2 packages not checked)"]
        );
        assert_eq!(
            missing(&pkgs, &["Debian:11", "PyPI"]),
            ["Debian:12 (2 packages not checked)"]
        );
        assert_eq!(
            missing(&pkgs, &["Debian:12"]),
            ["PyPI (1 package not checked)"]
        );
        assert!(missing(&pkgs, &["Debian:12", "PyPI"]).is_empty());
        assert_eq!(missing(&pkgs, &[]).len(), 2);
    }

    #[test]
    fn maven_repositories_and_red_hat_releases_count_as_the_matcher_asks() {
        let jar = [pkg("Maven", "org.example:lib", "")];
        assert!(missing(&jar, &["Maven:https://repo.example/maven2/"]).is_empty());
        let rpm = [pkg(
            "Red Hat",
            "openssl",
            "pkg:rpm/redhat/openssl@1.0-1?distro=rhel-9.3",
        )];
        assert!(missing(&rpm, &["Red Hat:enterprise_linux:9::appstream"]).is_empty());
        assert_eq!(
            missing(&rpm, &["Red Hat:enterprise_linux:8::appstream"]),
            ["Red Hat 9 (1 package not checked)"]
        );
    }

    #[test]
    fn packages_that_are_not_matched_need_nothing() {
        let mut owned = pkg("PyPI", "urllib3", "");
        owned.owned_by = Some("deb/python3-urllib3".into());
        let unversioned = Package {
            version: String::new(),
            ..pkg("npm", "left-pad", "")
        };
        assert!(missing(&[owned, unversioned], &[]).is_empty());
    }

    #[test]
    fn a_distribution_without_a_release_is_never_checked() {
        let sid = [pkg("Debian", "openssl", ""), pkg("Debian", "zlib", "")];
        assert_eq!(
            missing(&sid, &["Debian:12", "Debian:13"]),
            ["Debian (release unknown) (2 packages not checked)"]
        );
    }
}
