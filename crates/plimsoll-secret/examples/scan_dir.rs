//! Scans directories with the built-in rules and prints each finding (redacted), then the
//! file count, bytes and time: a quick false-positive sweep of an unpacked root file system.
//! `cargo run --release -p plimsoll-secret --example scan_dir -- /etc /usr/share`
use std::path::Path;
fn walk(s: &plimsoll_secret::Scanner, dir: &Path, n: &mut (u64, u64)) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_symlink() {
            continue;
        }
        if ft.is_dir() {
            walk(s, &p, n);
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        let rel = p.to_string_lossy().trim_start_matches('/').to_string();
        if !s.wants_path(&rel) {
            continue;
        }
        let Ok(mut f) = std::fs::File::open(&p) else {
            continue;
        };
        n.0 += 1;
        if let Ok(r) = s.scan_stream(&rel, &mut f, 10 << 20) {
            n.1 += r.bytes;
            for h in r.hits {
                println!("{rel}:{} {} {}", h.line, h.rule_id, h.redacted);
            }
        }
    }
}
fn main() {
    let s = plimsoll_secret::Scanner::builtin();
    let mut n = (0, 0);
    let t = std::time::Instant::now();
    for d in std::env::args().skip(1) {
        walk(&s, Path::new(&d), &mut n);
    }
    eprintln!("{} files {} MB {:?}", n.0, n.1 >> 20, t.elapsed());
}
