//! Secret values taken out of what an image says about its own build.
//!
//! An image's config records its build: every history entry's `created_by`, and the
//! `Entrypoint`, `Cmd` and `Labels`. Builders put values there that were never meant to be
//! read back:
//!
//! - build arguments prefix every `RUN` made while they were set:
//!   `|2 API_TOKEN=abc DATABASE_URL=postgres://u:p@db /bin/sh -c make` (classic builder) or
//!   `RUN |2 API_TOKEN=abc … /bin/sh -c make # buildkit`; `N` counts the pairs, and a value
//!   may be quoted and then hold spaces;
//! - `ENV` and `ARG` entries keep their values: `/bin/sh -c #(nop)  ENV A=b C=d`,
//!   `ENV A=b`, `ARG A=b`, and the legacy `ENV A b c` (one name, the rest is its value);
//! - commands and labels hold flags (`--password=x`, `--token x`), assignments
//!   (`DB_PASSWORD=x`), URLs with credentials (`https://user:pass@host`) and tokens of
//!   well-known shapes (AWS `AKIA…`, GitHub `ghp_…`/`github_pat_…`, GitLab `glpat-…`,
//!   Slack `xox?-…`).
//!
//! The image crate runs every such value through this module once, where it builds the
//! report's artifact, so that every output format, the findings' `layer_created_by` and the
//! base-image decision see only the redacted text. Names are kept (`API_TOKEN=****`): they
//! say what the build used without saying what it was.
//!
//! "Secret-looking" is a heuristic and leans towards redacting: a name or flag containing
//! `PASS`, `PWD`, `SECRET`, `TOKEN`, `KEY`, `CREDENTIAL` or `AUTH` (but not the common
//! harmless words `author`, `keyring`, `keyserver`, gpg's `recv-keys`, `bypass`,
//! `passthrough`).

use std::borrow::Cow;
use std::collections::BTreeMap;

/// What a redacted value is replaced with.
pub const MASK: &str = "****";

/// A history entry's `created_by` without the values of build arguments, `ENV` and `ARG`,
/// and without secret-looking values in the command.
pub fn created_by(s: &str) -> String {
    // Classic builder: `/bin/sh -c #(nop)  ENV A=b`; BuildKit: `ENV A=b`; either may
    // start with `RUN ` and a build-argument prefix.
    let (lead, rest) = split_leading(s, |t| {
        t.strip_prefix("/bin/sh -c #(nop)")
            .map(|r| r.trim_start())
            .unwrap_or(t)
    });
    let (lead2, rest) = split_leading(rest, |t| t.strip_prefix("RUN ").unwrap_or(t).trim_start());
    let mut out = String::with_capacity(s.len());
    out.push_str(lead);
    out.push_str(lead2);
    if let Some(after_bar) = rest.strip_prefix('|') {
        let digits = after_bar.bytes().take_while(u8::is_ascii_digit).count();
        if let Ok(n) = after_bar[..digits].parse::<usize>() {
            out.push('|');
            out.push_str(&after_bar[..digits]);
            let tail = build_args(&after_bar[digits..], n, &mut out);
            out.push_str(&secrets(tail));
            return out;
        }
    }
    let word_end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    let word = &rest[..word_end];
    if word.eq_ignore_ascii_case("ENV") || word.eq_ignore_ascii_case("ARG") {
        out.push_str(word);
        env_or_arg(&rest[word_end..], &mut out);
        return out;
    }
    out.push_str(&secrets(rest));
    out
}

/// `(prefix, rest)` where `rest` is what `strip` leaves of `s`.
fn split_leading<'a>(s: &'a str, strip: impl Fn(&'a str) -> &'a str) -> (&'a str, &'a str) {
    let rest = strip(s);
    (&s[..s.len() - rest.len()], rest)
}

