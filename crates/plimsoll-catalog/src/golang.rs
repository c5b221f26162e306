//! Go modules: the build information the Go linker embeds in executables, and `go.mod`.
//!
//! Build info (`debug/buildinfo` in the Go sources) is a 32-byte header starting with the
//! magic `\xff Go buildinf:` on a 16-byte boundary, in the `.go.buildinfo` ELF section (or,
//! without section headers, near the start of the data segment):
//!
//! - byte 14: pointer size (4 or 8); byte 15: flags, bit 0 big-endian, bit 1 inline strings;
//! - Go ≥ 1.18 (bit 1 set): after the header, two varint-length-prefixed strings, the Go
//!   version (`go1.21.5`) and the module info;
//! - Go < 1.18: two pointers, at offsets 16 and 16 + pointer size, to Go string headers
//!   (data pointer, length) in the data segment, resolved through the ELF segments.
//!
//! Module info is framed by two 16-byte sentinels and holds tab-separated lines: `path`,
//! `mod <path> <version> <sum>` (the main module), `dep <path> <version> <sum>`,
//! `=> <path> <version> <sum>` (replacement of the line before) and `build <key>=<value>`.

use crate::purl::purl;
use crate::{Cataloger, Context, Parsed};
use plimsoll_model::ecosystem::Ecosystem;
use plimsoll_model::{Origin, Package};
use std::collections::{BTreeMap, HashMap};

/// The magic that starts a build info header.
pub const BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_SIZE: usize = 32;
/// Module info strings longer than this are refused (real ones are a few KiB to ~100 KiB).
const MAX_MODINFO: usize = 16 << 20;

/// What a Go executable says about how it was built.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildInfo {
    /// `go1.21.5`, as embedded (may carry suffixes such as ` X:boringcrypto`).
    pub go_version: String,
    /// Main package path (`path` line).
    pub path: String,
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    pub settings: Vec<(String, String)>,
}

/// One `mod` or `dep` line, with its `=>` replacement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Module {
    pub path: String,
    pub version: String,
    pub sum: String,
    pub replace: Option<Box<Module>>,
}

/// Finds and decodes the build info of a Go ELF executable. `Ok(None)`: not a Go binary.
pub fn read_buildinfo(data: &[u8]) -> Result<Option<BuildInfo>, String> {
    let elf = object::File::parse(data).ok();
    // The linker puts the header at the start of `.go.buildinfo` (Go ≥ 1.13). An ELF file
    // with section headers but no such section is not a Go program; without section headers
    // (or unreadable ones), scan the whole file on 16-byte offsets (the section is 16-aligned
    // in memory and so in the file).
    let header = match &elf {
        Some(f) if has_sections(f) => {
            section_of(f, ".go.buildinfo").and_then(|(d, _)| find_header(d))
        }
        _ => find_header(data),
    };
    let Some(blob) = header else {
        return Ok(None);
    };
    let ptr_size = blob[14] as usize;
    let flags = blob[15];
    let (version, modinfo) = if flags & 2 != 0 {
        let (v, rest) = read_varint_string(&blob[HEADER_SIZE..])
            .ok_or("Go build info: version string runs past the end of the file")?;
        let (m, _) = read_varint_string(rest)
            .ok_or("Go build info: module info runs past the end of the file")?;
        (v.to_vec(), m.to_vec())
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("Go build info: pointer size {ptr_size}"));
        }
        let big = flags & 1 != 0;
        let elf = elf
            .as_ref()
            .ok_or("Go build info in pointer form, but the ELF headers cannot be read")?;
        let vaddr = read_ptr(&blob[16..], ptr_size, big).ok_or("Go build info: short header")?;
        let maddr =
            read_ptr(&blob[16 + ptr_size..], ptr_size, big).ok_or("Go build info: short header")?;
        let v = read_go_string(elf, vaddr, ptr_size, big)
            .ok_or("Go build info: version string outside the file")?;
        // The module info pointer may be to an empty string (GOPATH builds).
        let m = read_go_string(elf, maddr, ptr_size, big).unwrap_or_default();
        (v, m)
    };
    if version.is_empty() {
        return Ok(None);
    }
    let go_version = String::from_utf8_lossy(&version).into_owned();
    // Strip the sentinels framing the module info (cmd/go modload infoStart/infoEnd).
    let modinfo: &[u8] = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &[]
    };
    let mut info = parse_modinfo(&String::from_utf8_lossy(modinfo));
    info.go_version = go_version;
    Ok(Some(info))
}

