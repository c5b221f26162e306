use super::*;

/// An ELF-shaped file: the ELF header's first bytes, filler standing for code, then the
/// `.rodata` strings as the compiler lays them out (NUL-terminated, one after another).
fn elf(strings: &[&[u8]]) -> Vec<u8> {
    let mut v = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e\x00".to_vec();
    v.resize(4096, 0x90);
    v.push(0);
    for s in strings {
        v.extend_from_slice(s);
        v.push(0);
    }
    v.resize(v.len() + 512, 0xcc);
    v
}

fn one(path: &str, data: &[u8]) -> Option<(&'static str, String)> {
    let found = classify(path, &mut &data[..]).unwrap();
    assert!(found.len() <= 1, "{path}: {found:?}");
    found
        .first()
        .map(|c| (CLASSIFIERS[c.classifier].id, c.version.clone()))
}

fn version(path: &str, data: &[u8]) -> Option<String> {
    one(path, data).map(|(_, v)| v)
}

#[test]
fn every_pattern_compiles_and_is_shorter_than_the_overlap() {
    for c in CLASSIFIERS {
        for p in c.patterns {
            let hir = regex_syntax::ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(&format!("(?-u){p}"))
                .unwrap_or_else(|e| panic!("{}: {e}", c.id));
            let max = hir.properties().maximum_len();
            assert!(
                max.is_some_and(|m| m < OVERLAP),
                "{}: {p} can match {max:?} bytes, the window overlap is {OVERLAP}",
                c.id
            );
        }
        assert!(!c.cpes.is_empty(), "{} has no CPE", c.id);
    }
    assert!(COMPILED.len() == CLASSIFIERS.len());
    let ids: std::collections::BTreeSet<_> = CLASSIFIERS.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), CLASSIFIERS.len(), "ids are unique");
}

#[test]
fn openssl_libcrypto_and_the_tool() {
    let lib = elf(&[
        b"crypto/evp/evp_enc.c",
        b"OpenSSL 3.0.11 19 Sep 2023",
        b"built on: Tue Sep 19 13:00:00 2023 UTC",
        b"OPENSSLDIR: \"/usr/local/ssl\"",
    ]);
    assert_eq!(
        one("usr/local/lib64/libcrypto.so.3", &lib),
        Some(("openssl-binary", "3.0.11".into()))
    );
    // 1.1.1 pads the date with two spaces; the letter is part of the version.
    let old = elf(&[b"OpenSSL 1.1.1w  11 Sep 2023"]);
    assert_eq!(
        version("lib/libcrypto.so.1.1", &old).as_deref(),
        Some("1.1.1w")
    );
    let fips = elf(&[b"OpenSSL 1.0.2k-fips  26 Jan 2017"]);
    assert_eq!(
        version("usr/lib64/libssl.so.10", &fips).as_deref(),
        Some("1.0.2k")
    );
    let tool = elf(&[b"%s (Library: %s)\n", b"OpenSSL 3.2.0 23 Nov 2023"]);
    assert_eq!(
        version("usr/local/bin/openssl", &tool).as_deref(),
        Some("3.2.0")
    );
    // Another library merely naming OpenSSL is not OpenSSL.
    let other = elf(&[b"compiled against OpenSSL 3.0.11"]);
    assert_eq!(version("usr/lib/libcrypto.so.3", &other), None);
}

#[test]
fn busybox() {
    let b = elf(&[
        b"BusyBox v1.36.1 (2023-11-07 18:53:09 UTC) multi-call binary.",
        b"Usage: %s [OPTIONS]",
    ]);
    assert_eq!(
        one("bin/busybox", &b),
        Some(("busybox-binary", "1.36.1".into()))
    );
    // The name decides what is read: the same bytes in `ls` are not looked at.
    assert_eq!(one("bin/ls", &b), None);
}