/// Copies ` NAME=value` × `n` to `out` with the values masked; returns what follows them.
fn build_args<'a>(mut s: &'a str, n: usize, out: &mut String) -> &'a str {
    for i in 0..n {
        let ws = s.len() - s.trim_start().len();
        out.push_str(&s[..ws]);
        s = &s[ws..];
        let name_len = s
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(s.len());
        if !s[name_len..].starts_with('=') {
            // Not a pair after all: leave the rest to the command rules.
            return s;
        }
        out.push_str(&s[..=name_len]);
        let value = &s[name_len + 1..];
        let end = if value.starts_with(['"', '\'']) {
            quoted_end(value)
        } else if i + 1 < n {
            // Unquoted values are cut at the next `NAME=` (older builders did not quote
            // values with spaces).
            next_assignment(value).unwrap_or(value.len())
        } else {
            // The last value ends where the command starts: a path or an exec array.
            value
                .find(" /")
                .or_else(|| value.find(" ["))
                .or_else(|| value.find(char::is_whitespace))
                .unwrap_or(value.len())
        };
        if end > 0 {
            out.push_str(MASK);
        }
        s = &value[end..];
    }
    s
}

/// The byte length of the quoted string at the start of `s` (quotes included; a backslash
/// escapes the next character inside double quotes). An unclosed quote runs to the end.
fn quoted_end(s: &str) -> usize {
    let q = s.as_bytes()[0];
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match b {
            b'\\' if q == b'"' && !escaped => escaped = true,
            b if b == q && !escaped => return i + 1,
            _ => escaped = false,
        }
    }
    s.len()
}

/// Where the next whitespace-separated `NAME=` starts in `s` (at the whitespace).
fn next_assignment(s: &str) -> Option<usize> {
    // One pass: each run of whitespace and each word is looked at once.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let at = i;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let n = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        if n > 0 && b.get(i + n) == Some(&b'=') {
            return Some(at);
        }
    }
    None
}

/// `ENV`/`ARG` arguments: `A=b C="d e"` keep their names, the legacy `A b c` its one name.
/// A trailing BuildKit `# buildkit` comment is kept.
fn env_or_arg(args: &str, out: &mut String) {
    let (args, comment) = match args.rfind(" # buildkit") {
        Some(i) if args[i..].trim() == "# buildkit" => (&args[..i], &args[i..]),
        _ => (args, ""),
    };
    let words = words(args);
    let Some(&(a0, b0)) = words.first() else {
        out.push_str(args);
        out.push_str(comment);
        return;
    };
    if !args[a0..b0].contains('=') {
        // Legacy `ENV NAME value with spaces`.
        out.push_str(&args[..b0]);
        if words.len() > 1 {
            out.push(' ');
            out.push_str(MASK);
        }
        out.push_str(comment);
        return;
    }
    let mut at = 0;
    for &(a, b) in &words {
        let w = &args[a..b];
        // A word without `=` continues the previous unquoted value: masked with it.
        if let Some(eq) = w.find('=') {
            out.push_str(&args[at..a]);
            out.push_str(&w[..=eq]);
            if eq + 1 < w.len() {
                out.push_str(MASK);
            }
        }
        at = b;
    }
    out.push_str(&args[at..]);
    out.push_str(comment);
}

/// Shell-like words of `s` as byte ranges: runs of non-space characters and quoted strings
/// (`--a="b c"` is one word).
fn words(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            if b[i] == b'"' || b[i] == b'\'' {
                i += quoted_end(&s[i..]);
            } else {
                i += 1;
            }
        }
        out.push((start, i));
    }
    out
}

/// Whether a variable, flag or label name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let mut n = name.to_ascii_lowercase();
    for harmless in [
        "author",
        "keyring",
        "keyserver",
        "recv-keys",
        "bypass",
        "passthrough",
    ] {
        n = n.replace(harmless, "");
    }
    [
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "credential",
        "auth",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Free text (a command line, a label value) without secret-looking values: the values of
/// secret-named flags (`--password=x`, `--token x`) and assignments (`DB_PASS=x`), the
/// password of `-u user:pass`, URL credentials and well-known token shapes.
pub fn secrets(s: &str) -> Cow<'_, str> {
    if let Some(argv) = exec_form(s) {
        return Cow::Owned(argv);
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    let mut mask_next = false;
    for (a, b) in words(s) {
        out.push_str(&s[at..a]);
        let w = &s[a..b];
        if mask_next && !unquote(w).starts_with('-') {
            out.push_str(&mask_word(w));
            mask_next = false;
        } else if w.len() > 1
            && w.starts_with(['"', '\''])
            && quoted_end(w) == w.len()
            // Closed by its own quote (an unclosed one may end inside a multi-byte character).
            && w.as_bytes()[w.len() - 1] == w.as_bytes()[0]
            && w.contains(char::is_whitespace)
        {
            // A quoted command (`sh -c "app --token x"`): its own words.
            out.push_str(&w[..1]);
            out.push_str(&secrets(&w[1..w.len() - 1]));
            out.push_str(&w[w.len() - 1..]);
            mask_next = false;
        } else {
            let (word, next) = word_rule(w);
            out.push_str(&word);
            mask_next = next;
        }
        at = b;
    }
    out.push_str(&s[at..]);
    let out = bearer(&userinfo(&token_shapes(&out))).into_owned();
    if out == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(out)
    }
}

