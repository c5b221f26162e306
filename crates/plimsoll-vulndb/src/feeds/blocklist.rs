//! sha256 blocklists of known-malicious files into the `blocklist` table, one source per
//! imported file (re-importing a file replaces its hashes). Two formats, told apart by
//! content ([`Parser`] decides on the first line that is not blank or a comment):
//!
//! - a hash list: one lowercase or uppercase hex sha256 a line, optionally followed by
//!   whitespace and a name (`e3b0…b855 Mirai.A`); `#` starts a comment line;
//! - abuse.ch MalwareBazaar's CSV export (`full.csv`, `recent.csv`): a block of `#` comment
//!   lines whose last one is the quoted column header (`# "first_seen_utc","sha256_hash",…`),
//!   then one quoted row per sample, fields separated by `,` or `, `. The hash is the
//!   `sha256_hash` column; the name is `signature` (the malware family) unless it is `n/a`,
//!   else `file_name`. <https://bazaar.abuse.ch/export/>
//!
//! Both are streamed a line at a time (the full MalwareBazaar export is hundreds of
//! megabytes): memory is bounded by [`MAX_LINE`], whatever the input. The CSV is split by
//! hand rather than with the `csv` crate because the export puts a space before each quoted
//! field, which RFC 4180 readers take as part of an unquoted field.

use crate::build::{Builder, ImportSummary};
use crate::{Error, Result, SqlCtx};
use rusqlite::params;
use std::io::BufRead;

/// Longest line read; the rest of a longer line is skipped (a MalwareBazaar row is about
/// 500 bytes).
pub const MAX_LINE: usize = 64 << 10;
/// Longest name kept for a hash (characters).
const MAX_NAME: usize = 200;

/// One blocklisted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEntry {
    /// 64 lowercase hex digits.
    pub sha256: String,
    /// The malware's name or family, as the list gives it (control characters removed).
    pub name: Option<String>,
}

/// Which format a blocklist turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlocklistFormat {
    HashList,
    MalwareBazaarCsv,
}

/// What one line said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A blank or comment line (or the CSV header).
    Nothing,
    Entry(BlockEntry),
    /// A line that holds no usable hash, and why.
    Skip(String),
}

/// Reads a blocklist a line at a time; see the module docs.
#[derive(Debug, Default)]
pub struct Parser {
    format: Option<BlocklistFormat>,
    /// CSV columns: sha256_hash, file_name, signature.
    columns: Option<(usize, Option<usize>, Option<usize>)>,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    /// The format, once a line told it.
    pub fn format(&self) -> Option<BlocklistFormat> {
        self.format
    }

    /// Reads one line (without its line ending; a trailing `\r` is dropped).
    pub fn line(&mut self, raw: &[u8]) -> Line {
        let raw = raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw);
        let text = String::from_utf8_lossy(raw);
        let l = text.trim();
        if l.is_empty() {
            return Line::Nothing;
        }
        if let Some(comment) = l.strip_prefix('#') {
            // The MalwareBazaar export comments its header out.
            if self.columns.is_none() && comment.contains("sha256_hash") {
                self.header(comment);
            }
            return Line::Nothing;
        }
        if self.columns.is_none() && l.starts_with('"') && l.contains("sha256_hash") {
            self.header(l);
            return Line::Nothing;
        }
        match self.format {
            Some(BlocklistFormat::MalwareBazaarCsv) => self.csv_row(l),
            Some(BlocklistFormat::HashList) => hash_line(l),
            None => {
                let first = l.split_whitespace().next().unwrap_or("");
                if sha256_hex(first).is_some() {
                    self.format = Some(BlocklistFormat::HashList);
                    hash_line(l)
                } else {
                    Line::Skip(
                        "neither a sha256 hash (64 hex digits) nor a MalwareBazaar CSV row after its header"
                            .into(),
                    )
                }
            }
        }
    }

    fn header(&mut self, l: &str) {
        let cols = fields(l);
        let at = |name: &str| cols.iter().position(|c| c == name);
        if let Some(sha) = at("sha256_hash") {
            self.columns = Some((sha, at("file_name"), at("signature")));
            self.format = Some(BlocklistFormat::MalwareBazaarCsv);
        }
    }

    fn csv_row(&self, l: &str) -> Line {
        let Some((sha, file, sig)) = self.columns else {
            return Line::Skip("a CSV row before the header".into());
        };
        let f = fields(l);
        let Some(hash) = f.get(sha).and_then(|h| sha256_hex(h)) else {
            return Line::Skip("no sha256 hash (64 hex digits) in the sha256_hash column".into());
        };
        let known = |i: Option<usize>| {
            i.and_then(|i| f.get(i))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("n/a"))
        };
        Line::Entry(BlockEntry {
            sha256: hash,
            name: known(sig).or(known(file)).and_then(clean_name),
        })
    }
}

