//! Secret scanning throughput.
//!
//! `cargo bench -p plimsoll-secret` scans, through `Scanner::scan_reader` with the built-in
//! rules, 4 MiB each of:
//! - `no-keywords`: prose, C and shell source and log lines that hold no rule keyword: the
//!   cost of the prefilter alone (one Aho-Corasick pass and a newline count);
//! - `config-mix`: YAML/ini/.env configuration full of keywords (`password`, `token`,
//!   `secret`, URLs with `postgres://`) and a few real-looking fakes, as a config-like path,
//!   so the generic rule runs on every window;
//! - `pathological`: `BEGIN … PRIVATE KEY` lines without an end, runs of token prefixes and a
//!   never-ending assignment value, to show the scan stays linear.
//!
//! Throughput is reported in MiB/s (criterion's `Throughput::Bytes`).

use criterion::{Criterion, Throughput};
use plimsoll_secret::Scanner;
use std::hint::black_box;

const SIZE: usize = 4 << 20;

fn fill(parts: &[&str]) -> String {
    let mut s = String::with_capacity(SIZE + 4096);
    let mut i = 0usize;
    while s.len() < SIZE {
        s.push_str(parts[i % parts.len()]);
        s.push_str(&format!(" {i}\n"));
        i += 1;
    }
    s
}

fn no_keywords() -> String {
    fill(&[
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt",
        "static int parse_header(const char *buf, size_t len, struct header *out) {",
        "    if (len < sizeof(struct header)) return -EINVAL; memcpy(out, buf, sizeof *out);",
        "2026-12-07T10:15:32.123Z INFO  server: request completed status=200 duration_ms=12",
        "for f in /usr/lib/x86_64-linux-gnu/*.so; do ldd \"$f\" | grep -q 'not found' && echo \"$f\"; done",
        "The quick brown fox jumps over the lazy dog while the compiler emits warnings about it.",
        "def handle(request): return render(request, 'index.html', {'items': items, 'page': page})",
    ])
}

fn config_mix() -> String {
    fill(&[
        "database:\n  host: db.internal\n  password: ${DB_PASSWORD}\n  pool: 10",
        "[auth]\ntoken_url = https://auth.internal/oauth/token\nclient_secret = REPLACE_ME",
        "SECRET_KEY_BASE=\nAPI_TOKEN=$API_TOKEN\nREDIS_URL=redis://cache:6379/0",
        "DATABASE_URL=postgres://app:${PGPASSWORD}@db:5432/app",
        "logging:\n  level: info\n  format: json\n  access_log: /var/log/app/access.log",
        "api_key: Zk8Qm2Xv7Rt4Wn9Bc1Yh6Jd3Lf5Gs0Pa",
        "password_min_length = 12\npassword_policy = strong\nsecret_name = prod-db",
    ])
}

fn pathological() -> String {
    let mut s = String::with_capacity(SIZE);
    while s.len() < SIZE / 4 {
        s.push_str("-----BEGIN RSA PRIVATE KEY-----\n");
    }
    while s.len() < SIZE / 2 {
        s.push_str("ghp_ghp_AKIAAKIA xoxb-xoxb- eyJ.eyJ.");
    }
    s.push_str("password=");
    while s.len() < SIZE {
        s.push_str("a1b2c3d4");
    }
    s
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let scanner = Scanner::builtin();
    let mut group = c.benchmark_group("scan_reader");
    for (name, path, text) in [
        ("no-keywords", "srv/app/notes.txt", no_keywords()),
        ("config-mix", "srv/app/config.yaml", config_mix()),
        ("pathological", "srv/app/app.env", pathological()),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                scanner
                    .scan_reader(black_box(path), &mut text.as_bytes(), u64::MAX)
                    .unwrap()
            })
        });
    }
    group.finish();
    c.final_summary();
}