/// A JSON exec form at the end of an instruction (`CMD ["app","--token","x"]`), redacted
/// element by element; `None` when `s` holds none.
fn exec_form(s: &str) -> Option<String> {
    let open = s.find('[')?;
    let head = &s[..open];
    if !head
        .split_whitespace()
        .all(|w| w.chars().all(|c| c.is_ascii_uppercase()))
    {
        return None;
    }
    let tail = s[open..].trim_end();
    let (array, comment) = match tail.rfind("] ") {
        Some(i) if tail[i + 1..].trim_start().starts_with('#') => (&tail[..=i], &s[open + i + 1..]),
        _ => (tail, &s[open + tail.len()..]),
    };
    let original = parse_string_array(array)?;
    let args = argv(&original);
    if args == original {
        return Some(s.to_string());
    }
    let mut out = head.to_string();
    out.push('[');
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in a.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out.push_str(comment);
    Some(out)
}

/// `["a","b\"c"]` as strings; `None` unless it is exactly a JSON array of strings.
fn parse_string_array(s: &str) -> Option<Vec<String>> {
    let mut it = s.trim().strip_prefix('[')?.strip_suffix(']')?.trim_start();
    let mut out = Vec::new();
    while !it.is_empty() {
        it = it.strip_prefix('"')?;
        let mut v = String::new();
        let mut chars = it.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => break i,
                '\\' => match chars.next()?.1 {
                    'n' => v.push('\n'),
                    't' => v.push('\t'),
                    'r' => v.push('\r'),
                    c @ ('"' | '\\' | '/') => v.push(c),
                    // \uXXXX and the rest: not worth decoding here; not an exec form.
                    _ => return None,
                },
                c => v.push(c),
            }
        };
        out.push(v);
        it = it[end + 1..].trim_start();
        if let Some(r) = it.strip_prefix(',') {
            it = r.trim_start();
            if it.is_empty() {
                return None;
            }
        } else if !it.is_empty() {
            return None;
        }
    }
    Some(out)
}

/// `Entrypoint`/`Cmd` elements without secret-looking values: a secret-named flag's value
/// is the next element (`["--token", "x"]`) or follows its `=`; each element is also free
/// text (`["sh", "-c", "run --password x"]`).
pub fn argv(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut mask_next = false;
    for a in args {
        if mask_next && !a.starts_with('-') {
            out.push(MASK.to_string());
            mask_next = false;
            continue;
        }
        let (word, next) = word_rule(a);
        mask_next = next;
        let word = if word == a.as_str() {
            secrets(a).into_owned()
        } else {
            word.into_owned()
        };
        out.push(word);
    }
    out
}

/// Labels with the values of secret-named keys masked and the rest run through
/// [`secrets`].
pub fn labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|(k, v)| {
            let v = if is_secret_name(k) && !v.is_empty() {
                MASK.to_string()
            } else {
                secrets(v).into_owned()
            };
            (k.clone(), v)
        })
        .collect()
}

fn unquote(w: &str) -> &str {
    w.trim_matches(['"', '\''])
}

/// A whole word masked, its quotes and closing brackets kept (`"tok"]` -> `"****"]`).
fn mask_word(w: &str) -> String {
    match w.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) => {
            let end = quoted_end(w);
            let after = &w[end..];
            let after = if after
                .bytes()
                .all(|b| matches!(b, b']' | b',' | b';' | b')'))
            {
                after
            } else {
                ""
            };
            format!("{}{MASK}{}{after}", q as char, q as char)
        }
        _ => MASK.to_string(),
    }
}

