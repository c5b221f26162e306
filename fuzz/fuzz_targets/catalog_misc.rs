//! The Ruby, PHP and .NET parsers of plimsoll-catalog on arbitrary bytes: installed
//! gemspecs, `Gemfile.lock`, `composer.lock`, `vendor/composer/installed.json`, `*.deps.json`
//! and `packages.lock.json`. The first byte picks the parser (through the cataloger and the
//! path it dispatches on); the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_catalog::dotnet::DotnetCataloger;
use plimsoll_catalog::php::ComposerCataloger;
use plimsoll_catalog::ruby::{GemfileLock, GemspecInstalled};
use plimsoll_catalog::{Cataloger, Context};

const CASES: &[(&str, &str)] = &[
    ("gem", "usr/local/bundle/specifications/x-1.0.gemspec"),
    ("gem", "app/Gemfile.lock"),
    ("composer", "app/composer.lock"),
    ("composer", "app/vendor/composer/installed.json"),
    ("nuget", "app/App.deps.json"),
    ("nuget", "src/packages.lock.json"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let i = mode as usize % CASES.len();
    let (kind, path) = CASES[i];
    let cat: &dyn Cataloger = match i {
        0 => &GemspecInstalled,
        1 => &GemfileLock,
        2 | 3 => &ComposerCataloger,
        _ => &DotnetCataloger,
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