#[test]
fn servers() {
    let cases: &[(&str, &[&[u8]], &str, &str)] = &[
        (
            "usr/sbin/nginx",
            &[b"nginx version: nginx/1.25.3", b"built by gcc 12.2.0"],
            "nginx-binary",
            "1.25.3",
        ),
        (
            "usr/local/openresty/nginx/sbin/nginx",
            &[b"nginx version: openresty/1.21.4.3"],
            "nginx-binary",
            "1.21.4",
        ),
        (
            "usr/local/apache2/bin/httpd",
            &[b"Apache/2.4.58 (Unix)", b"Server built:   %s"],
            "httpd-binary",
            "2.4.58",
        ),
        (
            "usr/local/sbin/haproxy",
            &[b"HA-Proxy version 2.8.5-aaba8d0 2023/12/07 - https://haproxy.org/"],
            "haproxy-binary",
            "2.8.5",
        ),
        (
            "usr/local/bin/redis-server",
            &[b"redis-server", b"7.2.3buildkitsandbox-1702957741000000000"],
            "redis-binary",
            "7.2.3",
        ),
        (
            "usr/lib/postgresql/16/bin/postgres",
            &[b"PostgreSQL 16.1 on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit"],
            "postgresql-binary",
            "16.1",
        ),
        (
            "usr/sbin/mariadbd",
            &[b"10.11.6-MariaDB", b"mariadb.org binary distribution"],
            "mariadb-binary",
            "10.11.6",
        ),
        (
            "usr/sbin/mysqld",
            &[b"/usr/src/mysql-8.0.35/sql/sql_parse.cc"],
            "mysql-binary",
            "8.0.35",
        ),
        (
            "usr/local/bin/curl",
            &[b"curl/8.4.0", b"Usage: curl [options...] <url>"],
            "curl-binary",
            "8.4.0",
        ),
        (
            "usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0",
            &[b"libcurl/8.5.0"],
            "curl-binary",
            "8.5.0",
        ),
    ];
    for (path, strings, id, v) in cases {
        assert_eq!(
            one(path, &elf(strings)),
            Some((*id, v.to_string())),
            "{path}"
        );
    }
    // A mariadbd named mysqld is MariaDB (the first classifier to claim the file).
    let found = classify("usr/sbin/mysqld", &mut &elf(&[b"10.6.16-MariaDB"])[..]).unwrap();
    assert_eq!(CLASSIFIERS[found[0].classifier].id, "mariadb-binary");
}

#[test]
fn language_runtimes() {
    let node = elf(&[
        b"node.js/v20.10.0",
        b"https://nodejs.org/download/release/v20.10.0/",
    ]);
    assert_eq!(
        version("usr/local/bin/node", &node).as_deref(),
        Some("20.10.0")
    );
    let old_node = elf(&[b"v6.17.1"]);
    assert_eq!(
        version("usr/local/bin/node", &old_node).as_deref(),
        Some("6.17.1")
    );

    // The file name says 3.11: another x.y.z string ("2.1.0" of a bundled library) is not
    // taken for Python's version.
    let py = elf(&[b"2.1.0", b"3.11.7", b"%.80s (%.80s) %.80s"]);
    assert_eq!(
        version("usr/local/bin/python3.11", &py).as_deref(),
        Some("3.11.7")
    );
    assert_eq!(
        version("usr/local/lib/libpython3.11.so.1.0", &py).as_deref(),
        Some("3.11.7")
    );
    assert_eq!(version("usr/local/bin/python3.12", &py), None);
    let rc = elf(&[b"3.13.0rc2"]);
    assert_eq!(
        version("usr/local/bin/python3.13", &rc).as_deref(),
        Some("3.13.0rc2")
    );

    let ruby = elf(&[b"ruby 3.2.2 (2023-03-30 revision e51014f9c0) [x86_64-linux]"]);
    assert_eq!(
        version("usr/local/lib/libruby.so.3.2.2", &ruby).as_deref(),
        Some("3.2.2")
    );
    let ruby27 = elf(&[b"ruby 2.7.7p221 (2022-11-24 revision 168ec2b1e5) [x86_64-linux]"]);
    assert_eq!(
        version("usr/local/bin/ruby", &ruby27).as_deref(),
        Some("2.7.7")
    );

    let perl = elf(&[
        b"\nThis is perl 5, version 36, subversion 0 (%-p) built for %s",
        b"/usr/local/lib/perl5/5.36.0/x86_64-linux",
    ]);
    assert_eq!(
        version("usr/local/bin/perl", &perl).as_deref(),
        Some("5.36.0")
    );
    let php = elf(&[b"X-Powered-By: PHP/8.2.13", b"PHP_VERSION"]);
    assert_eq!(
        version("usr/local/bin/php", &php).as_deref(),
        Some("8.2.13")
    );
    assert_eq!(
        version("usr/local/sbin/php-fpm", &php).as_deref(),
        Some("8.2.13")
    );

    let java = elf(&[b"openjdk", b"java", b"17.0.9", b"17.0.9+9"]);
    assert_eq!(
        one("opt/java/openjdk/bin/java", &java),
        Some(("java-binary-openjdk", "17.0.9".into()))
    );
}

