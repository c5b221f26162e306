//! Ruby, PHP and .NET packages: each format on real or faithful files (see the READMEs under
//! `tests/fixtures/{ruby,php,dotnet}`), bad input, and an image with them in several layers.

use plimsoll_catalog::dotnet::{DotnetCataloger, parse_deps_json, parse_packages_lock};
use plimsoll_catalog::php::{ComposerCataloger, parse_composer_lock, parse_installed_json};
use plimsoll_catalog::ruby::{GemfileLock, GemspecInstalled, parse_gemfile_lock, parse_gemspec};
use plimsoll_catalog::{Catalog, Cataloger, Context};
use plimsoll_image::walker::WalkOptions;
use plimsoll_image::{ImageScan, ImageSource, OpenOptions, open, scan_image};
use plimsoll_model::Package;
use plimsoll_testkit::ImageBuilder;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIX}{rel}")).unwrap()
}

/// `name version purl origin [k=v…]` per package, sorted.
fn summary(pkgs: &[Package]) -> Vec<String> {
    let mut v: Vec<String> = pkgs
        .iter()
        .map(|p| {
            let mut s = format!("{} {} {} {}", p.name, p.version, p.purl, p.origin);
            for (k, v) in &p.metadata {
                if k != "sha512" {
                    s.push_str(&format!(" {k}={v}"));
                }
            }
            s
        })
        .collect();
    v.sort();
    v
}

#[test]
fn gemspecs_as_rubygems_writes_them() {
    let rack = parse_gemspec(&fixture("ruby/rack-2.2.22.gemspec")).unwrap();
    assert_eq!(
        (rack.kind.as_str(), rack.ecosystem.as_str()),
        ("gem", "RubyGems")
    );
    assert_eq!(
        summary(std::slice::from_ref(&rack)),
        ["rack 2.2.22 pkg:gem/rack@2.2.22 installed"]
    );
    assert_eq!(rack.licenses, ["MIT"]);
    let bd = parse_gemspec(&fixture("ruby/bigdecimal-3.1.1.gemspec")).unwrap();
    assert_eq!(
        summary(std::slice::from_ref(&bd)),
        ["bigdecimal 3.1.1 pkg:gem/bigdecimal@3.1.1 installed"]
    );
    assert_eq!(bd.licenses, ["Ruby"]);

    // A platform gem, two licenses.
    let native = parse_gemspec(
        b"Gem::Specification.new do |spec|\n  spec.name = \"nokogiri\".freeze\n  \
          spec.version = \"1.15.4\"\n  spec.platform = \"x86_64-linux\".freeze\n  \
          spec.licenses = [\"MIT\".freeze, \"Apache-2.0\".freeze]\nend\n",
    )
    .unwrap();
    assert_eq!(
        summary(std::slice::from_ref(&native)),
        [
            "nokogiri 1.15.4 pkg:gem/nokogiri@1.15.4?platform=x86_64-linux installed platform=x86_64-linux"
        ]
    );
    assert_eq!(native.licenses, ["MIT", "Apache-2.0"]);
}

