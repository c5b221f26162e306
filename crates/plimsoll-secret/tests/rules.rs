//! Every built-in rule on a realistic fake secret (built here, so no real-looking key sits
//! verbatim in the repository), the false-positive corpus, and the promises of the API:
//! nothing secret in a `Hit`, one report per secret across windows, binaries and the size
//! limit.

use plimsoll_secret::{CHUNK, Hit, OVERLAP, Scanner, redact};
use plimsoll_testkit::secrets::{DIGITS, Fake, cases, pem_body};
use std::collections::BTreeSet;

fn scan(s: &Scanner, path: &str, text: &str) -> Vec<Hit> {
    s.scan_reader(path, &mut text.as_bytes(), 1 << 30).unwrap()
}

#[test]
fn every_rule_finds_its_fake_secret_on_the_right_line() {
    let s = Scanner::builtin();
    let mut covered = BTreeSet::new();
    for (id, path, text, line, secret) in cases() {
        assert!(s.wants_path(path), "{id}: {path} not wanted");
        let hits = scan(&s, path, &text);
        assert_eq!(
            hits.iter()
                .map(|h| (h.rule_id.as_str(), h.line))
                .collect::<Vec<_>>(),
            vec![(id, line)],
            "{id} in {path}:\n{text}"
        );
        if !secret.is_empty() {
            assert_eq!(hits[0].redacted, redact(&secret), "{id}");
        }
        covered.insert(id);
    }
    let all: BTreeSet<&str> = s.rules().map(|r| r.id.as_str()).collect();
    let missing: Vec<_> = all.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "rules without a positive case: {missing:?}"
    );
}

#[test]
fn no_hit_debug_output_or_error_holds_the_secret() {
    let s = Scanner::builtin();
    for (id, path, text, _, secret) in cases() {
        let secret = if secret.is_empty() {
            // the key cases: 32 characters of the body
            let body = text.lines().skip(3).find(|l| l.len() >= 32).unwrap();
            body.chars().take(32).collect()
        } else {
            secret
        };
        let hits = scan(&s, path, &text);
        let shown = format!("{hits:?} {}", serde_json_like(&hits));
        assert!(!shown.contains(&secret), "{id}: {shown}");
        assert!(
            hits.iter()
                .all(|h| h.redacted.ends_with("****") && h.redacted.len() <= 8)
        );
        // An error of the reader carries the reader's message, never the content.
        let mut failing = FailAfter(text.as_bytes(), 10);
        let err = s.scan_reader(path, &mut failing, 1 << 20).unwrap_err();
        assert!(!format!("{err} {err:?}").contains(&secret));
        // scan_text reports the same.
        let t = s.scan_text(path, &text);
        assert!(!format!("{t:?}").contains(&secret));
    }
}

/// The fields a serializer would write.
fn serde_json_like(hits: &[Hit]) -> String {
    hits.iter()
        .map(|h| format!("{}:{}:{}", h.rule_id, h.line, h.redacted))
        .collect()
}

struct FailAfter<'a>(&'a [u8], usize);
impl std::io::Read for FailAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.1 == 0 {
            return Err(std::io::Error::other("layer stream broke"));
        }
        self.1 -= 1;
        let n = buf.len().min(self.0.len()).min(7);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        if n == 0 {
            self.1 = 0;
            return Err(std::io::Error::other("layer stream broke"));
        }
        Ok(n)
    }
}

#[test]
fn not_secrets_corpus_has_no_findings() {
    let s = Scanner::builtin();
    let corpus = include_str!("data/not-secrets.txt");
    // As a config file (every rule applies), as code, and line by line as Env entries.
    for path in [
        "srv/app/config.yaml",
        "srv/app/.env",
        "srv/app/src/main.js",
        "var/lib/dpkg/status",
    ] {
        let hits = scan(&s, path, corpus);
        let lines: Vec<&str> = corpus.lines().collect();
        let shown: Vec<String> = hits
            .iter()
            .map(|h| {
                format!(
                    "{} line {}: {}",
                    h.rule_id,
                    h.line,
                    lines[h.line as usize - 1]
                )
            })
            .collect();
        assert!(hits.is_empty(), "{path}:\n{}", shown.join("\n"));
    }
    for (i, line) in corpus.lines().enumerate() {
        let hits = s.scan_text("config:Env", line);
        assert!(hits.is_empty(), "line {}: {line}: {hits:?}", i + 1);
    }
}

#[test]
fn documented_examples_are_allowed() {
    let s = Scanner::builtin();
    let text = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
    assert_eq!(scan(&s, "root/.aws/credentials", text), vec![]);
    // With the example allow rule disabled, both are reported.
    let s = Scanner::from_config("secrets.yaml", "disable-rules: [documented-examples]\n").unwrap();
    let ids: Vec<String> = scan(&s, "root/.aws/credentials", text)
        .into_iter()
        .map(|h| h.rule_id)
        .collect();
    assert_eq!(ids, ["aws-access-key-id", "aws-secret-access-key"]);
}

