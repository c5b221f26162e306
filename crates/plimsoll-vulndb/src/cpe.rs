//! CPE 2.3 names and NVD's CPE match criteria: parsing, the lookup by vendor and product,
//! and whether a version falls in a criterion's range.
//!
//! A CPE 2.3 formatted string is `cpe:2.3:part:vendor:product:version:update:edition:
//! language:sw_edition:target_sw:target_hw:other`, where a backslash escapes the next
//! character (`erlang\/otp`, `17.0.9\+9`). Vendor and product are compared as written
//! (escaped); versions are unescaped and ordered by `plimsoll_version::generic`.
//! <https://nvlpubs.nist.gov/nistpubs/Legacy/IR/nistir7695.pdf>

use crate::{Db, Result, SqlCtx};
use plimsoll_version::generic;
use rusqlite::OptionalExtension;
use std::cmp::Ordering;

/// One vulnerable `cpeMatch` of an NVD record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Criteria {
    pub cve: String,
    /// `a` (application), `o` (operating system), `h` (hardware).
    pub part: String,
    pub vendor: String,
    pub product: String,
    /// `*` (any: the range decides), `-` (not applicable) or one version, unescaped.
    pub version: String,
    /// The update field (`*`, `-`, `p1`, `beta`), unescaped.
    pub update: String,
    pub start_including: Option<String>,
    pub start_excluding: Option<String>,
    pub end_including: Option<String>,
    pub end_excluding: Option<String>,
    /// The criteria string as NVD wrote it.
    pub criteria: String,
}

/// What `nvd_cves` holds of a CVE.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NvdCve {
    pub cve: String,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub description: Option<String>,
    /// (`3.1`, base score, vector).
    pub cvss: Option<(String, f64, String)>,
    /// `LOW` … `CRITICAL`.
    pub severity: Option<String>,
}

