//! Secret scanning of arbitrary file content and config text: the first byte picks the path
//! the content is scanned as (config-like, key file, kubeconfig, plain text), the rest is the
//! content. A small window size is not configurable, so the content is also fed through a
//! reader that returns a few bytes per call.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_secret::Scanner;
use std::sync::OnceLock;

static SCANNER: OnceLock<Scanner> = OnceLock::new();

struct Trickle<'a>(&'a [u8], usize);
impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(self.1);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, content)) = data.split_first() else {
        return;
    };
    let scanner = SCANNER.get_or_init(Scanner::builtin);
    let path = [
        "srv/app/.env",
        "srv/app/config.yaml",
        "root/.kube/config",
        "root/.pgpass",
        "root/.netrc",
        "srv/app/NuGet.Config",
        "srv/app/main.js",
        "etc/ssl/private/key.pem",
    ][usize::from(first) % 8];
    let whole = scanner.scan_reader(path, &mut &content[..], 1 << 20).unwrap();
    let step = usize::from(first / 8).max(1);
    let trickled = scanner
        .scan_reader(path, &mut Trickle(content, step), 1 << 20)
        .unwrap();
    // How the bytes arrive does not change what is found.
    assert_eq!(whole, trickled);
    for h in &whole {
        assert!(h.line >= 1);
        assert!(h.redacted.ends_with("****") && h.redacted.chars().count() <= 8);
    }
    let text = String::from_utf8_lossy(content);
    let _ = scanner.scan_text("config:Env", &text);
    let _ = scanner.wants_path(&text);
});
