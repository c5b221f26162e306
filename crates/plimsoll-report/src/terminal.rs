//! Human-readable outputs (tables, Markdown) never pass a control character from the data
//! to the terminal.
//!
//! The renderers are given a copy of their input in which every string (and map key) has
//! gone through [`plimsoll_model::text::escape_controls`], so a package name holding
//! `ESC ]0;pwned BEL` prints as `\x1b]0;pwned\x07` in whatever cell or line it lands, and a
//! line feed in a label cannot fake a line of the table. Copying through `serde_json::Value`
//! covers every field, those added later included, with no list to keep up to date. The
//! renderers' own colours (added after, by comfy-table) are unaffected.
//!
//! If the copy cannot be made (a value that does not survive the round trip, such as a
//! NaN score), the input is rendered without colour and the finished text is escaped
//! instead, its own line feeds kept: never the raw text.

use plimsoll_model::text::{escape_controls, escape_controls_keep_newlines};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `render(value, color)`, made safe for a terminal as the module describes.
pub fn terminal_text<T: Serialize + DeserializeOwned>(
    value: &T,
    color: bool,
    render: impl Fn(&T, bool) -> String,
) -> String {
    if !needs_escaping(value) {
        return render(value, color);
    }
    match escaped_copy(value) {
        // Colour escapes are the renderer's own; anything else left would be a bug, but
        // the uncoloured text is escaped once more all the same.
        Some(v) => render(&v, color),
        None => escape_controls_keep_newlines(&render(value, false)).into_owned(),
    }
}

/// Whether any string or key of `value` holds a character to escape. Copying is slow
/// (a 50 000-package report took 1.5 s instead of 0.5 s in a debug build) and nearly every
/// report is clean: one serialization into a sink that looks at the bytes decides. In
/// compact JSON a backslash only starts a string's escape, and the writer escapes C0
/// controls only; DEL, C1 and the bidi characters are seen as their UTF-8 bytes.
fn needs_escaping<T: Serialize>(value: &T) -> bool {
    let mut probe = Probe::default();
    // An error is the probe stopping at the first find, or a value that cannot be
    // serialized: either way, take the careful path.
    serde_json::to_writer(&mut probe, value).is_err() || probe.found
}

#[derive(Default)]
struct Probe {
    found: bool,
    /// The bytes of a sequence not yet decided: a backslash, `C2`, `E2`, `E2 80`, `E2 81`.
    pending: Vec<u8>,
}

impl std::io::Write for Probe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Most buffers hold none of the bytes that start a sequence (`contains` is memchr).
        if self.pending.is_empty() && ![b'\\', 0x7f, 0xc2, 0xe2].iter().any(|x| buf.contains(x)) {
            return Ok(buf.len());
        }
        for &b in buf {
            let found = match (self.pending.as_slice(), b) {
                ([], b'\\' | 0xc2 | 0xe2) | ([0xe2], 0x80 | 0x81) => {
                    self.pending.push(b);
                    continue;
                }
                ([], 0x7f) => true,
                ([b'\\'], c) => !matches!(c, b'\\' | b'"' | b'/'),
                ([0xc2], 0x80..=0x9f) => true,
                ([0xe2, 0x80], 0xaa..=0xae) | ([0xe2, 0x81], 0xa6..=0xa9) => true,
                _ => false,
            };
            self.pending.clear();
            if found {
                self.found = true;
                return Err(std::io::Error::other("found"));
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `value` with every string and map key escaped; `None` when it does not round-trip.
fn escaped_copy<T: Serialize + DeserializeOwned>(value: &T) -> Option<T> {
    let mut v = serde_json::to_value(value).ok()?;
    escape_value(&mut v);
    serde_json::from_value(v).ok()
}

fn escape_value(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(e) = escape_controls(s) {
                *s = e;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(escape_value),
        Value::Object(m) => {
            let needs_key_escape = m
                .keys()
                .any(|k| k.chars().any(plimsoll_model::text::is_unsafe));
            if needs_key_escape {
                let old = std::mem::take(m);
                for (k, mut x) in old {
                    escape_value(&mut x);
                    m.insert(escape_controls(&k).into_owned(), x);
                }
            } else {
                m.values_mut().for_each(escape_value);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
    struct Doc {
        name: String,
        labels: BTreeMap<String, String>,
        score: f64,
    }

    fn doc(score: f64) -> Doc {
        Doc {
            name: "x\x1b]0;pwned\x07".into(),
            labels: [("k\u{9b}2J".to_string(), "line\nfake".to_string())].into(),
            score,
        }
    }

    fn render(d: &Doc, color: bool) -> String {
        let (k, v) = d.labels.iter().next().unwrap();
        let c = if color { "\x1b[31m" } else { "" };
        format!("{c}{}\n{k}={v}\n", d.name)
    }

    #[test]
    fn every_string_and_key_is_escaped_before_rendering() {
        assert_eq!(
            terminal_text(&doc(1.0), false, render),
            "x\\x1b]0;pwned\\x07\nk\\x9b2J=line\\nfake\n"
        );
        // The renderer's own colour survives; the data's escapes do not.
        assert_eq!(
            terminal_text(&doc(1.0), true, render),
            "\x1b[31mx\\x1b]0;pwned\\x07\nk\\x9b2J=line\\nfake\n"
        );
    }

    #[test]
    fn the_probe_finds_exactly_the_characters_to_escape() {
        for clean in [
            "plain",
            "caf\u{e9} \u{2014} \u{2026} \u{1f600}",
            "back\\slash \"q\" a/b",
            "\u{a0}\u{2028}",
        ] {
            assert!(!needs_escaping(&clean), "{clean:?}");
            assert!(!needs_escaping(&BTreeMap::from([(clean, 1)])), "{clean:?}");
        }
        for dirty in [
            "\x1b[1m", "a\nb", "\t", "\x7f", "\u{85}", "\u{9b}", "\u{202a}", "\u{202e}",
            "\u{2066}", "\u{2069}", "\\\n",
        ] {
            assert!(needs_escaping(&dirty), "{dirty:?}");
            assert!(needs_escaping(&BTreeMap::from([(dirty, 1)])), "{dirty:?}");
        }
    }

    #[test]
    fn what_cannot_be_copied_is_escaped_after_rendering_without_colour() {
        let out = terminal_text(&doc(f64::NAN), true, render);
        assert_eq!(out, "x\\x1b]0;pwned\\x07\nk\\x9b2J=line\nfake\n");
    }
}