/// Splits a CPE 2.3 formatted string into its 13 fields (escapes kept).
fn fields(s: &str) -> Option<Vec<&str>> {
    let mut out = Vec::with_capacity(13);
    let b = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b':' => {
                out.push(&s[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push(s.get(start..)?);
    (out.len() == 13 && out[0] == "cpe" && out[1] == "2.3").then_some(out)
}

/// Removes CPE escapes (`17.0.9\+9` → `17.0.9+9`).
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut esc = false;
    for c in s.chars() {
        if esc || c != '\\' {
            out.push(c);
            esc = false;
        } else {
            esc = true;
        }
    }
    out
}

/// Parses a CPE 2.3 name into criteria without bounds; `None` when it is not one.
pub fn parse_cpe(s: &str) -> Option<Criteria> {
    let f = fields(s)?;
    if !["a", "o", "h"].contains(&f[2]) || f[3].is_empty() || f[4].is_empty() {
        return None;
    }
    Some(Criteria {
        part: f[2].to_string(),
        vendor: f[3].to_string(),
        product: f[4].to_string(),
        version: unescape(f[5]),
        update: unescape(f[6]),
        criteria: s.to_string(),
        ..Criteria::default()
    })
}

impl Criteria {
    /// Whether `version` is affected. `None` when the criterion cannot be decided for it
    /// (a bound or the version has no digit to compare).
    pub fn affects(&self, version: &str) -> Option<bool> {
        if !generic::is_comparable(version) {
            return None;
        }
        let any_update = matches!(self.update.as_str(), "*" | "-" | "");
        match self.version.as_str() {
            "-" => Some(false),
            "*" | "" => {
                let bounds = [
                    (&self.start_including, [Ordering::Greater, Ordering::Equal]),
                    (
                        &self.start_excluding,
                        [Ordering::Greater, Ordering::Greater],
                    ),
                    (&self.end_including, [Ordering::Less, Ordering::Equal]),
                    (&self.end_excluding, [Ordering::Less, Ordering::Less]),
                ];
                if bounds.iter().all(|(b, _)| b.is_none()) {
                    // `cpe:2.3:a:openssl:openssl:*:…` with no range: every version, which
                    // NVD writes only for products it never versioned. Too broad to report.
                    return Some(false);
                }
                for (bound, ok) in bounds {
                    if let Some(b) = bound {
                        if !generic::is_comparable(b) {
                            return None;
                        }
                        if !ok.contains(&generic::compare(version, b)) {
                            return Some(false);
                        }
                    }
                }
                Some(any_update)
            }
            exact => {
                let want = if any_update {
                    exact.to_string()
                } else {
                    format!("{exact}{}", self.update)
                };
                Some(generic::compare(version, &want) == Ordering::Equal)
            }
        }
    }

    /// The first version not affected, when the criterion says (`versionEndExcluding`).
    pub fn fixed(&self) -> Option<&str> {
        self.end_excluding.as_deref()
    }
}

impl Db {
    /// Whether the database has NVD CPE criteria (`db import` of NVD files).
    pub fn has_cpe_data(&self) -> Result<bool> {
        self.conn()
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cpe_matches'",
                [],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .at(self.path())
    }

    /// Every stored criterion of an application's vendor and product (as CPE writes them,
    /// escaped: `nodejs`, `node.js`). Empty when no NVD data was imported.
    pub fn cpe_criteria(&self, vendor: &str, product: &str) -> Result<Vec<Criteria>> {
        if !self.has_cpe_data()? {
            return Ok(Vec::new());
        }
        self.conn()
            .prepare_cached(
                "SELECT cve, part, vendor, product, version, version_update, start_including, \
                 start_excluding, end_including, end_excluding, criteria FROM cpe_matches \
                 WHERE vendor = ?1 AND product = ?2 AND part = 'a' ORDER BY cve, criteria",
            )
            .and_then(|mut s| {
                s.query_map([vendor, product], |r| {
                    Ok(Criteria {
                        cve: r.get(0)?,
                        part: r.get(1)?,
                        vendor: r.get(2)?,
                        product: r.get(3)?,
                        version: r.get(4)?,
                        update: r.get(5)?,
                        start_including: r.get(6)?,
                        start_excluding: r.get(7)?,
                        end_including: r.get(8)?,
                        end_excluding: r.get(9)?,
                        criteria: r.get(10)?,
                    })
                })?
                .collect()
            })
            .at(self.path())
    }

    /// What NVD says of a CVE, if its record was imported.
    pub fn nvd_cve(&self, cve: &str) -> Result<Option<NvdCve>> {
        if !self.has_cpe_data()? {
            return Ok(None);
        }
        self.conn()
            .prepare_cached(
                "SELECT cve, published, modified, description, cvss_version, cvss_score, \
                 cvss_vector, severity FROM nvd_cves WHERE cve = ?1",
            )
            .and_then(|mut s| {
                s.query_row([cve], |r| {
                    let version: Option<String> = r.get(4)?;
                    let score: Option<f64> = r.get(5)?;
                    let vector: Option<String> = r.get(6)?;
                    Ok(NvdCve {
                        cve: r.get(0)?,
                        published: r.get(1)?,
                        modified: r.get(2)?,
                        description: r.get(3)?,
                        cvss: match (version, score, vector) {
                            (Some(v), Some(s), Some(vec)) => Some((v, s, vec)),
                            _ => None,
                        },
                        severity: r.get(7)?,
                    })
                })
                .optional()
            })
            .at(self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crit(
        c: &str,
        si: Option<&str>,
        se: Option<&str>,
        ei: Option<&str>,
        ee: Option<&str>,
    ) -> Criteria {
        let mut x = parse_cpe(c).unwrap();
        x.start_including = si.map(str::to_string);
        x.start_excluding = se.map(str::to_string);
        x.end_including = ei.map(str::to_string);
        x.end_excluding = ee.map(str::to_string);
        x
    }

    #[test]
    fn parses_escapes() {
        let c = parse_cpe(r"cpe:2.3:a:erlang:erlang\/otp:17.0.9\+9:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.vendor, "erlang");
        assert_eq!(c.product, r"erlang\/otp");
        assert_eq!(c.version, "17.0.9+9");
        assert!(parse_cpe("cpe:2.3:a:openssl:openssl").is_none());
        assert!(parse_cpe("cpe:/a:openssl:openssl:1.0").is_none());
        assert!(parse_cpe("cpe:2.3:x:a:b:*:*:*:*:*:*:*:*").is_none());
    }

    #[test]
    fn ranges() {
        // CVE-2023-5678 (OpenSSL): 1.0.2 ≤ v < 1.0.2zj, 1.1.1 ≤ v < 1.1.1x, 3.0.0 ≤ v < 3.0.13.
        let c = "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*";
        let r102 = crit(c, Some("1.0.2"), None, None, Some("1.0.2zj"));
        let r111 = crit(c, Some("1.1.1"), None, None, Some("1.1.1x"));
        let r3 = crit(c, Some("3.0.0"), None, None, Some("3.0.13"));
        assert_eq!(r3.affects("3.0.11"), Some(true));
        assert_eq!(r3.affects("3.0.13"), Some(false));
        assert_eq!(r3.affects("3.1.0"), Some(false));
        assert_eq!(r111.affects("1.1.1w"), Some(true));
        assert_eq!(r111.affects("1.1.1x"), Some(false));
        assert_eq!(r102.affects("1.0.2k"), Some(true));
        assert_eq!(r102.affects("1.1.1w"), Some(false));
        assert_eq!(r3.fixed(), Some("3.0.13"));
        // Inclusive end, exclusive start.
        let bb = crit(
            "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*",
            None,
            Some("1.30.0"),
            Some("1.36.1"),
            None,
        );
        assert_eq!(bb.affects("1.36.1"), Some(true));
        assert_eq!(bb.affects("1.30.0"), Some(false));
        assert_eq!(bb.affects("1.37.0"), Some(false));
        // One exact version, and the update field.
        let exact = crit(
            "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*",
            None,
            None,
            None,
            None,
        );
        assert_eq!(exact.affects("1.35.0"), Some(true));
        assert_eq!(exact.affects("1.36.0"), Some(false));
        let upd = crit(
            "cpe:2.3:a:gnu:bash:4.3:p46:*:*:*:*:*:*",
            None,
            None,
            None,
            None,
        );
        assert_eq!(upd.affects("4.3p46"), Some(true));
        assert_eq!(upd.affects("4.3"), Some(false));
        // No range at all: never reported.
        let all = crit(c, None, None, None, None);
        assert_eq!(all.affects("3.0.11"), Some(false));
        assert_eq!(r3.affects("unknown"), None);
    }
}
