//! Untrusted text made safe to print on a terminal.
//!
//! Package names, tar entry names, image config values and advisory text come from the
//! scanned image or from data anyone can publish. Printed raw, an `ESC [` (CSI) sequence
//! moves the cursor or recolours the screen, an `ESC ]` (OSC) sequence sets the window title
//! or a hyperlink, a lone `\r` overwrites the line before it, and Unicode bidi overrides
//! (U+202A–U+202E, U+2066–U+2069) reorder what is shown. Every human-readable output (tables,
//! Markdown, errors and warnings) passes such text through [`escape_controls`]; the JSON and
//! XML writers escape by their own rules.

use std::borrow::Cow;

/// Whether `c` is escaped by [`escape_controls`]: C0 controls (U+0000–U+001F, tab, line feed
/// and carriage return included), DEL, C1 controls (U+0080–U+009F, among them the one-byte
/// CSI U+009B) and the bidi embedding, override and isolate characters.
pub fn is_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every [`is_unsafe`] character written as a visible escape: `\x1b`, `\n`, `\t`,
/// `\r`, `\u{202e}`. A backslash stays as it is. Borrowed when nothing needed escaping.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// Like [`escape_controls`] but keeps line feeds: for a whole rendered text whose lines are
/// its own layout.
pub fn escape_controls_keep_newlines(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && is_unsafe(c))
}

fn escape_where(s: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(&unsafe_char) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if !unsafe_char(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_visibly() {
        let cases: &[(&str, &str)] = &[
            ("openssl", "openssl"),
            ("caf\u{e9} \u{1f600} \u{a0}", "caf\u{e9} \u{1f600} \u{a0}"),
            ("a\\x1b", "a\\x1b"),
            // CSI: recolour, clear the screen.
            ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
            ("\x1b[2J", "\\x1b[2J"),
            // OSC: set the window title, ended by BEL or ST.
            ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
            ("\x1b]8;;http://x\x1b\\link", "\\x1b]8;;http://x\\x1b\\link"),
            // The one-byte CSI of C1, and NEL.
            ("a\u{9b}31mb\u{85}", "a\\x9b31mb\\x85"),
            ("line\nfake: ok\r\tz", "line\\nfake: ok\\r\\tz"),
            ("nul\0del\x7f", "nul\\x00del\\x7f"),
            // Bidi: "evil\u{202e}txt.exe" shows as "evilexe.txt".
            ("evil\u{202e}txt.exe", "evil\\u{202e}txt.exe"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_controls(input), *want, "{input:?}");
        }
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn keeps_layout_newlines_only_when_asked() {
        assert_eq!(
            escape_controls_keep_newlines("row 1\nrow\x1b[2 2\r\n"),
            "row 1\nrow\\x1b[2 2\\r\n"
        );
        assert_eq!(escape_controls("a\nb"), "a\\nb");
    }
}