#[test]
fn gemspecs_that_need_ruby_are_not_read() {
    for bad in [
        // Heredoc, eval, interpolation, a method call: never evaluated, so not read.
        &b"Gem::Specification.new do |s|\n  s.name = <<~N\n    evil\n  N\n  s.version = \"1.0\"\nend\n"[..],
        b"eval(File.read('other.gemspec'))\n",
        b"Gem::Specification.new do |s|\n  s.name = \"x#{`id`}\"\n  s.version = \"1.0\"\nend\n",
        b"Gem::Specification.new do |s|\n  s.name = File.basename(__dir__)\n  s.version = \"1.0\"\nend\n",
        b"Gem::Specification.new do |s|\n  s.name = \"ok\"\n  s.version = Foo::VERSION\nend\n",
        b"<html><body>404</body></html>",
        b"",
        &[0xff, 0xfe, b's', b'.', b'n', b'a', b'm', b'e', b'=', 0x80],
    ] {
        assert!(parse_gemspec(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
    // Invalid UTF-8 elsewhere in the file does not hide the literal assignments.
    let mut latin1 = b"  s.name = \"rack\".freeze\n  s.version = \"2.2.22\"\n".to_vec();
    latin1.extend_from_slice(b"  s.authors = [\"J\xf6rg\".freeze]\n");
    assert_eq!(parse_gemspec(&latin1).unwrap().name, "rack");
    // Deep nesting of brackets in a license array: not read, no stack use.
    let deep = format!(
        "s.name = \"x\"\ns.version = \"1\"\ns.licenses = {}\n",
        "[".repeat(100_000)
    );
    let p = parse_gemspec(deep.as_bytes()).unwrap();
    assert!(p.licenses.is_empty());
}

#[test]
fn gemfile_lock_real_bundler() {
    let pkgs = parse_gemfile_lock(&fixture("ruby/Gemfile.lock")).unwrap();
    assert_eq!(
        summary(&pkgs),
        [
            "rack 2.2.22 pkg:gem/rack@2.2.22 declared source=rubygems",
            "rake 13.0.6 pkg:gem/rake@13.0.6 declared source=rubygems",
            "webrick 1.8.1 pkg:gem/webrick@1.8.1 declared source=rubygems",
        ]
    );
}

#[test]
fn gemfile_lock_git_path_and_platforms() {
    let pkgs = parse_gemfile_lock(&fixture("ruby/Gemfile.multi.lock")).unwrap();
    assert_eq!(
        summary(&pkgs),
        [
            "actionpack 7.2.0.alpha pkg:gem/actionpack@7.2.0.alpha declared remote=https://github.com/rails/rails.git revision=6d5d2b1c3b1e3e4b0a1f6e1c2d3e4f5a6b7c8d9e source=git",
            "mini_portile2 2.8.5 pkg:gem/mini_portile2@2.8.5 declared source=rubygems",
            "myapp 0.1.0 pkg:gem/myapp@0.1.0 declared remote=. source=path",
            "nokogiri 1.15.4 pkg:gem/nokogiri@1.15.4 declared source=rubygems",
            "nokogiri 1.15.4 pkg:gem/nokogiri@1.15.4?platform=x86_64-linux declared platform=x86_64-linux source=rubygems",
            "racc 1.7.3 pkg:gem/racc@1.7.3 declared source=rubygems",
            "rack 3.0.8 pkg:gem/rack@3.0.8 declared source=rubygems",
        ]
    );
}

#[test]
fn gemfile_lock_bad_input() {
    assert!(parse_gemfile_lock(b"<!DOCTYPE html><html><body>502</body></html>").is_err());
    assert!(parse_gemfile_lock(&[b'G', b'E', b'M', b'\n', 0xff]).is_err());
    assert!(parse_gemfile_lock(b"").is_err());
    // Truncated: what was read is kept.
    let pkgs = parse_gemfile_lock(
        b"GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.8)\n    rake (13",
    )
    .unwrap();
    assert_eq!(
        summary(&pkgs),
        ["rack 3.0.8 pkg:gem/rack@3.0.8 declared source=rubygems"]
    );
    // Deep indentation and junk lines are skipped.
    let deep = format!(
        "GEM\n  specs:\n{}x (1)\n    ok (1.0)\n    (2.0)\n    bad name (1)\n",
        " ".repeat(100_000)
    );
    assert_eq!(
        summary(&parse_gemfile_lock(deep.as_bytes()).unwrap()),
        ["ok 1.0 pkg:gem/ok@1.0 declared source=rubygems"]
    );
}

#[test]
fn composer_real_lock_and_installed() {
    let lock = parse_composer_lock(&fixture("php/composer.lock")).unwrap();
    let want = |origin: &str| -> Vec<String> {
        vec![
            format!("monolog/monolog 3.5.0 pkg:composer/monolog/monolog@3.5.0 {origin}"),
            format!(
                "phpunit/phpunit 10.5.3 pkg:composer/phpunit/phpunit@10.5.3 {origin} scope=dev"
            ),
            format!("psr/log 3.0.0 pkg:composer/psr/log@3.0.0 {origin}"),
            format!("symfony/console v6.4.1 pkg:composer/symfony/console@v6.4.1 {origin}"),
        ]
    };
    assert_eq!(summary(&lock), want("declared"));
    let installed = parse_installed_json(&fixture("php/installed.json")).unwrap();
    assert_eq!(summary(&installed), want("installed"));
    for p in lock.iter().chain(&installed) {
        assert_eq!(
            (p.kind.as_str(), p.ecosystem.as_str()),
            ("composer", "Packagist")
        );
    }
    let phpunit = lock.iter().find(|p| p.name == "phpunit/phpunit").unwrap();
    assert_eq!(phpunit.licenses, ["BSD-3-Clause"]);

    let v1 = parse_installed_json(&fixture("php/installed.v1.json")).unwrap();
    assert_eq!(
        summary(&v1),
        [
            "guzzlehttp/psr7 1.9.1 pkg:composer/guzzlehttp/psr7@1.9.1 installed",
            "twig/twig v2.15.5 pkg:composer/twig/twig@v2.15.5 installed",
        ]
    );
    assert_eq!(v1[1].licenses, ["BSD-3-Clause"]);
}

#[test]
fn composer_bad_input() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for bad in [
        &b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"[..],
        b"{\"packages\": [{\"name\": \"a/b\", \"version\": \"\xff\"}]}",
        b"{}",
        b"{\"packages\": 3}",
        b"null",
        deep.as_bytes(),
    ] {
        assert!(parse_composer_lock(bad).is_err());
        assert!(parse_installed_json(bad).is_err() || bad == b"{\"packages\": 3}");
    }
    assert!(parse_installed_json(b"{\"packages\": 3}").is_err());
    // Entries without a usable name or version are skipped, the rest kept.
    let pkgs = parse_composer_lock(
        br#"{"packages": [{"name": "nocolon", "version": "1"}, {"name": "a/b"}, 7,
            {"name": "a/c", "version": "1.0", "license": [3, "MIT"]}]}"#,
    )
    .unwrap();
    assert_eq!(summary(&pkgs), ["a/c 1.0 pkg:composer/a/c@1.0 declared"]);
    assert_eq!(pkgs[0].licenses, ["MIT"]);
}