/// The contents and address of a named ELF section, when it has file contents.
pub(crate) fn section_of<'a>(f: &object::File<'a>, name: &str) -> Option<(&'a [u8], u64)> {
    use object::{Object, ObjectSection};
    let s = f.section_by_name(name)?;
    let d = s.data().ok()?;
    Some((d, s.address()))
}

fn has_sections(f: &object::File<'_>) -> bool {
    use object::Object;
    f.sections().next().is_some()
}

/// The first build info header at a 16-byte offset of `data`, with what follows it.
fn find_header(data: &[u8]) -> Option<&[u8]> {
    let mut from = 0usize;
    while from < data.len() {
        let i = from + find(&data[from..], BUILDINFO_MAGIC)?;
        if i.is_multiple_of(16) && data.len() - i >= HEADER_SIZE {
            return Some(&data[i..]);
        }
        from = (i + 16) & !15;
    }
    None
}

/// Position of `needle` in `hay` (memchr on the first byte, then compare).
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut at = 0;
    while at + needle.len() <= hay.len() {
        let j = hay[at..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)?;
        if hay[at + j..].starts_with(needle) {
            return Some(at + j);
        }
        at += j + 1;
    }
    None
}

/// An unsigned LEB128 varint; `None` when truncated or over 64 bits.
fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &c) in b.iter().enumerate().take(10) {
        let part = u64::from(c & 0x7f);
        if i == 9 && c > 1 {
            return None;
        }
        x |= part << (7 * i);
        if c & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

/// A varint-length-prefixed string and what follows it; `None` if it overruns `b`.
fn read_varint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (n, used) = uvarint(b)?;
    let rest = &b[used..];
    let n = usize::try_from(n).ok()?;
    if n > rest.len() || n > MAX_MODINFO {
        return None;
    }
    Some(rest.split_at(n))
}

