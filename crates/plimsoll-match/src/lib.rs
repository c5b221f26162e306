//! Inventory × vulnerability database → findings.
//!
//! [`match_report`] takes a [`Report`] with its `packages` filled by inventory and a
//! [`Db`], and returns one [`Finding`] per (vulnerability, package), ready to be stored in
//! `report.vulnerabilities`. Suppression (ignore files, VEX, `--ignore-unfixed`) is a later
//! step and is not done here.
//!
//! # Which advisories a package is looked up under
//!
//! OSV (<https://ossf.github.io/osv-schema/>) names packages the way each source does, and a
//! matcher that asks with the wrong name or ecosystem silently finds nothing, or finds
//! someone else's advisories:
//! - **Debian, Ubuntu** advisories (`DEBIAN-CVE-*`, `DSA-*`, `DLA-*`, `UBUNTU-CVE-*`, `USN-*`)
//!   name the *source* package, and their ranges are source versions. A binary package is
//!   looked up by its dpkg `Source:` name and compared by the source version: a binNMU
//!   (`1.2-3+b1`) or a binary with its own version is compared as the source it was built
//!   from (`1.2-3`), and the finding's `installed_version` says so.
//! - **Alpine, Wolfi, Chainguard** (apk) name the origin package, which inventory puts in
//!   `source`.
//! - **rpm distributions**: Red Hat's OSV data names binary *or* source RPMs, and the
//!   AlmaLinux and Rocky Linux data list the binary RPMs an errata updates; so an rpm is
//!   looked up under both its own name and its source RPM's name, compared with its own
//!   epoch:version-release (a binary and its source RPM share it).
//! - **Distribution ecosystems are release-scoped** (`Debian:12`, `Ubuntu:22.04:LTS`,
//!   `Alpine:v3.19`) and never queried without the release: a bare `Debian` would match every
//!   release's records against one version (osv.dev#4230's samba false positives). Rolling
//!   distributions (`Wolfi`, `Chainguard`, `MinimOS`) have no release by design. Red Hat's
//!   ecosystems carry a CPE tail (`Red Hat:enterprise_linux:9::appstream`) that inventory
//!   cannot know; they are matched on the major release from the purl's `distro` qualifier.
//! - **Language packages** use the ecosystem and name inventory gives them; the database
//!   normalizes names ([`plimsoll_vulndb::normalize_name`]: PEP 503 for PyPI, case for npm…).
//!   Maven names are `group:artifact`, and Maven records may carry a repository suffix
//!   (`Maven:https://…`), so every `Maven*` ecosystem is searched. Go binaries also carry
//!   their toolchain as the `stdlib` module, which is how the Go database names it.
//! - **Packages a distribution installed** (`owned_by` set: a Python module from
//!   `python3-urllib3`) are matched only through the owning OS package: the distribution
//!   patches its builds without changing the upstream version, so upstream advisories would
//!   be false positives. [`MatchOptions::comprehensive`] also matches them upstream and flags
//!   those findings `upstream_match`.
//!
//! # One finding per vulnerability
//!
//! A vulnerability shows up in several records: `GHSA-…` and `PYSEC-…` list each other and
//! the CVE in `aliases`; `DEBIAN-CVE-…`, `DSA-…` and `UBUNTU-CVE-…` name their CVE in
//! `upstream`, not `aliases`. Matched records of one package are grouped by CVE (from id,
//! `aliases` and `upstream`); a record naming several CVEs (a DSA fixing three) contributes
//! to each CVE's finding, as Trivy and Grype show them, because each CVE has its own severity,
//! KEV and EPSS data and is what ignore files and VEX statements name. Records with no CVE
//! join the group that shares an id with them, else form their own (keyed by the GHSA id when
//! there is one).
//!
//! # Status and severity
//!
//! `fixed` when any matched record gives a fixed version (all are listed); `will_not_fix`
//! when the distribution's data says so (Debian's `urgency: end-of-life`: the package has no
//! security support in that release; Ubuntu's OSV data cannot tell "ignored" from "needed",
//! see FIELD.md §5); `affected` otherwise; `unknown` when no record could be evaluated (an
//! unparsable version, GIT-only ranges), with a warning naming the package, the record and
//! the problem. Withdrawn records never match.
//!
//! Severity: the distribution's own rating for distribution packages (Debian urgency, Ubuntu
//! priority, Red Hat/SUSE severity words), else the CVSS base score of the newest CVSS
//! version in the records (or in the `CVE-…` record of the database, if it has one), else
//! the advisory's own label (GHSA `database_specific.severity`).