#[test]
fn java_release_file_is_text() {
    let release = b"IMPLEMENTOR=\"Eclipse Adoptium\"\nIMPLEMENTOR_VERSION=\"Temurin-17.0.9+9\"\nJAVA_RUNTIME_VERSION=\"17.0.9+9\"\nJAVA_VERSION=\"17.0.9\"\nJAVA_VERSION_DATE=\"2023-10-17\"\n";
    let hits = BinaryInspector
        .inspect("opt/java/openjdk/release", &mut &release[..])
        .unwrap();
    assert_eq!(
        hits,
        vec![Hit {
            rule: "java-release-file".into(),
            line: 0,
            detail: "17.0.9".into()
        }]
    );
    let wants = |path, head: &[u8]| {
        BinaryInspector.wants(&Candidate {
            path,
            size: 200,
            mode: 0o644,
            head,
        })
    };
    assert!(wants("opt/java/openjdk/release", &release[..64]));
    // Other files called `release` are not read.
    assert!(!wants("etc/release", b"Fedora release 39"));
    // An ELF file named `release` is not a JDK release file.
    assert!(
        BinaryInspector
            .inspect("x/release", &mut &elf(&[b"JAVA_VERSION=\"1\""])[..])
            .unwrap()
            .is_empty()
    );
}

#[test]
fn tools() {
    let cases: &[(&str, &[&[u8]], &str)] = &[
        (
            "bin/bash",
            &[b"@(#)Bash version 5.2.15(1) release GNU"],
            "5.2.15",
        ),
        (
            "usr/bin/zstd",
            &[b"zstd", b"v1.5.5", b"Yann Collet"],
            "1.5.5",
        ),
        ("usr/bin/xz", &[b"xz (XZ Utils) 5.4.1"], "5.4.1"),
        (
            "bin/gzip",
            &[b"gzip", b"1.12", b"Copyright (C) 2023"],
            "1.12",
        ),
        ("usr/bin/jq", &[b"jq-1.7.1"], "1.7.1"),
        ("usr/local/bin/jq", &[b"1.6"], "1.6"),
        ("usr/local/bin/consul", &[b"GitDescribe=1.17.0\""], "1.17.0"),
        ("usr/local/bin/helm", &[b"v3.13.2"], "3.13.2"),
        ("usr/local/bin/traefik", &[b"2.10.7"], "2.10.7"),
        ("usr/bin/memcached", &[b"memcached 1.6.22"], "1.6.22"),
        ("usr/sbin/lighttpd", &[b"lighttpd/1.4.73"], "1.4.73"),
        ("usr/sbin/proftpd", &[b"ProFTPD Version 1.3.8b"], "1.3.8b"),
        ("usr/bin/getopt", &[b"util-linux 2.39.3"], "2.39.3"),
        (
            "usr/local/lib/erlang/erts-14.2/bin/beam.smp",
            &[
                b"<artificial>",
                b"/usr/src/otp_src_26.2.1/erts/emulator/beam/erl_init.c",
            ],
            "26.2.1",
        ),
        (
            "opt/fluent-bit/bin/fluent-bit",
            &[b"2.2.3", b"Fluent Bit"],
            "2.2.3",
        ),
        ("usr/local/bin/sqlcipher", &[b"x", b"3.44.2"], "3.44.2"),
        (
            "opt/pypy/bin/libpypy3.10-c.so",
            &[b"[PyPy 7.3.15 with GCC 10.2.1 20210110]"],
            "7.3.15",
        ),
        (
            "usr/local/julia/lib/julia/libjulia-internal.so.1.10",
            &[b"__init__\x001.10.2\x00verify"],
            "1.10.2",
        ),
        (
            "usr/local/rustup/toolchains/stable/lib/libstd-d6566390077dd5f5.so",
            &[b"clang LLVM (rustc version 1.74.0 (79e9716c9 2023-11-13))"],
            "1.74.0",
        ),
        (
            "usr/lib/gcc/x86_64-linux-gnu/12/cc1",
            &[b"GCC: (Debian 12.2.0-14) 12.2.0"],
            "12.2.0",
        ),
    ];
    for (path, strings, v) in cases {
        assert_eq!(version(path, &elf(strings)).as_deref(), Some(*v), "{path}");
    }
}

#[test]
fn the_most_trusted_pattern_wins_wherever_it_is() {
    // jq: a bare "1.5" early in the file, the real "jq-1.7.1" later.
    let jq = elf(&[b"1.5", b"filler", b"jq-1.7.1"]);
    assert_eq!(version("usr/bin/jq", &jq).as_deref(), Some("1.7.1"));
}