#[test]
fn dotnet_deps_and_lock() {
    let deps = parse_deps_json(&fixture("dotnet/MyApp.deps.json")).unwrap();
    assert_eq!(
        summary(&deps),
        [
            "Newtonsoft.Json 13.0.3 pkg:nuget/Newtonsoft.Json@13.0.3 installed",
            "Serilog 3.1.1 pkg:nuget/Serilog@3.1.1 installed",
        ]
    );
    assert_eq!(
        (deps[0].kind.as_str(), deps[0].ecosystem.as_str()),
        ("nuget", "NuGet")
    );
    let lock = parse_packages_lock(&fixture("dotnet/packages.lock.json")).unwrap();
    assert_eq!(
        summary(&lock),
        [
            "Newtonsoft.Json 13.0.3 pkg:nuget/Newtonsoft.Json@13.0.3 declared dependency=direct",
            "Serilog 3.1.1 pkg:nuget/Serilog@3.1.1 declared dependency=transitive",
            "Serilog.Sinks.Console 5.0.1 pkg:nuget/Serilog.Sinks.Console@5.0.1 declared dependency=direct",
            "System.Text.Json 8.0.0 pkg:nuget/System.Text.Json@8.0.0 declared dependency=transitive",
        ]
    );
}

#[test]
fn dotnet_bad_input() {
    let deep = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    for bad in [
        &b"<html><body>404</body></html>"[..],
        b"{\"libraries\": []}",
        b"{\"dependencies\": \"x\"}",
        b"[\xff]",
        deep.as_bytes(),
    ] {
        assert!(parse_deps_json(bad).is_err());
        assert!(parse_packages_lock(bad).is_err());
    }
    let pkgs = parse_deps_json(
        br#"{"libraries": {"NoVersion": {"type": "package"}, "A/1.0": {"type": "package"},
            "A/1.0 ": {"type": "package"}, "B/2.0": {"type": 5}}}"#,
    )
    .unwrap();
    assert_eq!(summary(&pkgs), ["A 1.0 pkg:nuget/A@1.0 installed"]);
}