/// One word: `--secret=v` and `SECRET=v` with `v` masked; whether the next word is the
/// value of a secret flag (`--token x`, `-u user:pass`).
fn word_rule(w: &str) -> (Cow<'_, str>, bool) {
    let bare = unquote(w);
    if let Some(eq) = w.find('=') {
        let name = w[..eq].trim_start_matches(['"', '\'']);
        let flag = name.trim_start_matches('-');
        let ident = !flag.is_empty()
            && flag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if ident && is_secret_name(flag) && eq + 1 < w.len() {
            let quote = match w.as_bytes()[0] {
                q @ (b'"' | b'\'') if w.ends_with(q as char) && w.len() > eq + 1 => {
                    (q as char).to_string()
                }
                _ => String::new(),
            };
            let value = &w[eq + 1..];
            let masked = if value.starts_with(['"', '\'']) {
                mask_word(value)
            } else {
                format!("{MASK}{quote}")
            };
            return (Cow::Owned(format!("{}{masked}", &w[..=eq])), false);
        }
        return (Cow::Borrowed(w), false);
    }
    let next = match bare.strip_prefix("--").or_else(|| bare.strip_prefix('-')) {
        Some("u" | "user") => false, // handled below: only `user:pass` is masked
        Some(flag) if !flag.is_empty() => is_secret_name(flag),
        _ => false,
    };
    (Cow::Borrowed(w), next)
}

/// `scheme://user:pass@host` with the password masked.
fn userinfo(s: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut at = 0;
    let mut search = 0;
    while let Some(i) = s[search..].find("://") {
        let start = search + i + 3;
        let rest = &s[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '"' | '\'' | '?' | '#' | '@'))
            .unwrap_or(rest.len());
        search = start;
        if rest[end..].starts_with('@')
            && let Some(colon) = rest[..end].find(':')
            && colon + 1 < end
        {
            out.push_str(&s[at..start + colon + 1]);
            out.push_str(MASK);
            at = start + end;
            search = at;
        }
    }
    if at == 0 {
        return Cow::Borrowed(s);
    }
    out.push_str(&s[at..]);
    Cow::Owned(out)
}

/// `Bearer x`/`Basic x` (an `Authorization` header's credential) with `x` masked, and
/// `-u user:pass`/`--user user:pass` with the password masked.
fn bearer(s: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut at = 0;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !s.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &s[i..];
        let at_word = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let scheme = ["Bearer ", "bearer ", "Basic ", "basic ", "-u ", "--user "]
            .iter()
            .find(|p| at_word && rest.starts_with(**p));
        let Some(p) = scheme else {
            i += 1;
            continue;
        };
        let v = i + p.len();
        let len = s[v..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ']'))
            .unwrap_or(s.len() - v);
        let value = &s[v..v + len];
        let credential = value.len() >= 8
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=._-~".contains(&b));
        if !p.starts_with('-') && !credential {
            i = v;
            continue;
        }
        let from = if p.starts_with('-') {
            // Only the password of `user:pass`.
            match value.find(':') {
                Some(c) if c + 1 < len => v + c + 1,
                _ => {
                    i = v;
                    continue;
                }
            }
        } else {
            v
        };
        if len > 0 && &s[from..v + len] != MASK {
            out.push_str(&s[at..from]);
            out.push_str(MASK);
            at = v + len;
        }
        i = v + len.max(1);
    }
    if at == 0 {
        return Cow::Borrowed(s);
    }
    out.push_str(&s[at..]);
    Cow::Owned(out)
}

/// Tokens of well-known shapes, wherever they stand, replaced whole.
fn token_shapes(s: &str) -> Cow<'_, str> {
    let is_tok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::new();
    let mut at = 0;
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let Some(c) = rest.chars().next() else { break };
        if !is_tok(c) {
            i += c.len_utf8();
            continue;
        }
        let len = rest.find(|c: char| !is_tok(c)).unwrap_or(rest.len());
        let w = &rest[..len];
        if looks_like_token(w) {
            out.push_str(&s[at..i]);
            out.push_str(MASK);
            at = i + len;
        }
        i += len;
    }
    if at == 0 {
        return Cow::Borrowed(s);
    }
    out.push_str(&s[at..]);
    Cow::Owned(out)
}