/// `HASH [NAME]`.
fn hash_line(l: &str) -> Line {
    let (first, rest) = match l.split_once(char::is_whitespace) {
        Some((a, b)) => (a, b),
        None => (l, ""),
    };
    match sha256_hex(first) {
        Some(sha256) => Line::Entry(BlockEntry {
            sha256,
            name: clean_name(rest),
        }),
        None => Line::Skip("not a sha256 hash (64 hex digits)".into()),
    }
}

/// The hash as 64 lowercase hex digits (`sha256:` prefix allowed), if it is one.
pub fn sha256_hex(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("sha256:").unwrap_or(s);
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// A name as stored: trimmed, control characters dropped, at most [`MAX_NAME`] characters.
fn clean_name(s: &str) -> Option<String> {
    let n: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    let n = n.trim().to_string();
    (!n.is_empty()).then_some(n)
}

/// The fields of a CSV line: `"a","b"`, `"a", "b"` or unquoted; `""` inside quotes is a
/// quote.
fn fields(l: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = l.chars().peekable();
    loop {
        while matches!(it.peek(), Some(' ' | '\t')) {
            it.next();
        }
        let mut field = String::new();
        let mut more = false;
        if it.peek() == Some(&'"') {
            it.next();
            while let Some(c) = it.next() {
                if c != '"' {
                    field.push(c);
                } else if it.peek() == Some(&'"') {
                    it.next();
                    field.push('"');
                } else {
                    break;
                }
            }
            // Anything between the closing quote and the comma is dropped.
            for c in it.by_ref() {
                if c == ',' {
                    more = true;
                    break;
                }
            }
        } else {
            for c in it.by_ref() {
                if c == ',' {
                    more = true;
                    break;
                }
                field.push(c);
            }
            field = field.trim().to_string();
        }
        out.push(field);
        if !more {
            return out;
        }
    }
}

/// Reads a blocklist with `parser`: every entry goes to `entry`, every unusable line to
/// `skip` (its 1-based number and why). Memory stays within [`MAX_LINE`] per line.
pub fn read_blocklist(
    reader: &mut dyn BufRead,
    parser: &mut Parser,
    entry: &mut dyn FnMut(BlockEntry) -> Result<()>,
    skip: &mut dyn FnMut(u64, String),
    input: &str,
) -> Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut lineno = 0u64;
    loop {
        buf.clear();
        let (n, whole) = read_line_bounded(reader, &mut buf).map_err(|e| Error::Input {
            input: input.into(),
            reason: format!("cannot read line {}: {e}", lineno + 1),
        })?;
        if n == 0 {
            return Ok(());
        }
        lineno += 1;
        if !whole {
            skip(lineno, format!("longer than {MAX_LINE} bytes"));
            continue;
        }
        let l = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        match parser.line(l) {
            Line::Nothing => {}
            Line::Entry(e) => entry(e)?,
            Line::Skip(why) => skip(lineno, why),
        }
    }
}

/// Reads one line into `buf`, keeping at most [`MAX_LINE`] bytes of it (the rest is read
/// and dropped). Returns the bytes read and whether the line was kept whole.
fn read_line_bounded(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    let mut total = 0usize;
    let mut whole = true;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok((total, whole));
        }
        let (chunk, done) = match avail.iter().position(|b| *b == b'\n') {
            Some(i) => (&avail[..=i], true),
            None => (avail, false),
        };
        let k = chunk.len();
        if whole && buf.len() + k <= MAX_LINE {
            buf.extend_from_slice(chunk);
        } else {
            whole = false;
        }
        r.consume(k);
        total += k;
        if done {
            return Ok((total, whole));
        }
    }
}

impl Builder {
    /// Replaces the hashes of blocklist `source` (`blocklist:<path>`) with those of a hash
    /// list or MalwareBazaar CSV. An input with no hash at all is an error naming it: an
    /// import that read nothing must not look like a blocklist that was loaded.
    pub fn import_blocklist(
        &mut self,
        source: &str,
        input: &str,
        reader: &mut dyn BufRead,
    ) -> Result<ImportSummary> {
        let sid = self.source_id(source, "blocklist")?;
        let path = self.tmp_path().to_owned();
        self.conn()
            .execute("DELETE FROM blocklist WHERE sid = ?1", [sid])
            .at(&path)?;
        let mut summary = ImportSummary::default();
        let mut hashes = 0u64;
        let mut parser = Parser::new();
        let mut skipped = Vec::new();
        {
            let conn = self.conn();
            let mut stmt = conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO blocklist(sha256, sid, name) VALUES (?1, ?2, ?3)",
                )
                .at(&path)?;
            read_blocklist(
                reader,
                &mut parser,
                &mut |e| {
                    stmt.execute(params![e.sha256, sid, e.name]).at(&path)?;
                    hashes += 1;
                    Ok(())
                },
                &mut |n, why| {
                    if skipped.len() < 1000 {
                        skipped.push((n, why));
                    }
                },
                input,
            )?;
        }
        if hashes == 0 {
            let why = match skipped.first() {
                Some((n, r)) => format!(" (line {n}: {r})"),
                None => String::new(),
            };
            return Err(Error::Input {
                input: input.into(),
                reason: format!(
                    "no sha256 hash found{why}: a blocklist is one hash a line (with an optional name) or a MalwareBazaar CSV export"
                ),
            });
        }
        for (n, why) in skipped {
            summary.skip(&format!("{input}:{n}"), None, why);
        }
        let format = match parser.format() {
            Some(BlocklistFormat::MalwareBazaarCsv) => "malwarebazaar-csv",
            _ => "sha256-list",
        };
        let details = serde_json::json!({ "format": format });
        self.set_source_details(source, hashes, &details, None)?;
        summary.blocklist_hashes += hashes;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EICAR: &str = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