pub mod coverage;
pub mod cpe;
pub mod explain;

pub use coverage::missing_data;

use plimsoll_model::{
    Cvss, Ecosystem, EpssScore, Finding, FixStatus, IdKind, Layer, Package, Report, Severity,
    is_cve,
};
use plimsoll_version::Scheme;
use plimsoll_version::osv::{Problem, Verdict, evaluate};
use plimsoll_vulndb::osv::MAX_IDS_PER_LIST;
use plimsoll_vulndb::{Advisory, Db, Lookup, base_ecosystem};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

/// How to match.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Also match language packages that an OS package installed (`owned_by`) against their
    /// upstream advisories (`--detection-priority comprehensive`); such findings carry
    /// `upstream_match: true`.
    pub comprehensive: bool,
}

/// What matching found.
#[derive(Debug, Clone, Default)]
pub struct MatchOutcome {
    /// One per (vulnerability, package), in package order, most severe first per package.
    pub findings: Vec<Finding>,
    /// Packages or records that could not be matched or evaluated, each naming the package
    /// and, where one is concerned, the record.
    pub warnings: Vec<String>,
    pub stats: MatchStats,
}

/// Counts for progress lines and the closing note.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchStats {
    /// Packages looked up in the database.
    pub packages_matched: usize,
    /// Language packages an OS package owns, not matched upstream.
    pub skipped_owned: usize,
    /// Packages that could not be looked up (no version, no ordering, no release).
    pub skipped_unmatchable: usize,
    /// Database lookups made (each ecosystem and name once per scan).
    pub lookups: usize,
}

/// Matches every package of `report` against `db`. Database errors (an unreadable or
/// corrupt file) stop matching: a scan that silently matched nothing would look clean.
pub fn match_report(
    report: &Report,
    db: &Db,
    opts: &MatchOptions,
) -> plimsoll_vulndb::Result<MatchOutcome> {
    match_packages(&report.packages, &report.artifact.layers, db, opts)
}

/// The OSV ecosystems (`Debian`, `PyPI`, `Go`…, without releases) whose advisories matching
/// `packages` would read: what a scan needs in its database, so that a first download fetches
/// only those.
pub fn needed_ecosystems(packages: &[Package], opts: &MatchOptions) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for pkg in packages {
        if let Plan::Match(plan) = plan(pkg, opts) {
            for q in &plan.queries {
                out.insert(base_ecosystem(&q.ecosystem).to_string());
            }
        }
    }
    out
}