fn looks_like_token(w: &str) -> bool {
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    // AWS access key ids: AKIA (long-term) or ASIA (temporary) and 16 more.
    if (w.starts_with("AKIA") || w.starts_with("ASIA"))
        && w.len() == 20
        && w[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return true;
    }
    // GitHub: classic tokens (ghp_, gho_, ghu_, ghs_, ghr_ and 36) and fine-grained ones.
    if ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .iter()
        .any(|p| w.starts_with(p))
        && w.len() >= 40
        && alnum(&w[4..])
    {
        return true;
    }
    if let Some(r) = w.strip_prefix("github_pat_") {
        return r.len() >= 22;
    }
    if let Some(r) = w.strip_prefix("glpat-") {
        return r.len() >= 20;
    }
    // Slack: xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-.
    if let Some(r) = w.strip_prefix("xox")
        && let Some(r) = r.strip_prefix(['a', 'b', 'e', 'p', 'r', 's'])
        && let Some(r) = r.strip_prefix('-')
    {
        return r.len() >= 10;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_by_keeps_names_and_hides_values() {
        let cases: &[(&str, &str)] = &[
            // Build arguments, classic builder and BuildKit.
            (
                "|2 API_TOKEN=s3cr3t DATABASE_URL=postgres://admin:hunter2@db:5432/app /bin/sh -c make",
                "|2 API_TOKEN=**** DATABASE_URL=**** /bin/sh -c make",
            ),
            (
                "RUN |2 API_TOKEN=s3cr3t DATABASE_URL=postgres://admin:hunter2@db/app /bin/sh -c ./build.sh # buildkit",
                "RUN |2 API_TOKEN=**** DATABASE_URL=**** /bin/sh -c ./build.sh # buildkit",
            ),
            // Quoted values with spaces; N pairs exactly.
            (
                "RUN |2 GREETING=\"hello big world\" MODE='a b' /bin/sh -c echo hi # buildkit",
                "RUN |2 GREETING=**** MODE=**** /bin/sh -c echo hi # buildkit",
            ),
            // Unquoted values with spaces, as older builders wrote them.
            (
                "|2 MSG=hello world VERSION=1 2 /bin/sh -c true",
                "|2 MSG=**** VERSION=**** /bin/sh -c true",
            ),
            ("|1 EMPTY= /bin/sh -c true", "|1 EMPTY= /bin/sh -c true"),
            (
                "|1 V=1 /bin/sh -c curl -u admin:pw https://x",
                "|1 V=**** /bin/sh -c curl -u admin:**** https://x",
            ),
            // ENV and ARG in every form.
            (
                "/bin/sh -c #(nop)  ENV A=b C=d",
                "/bin/sh -c #(nop)  ENV A=**** C=****",
            ),
            ("ENV A=b", "ENV A=****"),
            ("ARG A=b", "ARG A=****"),
            ("ARG VERSION", "ARG VERSION"),
            (
                "ENV PGPASSWORD=\"x y z\" PATH=/usr/local/bin:/usr/bin # buildkit",
                "ENV PGPASSWORD=**** PATH=**** # buildkit",
            ),
            (
                "/bin/sh -c #(nop)  ENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D",
                "/bin/sh -c #(nop)  ENV GPG_KEY ****",
            ),
            (
                "/bin/sh -c #(nop)  ENV MESSAGE hello there world",
                "/bin/sh -c #(nop)  ENV MESSAGE ****",
            ),
            // Commands: flags, assignments, URLs, tokens; the rest is left alone.
            (
                "/bin/sh -c apt-get update && apt-get install -y curl",
                "/bin/sh -c apt-get update && apt-get install -y curl",
            ),
            (
                "RUN /bin/sh -c ./deploy --password=hunter2 --token abc123 --verbose # buildkit",
                "RUN /bin/sh -c ./deploy --password=**** --token **** --verbose # buildkit",
            ),
            (
                "/bin/sh -c DB_PASSWORD=hunter2 ./migrate && git clone https://u:ghpass@git.example/r",
                "/bin/sh -c DB_PASSWORD=**** ./migrate && git clone https://u:****@git.example/r",
            ),
            (
                "/bin/sh -c curl -H \"Authorization: Bearer eyJhbGciOi.x.y\" https://api",
                "/bin/sh -c curl -H \"Authorization: Bearer ****\" https://api",
            ),
            (
                "/bin/sh -c gpg --keyserver hkps://keys.openpgp.org --recv-keys 0xABCD",
                "/bin/sh -c gpg --keyserver hkps://keys.openpgp.org --recv-keys 0xABCD",
            ),
            (
                "/bin/sh -c #(nop)  CMD [\"app\" \"--token\" \"tok\"]",
                "/bin/sh -c #(nop)  CMD [\"app\" \"--token\" \"****\"]",
            ),
            (
                "CMD [\"app\",\"--api-key=k\",\"serve\"] # buildkit",
                "CMD [\"app\",\"--api-key=****\",\"serve\"] # buildkit",
            ),
            ("ADD file:0123abcd in / ", "ADD file:0123abcd in / "),
        ];
        for (input, want) in cases {
            assert_eq!(created_by(input), *want, "{input}");
        }
    }

    #[test]
    fn token_shapes_are_masked_anywhere() {
        let cases: &[(&str, &str)] = &[
            (
                "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
                "aws configure set aws_access_key_id ****",
            ),
            (
                "git clone https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r",
                "git clone https://****@github.com/o/r",
            ),
            (
                "echo github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz > t",
                "echo **** > t",
            ),
            ("notify xoxb-123456789012-abcdefABCDEF", "notify ****"),
            ("glpat-abcdefghij0123456789", "****"),
            // Near misses stay.
            ("AKIA is an AWS prefix", "AKIA is an AWS prefix"),
            ("ghp_short", "ghp_short"),
        ];
        for (input, want) in cases {
            assert_eq!(secrets(input), *want, "{input}");
        }
    }

    #[test]
    fn argv_masks_flag_values_across_elements() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            argv(&v(&[
                "/app",
                "--token",
                "t0k",
                "--port",
                "80",
                "--password=pw"
            ])),
            v(&["/app", "--token", MASK, "--port", "80", "--password=****"])
        );
        assert_eq!(
            argv(&v(&[
                "sh",
                "-c",
                "exec app --secret s --db postgres://a:b@h/d"
            ])),
            v(&[
                "sh",
                "-c",
                "exec app --secret **** --db postgres://a:****@h/d"
            ])
        );
        // A flag without its value keeps the next flag.
        assert_eq!(
            argv(&v(&["app", "--token", "--debug"])),
            v(&["app", "--token", "--debug"])
        );
    }

    #[test]
    fn labels_by_key_and_by_value() {
        let m: BTreeMap<String, String> = [
            ("org.opencontainers.image.authors", "Ann <ann@example.org>"),
            ("com.example.api-key", "k-123"),
            ("com.example.registry", "https://bot:pw@registry.example"),
            ("version", "1.2"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let r = labels(&m);
        assert_eq!(
            r["org.opencontainers.image.authors"],
            "Ann <ann@example.org>"
        );
        assert_eq!(r["com.example.api-key"], MASK);
        assert_eq!(
            r["com.example.registry"],
            "https://bot:****@registry.example"
        );
        assert_eq!(r["version"], "1.2");
    }

    /// Found by the `redact_text` fuzz target: an unclosed quote ending inside a
    /// multi-byte character was sliced one byte before its end.
    #[test]
    fn an_unclosed_quote_ending_in_a_multibyte_character() {
        let line = "RUN |2 API_TOKEN=abc \"DA\u{4}A\u{e4}ABT=postgres://u:/in/sh -cp@db\u{a9}";
        let out = created_by(line);
        assert!(!out.contains("=abc"), "{out}");
        assert_eq!(secrets("\"a b\u{e9}"), "\"a b\u{e9}");
    }

    #[test]
    fn hostile_sizes_take_linear_time() {
        // Long whitespace runs inside a build-argument value and a huge pair count.
        let spaces = " ".repeat(200_000);
        let s = format!("|2 A=x{spaces}y B=z{spaces} /bin/sh -c true");
        assert_eq!(created_by(&s), "|2 A=**** B=**** /bin/sh -c true");
        // Fewer pairs than N: the rest is taken for values, not shown.
        let s = format!("|3 A=x{spaces}y B=z{spaces} /bin/sh -c true");
        assert_eq!(created_by(&s), "|3 A=**** B=****");
        assert_eq!(created_by("|999999999999 A=b"), "|999999999999 A=****");
        let words = "--token ".repeat(100_000);
        assert!(secrets(&words).len() >= words.len());
    }

    #[test]
    fn secret_names() {
        for n in [
            "PASSWORD",
            "db_pass",
            "API_TOKEN",
            "aws-secret",
            "SSH_KEY",
            "Auth",
            "PGPWD",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["PATH", "HOME", "authors", "keyring", "VERSION", "LANG"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }
}