fn read_ptr(b: &[u8], size: usize, big: bool) -> Option<u64> {
    let b = b.get(..size)?;
    Some(match (size, big) {
        (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
        (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
        (8, false) => u64::from_le_bytes(b.try_into().ok()?),
        (8, true) => u64::from_be_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

/// Bytes at a virtual address, through the ELF program headers (then the headers of
/// loaded sections).
fn read_at<'a>(f: &object::File<'a>, addr: u64, size: u64) -> Option<&'a [u8]> {
    use object::{Object, ObjectSection, ObjectSegment};
    for seg in f.segments() {
        if let Ok(Some(d)) = seg.data_range(addr, size) {
            return Some(d);
        }
    }
    // Sections not loaded in memory have address 0: they are not where pointers point.
    for s in f.sections().filter(|s| s.address() != 0) {
        if let Ok(Some(d)) = s.data_range(addr, size) {
            return Some(d);
        }
    }
    None
}

/// A Go string header (pointer, length) at `addr`, and the bytes it points to.
fn read_go_string(f: &object::File<'_>, addr: u64, ptr: usize, big: bool) -> Option<Vec<u8>> {
    let hdr = read_at(f, addr, 2 * ptr as u64)?;
    let data = read_ptr(hdr, ptr, big)?;
    let len = read_ptr(&hdr[ptr..], ptr, big)?;
    if len > MAX_MODINFO as u64 {
        return None;
    }
    Some(read_at(f, data, len)?.to_vec())
}

/// Parses module info text (also the output of `go version -m`, without its indentation).
pub fn parse_modinfo(text: &str) -> BuildInfo {
    let mut info = BuildInfo::default();
    // Where the last `mod`/`dep` line went, for a following `=>`.
    enum Last {
        None,
        Main,
        Dep(usize),
    }
    let mut last = Last::None;
    for line in text.lines() {
        let line = line.trim_start();
        let mut f = line.split('\t');
        let word = f.next().unwrap_or("");
        let module = |f: &mut std::str::Split<'_, char>| Module {
            path: f.next().unwrap_or("").to_string(),
            version: f.next().unwrap_or("").to_string(),
            sum: f.next().unwrap_or("").to_string(),
            replace: None,
        };
        match word {
            "go" => {
                if let Some(v) = f.next() {
                    info.go_version = v.to_string();
                }
                last = Last::None;
            }
            "path" => {
                info.path = f.next().unwrap_or("").to_string();
                last = Last::None;
            }
            "mod" => {
                info.main = Some(module(&mut f));
                last = Last::Main;
            }
            "dep" => {
                let m = module(&mut f);
                if m.path.is_empty() {
                    last = Last::None;
                    continue;
                }
                info.deps.push(m);
                last = Last::Dep(info.deps.len() - 1);
            }
            "=>" => {
                let r = Box::new(module(&mut f));
                match last {
                    Last::Main => {
                        if let Some(m) = info.main.as_mut() {
                            m.replace = Some(r);
                        }
                    }
                    Last::Dep(i) => info.deps[i].replace = Some(r),
                    Last::None => {}
                }
                last = Last::None;
            }
            "build" => {
                let rest = line["build".len()..].trim_start_matches('\t');
                if let Some((k, v)) = rest.split_once('=') {
                    info.settings.push((unquote(k), unquote(v)));
                }
                last = Last::None;
            }
            _ => last = Last::None,
        }
    }
    info
}

/// Undoes the `strconv.Quote` Go applies to build setting keys and values with spaces.
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = String::new();
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

/// Go toolchain version as the `stdlib` module version: `go1.21.5` → `v1.21.5`,
/// `go1.20rc1` → `v1.20.0-rc.1`, `go1.22.0 X:boringcrypto` → `v1.22.0`.
pub fn stdlib_version(go: &str) -> Option<String> {
    let v = go.split_whitespace().next()?.strip_prefix("go")?;
    let (core, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => v.split_at(i),
        None => (v, ""),
    };
    if core.is_empty() || !core.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let mut parts: Vec<&str> = core.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    let mut out = format!("v{}", parts.join("."));
    if !pre.is_empty() {
        // `rc1` → `-rc.1`, `beta2` → `-beta.2` (semver pre-release, as Go's own tools do).
        let split = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        let (tag, num) = pre.split_at(split);
        out.push('-');
        out.push_str(tag);
        if !num.is_empty() {
            out.push('.');
            out.push_str(num);
        }
    }
    Some(out)
}

/// Splits a module path into purl namespace and name at its last `/`.
pub fn go_purl(path: &str, version: &str) -> String {
    match path.rsplit_once('/') {
        Some((ns, name)) => purl(Ecosystem::Go.purl_type(), Some(ns), name, version, &[]),
        None => purl(Ecosystem::Go.purl_type(), None, path, version, &[]),
    }
}

fn go_package(path: &str, version: &str, origin: Origin) -> Package {
    Package {
        kind: "go-module".into(),
        ecosystem: Ecosystem::Go.osv_name().into(),
        name: path.to_string(),
        version: version.to_string(),
        purl: go_purl(path, version),
        origin,
        ..Default::default()
    }
}

/// Is this a `replace` target on the local filesystem (no module version)?
fn is_local(path: &str) -> bool {
    path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with('/')
        || path == "."
        || path == ".."
}

/// One module as a package: a module replacement takes the replacement's path and version,
/// the original kept in metadata; a local directory replacement keeps the original path and
/// version (there is nothing else to name it by) and records the directory.
fn module_package(m: &Module, origin: Origin) -> Package {
    match m.replace.as_deref() {
        Some(r) if !is_local(&r.path) && !r.path.is_empty() => {
            let mut p = go_package(&r.path, &r.version, origin);
            p.metadata.insert("replaces".into(), m.path.clone());
            if !m.version.is_empty() {
                p.metadata
                    .insert("replaces_version".into(), m.version.clone());
            }
            if !r.sum.is_empty() {
                p.metadata.insert("h1".into(), r.sum.clone());
            }
            p
        }
        Some(r) => {
            let mut p = go_package(&m.path, &m.version, origin);
            p.metadata.insert("replaced_by_dir".into(), r.path.clone());
            p
        }
        None => {
            let mut p = go_package(&m.path, &m.version, origin);
            if !m.sum.is_empty() {
                p.metadata.insert("h1".into(), m.sum.clone());
            }
            p
        }
    }
}

/// Packages of one binary's build info: the main module (unless `(devel)`), every dependency
/// and the toolchain as `stdlib`.
pub fn buildinfo_packages(info: &BuildInfo) -> Vec<Package> {
    let mut common = BTreeMap::new();
    if let Some(m) = &info.main {
        common.insert("main_module".to_string(), m.path.clone());
    }
    for (k, v) in &info.settings {
        if matches!(
            k.as_str(),
            "GOOS" | "GOARCH" | "vcs.revision" | "CGO_ENABLED" | "-buildmode"
        ) {
            common.insert(format!("build.{k}"), v.clone());
        }
    }
    let mut out = Vec::new();
    if let Some(m) = &info.main {
        let devel = m.version.is_empty() || m.version == "(devel)";
        if !devel || m.replace.is_some() {
            let mut p = module_package(m, Origin::Installed);
            p.metadata.insert("main".into(), "true".into());
            if p.version.is_empty() || p.version == "(devel)" {
                // A `(devel)` main module replaced by a directory: nothing to match on.
            } else {
                out.push(p);
            }
        }
    }
    for d in &info.deps {
        out.push(module_package(d, Origin::Installed));
    }
    if let Some(v) = stdlib_version(&info.go_version) {
        let mut p = go_package("stdlib", &v, Origin::Installed);
        p.metadata
            .insert("go_version".into(), info.go_version.clone());
        out.push(p);
    }
    for p in &mut out {
        for (k, v) in &common {
            p.metadata.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    out
}

/// `**/go.mod`: the modules a Go module requires (origin `declared`).
pub struct GoModCataloger;

impl Cataloger for GoModCataloger {
    fn name(&self) -> &'static str {
        "go-mod"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/go.mod"]
    }
    fn max_size(&self) -> u64 {
        4 << 20
    }
    fn parse(&self, _path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("go.mod is not UTF-8: {e}"))?;
        let m = parse_go_mod(text)?;
        let mut warnings = Vec::new();
        if let Some((line, module)) = &m.first_duplicate {
            warnings.push(format!(
                "{} require directives repeat a module version already required (the first: \
                 line {line}, {module}); merged",
                m.duplicates
            ));
        }
        Ok(Parsed {
            packages: go_mod_packages(&m),
            warnings,
            ..Default::default()
        })
    }
}

/// A parsed `go.mod`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoMod {
    pub module: String,
    pub go: Option<String>,
    /// (path, version, indirect)
    pub require: Vec<(String, String, bool)>,
    /// (old path, old version or empty for all versions, new path, new version or empty)
    pub replace: Vec<(String, String, String, String)>,
    /// `require` directives that repeated a (path, version) already required, merged into
    /// the first (direct if either was), and the line and `path@version` of the first.
    pub duplicates: usize,
    pub first_duplicate: Option<(usize, String)>,
}

/// Parses `go.mod` (<https://go.dev/ref/mod#go-mod-file>): single-line and block directives,
/// `//` comments, quoted paths. Unknown directives are skipped.
pub fn parse_go_mod(text: &str) -> Result<GoMod, String> {
    let mut m = GoMod::default();
    let mut block: Option<String> = None;
    let mut saw_directive = false;
    // (path, version) -> index in m.require, to merge repeated requires.
    let mut required: HashMap<(String, String), usize> = HashMap::new();
    let mut merge = |m: &mut GoMod, line: usize| {
        let Some((path, version, indirect)) = m.require.pop() else {
            return;
        };
        match required.entry((path, version)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let first = &mut m.require[*e.get()];
                first.2 &= indirect;
                m.duplicates += 1;
                if m.first_duplicate.is_none() {
                    let (p, v) = e.key();
                    m.first_duplicate = Some((line, format!("{p}@{v}")));
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                let (p, v) = e.key().clone();
                e.insert(m.require.len());
                m.require.push((p, v, indirect));
            }
        }
    };
    for (n, raw) in text.lines().enumerate() {
        let (code, comment) = match raw.find("//") {
            Some(i) => (&raw[..i], &raw[i + 2..]),
            None => (raw, ""),
        };
        let toks = tokens(code);
        if toks.is_empty() {
            continue;
        }
        let indirect = comment
            .split(';')
            .any(|c| c.trim() == "indirect" || c.trim().starts_with("indirect "));
        if let Some(b) = block.clone() {
            if toks == [")"] {
                block = None;
                continue;
            }
            let before = m.require.len();
            directive(&mut m, &b, &toks, indirect).map_err(|e| format!("line {}: {e}", n + 1))?;
            if m.require.len() > before {
                merge(&mut m, n + 1);
            }
            continue;
        }
        saw_directive = true;
        let verb = toks[0].as_str();
        if toks.len() == 2 && toks[1] == "(" {
            block = Some(verb.to_string());
            continue;
        }
        if toks.len() >= 2 && toks[1] == "(" && toks.last().is_some_and(|t| t == ")") {
            // `require ()` on one line.
            continue;
        }
        let before = m.require.len();
        directive(&mut m, verb, &toks[1..], indirect)
            .map_err(|e| format!("line {}: {e}", n + 1))?;
        if m.require.len() > before {
            merge(&mut m, n + 1);
        }
    }
    if !saw_directive || m.module.is_empty() {
        return Err("no module directive: not a go.mod file".into());
    }
    Ok(m)
}

fn directive(m: &mut GoMod, verb: &str, args: &[String], indirect: bool) -> Result<(), String> {
    match verb {
        "module" => {
            m.module = args.first().cloned().ok_or("module without a path")?;
        }
        "go" => m.go = args.first().cloned(),
        "require" => {
            if args.len() < 2 {
                return Err(format!("require needs a path and a version: {args:?}"));
            }
            m.require.push((args[0].clone(), args[1].clone(), indirect));
        }
        "replace" => {
            let arrow = args
                .iter()
                .position(|a| a == "=>")
                .ok_or("replace without =>")?;
            let (old, new) = (&args[..arrow], &args[arrow + 1..]);
            if old.is_empty() || new.is_empty() || old.len() > 2 || new.len() > 2 {
                return Err(format!("malformed replace: {args:?}"));
            }
            m.replace.push((
                old[0].clone(),
                old.get(1).cloned().unwrap_or_default(),
                new[0].clone(),
                new.get(1).cloned().unwrap_or_default(),
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Splits a line into tokens: words, `(`, `)`, `=>`, and `"quoted"` or `` `raw` `` strings.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
        } else if c == '(' || c == ')' {
            out.push(c.to_string());
            it.next();
        } else if c == '"' || c == '`' {
            it.next();
            let mut t = String::new();
            while let Some((_, d)) = it.next() {
                if d == c {
                    break;
                }
                if d == '\\' && c == '"' {
                    if let Some((_, e)) = it.next() {
                        t.push(e);
                    }
                    continue;
                }
                t.push(d);
            }
            out.push(t);
        } else {
            let mut end = s.len();
            while let Some(&(j, d)) = it.peek() {
                if d.is_whitespace() || d == '(' || d == ')' || d == '"' {
                    end = j;
                    break;
                }
                it.next();
            }
            out.push(s[i..end].to_string());
        }
    }
    out
}

/// Packages a `go.mod` declares, with `replace` directives applied.
pub fn go_mod_packages(m: &GoMod) -> Vec<Package> {
    let mut out = Vec::new();
    // By old path: a linear scan of every replace for every require was quadratic.
    let mut replaces: HashMap<&str, Vec<&(String, String, String, String)>> = HashMap::new();
    for r in &m.replace {
        replaces.entry(r.0.as_str()).or_default().push(r);
    }
    for (path, version, indirect) in &m.require {
        let rep = replaces
            .get(path.as_str())
            .into_iter()
            .flatten()
            .filter(|r| r.1.is_empty() || &r.1 == version)
            // A version-specific replace wins over a path-wide one.
            .max_by_key(|r| !r.1.is_empty());
        let module = Module {
            path: path.clone(),
            version: version.clone(),
            sum: String::new(),
            replace: rep.map(|r| {
                Box::new(Module {
                    path: r.2.clone(),
                    version: r.3.clone(),
                    ..Default::default()
                })
            }),
        };
        let mut p = module_package(&module, Origin::Declared);
        if *indirect {
            p.metadata.insert("indirect".into(), "true".into());
        }
        p.metadata.insert("main_module".into(), m.module.clone());
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_versions() {
        assert_eq!(stdlib_version("go1.21.5").as_deref(), Some("v1.21.5"));
        assert_eq!(stdlib_version("go1.19.8").as_deref(), Some("v1.19.8"));
        assert_eq!(stdlib_version("go1.21").as_deref(), Some("v1.21.0"));
        assert_eq!(stdlib_version("go1.20rc1").as_deref(), Some("v1.20.0-rc.1"));
        assert_eq!(
            stdlib_version("go1.22.0 X:boringcrypto").as_deref(),
            Some("v1.22.0")
        );
        assert_eq!(stdlib_version("devel +abc"), None);
        assert_eq!(stdlib_version("go"), None);
        assert_eq!(stdlib_version("go1..2"), None);
    }

    #[test]
    fn purls_split_at_the_last_slash() {
        assert_eq!(
            go_purl("github.com/google/uuid", "v1.6.0"),
            "pkg:golang/github.com/google/uuid@v1.6.0"
        );
        assert_eq!(go_purl("stdlib", "v1.21.5"), "pkg:golang/stdlib@v1.21.5");
    }

    #[test]
    fn modinfo_with_replacements() {
        let text = "path\texample.com/app\n\
                    mod\texample.com/app\t(devel)\t\n\
                    dep\tgithub.com/a/b\tv1.2.3\th1:abc=\n\
                    dep\tgolang.org/x/text\tv0.3.0\n\
                    =>\tgithub.com/fork/text\tv0.3.8\th1:def=\n\
                    dep\texample.com/local\tv0.0.0\n\
                    =>\t./local\t\t\n\
                    build\t-compiler=gc\n\
                    build\t-ldflags=\"-s -w\"\n\
                    build\tGOOS=linux\n";
        let mut info = parse_modinfo(text);
        info.go_version = "go1.21.5".into();
        assert_eq!(info.path, "example.com/app");
        assert_eq!(info.deps.len(), 3);
        assert_eq!(
            info.settings[1],
            ("-ldflags".to_string(), "-s -w".to_string())
        );
        let pkgs = buildinfo_packages(&info);
        let got: Vec<(&str, &str)> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/a/b", "v1.2.3"),
                ("github.com/fork/text", "v0.3.8"),
                ("example.com/local", "v0.0.0"),
                ("stdlib", "v1.21.5"),
            ]
        );
        assert_eq!(pkgs[1].metadata["replaces"], "golang.org/x/text");
        assert_eq!(pkgs[1].metadata["replaces_version"], "v0.3.0");
        assert_eq!(pkgs[2].metadata["replaced_by_dir"], "./local");
        assert_eq!(pkgs[0].metadata["main_module"], "example.com/app");
        assert_eq!(pkgs[0].metadata["build.GOOS"], "linux");
        assert_eq!(pkgs[0].purl, "pkg:golang/github.com/a/b@v1.2.3");
        assert!(
            pkgs.iter()
                .all(|p| p.kind == "go-module" && p.ecosystem == "Go")
        );
    }

    /// A minimal ELF-less blob: scanning finds the header on a 16-byte boundary.
    fn inline_blob(version: &str, modinfo: &str, misalign: bool) -> Vec<u8> {
        let mut v = vec![0u8; if misalign { 40 } else { 48 }];
        v.extend_from_slice(BUILDINFO_MAGIC);
        v.push(8);
        v.push(2);
        v.extend_from_slice(&[0u8; 16]);
        let framed = format!("{}{modinfo}{}", "0".repeat(16), "1".repeat(16));
        for s in [version, framed.as_str()] {
            let mut n = s.len();
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    v.push(b);
                    break;
                }
                v.push(b | 0x80);
            }
            v.extend_from_slice(s.as_bytes());
        }
        v
    }

    #[test]
    fn scans_for_an_aligned_header() {
        let modinfo = "path\tx.io/y\nmod\tx.io/y\tv1.0.0\t\ndep\tx.io/z\tv0.1.0\th1:q=\n";
        let blob = inline_blob("go1.22.1", modinfo, false);
        let info = read_buildinfo(&blob).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.22.1");
        assert_eq!(info.main.as_ref().unwrap().version, "v1.0.0");
        let names: Vec<_> = buildinfo_packages(&info)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["x.io/y", "x.io/z", "stdlib"]);
        // Off the 16-byte grid, the magic is not a header.
        assert_eq!(
            read_buildinfo(&inline_blob("go1.22.1", modinfo, true)).unwrap(),
            None
        );
    }

    #[test]
    fn hostile_buildinfo_is_an_error_not_a_panic() {
        // Varint length far beyond the file.
        let mut v = vec![0u8; 16];
        v.extend_from_slice(BUILDINFO_MAGIC);
        v.extend_from_slice(&[8, 2]);
        v.extend_from_slice(&[0u8; 16]);
        v.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f, b'g', b'o']);
        assert!(read_buildinfo(&v).is_err());
        // Overlong varint.
        let mut w = v[..48].to_vec();
        w.extend_from_slice(&[0xff; 12]);
        assert!(read_buildinfo(&w).is_err());
        // Pointer form without ELF headers.
        let mut p = v[..48].to_vec();
        p[16 + 15] = 0;
        assert!(read_buildinfo(&p).is_err());
        // Pointer size nonsense.
        p[16 + 14] = 3;
        assert!(read_buildinfo(&p).is_err());
        // Header cut short: not a Go binary.
        assert_eq!(read_buildinfo(&v[..40]).unwrap(), None);
        // Every truncation of a valid blob.
        let blob = inline_blob("go1.22.1", "path\ta\nmod\ta\tv1.0.0\t\n", false);
        for n in 0..blob.len() {
            let _ = read_buildinfo(&blob[..n]);
        }
    }

    const GO_MOD: &str = r#"module example.com/hello // the app

