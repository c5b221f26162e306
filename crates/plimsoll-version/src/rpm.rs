//! RPM versions (`[epoch:]version[-release]`), ordered as rpm orders them.
//!
//! Segments are compared with rpm's `rpmvercmp`: runs of ASCII letters or digits, anything
//! else is a separator; a numeric segment is newer than an alphabetic one; leading zeros are
//! ignored; `~` sorts before everything (even the end of the string); `^` sorts after the
//! end of the string but before any further segment. The EVR split follows rpm's
//! `parseEVR`: the epoch is the leading digits before a `:` (missing or empty epoch = 0), the
//! release is what follows the last `-`. rpm compares releases only when both sides have
//! one; to keep a total order, a missing release is the empty string here, which sorts
//! below any release (`1.0` < `1.0-1`). Refused: an empty string, whitespace, an empty
//! version part, an empty release after a `-`.

use std::cmp::Ordering;
use std::fmt;

use crate::ParseError;

const SCHEME: &str = "rpm";

/// A parsed RPM EVR. Equality is rpm equality (`1.0` == `1_0`, `1.01` == `1.1`).
#[derive(Debug, Clone)]
pub struct Version {
    epoch: String,
    version: String,
    release: Option<String>,
}

impl Version {
    /// The epoch digits ("0" when absent).
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The version part.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The release part, if any.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

/// Parses an RPM `[epoch:]version[-release]`.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let err = |reason: &str| ParseError::new(SCHEME, s, reason);
    if s.is_empty() {
        return Err(err("empty version"));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(err("whitespace in version"));
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (epoch, rest) = if s.as_bytes().get(digits) == Some(&b':') {
        let e = &s[..digits];
        (if e.is_empty() { "0" } else { e }, &s[digits + 1..])
    } else {
        ("0", s)
    };
    let (version, release) = match rest.rfind('-') {
        Some(h) => (&rest[..h], Some(&rest[h + 1..])),
        None => (rest, None),
    };
    if version.is_empty() {
        return Err(err("empty version part"));
    }
    if release == Some("") {
        return Err(err("empty release after '-'"));
    }
    Ok(Version {
        epoch: epoch.to_string(),
        version: version.to_string(),
        release: release.map(str::to_string),
    })
}

/// Compares two RPM EVRs.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

fn is_sep(c: u8) -> bool {
    !c.is_ascii_alphanumeric() && c != b'~' && c != b'^'
}

/// rpm's `rpmvercmp` on one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while i < a.len() && is_sep(a[i]) {
            i += 1;
        }
        while j < b.len() && is_sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let isnum = ca.is_ascii_digit();
        let class: fn(&u8) -> bool = if isnum {
            u8::is_ascii_digit
        } else {
            u8::is_ascii_alphabetic
        };
        let ea = i + a[i..].iter().take_while(|c| class(c)).count();
        let eb = j + b[j..].iter().take_while(|c| class(c)).count();
        if eb == j {
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[i..ea], &b[j..eb]);
        if isnum {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            o => return o,
        }
        i = ea;
        j = eb;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(&self.epoch, &other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| {
                rpmvercmp(
                    self.release.as_deref().unwrap_or(""),
                    other.release.as_deref().unwrap_or(""),
                )
            })
    }
}

crate::eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != "0" {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.version)?;
        if let Some(r) = &self.release {
            write!(f, "-{r}")?;
        }
        Ok(())
    }
}
