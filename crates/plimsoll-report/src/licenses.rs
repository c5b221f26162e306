//! License strings as packages declare them, mapped to what CycloneDX and SPDX accept.

use std::collections::HashSet;
use std::sync::OnceLock;

/// SPDX license and exception identifiers: the enumeration of CycloneDX's `spdx.schema.json`
/// (license list 3.28.0), which is what CycloneDX validates `license.id` against.
const SPDX_IDS: &str = include_str!("spdx_ids.txt");

fn ids() -> &'static HashSet<&'static str> {
    static IDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    IDS.get_or_init(|| SPDX_IDS.lines().filter(|l| !l.is_empty()).collect())
}

/// Is `s` exactly a known SPDX license (or exception) identifier?
pub fn is_spdx_id(s: &str) -> bool {
    ids().contains(s)
}

/// Is `s` an SPDX identifier in any case? Returns the canonical spelling.
fn canonical_id(s: &str) -> Option<&'static str> {
    if let Some(x) = ids().get(s) {
        return Some(x);
    }
    ids().iter().find(|x| x.eq_ignore_ascii_case(s)).copied()
}

/// Does `s` use the SPDX expression operators (`AND`, `OR`, `WITH`)?
pub fn is_expression(s: &str) -> bool {
    s.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .any(|t| matches!(t, "AND" | "OR" | "WITH"))
}

/// A valid SPDX license expression, every identifier known (or a `LicenseRef-`), written
/// with canonical identifiers; `None` when `s` is not one.
pub fn spdx_expression(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut depth = 0i32;
    // What the grammar expects next: a license (true) or an operator/close (false).
    let mut want_license = true;
    let mut after_with = false;
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    for t in spaced.split_whitespace() {
        match t {
            "(" if want_license => {
                depth += 1;
                out.push('(');
                continue;
            }
            ")" if !want_license && depth > 0 => {
                depth -= 1;
                if out.ends_with(' ') {
                    out.pop();
                }
                out.push_str(") ");
                continue;
            }
            "AND" | "OR" if !want_license => {
                out.push_str(t);
                out.push(' ');
                want_license = true;
                continue;
            }
            "WITH" if !want_license => {
                out.push_str("WITH ");
                want_license = true;
                after_with = true;
                continue;
            }
            _ if want_license => {}
            _ => return None,
        }
        let id = if after_with {
            canonical_id(t)?.to_string()
        } else if let Some(r) = t.strip_prefix("LicenseRef-") {
            if r.is_empty()
                || !r
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                return None;
            }
            t.to_string()
        } else {
            let (base, plus) = match t.strip_suffix('+') {
                Some(b) if canonical_id(t).is_none() => (b, "+"),
                _ => (t, ""),
            };
            format!("{}{plus}", canonical_id(base)?)
        };
        after_with = false;
        out.push_str(&id);
        out.push(' ');
        want_license = false;
    }
    if want_license || depth != 0 {
        return None;
    }
    Some(out.trim_end().replace("( ", "(").to_string())
}

/// `LicenseRef-` identifier for a license string that is no SPDX expression.
pub fn license_ref(s: &str) -> String {
    let body: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let body = body.trim_matches('-');
    if body.is_empty() {
        "LicenseRef-unknown".into()
    } else {
        format!("LicenseRef-{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert!(is_spdx_id("MIT"));
        assert!(is_spdx_id("GPL-2.0+"));
        assert!(!is_spdx_id("GPL"));
        assert_eq!(spdx_expression("MIT").as_deref(), Some("MIT"));
        assert_eq!(
            spdx_expression("Apache-2.0 OR MIT").as_deref(),
            Some("Apache-2.0 OR MIT")
        );
        assert_eq!(
            spdx_expression("(mit OR apache-2.0) AND BSD-3-Clause").as_deref(),
            Some("(MIT OR Apache-2.0) AND BSD-3-Clause")
        );
        assert_eq!(
            spdx_expression("GPL-2.0-or-later WITH Classpath-exception-2.0").as_deref(),
            Some("GPL-2.0-or-later WITH Classpath-exception-2.0")
        );
        assert_eq!(spdx_expression("LGPL-2.1+").as_deref(), Some("LGPL-2.1+"));
        assert_eq!(
            spdx_expression("LicenseRef-foo").as_deref(),
            Some("LicenseRef-foo")
        );
        assert_eq!(spdx_expression("BSD-like"), None);
        assert_eq!(spdx_expression("MIT OR"), None);
        assert_eq!(spdx_expression("(MIT"), None);
        assert_eq!(spdx_expression("GPL v2"), None);
        assert!(is_expression("MIT OR Apache-2.0"));
        assert!(!is_expression("GPL v2"));
        assert_eq!(
            license_ref("GPL v2 (see COPYING)"),
            "LicenseRef-GPL-v2--see-COPYING"
        );
    }
}