/// [`match_report`] on a package list and the layers their locations refer to.
pub fn match_packages(
    packages: &[Package],
    layers: &[Layer],
    db: &Db,
    opts: &MatchOptions,
) -> plimsoll_vulndb::Result<MatchOutcome> {
    let mut out = MatchOutcome::default();
    let mut warned_eco: BTreeSet<String> = BTreeSet::new();
    let mut no_version = 0usize;
    // Several binary packages share one source package (libc6, libc-bin and locales are all
    // glibc), and one CVE shows up in many packages: look each up once per scan.
    let mut lookups: LookupCache = HashMap::new();
    let mut enrich: Enrichment = HashMap::new();
    let mut cpe_cache = cpe::CriteriaCache::new();
    let mut binaries_unchecked = 0usize;
    for pkg in packages {
        // Binaries found by classification, without an ecosystem: NVD's CPE criteria.
        if cpe::is_cpe_matched(pkg) {
            if !db.has_cpe_data()? {
                binaries_unchecked += 1;
                continue;
            }
            out.stats.packages_matched += 1;
            let found = cpe::findings(pkg, layers, db, &mut cpe_cache, &mut out.warnings)?;
            out.findings.extend(found);
            continue;
        }
        let plan = match plan(pkg, opts) {
            Plan::Match(p) => p,
            Plan::Owned => {
                out.stats.skipped_owned += 1;
                continue;
            }
            Plan::NoVersion => {
                no_version += 1;
                out.stats.skipped_unmatchable += 1;
                continue;
            }
            Plan::Unmatchable { key, reason } => {
                out.stats.skipped_unmatchable += 1;
                if warned_eco.insert(key) {
                    out.warnings.push(reason);
                }
                continue;
            }
        };
        out.stats.packages_matched += 1;
        let mut hits = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for q in &plan.queries {
            let key = (q.ecosystem.clone(), q.name.clone(), q.whole_base);
            let advisories = match lookups.get(&key) {
                Some(a) => Rc::clone(a),
                None => {
                    out.stats.lookups += 1;
                    let found = db.lookup(&Lookup {
                        ecosystem: &q.ecosystem,
                        name: &q.name,
                        whole_base: q.whole_base,
                        include_withdrawn: false,
                    })?;
                    let found = Rc::new(found.into_iter().map(Rc::new).collect::<Vec<_>>());
                    lookups.insert(key, Rc::clone(&found));
                    found
                }
            };
            for adv in advisories.iter() {
                if !q.accepts(&adv.ecosystem) || !seen.insert(adv.record.id.clone()) {
                    continue;
                }
                if let Some(hit) = evaluate_advisory(Rc::clone(adv), plan.scheme, &plan.version) {
                    hits.push(hit);
                }
            }
        }
        let mut findings = Vec::new();
        for group in group_hits(&hits, &mut warned_eco, &mut out.warnings) {
            let mut cx = Cx {
                db,
                enrich: &mut enrich,
                warnings: &mut out.warnings,
            };
            if let Some(f) = finding(pkg, &plan, &hits, &group, layers, &mut cx)? {
                findings.push(f);
            }
        }
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
        out.findings.extend(findings);
    }
    if no_version > 0 {
        out.warnings.push(format!(
            "{no_version} package(s) without a version were not matched"
        ));
    }
    if binaries_unchecked > 0 {
        out.stats.skipped_unmatchable += binaries_unchecked;
        out.warnings.push(format!(
            "{binaries_unchecked} unpackaged binary package(s) (found_by: binary) were not matched: the database has no NVD CPE data (`plimsoll db import nvdcve-2.0-*.json`)"
        ));
    }
    Ok(out)
}

/// Distribution families, for the rules that differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Debian, Ubuntu, Echo: source package, source version.
    Dpkg,
    /// Alpine, Wolfi, Chainguard…: origin package.
    Apk,
    /// rpm distributions: binary and source RPM names, the package's own version.
    Rpm,
    Language,
}

struct Query {
    ecosystem: String,
    name: String,
    whole_base: bool,
    /// For Red Hat: the major release every returned ecosystem's CPE tail must name.
    rhel_major: Option<String>,
}

impl Query {
    fn accepts(&self, ecosystem: &str) -> bool {
        match &self.rhel_major {
            None => true,
            Some(major) => red_hat_major(ecosystem).is_some_and(|m| m == major),
        }
    }
}

struct MatchPlan {
    queries: Vec<Query>,
    /// The version compared: the source version for Debian/Ubuntu source lookups.
    version: String,
    scheme: Scheme,
    family: Family,
}

enum Plan {
    Match(MatchPlan),
    Owned,
    NoVersion,
    /// `key` deduplicates the warning (one per ecosystem or problem).
    Unmatchable {
        key: String,
        reason: String,
    },
}

