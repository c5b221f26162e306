//! Alpine (apk-tools) package versions, ordered as apk-tools orders them.
//!
//! Grammar (Gentoo style): `digits{.digits}[letter]{_suffix[digits]}[-rdigits]`, suffixes
//! `alpha`, `beta`, `pre`, `rc` (below the release) and `cvs`, `svn`, `git`, `hg`, `p`
//! (above it). Comparison walks the tokens as apk-tools' `apk_version_compare` does,
//! including its fractional treatment of components with leading zeros after a dot
//! (`1.02` < `1.1`), numbers held in 64 bits. That walk has a known quirk kept here
//! as-is: after a `.0` component the next token is read as a digit run, so a suffix right
//! after it is not seen as one (`1.0_rc1` > `1.0`, while `1.1_rc1` < `1.1`). Versions that apk-tools'
//! `apk_version_validate` rejects are refused, and so are the empty string and versions
//! not starting with a digit.

use std::cmp::Ordering;
use std::fmt;

use crate::ParseError;

const SCHEME: &str = "apk";

const INVALID: i8 = -1;
const DIGIT_OR_ZERO: i8 = 0;
const DIGIT: i8 = 1;
const LETTER: i8 = 2;
const SUFFIX: i8 = 3;
const SUFFIX_NO: i8 = 4;
const REVISION_NO: i8 = 5;
const END: i8 = 6;

const PRE_SUFFIXES: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
const POST_SUFFIXES: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];

/// A parsed, valid apk version.
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
}

impl Version {
    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    ty: i8,
}

impl Cursor<'_> {
    fn new(s: &str) -> Cursor<'_> {
        Cursor {
            s: s.as_bytes(),
            ty: DIGIT,
        }
    }

    /// Classifies what follows the token just read (apk-tools' `next_token`).
    fn next_token(&mut self) {
        let ty = self.ty;
        let mut n = INVALID;
        match self.s.first().copied() {
            None | Some(0) => n = END,
            Some(c) if (ty == DIGIT || ty == DIGIT_OR_ZERO) && c.is_ascii_lowercase() => n = LETTER,
            Some(c) if ty == LETTER && c.is_ascii_digit() => n = DIGIT,
            Some(c) if ty == SUFFIX && c.is_ascii_digit() => n = SUFFIX_NO,
            Some(c) => {
                match c {
                    b'.' => n = DIGIT_OR_ZERO,
                    b'_' => n = SUFFIX,
                    b'-' if self.s.get(1) == Some(&b'r') => {
                        n = REVISION_NO;
                        self.s = &self.s[1..];
                    }
                    _ => {}
                }
                self.s = &self.s[1..];
            }
        }
        if n < ty
            && !((n == DIGIT_OR_ZERO && ty == DIGIT)
                || (n == SUFFIX && ty == SUFFIX_NO)
                || (n == DIGIT && ty == LETTER))
        {
            n = INVALID;
        }
        self.ty = n;
    }

    /// Reads one token's value and classifies the next (apk-tools' `get_token`).
    fn get_token(&mut self) -> i64 {
        if self.s.is_empty() {
            self.ty = END;
            return 0;
        }
        let mut i = 0;
        let v: i64;
        let mut nt = INVALID;
        let digits = |s: &[u8], i: &mut usize| {
            let mut v: i64 = 0;
            while *i < s.len() && s[*i].is_ascii_digit() {
                v = v.saturating_mul(10).saturating_add(i64::from(s[*i] - b'0'));
                *i += 1;
            }
            v
        };
        match self.ty {
            DIGIT_OR_ZERO if self.s[0] == b'0' => {
                while i < self.s.len() && self.s[i] == b'0' {
                    i += 1;
                }
                nt = DIGIT;
                v = -(i as i64);
            }
            DIGIT_OR_ZERO | DIGIT | SUFFIX_NO | REVISION_NO => v = digits(self.s, &mut i),
            LETTER => {
                v = i64::from(self.s[0]);
                i = 1;
            }
            SUFFIX => {
                if let Some(k) = PRE_SUFFIXES.iter().position(|p| self.s.starts_with(p)) {
                    i = PRE_SUFFIXES[k].len();
                    v = k as i64 - PRE_SUFFIXES.len() as i64;
                } else if let Some(k) = POST_SUFFIXES.iter().position(|p| self.s.starts_with(p)) {
                    i = POST_SUFFIXES[k].len();
                    v = k as i64;
                } else {
                    self.ty = INVALID;
                    return -1;
                }
            }
            _ => {
                self.ty = INVALID;
                return -1;
            }
        }
        self.s = &self.s[i..];
        if self.s.is_empty() {
            self.ty = END;
        } else if nt != INVALID {
            self.ty = nt;
        } else {
            self.next_token();
        }
        v
    }
}

/// Whether apk-tools' `apk_version_validate` accepts `s`.
fn validate(s: &str) -> bool {
    let mut c = Cursor::new(s);
    while c.ty != END && c.ty != INVALID {
        c.get_token();
    }
    c.ty == END
}

/// apk-tools' `apk_version_compare` on two strings (valid or not).
pub fn compare_str(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (Cursor::new(a), Cursor::new(b));
    let (mut av, mut bv) = (0, 0);
    while a.ty == b.ty && a.ty != END && a.ty != INVALID && av == bv {
        av = a.get_token();
        bv = b.get_token();
    }
    match av.cmp(&bv) {
        Ordering::Equal => {}
        o => return o,
    }
    if a.ty == b.ty {
        return Ordering::Equal;
    }
    if a.ty == SUFFIX {
        let mut t = Cursor { s: a.s, ty: a.ty };
        if t.get_token() < 0 {
            return Ordering::Less;
        }
    }
    if b.ty == SUFFIX {
        let mut t = Cursor { s: b.s, ty: b.ty };
        if t.get_token() < 0 {
            return Ordering::Greater;
        }
    }
    b.ty.cmp(&a.ty)
}

/// Parses an apk version, refusing what apk-tools refuses.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    if s.is_empty() {
        return Err(ParseError::new(SCHEME, s, "empty version"));
    }
    if !s.as_bytes()[0].is_ascii_digit() {
        return Err(ParseError::new(
            SCHEME,
            s,
            "version does not start with a digit",
        ));
    }
    if !validate(s) {
        return Err(ParseError::new(SCHEME, s, "not a valid apk version"));
    }
    Ok(Version {
        text: s.to_string(),
    })
}

/// Compares two apk versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_str(&self.text, &other.text)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
