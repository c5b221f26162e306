//! Debian package versions (`[epoch:]upstream[-revision]`), ordered as dpkg orders them.
//!
//! Parsing follows dpkg's `parseversion`: leading and trailing blanks are trimmed; an empty
//! string, embedded spaces, a non-numeric, negative or too big (> `i32::MAX`) epoch, an empty
//! upstream version (`-0`, `0:-0`) or nothing after the colon are errors and refused.
//! dpkg only *warns* (and `dpkg --compare-versions` goes on comparing) when the upstream
//! version does not start with a digit or when the upstream version or revision holds
//! characters outside their allowed sets; this module accepts those versions likewise.
//! The revision is everything after the last `-`; a missing revision is the empty string,
//! which compares equal to `0` (`1.0` == `1.0-0`), as in dpkg.
//! Comparison is dpkg's `verrevcmp` on the upstream version and then on the revision.

use std::cmp::Ordering;
use std::fmt;

use crate::ParseError;

const SCHEME: &str = "dpkg";

/// A parsed Debian version. Equality is dpkg equality (`1.0` == `1.0-0` == `0:1.0`).
#[derive(Debug, Clone)]
pub struct Version {
    epoch: u32,
    upstream: String,
    revision: String,
}

impl Version {
    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream version.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision ("" when absent).
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

/// Parses a Debian version as dpkg's `parseversion` does (see the module documentation).
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let err = |reason: &str| ParseError::new(SCHEME, s, reason);
    // dpkg reads C strings: a NUL ends the version there, and verrevcmp's end-of-string
    // sentinel is 0. Accepting one inside would make "\0" and "" compare inconsistently
    // (found by the `versions` fuzz target: an intransitive triple).
    if s.contains('\0') {
        return Err(err("version string has a NUL byte"));
    }
    let trimmed = s.trim_matches(|c: char| c == ' ' || c == '\t');
    if trimmed.is_empty() {
        return Err(err("version string is empty"));
    }
    let trimmed = trimmed.trim_end_matches(|c: char| c.is_ascii_whitespace());
    if trimmed.contains(|c: char| c.is_ascii_whitespace()) {
        return Err(err("version string has embedded spaces"));
    }
    let (epoch, rest) = match trimmed.find(':') {
        Some(colon) => {
            let digits = &trimmed[..colon];
            let (negative, digits) = match digits.as_bytes().first() {
                Some(b'-') => (true, &digits[1..]),
                Some(b'+') => (false, &digits[1..]),
                _ => (false, digits),
            };
            if digits.is_empty() {
                return Err(err("epoch in version is empty"));
            }
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("epoch in version is not number"));
            }
            let value = digits.trim_start_matches('0');
            if negative && !value.is_empty() {
                return Err(err("epoch in version is negative"));
            }
            let epoch = if value.is_empty() {
                0
            } else if value.len() > 10 {
                return Err(err("epoch in version is too big"));
            } else {
                let n: u64 = value
                    .parse()
                    .map_err(|_| err("epoch in version is too big"))?;
                if n > i32::MAX as u64 {
                    return Err(err("epoch in version is too big"));
                }
                n as u32
            };
            let rest = &trimmed[colon + 1..];
            if rest.is_empty() {
                return Err(err("nothing after colon in version number"));
            }
            (epoch, rest)
        }
        None => (0, trimmed),
    };
    let (upstream, revision) = match rest.rfind('-') {
        Some(h) => (&rest[..h], &rest[h + 1..]),
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err("version number is empty"));
    }
    Ok(Version {
        epoch,
        upstream: upstream.to_string(),
        revision: revision.to_string(),
    })
}

/// Compares two Debian versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

fn order(c: u8) -> i32 {
    if c.is_ascii_digit() {
        0
    } else if c.is_ascii_alphabetic() {
        i32::from(c)
    } else if c == b'~' {
        -1
    } else if c != 0 {
        i32::from(c) + 256
    } else {
        0
    }
}

/// dpkg's `verrevcmp` on one version part (upstream or revision).
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let at = |i: usize| a.get(i).copied().unwrap_or(0);
    let bt = |j: usize| b.get(j).copied().unwrap_or(0);
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !at(i).is_ascii_digit()) || (j < b.len() && !bt(j).is_ascii_digit()) {
            let (ac, bc) = (order(at(i)), order(bt(j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(i) == b'0' {
            i += 1;
        }
        while bt(j) == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while at(i).is_ascii_digit() && bt(j).is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = at(i).cmp(&bt(j));
            }
            i += 1;
            j += 1;
        }
        if at(i).is_ascii_digit() {
            return Ordering::Greater;
        }
        if bt(j).is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

crate::eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 || self.upstream.contains(':') {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() || self.upstream.contains('-') {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}