fn plan(pkg: &Package, opts: &MatchOptions) -> Plan {
    if pkg.version.trim().is_empty() {
        return Plan::NoVersion;
    }
    let Some(scheme) = Scheme::for_ecosystem(&pkg.ecosystem) else {
        let eco = if pkg.ecosystem.is_empty() {
            "(none)"
        } else {
            &pkg.ecosystem
        };
        return Plan::Unmatchable {
            key: format!("eco:{eco}"),
            reason: format!(
                "packages of ecosystem {eco} (e.g. {} {}) were not matched: no vulnerability data or version ordering for it",
                pkg.name, pkg.version
            ),
        };
    };
    let family = match scheme {
        Scheme::Dpkg => Family::Dpkg,
        Scheme::Apk => Family::Apk,
        Scheme::Rpm => Family::Rpm,
        _ => Family::Language,
    };
    if family == Family::Language {
        if pkg.owned_by.is_some() && !opts.comprehensive {
            return Plan::Owned;
        }
        return Plan::Match(MatchPlan {
            queries: vec![Query {
                ecosystem: pkg.ecosystem.clone(),
                name: pkg.name.clone(),
                // Maven records may name a repository (`Maven:https://repo…`).
                whole_base: Ecosystem::from_osv(&pkg.ecosystem) == Some(Ecosystem::Maven),
                rhel_major: None,
            }],
            version: pkg.version.clone(),
            scheme,
            family,
        });
    }

    let base = base_ecosystem(&pkg.ecosystem);
    let released =
        pkg.ecosystem.contains(':') || Ecosystem::from_osv(base).is_some_and(Ecosystem::is_rolling);
    let mut rhel_major = None;
    if !released {
        if base == "Red Hat" {
            match purl_distro_major(&pkg.purl) {
                Some(m) => rhel_major = Some(m),
                None => {
                    return Plan::Unmatchable {
                        key: "release:Red Hat".into(),
                        reason: format!(
                            "Red Hat packages (e.g. {} {}) were not matched: the release is unknown (no distro qualifier in the purl), and Red Hat advisories are release-scoped",
                            pkg.name, pkg.version
                        ),
                    };
                }
            }
        } else {
            return Plan::Unmatchable {
                key: format!("release:{base}"),
                reason: format!(
                    "{base} packages (e.g. {} {}) were not matched: the release is unknown, and {base} advisories are release-scoped (a release-less query matches other releases' records, osv.dev#4230)",
                    pkg.name, pkg.version
                ),
            };
        }
    }
    let whole_base = rhel_major.is_some();
    let source = pkg.source.as_ref().filter(|s| !s.name.trim().is_empty());
    let query = |name: &str| Query {
        ecosystem: pkg.ecosystem.clone(),
        name: name.to_owned(),
        whole_base,
        rhel_major: rhel_major.clone(),
    };
    let (queries, version) = match family {
        Family::Dpkg | Family::Apk => {
            let name = source.map_or(pkg.name.as_str(), |s| s.name.as_str());
            let version = source
                .map(|s| s.version.trim())
                .filter(|v| !v.is_empty())
                .unwrap_or(&pkg.version);
            (vec![query(name)], version.to_owned())
        }
        _ => {
            let mut qs = vec![query(&pkg.name)];
            if let Some(s) = source.filter(|s| s.name != pkg.name) {
                qs.push(query(&s.name));
            }
            (qs, pkg.version.clone())
        }
    };
    Plan::Match(MatchPlan {
        queries,
        version,
        scheme,
        family,
    })
}

/// `distro=rhel-9.3` in a purl → `9`.
fn purl_distro_major(purl: &str) -> Option<String> {
    let q = purl.split_once('?')?.1;
    let q = q.split('#').next().unwrap_or(q);
    let distro = q.split('&').find_map(|kv| kv.strip_prefix("distro="))?;
    let version = distro.rsplit_once('-')?.1;
    let major = version.split('.').next()?;
    (!major.is_empty() && major.bytes().all(|b| b.is_ascii_digit())).then(|| major.to_owned())
}

/// `Red Hat:enterprise_linux:9::appstream` or `Red Hat:rhel_aus:8.4::appstream` → `9`, `8`.
fn red_hat_major(ecosystem: &str) -> Option<&str> {
    let mut parts = ecosystem.split(':');
    if parts.next()? != "Red Hat" {
        return None;
    }
    let _product = parts.next()?;
    let version = parts.next()?;
    let major = version.split('.').next()?;
    (!major.is_empty() && major.bytes().all(|b| b.is_ascii_digit())).then_some(major)
}

/// One matched (or undecidable) record of one package.
struct Hit {
    adv: Rc<Advisory>,
    affected: bool,
    fixed: Vec<String>,
    /// Indices into `adv.affected` of the entries that matched (or, when undetermined,
    /// could not be evaluated).
    entries: Vec<usize>,
    problems: Vec<String>,
}