/// A reader handing out `chunk` bytes per read, as a tar stream would.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn a_version_split_across_the_read_window_is_read_whole() {
    let text = b"OpenSSL 3.0.11 19 Sep 2023";
    // Put the string across the first window's end at every offset: in particular cut
    // right after "3.0.1", where a reader without overlap would see 3.0.1.
    for cut in 0..text.len() {
        let mut data = vec![0x90u8; WINDOW + OVERLAP - cut];
        data[..4].copy_from_slice(b"\x7fELF");
        data.extend_from_slice(text);
        data.push(0);
        data.resize(data.len() + 3 * WINDOW, 0xcc);
        for chunk in [1 << 20, 4096, 7] {
            let found = classify(
                "usr/lib/libcrypto.so.3",
                &mut Chunked { data: &data, chunk },
            )
            .unwrap();
            assert_eq!(found.len(), 1, "cut {cut}");
            assert_eq!(found[0].version, "3.0.11", "cut {cut}, reads of {chunk}");
        }
    }
    // curl has no date after the version: a window cut inside "8.4.10" must not give 8.4.1.
    let text = b"curl/8.4.10";
    for cut in 0..text.len() {
        let mut data = vec![0x90u8; WINDOW + OVERLAP - cut];
        data.extend_from_slice(text);
        data.push(0);
        data.resize(data.len() + WINDOW, 0xcc);
        let found = classify("usr/bin/curl", &mut &data[..]).unwrap();
        assert_eq!(found[0].version, "8.4.10", "cut {cut}");
    }
}

#[test]
fn wants_elf_files_by_name_only() {
    let elf_head = &elf(&[])[..64];
    let wants = |path: &str, head: &[u8], size: u64| {
        BinaryInspector.wants(&Candidate {
            path,
            size,
            mode: 0o755,
            head,
        })
    };
    assert!(wants(
        "usr/lib/x86_64-linux-gnu/libcrypto.so.3",
        elf_head,
        5_000_000
    ));
    assert!(wants("bin/busybox", elf_head, 1_000_000));
    assert!(wants("usr/local/bin/python3.12", elf_head, 20_000));
    assert!(!wants(
        "usr/local/bin/python3.12-config",
        b"#!/bin/sh\n",
        3000
    ));
    assert!(!wants("bin/busybox", b"#!/bin/sh\n", 100));
    assert!(!wants("usr/bin/ls", elf_head, 100_000));
    assert!(!wants("bin/busybox", elf_head, 0));
    // Globs on names.
    assert!(glob(b"libcrypto.so*", b"libcrypto.so.1.1"));
    assert!(glob(b"ruby[0-9]*", b"ruby3.2"));
    assert!(!glob(b"ruby[0-9]*", b"rubyx"));
    assert!(!glob(b"libssl.so*", b"libssl3.so"));
}

#[test]
fn packages_carry_purl_cpe_and_found_by() {
    let openssl = classifier("openssl-binary").unwrap();
    let p = package(openssl, "3.0.11");
    assert_eq!(p.purl, "pkg:generic/openssl@3.0.11");
    assert_eq!(
        p.cpes,
        vec!["cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*"]
    );
    assert_eq!(p.found_by.as_deref(), Some("binary"));
    assert_eq!(p.ecosystem, "");
    assert_eq!(p.metadata["classifier"], "openssl-binary");

    let helm = package(classifier("helm").unwrap(), "3.13.2");
    assert_eq!(helm.purl, "pkg:golang/helm.sh/helm/v3@v3.13.2");
    assert_eq!(helm.name, "helm.sh/helm/v3");
    assert_eq!(helm.ecosystem, "Go");
    assert_eq!(helm.version, "v3.13.2");

    let node = package(classifier("nodejs-binary").unwrap(), "20.10.0");
    assert_eq!(
        node.cpes,
        vec!["cpe:2.3:a:nodejs:node.js:20.10.0:*:*:*:*:*:*:*"]
    );
    assert_eq!(cpe_escape("17.0.9+9"), "17.0.9\\+9");
    let erlang = package(classifier("erlang-binary").unwrap(), "26.2.1");
    assert_eq!(
        erlang.cpes,
        vec![r"cpe:2.3:a:erlang:erlang\/otp:26.2.1:*:*:*:*:*:*:*"]
    );
    assert!(valid_version("1.1.1w"));
    assert!(!valid_version("1.0 ; rm"));
}