#[test]
fn env_labels_and_history_texts() {
    let s = Scanner::builtin();
    let mut f = Fake(7);
    let pw = format!("{}#{}", f.alnum(12), f.from(DIGITS, 3));
    let hits = s.scan_text("config:Env", &format!("DB_PASSWORD={pw}"));
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].rule_id.as_str(), hits[0].line),
        ("generic-secret", 1)
    );
    let gh = format!("ghp_{}", f.alnum(36));
    let hist = format!("RUN |1 GH_TOKEN={gh} /bin/sh -c git clone https://x/y.git");
    let hits = s.scan_text("history:4", &hist);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].rule_id, "github-pat");
    // The classic builder's ENV history line (it holds `#(nop)`, yet is not a comment).
    let hits = s.scan_text(
        "history:2",
        &format!("/bin/sh -c #(nop)  ENV DB_PASSWORD={pw}"),
    );
    assert_eq!(hits.len(), 1, "{hits:?}");
    // "EXAMPLE" in the name does not make the value an example.
    let hits = s.scan_text("config:Env", &format!("EXAMPLE_APP_PASSWORD={pw}"));
    assert_eq!(hits.len(), 1, "{hits:?}");
    // Ordinary Env entries of official images.
    for e in [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
        "PYTHON_SHA256=8fb5f9fbc7609fa822cb31549884575db7fd9657cbffb89510b5d7975963a83a",
        "NODE_VERSION=22.12.0",
        "POSTGRES_PASSWORD=mysecretpassword",
        "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db_root_password",
        "PGDATA=/var/lib/postgresql/data",
    ] {
        assert_eq!(s.scan_text("config:Env", e), vec![], "{e}");
    }
}

/// A reader that hands out at most `step` bytes per call.
struct Trickle<'a>(&'a [u8], usize);
impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(self.1);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn secrets_across_window_boundaries_are_reported_once() {
    let s = Scanner::builtin();
    let mut f = Fake(11);
    let token = format!("ghp_{}", f.alnum(36));
    let key = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}-----END RSA PRIVATE KEY-----\n",
        pem_body(&f.bytes(2300))
    );
    // Place a token and a key around each boundary of the first windows.
    for at in [
        CHUNK - 30,
        CHUNK - 10,
        CHUNK - 3,
        CHUNK,
        CHUNK + 5,
        CHUNK + OVERLAP - 20,
        CHUNK + OVERLAP,
        2 * CHUNK - 1000,
        2 * CHUNK + OVERLAP - 1,
    ] {
        for (secret, id, path) in [
            (token.as_str(), "github-pat", "srv/app/notes.txt"),
            (key.as_str(), "private-key", "srv/app/notes.txt"),
            (
                "DB_PASSWORD=Xk29!fQ0zLm7",
                "generic-secret",
                "srv/app/app.env",
            ),
        ] {
            let filler_line = "lorem ipsum dolor sit amet consectetur adipiscing elit\n";
            let mut text = String::new();
            while text.len() + filler_line.len() <= at {
                text.push_str(filler_line);
            }
            while text.len() < at {
                text.push(' ');
            }
            let line = text.matches('\n').count() as u64 + 1;
            text.push_str(secret);
            text.push('\n');
            while text.len() < 3 * CHUNK {
                text.push_str(filler_line);
            }
            for step in [usize::MAX, 4096, 1000] {
                let hits = s
                    .scan_reader(path, &mut Trickle(text.as_bytes(), step), 1 << 30)
                    .unwrap();
                assert_eq!(
                    hits.iter()
                        .map(|h| (h.rule_id.as_str(), h.line))
                        .collect::<Vec<_>>(),
                    vec![(id, line)],
                    "secret at {at}, step {step}"
                );
            }
        }
    }
}

#[test]
fn binaries_are_skipped_and_the_size_limit_stops_the_scan() {
    let s = Scanner::builtin();
    let mut f = Fake(3);
    let token = format!("ghp_{}", f.alnum(36));
    let mut bin = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
    bin.extend(format!(" {token} ").as_bytes());
    let r = s
        .scan_stream("usr/bin/tool", &mut bin.as_slice(), 1 << 20)
        .unwrap();
    assert!(r.binary && r.hits.is_empty());
    // A custom rule that asks for binaries finds it.
    let cfg = "rules:\n  - id: gh-in-binaries\n    title: GitHub token in a binary\n    severity: HIGH\n    keywords: [ghp_]\n    regex: 'ghp_[0-9A-Za-z]{36}'\n    binary: true\n";
    let c = Scanner::from_config("s.yaml", cfg).unwrap();
    let r = c
        .scan_stream("usr/bin/tool", &mut bin.as_slice(), 1 << 20)
        .unwrap();
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.hits[0].rule_id, "gh-in-binaries");

    let text = format!("{}\n{token}\n", "x".repeat(5000));
    let r = s
        .scan_stream("srv/a.txt", &mut text.as_bytes(), 4000)
        .unwrap();
    assert!(r.truncated && r.hits.is_empty() && r.bytes == 4000);
    let r = s
        .scan_stream("srv/a.txt", &mut text.as_bytes(), 1 << 20)
        .unwrap();
    assert!(!r.truncated && r.hits.len() == 1 && r.hits[0].line == 2);
}

#[test]
fn pathological_inputs_stay_linear_and_find_nothing() {
    let s = Scanner::builtin();
    // BEGIN lines with no END, long runs of keyword prefixes, one endless token.
    let mut text = "-----BEGIN RSA PRIVATE KEY-----\n".repeat(40_000);
    text.push_str(&"ghp_ghp_AKIAAKIA".repeat(50_000));
    text.push_str(&format!("password={}\n", "a1".repeat(200_000)));
    text.push_str(&"eyJ.eyJ.".repeat(50_000));
    let hits = scan(&s, "srv/app/app.env", &text);
    assert!(
        hits.iter().all(|h| h.rule_id == "generic-secret"),
        "{hits:?}"
    );
}
