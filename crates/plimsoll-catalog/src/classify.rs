//! Binary classifiers: executables and shared libraries that no package database lists,
//! identified by the version strings compiled into them (`OpenSSL 3.0.11 19 Sep 2023` in
//! `libcrypto.so.3`, `BusyBox v1.36.1 (…) multi-call binary` in `busybox`).
//!
//! Each [`Classifier`] of [`CLASSIFIERS`] names the files it reads (globs over the file name,
//! so `libcrypto.so.3` anywhere) and byte regexes whose `version` group (or `major`, `minor`,
//! `patch` groups, joined with dots) is the version. Patterns are tried in order of trust: the
//! first pattern that matches anywhere in the file wins over later ones, wherever they match.
//! Every pattern is anchored on text the upstream build writes next to its version (a
//! product name, a date, a fixed prefix); the few that must rely on a bare `\0 1.2.3 \0`
//! (`gzip`, `jq`, `zstd`, `helm`) are tried only on files of exactly that name.
//!
//! [`BinaryInspector`] reads a wanted file from the layer stream in windows of [`WINDOW`]
//! bytes, carrying the last [`OVERLAP`] bytes into the next window so that a version string
//! split across two reads is still seen whole. A match that starts inside that carried tail
//! is left to the next window (which sees what follows it), so a version cut short by a
//! window's end (`8.4.1|0`) is never taken for a shorter one. No pattern can match more than
//! [`OVERLAP`] bytes. At most [`MAX_READ`] bytes of a file are read.
//!
//! Go programs (traefik, consul, helm) usually carry Go build info, which the `binary`
//! cataloger already reads: their classifier names the Go module, and the packages analyzer
//! keeps a classifier hit only when build info did not give that module a version.
//!
//! Package URLs are `pkg:generic/NAME@VERSION` except for Go programs (`pkg:golang/…`, so
//! that Go advisories match them); CPE 2.3 names are NVD's vendor and product, for matching
//! NVD's CPE criteria (`docs/binaries.md`).

use crate::purl::purl;
use plimsoll_image::inspect::{Candidate, Hit, Inspector};
use plimsoll_model::{FOUND_BY_BINARY, Origin, Package};
use regex::bytes::Regex;
use std::io::{self, Read};
use std::sync::LazyLock;

/// Bytes read from the stream at a time.
pub const WINDOW: usize = 256 << 10;
/// Bytes of each window carried into the next; longer than any match.
pub const OVERLAP: usize = 1024;
/// Most bytes read of one file (a 100 MB `node` is read whole).
pub const MAX_READ: u64 = 512 << 20;
/// Largest JDK `release` file read.
const MAX_RELEASE_FILE: u64 = 64 << 10;

/// What a classifier's package is called and how it is matched.
#[derive(Debug)]
pub struct Classifier {
    /// Stable id, reported as the package's `classifier` (`openssl-binary`).
    pub id: &'static str,
    /// File-name globs (`*` is any run of characters, `?` one): `libcrypto.so*`.
    pub names: &'static [&'static str],
    /// Byte regexes, most trusted first; each has a `version` group or `major`, `minor` and
    /// `patch` groups.
    pub patterns: &'static [&'static str],
    /// Package name (`openssl`).
    pub package: &'static str,
    /// NVD (vendor, product) pairs.
    pub cpes: &'static [(&'static str, &'static str)],
    /// The Go module of a Go program (`helm.sh/helm`): the package is a Go module, matched
    /// through Go advisories, and build info wins over the classifier.
    pub go_module: Option<&'static str>,
    /// A prefix the version must start with, from the file name (`python3.11` →
    /// `3.11`): a regex over the name whose `version` group is the prefix.
    pub name_version: Option<&'static str>,
    /// Files read whatever their first bytes (text files); else only ELF files.
    pub text: bool,
}