#[test]
fn catalogers_dispatch_on_path() {
    let ctx = Context::default();
    let n = |c: &dyn Cataloger, path: &str, data: Vec<u8>| {
        c.parse(path, &data, &ctx).unwrap().packages.len()
    };
    assert_eq!(
        n(
            &GemspecInstalled,
            "x/specifications/rack-2.2.22.gemspec",
            fixture("ruby/rack-2.2.22.gemspec")
        ),
        1
    );
    assert_eq!(
        n(
            &GemfileLock,
            "app/Gemfile.lock",
            fixture("ruby/Gemfile.lock")
        ),
        3
    );
    assert_eq!(
        n(
            &ComposerCataloger,
            "app/composer.lock",
            fixture("php/composer.lock")
        ),
        4
    );
    assert_eq!(
        n(
            &ComposerCataloger,
            "app/vendor/composer/installed.json",
            fixture("php/installed.json")
        ),
        4
    );
    assert_eq!(
        n(
            &DotnetCataloger,
            "app/MyApp.deps.json",
            fixture("dotnet/MyApp.deps.json")
        ),
        2
    );
    assert_eq!(
        n(
            &DotnetCataloger,
            "src/packages.lock.json",
            fixture("dotnet/packages.lock.json")
        ),
        4
    );
}

fn scan(img: &ImageBuilder, catalog: &Catalog) -> ImageScan {
    let dir = tempfile::tempdir().unwrap();
    img.write_oci_layout(dir.path(), None);
    let src = ImageSource::parse(dir.path().to_str().unwrap()).unwrap();
    let image = open("test", src, &OpenOptions::default()).unwrap();
    let opts = WalkOptions {
        interests: catalog.interests(),
        ..Default::default()
    };
    scan_image(&image, &opts).unwrap()
}

const GEMS: &str = "usr/local/bundle/specifications";

