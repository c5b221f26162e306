//! The Python and JavaScript parsers of plimsoll-catalog on arbitrary bytes: core metadata
//! (`METADATA`, `PKG-INFO`), `poetry.lock`, `Pipfile.lock`, `uv.lock`, `requirements.txt`,
//! installed `package.json`, `package-lock.json`, `yarn.lock` and `pnpm-lock.yaml`. The first
//! byte picks the parser (through the cataloger and the path it dispatches on); the rest is
//! the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_catalog::javascript::{NpmInstalled, NpmLockfiles};
use plimsoll_catalog::python::{PythonInstalled, PythonLockfiles};
use plimsoll_catalog::{Cataloger, Context};

const CASES: &[(&str, &str)] = &[
    (
        "python",
        "usr/lib/python3/site-packages/x-1.0.dist-info/METADATA",
    ),
    ("python", "usr/lib/python3/dist-packages/x.egg-info"),
    ("python", "app/poetry.lock"),
    ("python", "app/Pipfile.lock"),
    ("python", "app/uv.lock"),
    ("python", "app/requirements-dev.txt"),
    ("npm", "app/node_modules/@s/x/package.json"),
    ("npm", "app/package-lock.json"),
    ("npm", "app/yarn.lock"),
    ("npm", "app/pnpm-lock.yaml"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (kind, path) = CASES[mode as usize % CASES.len()];
    let cat: &dyn Cataloger = match mode as usize % CASES.len() {
        0 | 1 => &PythonInstalled,
        2..=5 => &PythonLockfiles,
        6 => &NpmInstalled,
        _ => &NpmLockfiles,
    };
    let Ok(parsed) = cat.parse(path, rest, &Context::default()) else {
        return;
    };
    for p in &parsed.packages {
        assert_eq!(p.kind, kind);
        assert!(!p.name.is_empty() && !p.version.is_empty(), "{p:?}");
        assert!(p.purl.starts_with("pkg:"), "{}", p.purl);
        assert!(p.origin == "installed" || p.origin == "declared");
    }
    assert!(parsed.owned_files.is_empty());
});