/// Evaluates every entry of one record for the version; `None` when not affected.
fn evaluate_advisory(adv: Rc<Advisory>, scheme: Scheme, version: &str) -> Option<Hit> {
    let mut affected_entries = Vec::new();
    let mut fixed: Vec<String> = Vec::new();
    let mut undetermined = Vec::new();
    let mut problems = Vec::new();
    for (i, entry) in adv.affected.iter().enumerate() {
        let eval = evaluate(scheme, version, &entry.ranges, &entry.versions);
        match eval.verdict {
            Verdict::Affected => {
                affected_entries.push(i);
                for f in eval.fixed {
                    if !fixed.contains(&f) {
                        fixed.push(f);
                    }
                }
            }
            Verdict::Undetermined => {
                undetermined.push(i);
                problems.extend(eval.problems.iter().map(Problem::to_string));
            }
            Verdict::NotAffected if entry.skipped_ranges > 0 => {
                // A range the importer could not read might have matched.
                undetermined.push(i);
                problems.push(format!(
                    "{} range(s) of this record could not be read at import",
                    entry.skipped_ranges
                ));
            }
            Verdict::NotAffected => {}
        }
    }
    if !affected_entries.is_empty() {
        return Some(Hit {
            adv,
            affected: true,
            fixed,
            entries: affected_entries,
            problems: Vec::new(),
        });
    }
    if !undetermined.is_empty() {
        problems.dedup();
        return Some(Hit {
            adv,
            affected: false,
            fixed: Vec::new(),
            entries: undetermined,
            problems,
        });
    }
    None
}

/// A vulnerability: the hits that describe it and every id they use.
struct Group {
    /// The CVE, when the group was formed by one.
    cve: Option<String>,
    ids: BTreeSet<String>,
    hits: Vec<usize>,
}

impl Group {
    /// The finding's id: the CVE, else a GHSA id, else the smallest id.
    fn key(&self) -> String {
        if let Some(c) = &self.cve {
            return c.clone();
        }
        self.ids
            .iter()
            .find(|i| IdKind::of(i) == IdKind::Ghsa)
            .or_else(|| self.ids.iter().next())
            .cloned()
            .unwrap_or_default()
    }
}

/// One hit's ids, read once: the CVEs it names (sorted, deduplicated) and every other id
/// (its own when it is not a CVE, then its `aliases` and `upstream`). Each of the record's
/// lists is cut at [`MAX_IDS_PER_LIST`] (the importer cuts them too, with a warning; this
/// covers databases built elsewhere).
struct HitIds<'a> {
    cves: Vec<&'a str>,
    others: Vec<&'a str>,
    /// A list was longer than the cap.
    cut: bool,
}

fn hit_ids(adv: &Advisory) -> HitIds<'_> {
    let r = &adv.record;
    let cut = r.aliases.len() > MAX_IDS_PER_LIST || r.upstream.len() > MAX_IDS_PER_LIST;
    let all = std::iter::once(r.id.as_str())
        .chain(r.aliases.iter().take(MAX_IDS_PER_LIST).map(String::as_str))
        .chain(r.upstream.iter().take(MAX_IDS_PER_LIST).map(String::as_str));
    let (mut cves, mut others): (Vec<&str>, Vec<&str>) = all.partition(|i| is_cve(i));
    cves.sort_unstable();
    cves.dedup();
    let mut seen = HashSet::with_capacity(others.len());
    others.retain(|i| seen.insert(*i));
    HitIds { cves, others, cut }
}