go 1.21

toolchain go1.21.5

require github.com/google/uuid v1.6.0

require (
	golang.org/x/text v0.14.0 // indirect
	"github.com/pkg/errors" v0.9.1
	example.com/dep v1.0.0
	github.com/old/lib v1.2.0
)

replace example.com/dep => ./dep

replace (
	github.com/old/lib v1.2.0 => github.com/new/lib v1.2.1
	github.com/pkg/errors v0.8.0 => github.com/pkg/errors v0.8.1
)

exclude golang.org/x/net v0.1.0
retract [v0.0.1, v0.0.3]
"#;

    #[test]
    fn go_mod_requires_and_replaces() {
        let m = parse_go_mod(GO_MOD).unwrap();
        assert_eq!(m.module, "example.com/hello");
        assert_eq!(m.go.as_deref(), Some("1.21"));
        let pkgs = go_mod_packages(&m);
        let got: Vec<(&str, &str, Option<&str>)> = pkgs
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.metadata.get("indirect").map(String::as_str),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/google/uuid", "v1.6.0", None),
                ("golang.org/x/text", "v0.14.0", Some("true")),
                ("github.com/pkg/errors", "v0.9.1", None),
                ("example.com/dep", "v1.0.0", None),
                ("github.com/new/lib", "v1.2.1", None),
            ]
        );
        assert_eq!(pkgs[3].metadata["replaced_by_dir"], "./dep");
        assert_eq!(pkgs[4].metadata["replaces"], "github.com/old/lib");
        assert!(pkgs.iter().all(|p| p.origin == "declared"));
        assert_eq!(pkgs[0].purl, "pkg:golang/github.com/google/uuid@v1.6.0");
    }

    #[test]
    fn not_a_go_mod() {
        assert!(parse_go_mod("{\"name\": \"x\"}").is_err());
        // Repeated requires are one package (direct if any line is), and counted.
        let mut text = String::from("module x\nrequire (\n");
        for _ in 0..1000 {
            text.push_str("\ta v1.0.0 // indirect\n\tb v2.0.0\n");
        }
        text.push_str(")\nrequire a v1.0.0\nrequire a v1.1.0\n");
        let m = parse_go_mod(&text).unwrap();
        assert_eq!(
            m.require,
            [
                ("a".to_string(), "v1.0.0".to_string(), false),
                ("b".to_string(), "v2.0.0".to_string(), false),
                ("a".to_string(), "v1.1.0".to_string(), false),
            ]
        );
        assert_eq!(m.duplicates, 1999);
        assert_eq!(m.first_duplicate, Some((5, "a@v1.0.0".to_string())));
        let parsed = GoModCataloger
            .parse("go.mod", text.as_bytes(), &Context::default())
            .unwrap();
        assert_eq!(parsed.packages.len(), 3);
        assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
        assert!(parse_go_mod("").is_err());
        assert!(parse_go_mod("module x\nrequire (\n a\n)\n").is_err());
        assert!(parse_go_mod("module x\nreplace a =>\n").is_err());
    }
}