/// Every classifier, one row per product (documented in `docs/binaries.md`).
pub static CLASSIFIERS: &[Classifier] = &[
    Classifier {
        id: "openssl-binary",
        names: &["openssl", "libcrypto.so*", "libssl.so*", "libcrypto-*.so*"],
        patterns: &[
            // OPENSSL_VERSION_TEXT: "OpenSSL 3.0.11 19 Sep 2023", "OpenSSL 1.1.1w  11 Sep 2023",
            // "OpenSSL 1.0.2k-fips  26 Jan 2017".
            r"OpenSSL (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}[a-z]{0,2}(?:-(?:alpha|beta)[0-9]{1,6})?)(?:-[a-z]{1,12})? {1,2}[0-9]{1,2} [A-Z][a-z]{2} [0-9]{4}",
            r"\x00OpenSSL (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}[a-z]{0,2}(?:-(?:alpha|beta)[0-9]{1,6})?)[\x00 ]",
        ],
        package: "openssl",
        cpes: &[("openssl", "openssl")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "busybox-binary",
        names: &["busybox"],
        patterns: &[r"BusyBox v(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})"],
        package: "busybox",
        cpes: &[("busybox", "busybox")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "curl-binary",
        names: &["curl", "libcurl.so*", "libcurl-*.so*"],
        // "curl/8.4.0" (the tool's User-Agent), "libcurl/8.4.0" (curl_version()).
        patterns: &[r"curl/(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})(?:-DEV)?[\x00 ]"],
        package: "curl",
        cpes: &[("haxx", "curl"), ("haxx", "libcurl")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "nginx-binary",
        names: &["nginx"],
        // "nginx version: nginx/1.25.3", "nginx version: openresty/1.21.4.1" (nginx 1.21.4).
        patterns: &[r"nginx version: [a-z]{1,20}/(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})"],
        package: "nginx",
        cpes: &[("f5", "nginx"), ("nginx", "nginx")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "httpd-binary",
        names: &["httpd", "apache2"],
        patterns: &[r"Apache/(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})[\x00 ]"],
        package: "httpd",
        cpes: &[("apache", "http_server")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "haproxy-binary",
        names: &["haproxy"],
        patterns: &[
            r"HA-Proxy version (?P<version>[0-9]{1,6}\.[0-9]{1,6}(?:\.|-dev|-rc)[0-9]{1,6})",
            r"version (?P<version>[0-9]{1,6}\.[0-9]{1,6}(?:\.|-dev|-rc)[0-9]{1,6})(?:-[a-z0-9]{7})?, released 20",
        ],
        package: "haproxy",
        cpes: &[("haproxy", "haproxy")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "redis-binary",
        names: &["redis-server", "redis-cli"],
        // redisBuildIdString: the version glued to a build id ("7.2.3buildkitsandbox-1700000000",
        // "6.2.14a1b2c3d4e5f6-1700000000"); old releases: "Redis version 2.8.23".
        patterns: &[
            r"[^0-9.](?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})buildkitsandbox-[0-9]{1,6}",
            r"[^0-9.](?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})[0-9a-f]{12}-[0-9]{1,6}",
            r"Redis version (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})",
        ],
        package: "redis",
        cpes: &[("redis", "redis"), ("redislabs", "redis")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "postgresql-binary",
        names: &["postgres", "postgres-*"],
        // PG_VERSION_STR: "PostgreSQL 16.1 on x86_64-pc-linux-gnu, compiled by gcc …".
        patterns: &[
            r"PostgreSQL (?P<version>[0-9]{1,6}(?:\.[0-9]{1,6}){1,2}(?:(?:alpha|beta|rc)[0-9]{1,6})?) on [a-z0-9_]",
            r"[\x00?]PostgreSQL (?P<version>[0-9]{1,6}(?:\.[0-9]{1,6}){1,2}(?:(?:alpha|beta|rc)[0-9]{1,6})?)[\x00 ]",
        ],
        package: "postgresql",
        cpes: &[("postgresql", "postgresql")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "mariadb-binary",
        names: &["mariadbd", "mariadb", "mysqld", "mysql"],
        // MYSQL_SERVER_VERSION of MariaDB: "10.11.6-MariaDB".
        patterns: &[r"(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})-MariaDB"],
        package: "mariadb",
        cpes: &[("mariadb", "mariadb")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "mysql-binary",
        names: &["mysqld", "mysql"],
        // Source paths of the build tree ("/mysql-8.0.35/sql/sql_parse.cc").
        patterns: &[
            r"/mysql-(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})(?:-[a-z]{1,12})?/[a-z]",
            r"\x00(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})\x00{1,16}mysql",
        ],
        package: "mysql",
        cpes: &[("oracle", "mysql")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "nodejs-binary",
        names: &["node", "nodejs"],
        patterns: &[
            r"node\.js/v(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})",
            r"\x00(?:node )?v(?P<version>(?:0|4|5|6)\.[0-9]{1,6}\.[0-9]{1,6})\x00",
        ],
        package: "node",
        cpes: &[("nodejs", "node.js")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "python-binary",
        names: &[
            "python3.*",
            "python2.*",
            "libpython3*.so*",
            "libpython2*.so*",
        ],
        // PY_VERSION stands alone: "\x003.11.7\x00"; the file name says which minor release
        // to expect, so no other "x.y.z" string can pass for it.
        patterns: &[
            r"\x00(?P<version>[23]\.[0-9]{1,6}\.[0-9]{1,6}(?:(?:a|b|rc)[0-9]{1,6})?\+?)\x00",
        ],
        package: "python",
        cpes: &[
            ("python", "python"),
            ("python_software_foundation", "python"),
        ],
        go_module: None,
        name_version: Some(r"^(?:lib)?python(?P<version>[23]\.[0-9]{1,6})[a-z]?(?:\.so.*)?$"),
        text: false,
    },
    Classifier {
        id: "ruby-binary",
        names: &[
            "ruby",
            "ruby[0-9]*",
            "libruby.so*",
            "libruby-*.so*",
            "libruby[0-9]*.so*",
        ],
        // ruby_description: "ruby 3.2.2 (2023-03-30 revision e51014f9c0) [x86_64-linux]",
        // "ruby 2.7.7p221 (2022-11-24 revision 168ec2b1e5)".
        patterns: &[
            r"ruby (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}(?:preview[0-9]{0,6}|rc[0-9]{0,6}|dev)?)(?:p[0-9]{1,6})? \([0-9]{4}-[0-9]{2}-[0-9]{2}",
        ],
        package: "ruby",
        cpes: &[("ruby-lang", "ruby")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "perl-binary",
        names: &["perl", "perl5*", "libperl.so*"],
        // perl -v: "This is perl 5, version 36, subversion 0 (v5.36.0) built for …".
        patterns: &[
            r"This is perl (?P<major>[0-9]{1,6}), version (?P<minor>[0-9]{1,6}), subversion (?P<patch>[0-9]{1,6}) ",
            r"/lib/perl5/(?P<version>5\.[0-9]{1,6}\.[0-9]{1,6})/",
        ],
        package: "perl",
        cpes: &[("perl", "perl")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "php-binary",
        names: &["php", "php[0-9]*", "php-fpm*", "php-cgi*", "libphp*.so"],
        // SAPI_PHP_VERSION_HEADER: "X-Powered-By: PHP/8.2.13".
        patterns: &[
            r"X-Powered-By: PHP/(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}(?:(?:alpha|beta|RC)[0-9]{1,6})?)",
        ],
        package: "php",
        cpes: &[("php", "php")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "java-binary-openjdk",
        names: &["java"],
        // The launcher's FULL_VERSION: "\x00openjdk\x00java\x0017.0.9\x0017.0.9+9\x00".
        patterns: &[
            r"\x00openjdk\x00java\x00[0-9][0-9.]{0,15}\x00(?P<version>[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}(?:_[0-9]{1,6})?)(?:[-+][0-9a-z.+-]{0,40})?\x00",
        ],
        package: "openjdk",
        cpes: &[("oracle", "openjdk")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "java-release-file",
        names: &["release"],
        // $JAVA_HOME/release: JAVA_VERSION="17.0.9" (with IMPLEMENTOR and friends).
        patterns: &[
            r#"(?m)^JAVA_VERSION="(?P<version>[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}(?:_[0-9]{1,6})?)""#,
        ],
        package: "openjdk",
        cpes: &[("oracle", "openjdk")],
        go_module: None,
        name_version: None,
        text: true,
    },
    Classifier {
        id: "traefik-binary",
        names: &["traefik"],
        patterns: &[
            r"(?:\x00v?|\xef\xbf\xbd.?)(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}(?:-alpha[0-9]|-beta[0-9]|-rc[0-9])?)\x00",
        ],
        package: "traefik",
        cpes: &[("traefik", "traefik")],
        go_module: Some("github.com/traefik/traefik"),
        name_version: None,
        text: false,
    },
    Classifier {
        id: "consul-binary",
        names: &["consul"],
        patterns: &[
            r"CONSUL_VERSION: (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})",
            r#"GitDescribe=(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})""#,
            r"\x00{1,16}v(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})\x00",
        ],
        package: "consul",
        cpes: &[("hashicorp", "consul")],
        go_module: Some("github.com/hashicorp/consul"),
        name_version: None,
        text: false,
    },
    Classifier {
        id: "helm",
        names: &["helm"],
        patterns: &[r"\x00v(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})\x00"],
        package: "helm",
        cpes: &[("helm", "helm")],
        go_module: Some("helm.sh/helm"),
        name_version: None,
        text: false,
    },
    Classifier {
        id: "bash-binary",
        names: &["bash"],
        // sccs_version: "@(#)Bash version 5.2.15(1) release GNU".
        patterns: &[
            r"@\(#\)Bash version (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})\([0-9]{1,6}\) [a-z0-9]{1,12} GNU",
        ],
        package: "bash",
        cpes: &[("gnu", "bash")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "zstd-binary",
        names: &["zstd"],
        patterns: &[r"\x00v(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})\x00"],
        package: "zstd",
        cpes: &[("facebook", "zstandard")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "xz-binary",
        names: &["xz"],
        patterns: &[r"xz \(XZ Utils\) (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})"],
        package: "xz",
        cpes: &[("tukaani", "xz")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "gzip-binary",
        names: &["gzip"],
        patterns: &[r"\x00(?P<version>1\.[0-9]{1,2})\x00"],
        package: "gzip",
        cpes: &[("gnu", "gzip")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "jq-binary",
        names: &["jq"],
        patterns: &[
            r"jq-(?P<version>1\.[0-9]{1,2}(?:\.[0-9]{1,6})?)\x00",
            r"\x00(?P<version>1\.[0-9]{1,2}(?:\.[0-9]{1,6})?)\x00",
        ],
        package: "jq",
        cpes: &[("jqlang", "jq"), ("jq_project", "jq")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "memcached-binary",
        names: &["memcached"],
        patterns: &[r"memcached (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})"],
        package: "memcached",
        cpes: &[("memcached", "memcached")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "lighttpd-binary",
        names: &["lighttpd"],
        patterns: &[r"\x00lighttpd/(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})\x00"],
        package: "lighttpd",
        cpes: &[("lighttpd", "lighttpd")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "proftpd-binary",
        names: &["proftpd"],
        patterns: &[
            r"\x00ProFTPD Version (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}[a-z]?)\x00",
        ],
        package: "proftpd",
        cpes: &[("proftpd", "proftpd")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "util-linux-binary",
        names: &["getopt"],
        patterns: &[r"\x00util-linux (?P<version>[0-9]{1,6}\.[0-9]{1,6}(?:\.[0-9]{1,6})?)\x00"],
        package: "util-linux",
        cpes: &[("kernel", "util-linux")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "erlang-binary",
        names: &["erlexec", "beam.smp"],
        // Build paths ("/usr/src/otp_src_25.3.2.6/erts/") and the banner's version.
        patterns: &[
            r"/otp_src_(?P<version>[0-9]{1,6}\.[0-9]{1,6}(?:\.[0-9]{1,6}){0,2}(?:-rc[0-9])?)/erts/",
            r"/otp-(?P<version>[0-9]{1,6}\.[0-9]{1,6}(?:\.[0-9]{1,6}){0,2}(?:-rc[0-9])?)/erts/",
            r"\x00{1,16}(?P<version>[0-9]{1,6}\.[0-9]{1,6}(?:\.[0-9]{1,6}){0,2}(?:-rc[0-9])?)\x00{1,16}Erlang/OTP",
        ],
        package: "erlang",
        cpes: &[("erlang", "erlang/otp")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "fluent-bit-binary",
        names: &["fluent-bit"],
        patterns: &[
            r"\x00\x00?(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})\x00(?:\x1b\[1m\x00|\x00|\x00\x00)?(?:%s)?Fluent",
        ],
        package: "fluent-bit",
        cpes: &[("treasuredata", "fluent_bit")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "sqlcipher-binary",
        names: &["sqlcipher"],
        patterns: &[r"[^0-9]\x00(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})\x00"],
        package: "sqlcipher",
        cpes: &[("zetetic", "sqlcipher")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "pypy-binary-lib",
        names: &["libpypy*.so*"],
        patterns: &[r"\[PyPy (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})"],
        package: "pypy",
        cpes: &[("pypy", "pypy")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "julia-binary",
        names: &["libjulia-internal.so*"],
        patterns: &[r"__init__\x00(?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})\x00verify"],
        package: "julia",
        cpes: &[("julialang", "julia")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "rust-standard-library-linux",
        names: &["libstd-*.so"],
        // "clang LLVM (rustc version 1.74.0 (79e9716c9 2023-11-13))".
        patterns: &[
            r"\x00clang LLVM \(rustc version (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}) \([0-9a-f]{1,40} [0-9]{4}-[0-9]{2}-[0-9]{2}\)",
        ],
        package: "rust",
        cpes: &[("rust-lang", "rust")],
        go_module: None,
        name_version: None,
        text: false,
    },
    Classifier {
        id: "gcc-binary",
        names: &["gcc", "gcc-[0-9]*", "cc1"],
        patterns: &[r"GCC: \([^)\x00]{1,80}\) (?P<version>[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6})"],
        package: "gcc",
        cpes: &[("gnu", "gcc")],
        go_module: None,
        name_version: None,
        text: false,
    },
];

/// A classifier with its regexes compiled.
struct Compiled {
    patterns: Vec<Regex>,
    name_version: Option<Regex>,
}

static COMPILED: LazyLock<Vec<Compiled>> = LazyLock::new(|| {
    CLASSIFIERS
        .iter()
        .map(|c| Compiled {
            // The table is fixed at build time; `every_pattern_compiles` tests it.
            patterns: c
                .patterns
                .iter()
                .map(|p| Regex::new(&format!("(?-u){p}")).expect("classifier pattern"))
                .collect(),
            name_version: c
                .name_version
                .map(|p| Regex::new(p).expect("classifier name pattern")),
        })
        .collect()
});

/// Does `name` match `glob` (`*` any run, `?` one character)?
fn glob(glob: &[u8], name: &[u8]) -> bool {
    match glob.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| self::glob(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && self::glob(rest, &name[1..]),
        Some((b'[', rest)) if rest.starts_with(b"0-9]") => {
            name.first().is_some_and(u8::is_ascii_digit) && self::glob(&rest[4..], &name[1..])
        }
        Some((c, rest)) => name.first() == Some(c) && self::glob(rest, &name[1..]),
    }
}

/// The classifiers (indexes into [`CLASSIFIERS`]) that read a file of this name.
pub fn classifiers_for(path: &str) -> impl Iterator<Item = usize> + '_ {
    let name = path.rsplit('/').next().unwrap_or(path);
    CLASSIFIERS.iter().enumerate().filter_map(move |(i, c)| {
        c.names
            .iter()
            .any(|g| glob(g.as_bytes(), name.as_bytes()))
            .then_some(i)
    })
}

/// One classifier's verdict on a file: its index and the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub classifier: usize,
    pub version: String,
}

/// The version a match gives: its `version` group, or `major.minor.patch`.
fn version_of(caps: &regex::bytes::Captures<'_>) -> Option<String> {
    let text = |m: regex::bytes::Match<'_>| String::from_utf8_lossy(m.as_bytes()).into_owned();
    if let Some(v) = caps.name("version") {
        return Some(text(v));
    }
    let parts: Option<Vec<String>> = ["major", "minor", "patch"]
        .iter()
        .map(|g| caps.name(g).map(text))
        .collect();
    parts.map(|p| p.join("."))
}

/// State of one classifier over one file: the best pattern found so far.
struct Search<'a> {
    classifier: usize,
    compiled: &'a Compiled,
    prefix: Option<String>,
    /// (pattern index, version) of the most trusted match so far.
    best: Option<(usize, String)>,
}

impl Search<'_> {
    /// Looks at one window; matches starting at or after `limit` are left to the next.
    fn window(&mut self, buf: &[u8], limit: usize) {
        let stop = self
            .best
            .as_ref()
            .map_or(self.compiled.patterns.len(), |b| b.0);
        for (pi, re) in self.compiled.patterns.iter().enumerate().take(stop) {
            // Matches may overlap (the NUL ending one string starts the next), so a
            // rejected match is retried from its next byte, not from its end.
            let mut at = 0;
            while let Some(caps) = re.captures_at(buf, at) {
                let Some(m) = caps.get(0) else { break };
                if m.start() >= limit {
                    break;
                }
                at = m.start() + 1;
                let Some(v) = version_of(&caps) else { continue };
                if self.prefix.as_ref().is_some_and(|p| {
                    !(v.starts_with(p.as_str())
                        && v[p.len()..].starts_with(|c: char| !c.is_ascii_digit()))
                }) {
                    continue;
                }
                self.best = Some((pi, v));
                break;
            }
            if self.best.as_ref().is_some_and(|b| b.0 == pi) {
                break;
            }
        }
    }

    fn done(&self) -> bool {
        self.best.as_ref().is_some_and(|b| b.0 == 0)
    }
}

/// Classifies a file by name and contents, reading at most [`MAX_READ`] bytes of `data` in
/// windows. Returns one verdict per classifier that found a version.
pub fn classify(path: &str, data: &mut dyn Read) -> io::Result<Vec<Classified>> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut searches: Vec<Search<'_>> = classifiers_for(path)
        .filter_map(|i| {
            let compiled = &COMPILED[i];
            let prefix = match &compiled.name_version {
                Some(re) => Some(
                    re.captures(name.as_bytes())
                        .and_then(|c| c.name("version"))
                        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())?,
                ),
                None => None,
            };
            Some(Search {
                classifier: i,
                compiled,
                prefix,
                best: None,
            })
        })
        .collect();
    if searches.is_empty() {
        return Ok(Vec::new());
    }
    let mut data = data.take(MAX_READ);
    let mut buf = vec![0u8; WINDOW + OVERLAP];
    // Bytes of `buf` holding data; the first `carried` are the previous window's tail.
    let mut len = 0usize;
    loop {
        let mut eof = false;
        while len < buf.len() {
            match data.read(&mut buf[len..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let limit = if eof { len } else { len - OVERLAP };
        for s in searches.iter_mut().filter(|s| !s.done()) {
            s.window(&buf[..len], limit);
        }
        if eof || searches.iter().all(Search::done) {
            break;
        }
        buf.copy_within(len - OVERLAP..len, 0);
        len = OVERLAP;
    }
    Ok(searches
        .into_iter()
        .filter_map(|s| {
            s.best.map(|(_, version)| Classified {
                classifier: s.classifier,
                version,
            })
        })
        .collect())
}

/// The streaming inspector of the packages analyzer: reads ELF files (and JDK `release`
/// files) whose names a classifier lists. A hit's `rule` is the classifier id and its
/// `detail` the version.
#[derive(Debug, Default)]
pub struct BinaryInspector;

impl Inspector for BinaryInspector {
    fn fingerprint(&self) -> String {
        // The table's text is the rule set: any change to it changes the key.
        let mut h = sha2::Sha256::default();
        use sha2::Digest;
        for c in CLASSIFIERS {
            h.update(format!("{c:?}\n").as_bytes());
        }
        let d = h.finalize();
        let hex: String = d.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("binary-classifiers:1:w{WINDOW}:o{OVERLAP}:{hex}")
    }

    fn wants(&self, file: &Candidate<'_>) -> bool {
        if file.size == 0 {
            return false;
        }
        let mut any = false;
        for i in classifiers_for(file.path) {
            let c = &CLASSIFIERS[i];
            if c.text {
                any |= file.size <= MAX_RELEASE_FILE
                    && (file.head.starts_with(b"JAVA_")
                        || file.head.starts_with(b"IMPLEMENTOR")
                        || file.head.windows(13).any(|w| w == b"JAVA_VERSION="));
            } else {
                any |= file.head.starts_with(b"\x7fELF");
            }
        }
        any
    }

    fn inspect(&self, path: &str, data: &mut dyn Read) -> io::Result<Vec<Hit>> {
        let mut head = [0u8; 4];
        let mut n = 0;
        while n < 4 {
            match data.read(&mut head[n..])? {
                0 => break,
                k => n += k,
            }
        }
        let head_is_elf = &head[..n] == b"\x7fELF";
        let mut rest = io::Cursor::new(head[..n].to_vec()).chain(data);
        Ok(classify(path, &mut rest)?
            .into_iter()
            .filter(|c| CLASSIFIERS[c.classifier].text != head_is_elf)
            .map(|c| Hit {
                rule: CLASSIFIERS[c.classifier].id.to_string(),
                line: 0,
                detail: c.version,
            })
            .collect())
    }
}

/// The classifier of a hit's rule.
pub fn classifier(id: &str) -> Option<&'static Classifier> {
    CLASSIFIERS.iter().find(|c| c.id == id)
}

/// A version a hit may carry: short, printable, no spaces (the regexes allow nothing else,
/// but hits come back from the layer cache).
pub fn valid_version(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
}

/// Escapes a CPE 2.3 formatted-string component: every character but letters, digits,
/// `_`, `-` and `.` takes a backslash (`17.0.9\+9`).
pub fn cpe_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The Go module path of a Go program at `version` (`helm.sh/helm/v3` for 3.x).
fn go_module_path(module: &str, version: &str) -> String {
    let major: u64 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major >= 2 {
        format!("{module}/v{major}")
    } else {
        module.to_string()
    }
}

/// The package a classifier found: without `id` and `locations` (the caller fills them).
pub fn package(c: &Classifier, version: &str) -> Package {
    let mut p = Package {
        kind: "binary".into(),
        name: c.package.into(),
        version: version.into(),
        found_by: Some(FOUND_BY_BINARY.into()),
        origin: Origin::Installed,
        cpes: c
            .cpes
            .iter()
            .map(|(vendor, product)| {
                format!(
                    "cpe:2.3:a:{}:{}:{}:*:*:*:*:*:*:*",
                    cpe_escape(vendor),
                    cpe_escape(product),
                    cpe_escape(version)
                )
            })
            .collect(),
        ..Package::default()
    };
    p.metadata.insert("classifier".into(), c.id.into());
    match c.go_module {
        Some(module) => {
            let path = go_module_path(module, version);
            let v = format!("v{version}");
            let (ns, name) = path.rsplit_once('/').unwrap_or(("", &path));
            p.purl = purl("golang", Some(ns), name, &v, &[]);
            p.ecosystem = "Go".into();
            p.kind = "go-module".into();
            p.name = path;
            p.version = v;
        }
        None => p.purl = purl("generic", None, c.package, version, &[]),
    }
    p
}

#[cfg(test)]
mod tests;