    fn parse(text: &str) -> (Vec<BlockEntry>, Vec<(u64, String)>, Option<BlocklistFormat>) {
        let mut p = Parser::new();
        let (mut es, mut sk) = (Vec::new(), Vec::new());
        read_blocklist(
            &mut text.as_bytes(),
            &mut p,
            &mut |e| {
                es.push(e);
                Ok(())
            },
            &mut |n, w| sk.push((n, w)),
            "test",
        )
        .unwrap();
        (es, sk, p.format())
    }

    #[test]
    fn hash_lists_with_names_comments_and_crlf() {
        let text = format!(
            "# my blocklist\r\n\r\n{} EICAR test file\r\n{}\nnot-a-hash name\nsha256:{}\tx\n",
            EICAR.to_uppercase(),
            "a".repeat(64),
            "b".repeat(64)
        );
        let (es, sk, f) = parse(&text);
        assert_eq!(f, Some(BlocklistFormat::HashList));
        assert_eq!(
            es,
            vec![
                BlockEntry {
                    sha256: EICAR.into(),
                    name: Some("EICAR test file".into())
                },
                BlockEntry {
                    sha256: "a".repeat(64),
                    name: None
                },
                BlockEntry {
                    sha256: "b".repeat(64),
                    name: Some("x".into())
                },
            ]
        );
        assert_eq!(sk.len(), 1);
        assert_eq!(sk[0].0, 5);
    }

    /// The shape of abuse.ch's `full.csv` export: a commented banner, the commented quoted
    /// header, then rows with `", "` between fields (hashes here are of test bytes, not
    /// samples).
    #[test]
    fn malwarebazaar_csv_export() {
        let text = format!(
            r#"################################################################
# MalwareBazaar full malware samples dump (CSV)                #
# Last updated: 2026-11-30 08:05:04 UTC                        #
#                                                              #
# Terms Of Use: https://bazaar.abuse.ch/faq/#tos               #
# For questions please contact bazaar [at] abuse.ch            #
################################################################
#
# "first_seen_utc","sha256_hash","md5_hash","sha1_hash","reporter","file_name","file_type_guess","mime_type","signature","clamav","vtpercent","imphash","ssdeep","tlsh"
"2026-11-30 08:03:12", "{EICAR}", "44d88612fea8a8f36de82e1278abb02f", "3395856ce81f2b7382dee72602f798b642f14140", "abuse_ch", "eicar.com", "com", "text/plain", "n/a", "Eicar-Signature", "n/a", "n/a", "3:a+JraNvsgzsVqSwHq9:tJuOgzsko", "n/a"
"2026-11-30 08:01:40", "{a}", "n/a", "n/a", "abuse_ch", "xmrig", "elf", "application/x-executable", "CoinMiner", "n/a", "n/a", "n/a", "n/a", "n/a"
"2026-11-30 08:00:01", "not-a-hash", "n/a"
"#,
            a = "c".repeat(64)
        );
        let (es, sk, f) = parse(&text);
        assert_eq!(f, Some(BlocklistFormat::MalwareBazaarCsv));
        assert_eq!(
            es,
            vec![
                BlockEntry {
                    sha256: EICAR.into(),
                    name: Some("eicar.com".into())
                },
                BlockEntry {
                    sha256: "c".repeat(64),
                    name: Some("CoinMiner".into())
                },
            ]
        );
        assert_eq!(sk.len(), 1, "{sk:?}");
    }

    #[test]
    fn csv_fields() {
        assert_eq!(fields(r#""a","b""c", "d""#), vec!["a", "b\"c", "d"]);
        assert_eq!(fields("a, b ,c"), vec!["a", "b", "c"]);
        assert_eq!(fields(r#""x","#), vec!["x", ""]);
    }

    #[test]
    fn nothing_usable_is_told_apart_and_long_lines_are_bounded() {
        let (es, sk, f) = parse("# only comments\n\n");
        assert!(es.is_empty() && sk.is_empty() && f.is_none());
        let long = format!("{} {}\n{}\n", EICAR, "x".repeat(MAX_LINE), EICAR);
        let (es, sk, _) = parse(&long);
        assert_eq!(es.len(), 1);
        assert_eq!(sk[0].0, 1);
        // A JSON document is not a blocklist.
        let (es, _, f) = parse("{\"id\": \"MAL-2024-1\"}\n");
        assert!(es.is_empty() && f.is_none());
    }
}