/// Groups a package's hits into vulnerabilities, in time linear in the ids of the hits.
///
/// Records naming CVEs form one group per CVE. A record about one CVE brings all its other
/// ids to that group (the finding's aliases: `GHSA-…`, `PYSEC-…`); a record about several
/// (a DSA fixing three CVEs) brings only its own id to each, so that a record naming N CVEs
/// and M other ids makes N findings with one alias each, not N findings with M aliases each.
/// Records without a CVE then join every group whose records share any id with them
/// (through an index of ids, not a comparison of every pair), else form their own group.
fn group_hits(
    hits: &[Hit],
    warned: &mut BTreeSet<String>,
    warnings: &mut Vec<String>,
) -> Vec<Group> {
    let ids: Vec<HitIds<'_>> = hits.iter().map(|h| hit_ids(&h.adv)).collect();
    for (hit, hid) in hits.iter().zip(&ids) {
        let rid = &hit.adv.record.id;
        if hid.cut && warned.insert(format!("ids:{rid}")) {
            warnings.push(format!(
                "record {rid}: more than {MAX_IDS_PER_LIST} aliases or upstream ids; only the first {MAX_IDS_PER_LIST} of each were used"
            ));
        }
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut by_cve: HashMap<&str, usize> = HashMap::new();
    // Which hits use each non-CVE id, and which groups each hit is in.
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut hit_groups: Vec<Vec<usize>> = vec![Vec::new(); hits.len()];
    // Records naming CVEs first, so records without one can join them by a shared id.
    for (h, hid) in ids.iter().enumerate() {
        if hid.cves.is_empty() {
            continue;
        }
        let own = hits[h].adv.record.id.as_str();
        for &cve in &hid.cves {
            let g = *by_cve.entry(cve).or_insert_with(|| {
                groups.push(Group {
                    cve: Some(cve.to_owned()),
                    ids: BTreeSet::new(),
                    hits: Vec::new(),
                });
                groups.len() - 1
            });
            let group = &mut groups[g];
            group.hits.push(h);
            if hid.cves.len() == 1 {
                group.ids.extend(hid.others.iter().map(|i| (*i).to_owned()));
            } else if !is_cve(own) {
                group.ids.insert(own.to_owned());
            }
            hit_groups[h].push(g);
        }
        for &o in &hid.others {
            by_id.entry(o).or_default().push(h);
        }
    }
    for (h, hid) in ids.iter().enumerate() {
        if !hid.cves.is_empty() {
            continue;
        }
        let mut met: HashSet<usize> = HashSet::new();
        let mut joined: BTreeSet<usize> = BTreeSet::new();
        for o in &hid.others {
            for &x in by_id.get(o).map(Vec::as_slice).unwrap_or_default() {
                if met.insert(x) {
                    joined.extend(hit_groups[x].iter().copied());
                }
            }
        }
        let own = hits[h].adv.record.id.as_str();
        if joined.is_empty() {
            groups.push(Group {
                cve: None,
                ids: hid.others.iter().map(|i| (*i).to_owned()).collect(),
                hits: vec![h],
            });
            joined.insert(groups.len() - 1);
        } else {
            let one = joined.len() == 1;
            for &g in &joined {
                let group = &mut groups[g];
                group.hits.push(h);
                if one {
                    group.ids.extend(hid.others.iter().map(|i| (*i).to_owned()));
                } else {
                    group.ids.insert(own.to_owned());
                }
            }
        }
        hit_groups[h] = joined.into_iter().collect();
        for &o in &hid.others {
            by_id.entry(o).or_default().push(h);
        }
    }
    groups
}

fn finding(
    pkg: &Package,
    plan: &MatchPlan,
    hits: &[Hit],
    group: &Group,
    layers: &[Layer],
    cx: &mut Cx<'_>,
) -> plimsoll_vulndb::Result<Option<Finding>> {
    let Cx {
        db,
        enrich,
        warnings,
    } = cx;
    let all: Vec<&Hit> = group.hits.iter().map(|&h| &hits[h]).collect();
    let affected: Vec<&Hit> = all.iter().copied().filter(|h| h.affected).collect();
    let id = group.key();
    let status_hits: &[&Hit] = if affected.is_empty() { &all } else { &affected };
    let Some(first) = status_hits.first() else {
        return Ok(None);
    };

    let mut fixed_versions: Vec<String> = Vec::new();
    for h in status_hits {
        for f in &h.fixed {
            if !fixed_versions.contains(f) {
                fixed_versions.push(f.clone());
            }
        }
    }
    let status = if affected.is_empty() {
        for h in &all {
            for p in &h.problems {
                warnings.push(format!(
                    "{} {} ({}): {}: could not evaluate ({p}); reported with status unknown",
                    pkg.name, plan.version, pkg.ecosystem, h.adv.record.id
                ));
            }
        }
        FixStatus::Unknown
    } else if !fixed_versions.is_empty() {
        FixStatus::Fixed
    } else if plan.family != Family::Language
        && affected.iter().any(|h| {
            entries(h)
                .any(|e| vendor_word(e).is_some_and(|w| w.eq_ignore_ascii_case("end-of-life")))
        })
    {
        FixStatus::WillNotFix
    } else {
        FixStatus::Affected
    };

    let cve = match &group.cve {
        Some(_) => match enrich.get(&id) {
            Some(e) => e.clone(),
            None => {
                let e = CveFacts {
                    kev: db.kev(&id)?.is_some(),
                    epss: db.epss(&id)?.map(|e| EpssScore {
                        score: e.score,
                        percentile: e.percentile,
                    }),
                    // The CVE's own record (NVD-derived), when the database has one.
                    cvss: db
                        .record(&id)?
                        .filter(|r| r.withdrawn.is_none())
                        .and_then(|r| best_of(r.severity.iter())),
                };
                enrich.insert(id.clone(), e.clone());
                e
            }
        },
        None => CveFacts::default(),
    };
    let cvss = best_cvss(status_hits).or(cve.cvss);
    let (severity, severity_source) = severity_for(plan, status_hits, cvss.as_ref());
    let (kev, epss) = (cve.kev, cve.epss);

    let mut sources: Vec<&str> = all.iter().map(|h| h.adv.record.id.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let aliases: Vec<String> = group.ids.iter().filter(|i| **i != id).cloned().collect();
    let title = status_hits
        .iter()
        .find_map(|h| h.adv.record.summary.clone());
    // RFC 3339 UTC timestamps of one shape: the smallest string is the earliest.
    let published = all
        .iter()
        .filter_map(|h| h.adv.record.published.as_deref())
        .filter(|p| !p.is_empty())
        .min()
        .map(str::to_string);
    let loc = pkg.locations.first();
    let (layer, layer_created_by) = layer_of(pkg, layers);
    Ok(Some(Finding {
        id,
        aliases,
        package_id: pkg.id.clone(),
        package_name: pkg.name.clone(),
        matched_ecosystem: first.adv.ecosystem.clone(),
        matched_name: first
            .entries
            .first()
            .and_then(|&i| first.adv.affected.get(i))
            .map_or_else(|| first.adv.name.clone(), |e| e.name.clone()),
        installed_version: plan.version.clone(),
        fixed_versions,
        status,
        severity,
        severity_source,
        cvss,
        kev,
        epss,
        layer,
        layer_created_by,
        path: loc.map(|l| l.path.clone()),
        data_source: sources.join(", "),
        title,
        upstream_match: plan.family == Family::Language && pkg.owned_by.is_some(),
        risk: None,
        published,
        in_base_image: None,
        removed_in_layer: pkg.removed_in_layer,
    }))
}

/// What the database knows about a CVE beyond its advisories.
#[derive(Debug, Clone, Default)]
struct CveFacts {
    kev: bool,
    epss: Option<EpssScore>,
    cvss: Option<Cvss>,
}

type Enrichment = HashMap<String, CveFacts>;

/// Lookup results by (ecosystem, name, whole base).
type LookupCache = HashMap<(String, String, bool), Rc<Vec<Rc<Advisory>>>>;

/// What building a finding reads and writes besides the package and its hits.
struct Cx<'a> {
    db: &'a Db,
    enrich: &'a mut Enrichment,
    warnings: &'a mut Vec<String>,
}

fn entries(h: &Hit) -> impl Iterator<Item = &plimsoll_vulndb::Affected> {
    h.entries.iter().filter_map(|&i| h.adv.affected.get(i))
}

fn vendor_word(e: &plimsoll_vulndb::Affected) -> Option<&str> {
    e.vendor_severity.as_deref()
}

/// A distribution's severity word (Debian urgency, Ubuntu priority, Red Hat and SUSE
/// ratings) as a label; `None` for words that rate nothing ("not yet assigned",
/// "untriaged", "end-of-life").
pub fn distro_severity(word: &str) -> Option<Severity> {
    Some(match word.trim().to_ascii_lowercase().as_str() {
        "unimportant" | "negligible" | "low" => Severity::Low,
        "medium" | "moderate" => Severity::Medium,
        "high" | "important" => Severity::High,
        "critical" => Severity::Critical,
        _ => return None,
    })
}

fn severity_for(
    plan: &MatchPlan,
    hits: &[&Hit],
    cvss: Option<&Cvss>,
) -> (Severity, Option<String>) {
    if plan.family != Family::Language {
        let best = hits
            .iter()
            .flat_map(|h| {
                entries(h).filter_map(|e| {
                    vendor_word(e)
                        .and_then(distro_severity)
                        .map(|s| (s, base_ecosystem(&h.adv.ecosystem)))
                })
            })
            .max_by_key(|(s, _)| *s);
        if let Some((s, eco)) = best {
            return (s, Some(eco.to_ascii_lowercase().replace(' ', "-")));
        }
    }
    if let Some(c) = cvss {
        let s = Severity::from_cvss(c.score);
        if s != Severity::Unknown {
            let src = format!("cvss_v{}", c.version.split('.').next().unwrap_or("3"));
            return (s, Some(src));
        }
    }
    // The advisory's own label (GHSA `database_specific.severity`).
    let label = hits
        .iter()
        .flat_map(|h| {
            let id = h.adv.record.id.as_str();
            entries(h)
                .filter_map(|e| e.vendor_severity.as_deref())
                .chain(h.adv.record.severity_label.as_deref())
                .filter_map(move |w| w.parse::<Severity>().ok().map(|s| (s, id)))
        })
        .filter(|(s, _)| *s != Severity::Unknown)
        .max_by_key(|(s, _)| *s);
    match label {
        Some((s, id)) => {
            let prefix = id.split('-').next().unwrap_or(id).to_ascii_lowercase();
            (s, Some(prefix))
        }
        None => (Severity::Unknown, None),
    }
}

/// The newest-version CVSS among the records (top level and matched entries), the highest
/// score within that version.
fn best_cvss(hits: &[&Hit]) -> Option<Cvss> {
    best_of(hits.iter().flat_map(|h| {
        h.adv
            .record
            .severity
            .iter()
            .chain(entries(h).flat_map(|e| e.severity.iter()))
    }))
}

fn best_of<'a>(sevs: impl Iterator<Item = &'a plimsoll_vulndb::Severity>) -> Option<Cvss> {
    let rank = |v: &str| match v {
        "4.0" => 4,
        "3.1" => 3,
        "3.0" => 2,
        "2.0" => 1,
        _ => 0,
    };
    sevs.filter_map(|s| {
        let version = s.cvss_version.as_deref()?;
        let score = s.base_score?;
        Some(Cvss {
            version: version.to_owned(),
            vector: s.score.clone(),
            score,
        })
    })
    .max_by(|a, b| {
        rank(&a.version)
            .cmp(&rank(&b.version))
            .then(a.score.total_cmp(&b.score))
    })
}

