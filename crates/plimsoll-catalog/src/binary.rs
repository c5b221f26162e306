//! Executables: Go build info ([`crate::golang`]) and `cargo auditable` dependency lists
//! ([`crate::rust`]), read from each ELF file once.
//!
//! Executables can be anywhere, but capturing every file of an image would cost its size in
//! memory: the patterns cover the usual places (`bin`/`sbin` directories at any depth, the
//! image root where scratch images put their one binary, `usr/libexec`, `app`, `ko-app`,
//! Go's tool directory), and files over [`MAX_BINARY`] are skipped with a warning.

use crate::golang::{buildinfo_packages, read_buildinfo};
use crate::rust::parse_auditable;
use crate::{Cataloger, Context, Keep, Parsed};

/// Executables larger than this are skipped (the walker holds captured files in memory).
pub const MAX_BINARY: u64 = 64 << 20;

/// Go and Rust (`cargo auditable`) executables.
pub struct BinaryCataloger;

impl Cataloger for BinaryCataloger {
    fn name(&self) -> &'static str {
        "binary"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "*",
            "**/bin/*",
            "**/sbin/*",
            "usr/libexec/**",
            "app/*",
            "ko-app/*",
            "usr/local/go/pkg/tool/*/*",
        ]
    }
    fn max_size(&self) -> u64 {
        MAX_BINARY
    }
    fn magic(&self) -> Option<&'static [u8]> {
        Some(b"\x7fELF")
    }
    /// Most executables of an image are neither Go nor `cargo auditable` builds: dropping
    /// them at the walk keeps peak memory and the layer cache small (on a Debian image with
    /// build-essential, 97 MB of captured executables came down to what Go and Rust built).
    fn keep(&self) -> Option<Keep> {
        Some(Keep {
            name: "binary: go buildinfo or .dep-v0 (1)",
            test: |data| !matches!(parse_binary(data), Ok(p) if p.is_empty()),
        })
    }
    fn parse(&self, _path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        Ok(Parsed {
            packages: parse_binary(data)?,
            ..Default::default()
        })
    }
}

/// Packages embedded in one executable; non-ELF files give none.
pub fn parse_binary(data: &[u8]) -> Result<Vec<crate::Package>, String> {
    if !data.starts_with(b"\x7fELF") {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    match read_buildinfo(data) {
        Ok(Some(info)) => out.extend(buildinfo_packages(&info)),
        Ok(None) => {}
        Err(e) => errors.push(e),
    }
    if let Ok(f) = object::File::parse(data)
        && let Some((section, _)) = crate::golang::section_of(&f, ".dep-v0")
    {
        match parse_auditable(section) {
            Ok(p) => out.extend(p),
            Err(e) => errors.push(e),
        }
    }
    if out.is_empty() && !errors.is_empty() {
        return Err(errors.join("; "));
    }
    Ok(out)
}