#[test]
fn ruby_php_dotnet_packages_with_layers_and_paths() {
    let rack = String::from_utf8(fixture("ruby/rack-2.2.22.gemspec")).unwrap();
    let rack_229 = rack.replace("s.version = \"2.2.22\"", "s.version = \"2.2.9\"");
    let img = ImageBuilder::new()
        .layer("ADD rootfs.tar /", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file(
                    "usr/lib/ruby/gems/3.1.0/specifications/default/bigdecimal-3.1.1.gemspec",
                    fixture("ruby/bigdecimal-3.1.1.gemspec"),
                )
        })
        .layer("RUN gem install rack -v 2.2.9", |l| {
            l.file(&format!("{GEMS}/rack-2.2.9.gemspec"), rack_229)
        })
        .layer("RUN gem update rack && bundle lock", |l| {
            l.whiteout(&format!("{GEMS}/rack-2.2.9.gemspec"))
                .file(&format!("{GEMS}/rack-2.2.22.gemspec"), rack)
                .file("app/Gemfile.lock", fixture("ruby/Gemfile.lock"))
        })
        .layer("COPY php /srv/php", |l| {
            l.file("srv/php/composer.lock", fixture("php/composer.lock"))
                .file(
                    "srv/php/vendor/composer/installed.json",
                    fixture("php/installed.json"),
                )
        })
        .layer("COPY dotnet /app/net", |l| {
            l.file("app/net/MyApp.deps.json", fixture("dotnet/MyApp.deps.json"))
                .file(
                    "src/packages.lock.json",
                    fixture("dotnet/packages.lock.json"),
                )
                // Not what their names say: a warning each, nothing else.
                .file(
                    "srv/web/composer.lock",
                    "<html><body>502 Bad Gateway</body></html>",
                )
                .file("srv/web/Gemfile.lock", [0xffu8, 0xfe, 0x00])
                .file(
                    &format!("{GEMS}/evil-1.0.gemspec"),
                    "eval(File.read(\"/etc/passwd\"))\n",
                )
        });
    let catalog = Catalog::default();
    let scan = scan(&img, &catalog);
    let inv = catalog.inventory(&scan);

    let mut got: Vec<String> = inv
        .packages
        .iter()
        .filter(|p| matches!(p.kind.as_str(), "gem" | "composer" | "nuget"))
        .map(|p| {
            let l = &p.locations[0];
            format!(
                "{} {} {} {} layer={} {}",
                p.kind,
                p.name,
                p.version,
                p.origin,
                l.layer.unwrap(),
                l.path
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        "gem bigdecimal 3.1.1 installed layer=0 usr/lib/ruby/gems/3.1.0/specifications/default/bigdecimal-3.1.1.gemspec".to_string(),
        format!("gem rack 2.2.22 installed layer=2 {GEMS}/rack-2.2.22.gemspec"),
        "gem rake 13.0.6 declared layer=2 app/Gemfile.lock".into(),
        "gem webrick 1.8.1 declared layer=2 app/Gemfile.lock".into(),
        "nuget Newtonsoft.Json 13.0.3 installed layer=4 app/net/MyApp.deps.json".into(),
        "nuget Serilog 3.1.1 installed layer=4 app/net/MyApp.deps.json".into(),
        "nuget Serilog.Sinks.Console 5.0.1 declared layer=4 src/packages.lock.json".into(),
        "nuget System.Text.Json 8.0.0 declared layer=4 src/packages.lock.json".into(),
    ];
    for (n, v) in [
        ("monolog/monolog", "3.5.0"),
        ("phpunit/phpunit", "10.5.3"),
        ("psr/log", "3.0.0"),
        ("symfony/console", "v6.4.1"),
    ] {
        want.push(format!(
            "composer {n} {v} installed layer=3 srv/php/vendor/composer/installed.json"
        ));
    }
    want.sort();
    assert_eq!(
        got, want,
        "lockfile entries that are installed are not packages of their own"
    );
    // They are further locations of the installed packages.
    let second = |kind: &str, name: &str| -> String {
        let p = inv
            .packages
            .iter()
            .find(|p| p.kind == kind && p.name == name)
            .unwrap();
        assert_eq!(p.locations.len(), 2, "{name}: {:?}", p.locations);
        p.locations[1].path.clone()
    };
    assert_eq!(second("gem", "rack"), "app/Gemfile.lock");
    assert_eq!(second("nuget", "Serilog"), "src/packages.lock.json");
    assert_eq!(second("composer", "psr/log"), "srv/php/composer.lock");

    for path in [
        "srv/web/composer.lock",
        "srv/web/Gemfile.lock",
        &format!("{GEMS}/evil-1.0.gemspec"),
    ] {
        assert!(
            inv.warnings
                .iter()
                .any(|w| w.starts_with(&format!("layer 4: {path}: "))),
            "{path}: {:?}",
            inv.warnings
        );
    }
}

/// Debian's `ruby-rack` installs its gemspec under `rubygems-integration`: that gem is the
/// distribution's build, owned by the deb (stanza and file list as on Debian 12).
#[test]
fn debian_gemspec_owned_by_its_deb() {
    const SPEC: &str = "usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec";
    let img = ImageBuilder::new()
        .layer("ADD rootfs.tar /", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        })
        .layer("RUN apt-get install ruby-rack", |l| {
            l.file(
                "var/lib/dpkg/status",
                "Package: ruby-rack\nStatus: install ok installed\nPriority: optional\n\
                 Section: ruby\nInstalled-Size: 470\nArchitecture: all\nMulti-Arch: foreign\n\
                 Version: 2.2.22-0+deb12u2\nDepends: ruby:any\n\
                 Description: modular Ruby webserver interface\n\n",
            )
            .file(
                "var/lib/dpkg/info/ruby-rack.list",
                format!("/.\n/usr\n/usr/share\n/{SPEC}\n"),
            )
            .file(SPEC, fixture("ruby/rack-2.2.22.gemspec"))
        })
        .layer("RUN gem install rake", |l| {
            l.file(
                "var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec",
                "Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  \
                 s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\nend\n",
            )
        });
    let catalog = Catalog::default();
    let inv = catalog.inventory(&scan(&img, &catalog));
    let deb = inv.packages.iter().find(|p| p.name == "ruby-rack").unwrap();
    let rack = inv.packages.iter().find(|p| p.name == "rack").unwrap();
    assert_eq!(rack.owned_by.as_deref(), Some(deb.id.as_str()));
    assert_eq!(rack.locations[0].layer, Some(1));
    let rake = inv.packages.iter().find(|p| p.name == "rake").unwrap();
    assert_eq!(rake.owned_by, None);
    assert_eq!(rake.locations[0].layer, Some(2));
    assert_eq!(rake.licenses, ["MIT"]);
}