/// The layer that brought `pkg` in (its first location's) and that layer's `created_by`.
pub(crate) fn layer_of(pkg: &Package, layers: &[Layer]) -> (Option<usize>, Option<String>) {
    let layer = pkg.locations.first().and_then(|l| l.layer);
    let created_by = layer.and_then(|i| {
        layers
            .iter()
            .find(|l| l.index == i)
            .and_then(|l| l.created_by.clone())
    });
    (layer, created_by)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distro_words() {
        assert_eq!(distro_severity("unimportant"), Some(Severity::Low));
        assert_eq!(distro_severity("negligible"), Some(Severity::Low));
        assert_eq!(distro_severity("Important"), Some(Severity::High));
        assert_eq!(distro_severity("moderate"), Some(Severity::Medium));
        assert_eq!(distro_severity("not yet assigned"), None);
        assert_eq!(distro_severity("untriaged"), None);
        assert_eq!(distro_severity("end-of-life"), None);
    }

    #[test]
    fn red_hat_releases() {
        assert_eq!(
            purl_distro_major("pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3"),
            Some("9".into())
        );
        assert_eq!(purl_distro_major("pkg:rpm/redhat/openssl@3.0.7"), None);
        assert_eq!(
            red_hat_major("Red Hat:enterprise_linux:9::appstream"),
            Some("9")
        );
        assert_eq!(red_hat_major("Red Hat:rhel_aus:8.4::appstream"), Some("8"));
        assert_eq!(red_hat_major("Rocky Linux:9"), None);
    }
}
