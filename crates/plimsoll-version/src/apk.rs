//! Alpine (apk-tools) package versions, ordered as apk-tools orders them.
//!
//! Grammar: `digits{.digits}[letter]{_suffix[digits]}[~hexhash][-rdigits]`, suffixes
//! `alpha`, `beta`, `pre`, `rc` (below the release) and `cvs`, `svn`, `git`, `hg`, `p`
//! (above it). Comparison is token by token as current apk-tools' `apk_version_compare`
//! does it: numbers as unsigned 64-bit values, except that a dot-separated component with
//! a leading zero on either side compares as a string (Gentoo rule: `1.02` < `1.1`,
//! `1.00` > `1.0`); commit hashes compare as strings; when one version runs out first, the
//! longer one is newer unless what follows is a pre-release suffix. Versions apk-tools'
//! `apk_version_validate` rejects (empty, not starting with a digit, unknown suffix, stray
//! characters…) are refused.

use std::cmp::Ordering;
use std::fmt;

use crate::ParseError;

const SCHEME: &str = "apk";

const INITIAL_DIGIT: u8 = 0;
const DIGIT: u8 = 1;
const LETTER: u8 = 2;
const SUFFIX: u8 = 3;
const SUFFIX_NO: u8 = 4;
const COMMIT_HASH: u8 = 5;
const REVISION_NO: u8 = 6;
const END: u8 = 7;
const INVALID: u8 = 8;

/// Suffix ranks; `NONE` (5) separates pre-release suffixes from post-release ones.
const SUFFIXES: [&str; 11] = [
    "", "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p",
];
const SUFFIX_NONE: usize = 5;

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

struct Token<'a> {
    kind: u8,
    suffix: usize,
    number: u64,
    value: &'a [u8],
}

struct Tokens<'a> {
    rest: &'a [u8],
    tok: Token<'a>,
}

impl<'a> Tokens<'a> {
    fn first(s: &'a str) -> Tokens<'a> {
        let mut t = Tokens {
            rest: s.as_bytes(),
            tok: Token {
                kind: INITIAL_DIGIT,
                suffix: 0,
                number: 0,
                value: b"",
            },
        };
        t.digits();
        t
    }

    fn digits(&mut self) {
        let n = self.rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let (v, rest) = self.rest.split_at(n);
        self.tok.value = v;
        self.tok.number = v.iter().fold(0u64, |acc, &c| {
            acc.wrapping_mul(10).wrapping_add(u64::from(c - b'0'))
        });
        self.rest = rest;
        if n == 0 {
            self.tok.kind = INVALID;
        }
    }

    fn span(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let n = self.rest.iter().take_while(|&&c| pred(c)).count();
        let (v, rest) = self.rest.split_at(n);
        self.rest = rest;
        v
    }

    fn next(&mut self) {
        let Some(&c) = self.rest.first() else {
            self.tok.kind = END;
            return;
        };
        let kind = self.tok.kind;
        let ok = match c {
            b'a'..=b'z' if kind <= DIGIT => {
                self.tok.value = &self.rest[..1];
                self.tok.kind = LETTER;
                self.rest = &self.rest[1..];
                true
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if kind > DIGIT {
                        false
                    } else {
                        self.rest = &self.rest[1..];
                        self.numeric(kind)
                    }
                } else {
                    self.numeric(kind)
                }
            }
            b'_' if kind <= SUFFIX_NO => {
                self.rest = &self.rest[1..];
                let v = self.span(|c| c.is_ascii_lowercase());
                self.tok.value = v;
                match SUFFIXES
                    .iter()
                    .position(|s| !s.is_empty() && s.as_bytes() == v)
                {
                    Some(k) => {
                        self.tok.suffix = k;
                        self.tok.kind = SUFFIX;
                        true
                    }
                    None => false,
                }
            }
            b'~' if kind < COMMIT_HASH => {
                self.rest = &self.rest[1..];
                let v = self.span(|c| c.is_ascii_hexdigit());
                self.tok.value = v;
                self.tok.kind = COMMIT_HASH;
                !v.is_empty()
            }
            b'-' if kind < REVISION_NO && self.rest.starts_with(b"-r") => {
                self.rest = &self.rest[2..];
                self.tok.kind = REVISION_NO;
                self.digits();
                true
            }
            _ => false,
        };
        if !ok {
            self.tok.kind = INVALID;
        }
    }

    fn numeric(&mut self, kind: u8) -> bool {
        self.tok.kind = match kind {
            INITIAL_DIGIT | DIGIT => DIGIT,
            SUFFIX => SUFFIX_NO,
            _ => return false,
        };
        self.digits();
        true
    }
}

fn string_sort(a: &[u8], b: &[u8]) -> Ordering {
    a.cmp(b)
}

fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        DIGIT if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            string_sort(a.value, b.value)
        }
        DIGIT | INITIAL_DIGIT | SUFFIX_NO | REVISION_NO => a.number.cmp(&b.number),
        LETTER => a.value.first().cmp(&b.value.first()),
        SUFFIX => a.suffix.cmp(&b.suffix),
        _ => string_sort(a.value, b.value),
    }
}

/// Whether apk-tools' `apk_version_validate` accepts `s`.
fn validate(s: &str) -> bool {
    let mut t = Tokens::first(s);
    while t.tok.kind < END {
        t.next();
    }
    t.tok.kind == END
}

/// apk-tools' `apk_version_compare` on two strings (valid or not).
pub fn compare_str(a: &str, b: &str) -> Ordering {
    let (mut ta, mut tb) = (Tokens::first(a), Tokens::first(b));
    while ta.tok.kind == tb.tok.kind && ta.tok.kind < END {
        match token_cmp(&ta.tok, &tb.tok) {
            Ordering::Equal => {}
            o => return o,
        }
        ta.next();
        tb.next();
    }
    let (ak, bk) = (ta.tok.kind, tb.tok.kind);
    if ak == bk {
        return Ordering::Equal;
    }
    if ak == SUFFIX && ta.tok.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if bk == SUFFIX && tb.tok.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    bk.cmp(&ak)
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

crate::eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
