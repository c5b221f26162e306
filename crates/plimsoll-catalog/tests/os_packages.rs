//! dpkg and apk catalogers on synthetic images: ecosystems and purls, layer attribution
//! (upgrade, untouched package in a rewritten database, removal, whiteouts), file ownership
//! of language packages, and bad databases.

use plimsoll_catalog::{Catalog, Cataloger, Context, Inventory, Parsed, apk::Apk, dpkg::Dpkg};
use plimsoll_image::walker::WalkOptions;
use plimsoll_image::{ImageSource, OpenOptions, open, scan_image};
use plimsoll_model::{Package, SourcePackage};
use plimsoll_testkit::ImageBuilder;

/// Stands for the Python cataloger: `Name:`/`Version:` from `*.dist-info/METADATA`.
struct FakePython;

impl Cataloger for FakePython {
    fn name(&self) -> &'static str {
        "fake-python"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/*.dist-info/METADATA"]
    }
    fn parse(&self, _path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        let text = String::from_utf8_lossy(data);
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|v| v.trim().to_string())
        };
        let (Some(name), Some(version)) = (field("Name:"), field("Version:")) else {
            return Err("no Name or Version".into());
        };
        Ok(Parsed {
            packages: vec![Package {
                kind: "python".into(),
                ecosystem: "PyPI".into(),
                purl: format!("pkg:pypi/{}@{version}", name.to_lowercase()),
                name,
                version,
                origin: "installed".into(),
                ..Package::default()
            }],
            ..Parsed::default()
        })
    }
}

fn catalog() -> Catalog {
    Catalog::new(vec![Box::new(Dpkg), Box::new(Apk), Box::new(FakePython)])
}

fn inventory_with(img: &ImageBuilder, cat: &Catalog) -> Inventory {
    let dir = tempfile::tempdir().unwrap();
    img.write_oci_layout(dir.path(), None);
    let src = ImageSource::parse(dir.path().to_str().unwrap()).unwrap();
    let image = open("test", src, &OpenOptions::default()).unwrap();
    let opts = WalkOptions {
        interests: cat.interests(),
        ..Default::default()
    };
    let scan = scan_image(&image, &opts).unwrap();
    cat.inventory(&scan)
}

fn inventory(img: &ImageBuilder) -> Inventory {
    inventory_with(img, &catalog())
}

fn find<'a>(inv: &'a Inventory, name: &str) -> Option<&'a Package> {
    inv.packages.iter().find(|p| p.name == name)
}

fn layer_of(inv: &Inventory, name: &str) -> usize {
    let p = find(inv, name).unwrap_or_else(|| panic!("{name} missing: {:#?}", inv.packages));
    p.locations[0].layer.unwrap()
}

const DEBIAN_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"
NAME=\"Debian GNU/Linux\"
VERSION_ID=\"12\"
VERSION=\"12 (bookworm)\"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL=\"https://www.debian.org/\"
";

fn stanza(name: &str, status: &str, version: &str, source: Option<&str>) -> String {
    let mut s = format!(
        "Package: {name}\nStatus: {status}\nPriority: optional\nSection: libs\n\
         Installed-Size: 100\nMaintainer: Debian Maintainers <debian@example.org>\n\
         Architecture: amd64\nMulti-Arch: same\n"
    );
    if let Some(src) = source {
        s.push_str(&format!("Source: {src}\n"));
    }
    s.push_str(&format!(
        "Version: {version}\nDepends: libc6 (>= 2.34)\nDescription: the {name} package\n \
         A longer description of {name},\n spread over lines.\n .\n With a paragraph.\n\n"
    ));
    s
}

const OK: &str = "install ok installed";

fn base_status() -> String {
    [
        stanza("libc6", OK, "2.36-9+deb12u4", Some("glibc")),
        stanza("libssl3", OK, "3.0.11-1~deb12u1", Some("openssl")),
        stanza("zlib1g", OK, "1:1.2.13.dfsg-1", Some("zlib")),
        stanza("tzdata", OK, "2024a-0+deb12u1", None),
    ]
    .concat()
}

#[test]
fn debian_layers_upgrade_removal_and_ownership() {
    let layer1_status =
        base_status() + &stanza("python3-yaml", OK, "6.0-3+b2", Some("pyyaml (6.0-3)"));
    let layer2_status = [
        stanza("libc6", OK, "2.36-9+deb12u4", Some("glibc")),
        stanza("libssl3", OK, "3.0.11-1~deb12u2", Some("openssl")),
        stanza("zlib1g", OK, "1:1.2.13.dfsg-1", Some("zlib")),
        stanza(
            "tzdata",
            "deinstall ok config-files",
            "2024a-0+deb12u1",
            None,
        ),
        stanza("python3-yaml", OK, "6.0-3+b2", Some("pyyaml (6.0-3)")),
    ]
    .concat();
    let yaml_meta = "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA";
    let img =
        ImageBuilder::new()
            .layer("debootstrap", |l| {
                l.file("etc/os-release", DEBIAN_OS_RELEASE)
                    .file("etc/debian_version", "12.5\n")
                    .file("var/lib/dpkg/status", base_status())
                    .file(
                        "var/lib/dpkg/info/libssl3:amd64.list",
                        "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
                    )
                    .file("usr/lib/x86_64-linux-gnu/libssl.so.3", "elf v1")
            })
            .empty_step("ENV LANG=C.UTF-8")
            .layer(
                "RUN apt-get install -y python3-yaml && pip install requests",
                |l| {
                    l.file("var/lib/dpkg/status", layer1_status)
                .file(
                    "var/lib/dpkg/info/python3-yaml.list",
                    format!(
                        "/.\n/usr\n/usr/lib/python3/dist-packages\n\
                         /usr/lib/python3/dist-packages/PyYAML-6.0.dist-info\n/{yaml_meta}\n\
                         /usr/lib/python3/dist-packages/yaml/__init__.py\n"
                    ),
                )
                .file(yaml_meta, "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\n")
                .file(
                    "usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA",
                    "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n",
                )
                },
            )
            .layer(
                "RUN apt-get upgrade -y libssl3 && apt-get remove -y tzdata",
                |l| {
                    l.file("var/lib/dpkg/status", layer2_status)
                        .file(
                            "var/lib/dpkg/info/libssl3:amd64.list",
                            "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
                        )
                        .file("usr/lib/x86_64-linux-gnu/libssl.so.3", "elf v2")
                },
            );
    let inv = inventory(&img);
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    assert_eq!(inv.os.as_ref().unwrap().family, "debian");

    let debs: Vec<&str> = inv
        .packages
        .iter()
        .filter(|p| p.kind == "deb")
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(debs, ["libc6", "libssl3", "python3-yaml", "zlib1g"]);
    assert!(
        find(&inv, "tzdata").is_none(),
        "removed (config-files only)"
    );

    let ssl = find(&inv, "libssl3").unwrap();
    assert_eq!(ssl.ecosystem, "Debian:12");
    assert_eq!(
        ssl.purl,
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    );
    assert_eq!(ssl.id, ssl.purl);
    assert_eq!(ssl.locations[0].path, "var/lib/dpkg/status");
    assert_eq!(layer_of(&inv, "libssl3"), 2, "upgraded in layer 2");
    assert_eq!(
        layer_of(&inv, "zlib1g"),
        0,
        "untouched although the status file was rewritten in layers 1 and 2"
    );
    assert_eq!(layer_of(&inv, "libc6"), 0);
    assert_eq!(layer_of(&inv, "python3-yaml"), 1);
    let yaml = find(&inv, "python3-yaml").unwrap();
    assert_eq!(
        yaml.source,
        Some(SourcePackage {
            name: "pyyaml".into(),
            version: "6.0-3".into()
        })
    );
    assert_eq!(
        find(&inv, "zlib1g")
            .unwrap()
            .source
            .as_ref()
            .unwrap()
            .version,
        "1:1.2.13.dfsg-1"
    );

    // The distribution's PyYAML is owned by python3-yaml; pip's requests is not.
    let pyyaml = find(&inv, "PyYAML").unwrap();
    assert_eq!(pyyaml.owned_by.as_deref(), Some(yaml.id.as_str()));
    assert_eq!(pyyaml.locations[0].layer, Some(1));
    let requests = find(&inv, "requests").unwrap();
    assert_eq!(requests.owned_by, None);
    // The .list files add ownership, not packages.
    assert!(
        inv.packages
            .iter()
            .all(|p| !p.locations[0].path.ends_with(".list"))
    );
}

#[test]
fn removed_package_and_reinstall_after_removal() {
    // Layer 1 removes zlib1g (purged: the stanza is gone); layer 2 installs it again, same
    // version: it belongs to layer 2, not layer 0.
    let without_zlib = [
        stanza("libc6", OK, "2.36-9+deb12u4", Some("glibc")),
        stanza("libssl3", OK, "3.0.11-1~deb12u1", Some("openssl")),
        stanza("tzdata", OK, "2024a-0+deb12u1", None),
    ]
    .concat();
    let img = ImageBuilder::new()
        .layer("base", |l| {
            l.file("etc/os-release", DEBIAN_OS_RELEASE)
                .file("var/lib/dpkg/status", base_status())
        })
        .layer("RUN apt-get purge -y zlib1g", |l| {
            l.file("var/lib/dpkg/status", without_zlib.clone())
        });
    let inv = inventory(&img);
    assert!(find(&inv, "zlib1g").is_none());
    assert_eq!(layer_of(&inv, "libssl3"), 0);

    let img = img.layer("RUN apt-get install -y zlib1g", |l| {
        l.file("var/lib/dpkg/status", base_status())
    });
    let inv = inventory(&img);
    assert_eq!(layer_of(&inv, "zlib1g"), 2);
    assert_eq!(layer_of(&inv, "libssl3"), 0);
}

#[test]
fn whiteouts_of_the_status_file() {
    let base = ImageBuilder::new().layer("base", |l| {
        l.file("etc/os-release", DEBIAN_OS_RELEASE)
            .file("var/lib/dpkg/status", base_status())
            .file(
                "var/lib/dpkg/info/python3-yaml.list",
                "/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA\n",
            )
            .file(
                "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
                "Name: PyYAML\nVersion: 6.0\n",
            )
    });

    // The status file deleted: no deb packages at all.
    let img = base.clone().layer("RUN rm /var/lib/dpkg/status", |l| {
        l.whiteout("var/lib/dpkg/status")
    });
    let inv = inventory(&img);
    assert!(
        inv.packages.iter().all(|p| p.kind != "deb"),
        "{:#?}",
        inv.packages
    );
    assert!(find(&inv, "PyYAML").unwrap().owned_by.is_none());

    // Deleted, then written again with the same content: the packages belong to the layer
    // that wrote it again.
    let img = img.layer("COPY status /var/lib/dpkg/status", |l| {
        l.file("var/lib/dpkg/status", base_status())
    });
    let inv = inventory(&img);
    assert_eq!(layer_of(&inv, "libssl3"), 2);

    // The whole dpkg directory replaced (opaque directory) in one layer.
    let img = base
        .clone()
        .layer("RUN rm -rf /var/lib/dpkg && restore", |l| {
            l.opaque("var/lib/dpkg")
                .file("var/lib/dpkg/status", base_status())
        });
    let inv = inventory(&img);
    assert_eq!(layer_of(&inv, "zlib1g"), 1);
    assert!(
        find(&inv, "PyYAML").unwrap().owned_by.is_none(),
        "the .list file went with the opaque directory"
    );

    // The parent directory whited out.
    let img = base.layer("RUN rm -rf /var/lib/dpkg", |l| l.whiteout("var/lib/dpkg"));
    let inv = inventory(&img);
    assert!(inv.packages.iter().all(|p| p.kind != "deb"));
}

#[test]
fn distroless_status_d() {
    let img = ImageBuilder::new().layer("bazel build", |l| {
        l.file(
            "etc/os-release",
            "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\n\
             VERSION_ID=\"12\"\nVERSION=\"Debian GNU/Linux 12 (bookworm)\"\n\
             HOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n",
        )
        .file(
            "var/lib/dpkg/status.d/base",
            "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\
             Maintainer: Santiago Vila <sanvila@debian.org>\n\n\
             Package: netbase\nVersion: 6.4\nArchitecture: all\n",
        )
        .file(
            "var/lib/dpkg/status.d/libssl3",
            "Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n\
             Source: openssl\nDescription: Secure Sockets Layer toolkit\n shared libraries\n",
        )
        .file(
            "var/lib/dpkg/status.d/libssl3.md5sums",
            "2f1c3b1b0c3d0e6b2b8f0e0a4d1c1f10  usr/lib/x86_64-linux-gnu/libssl.so.3\n",
        )
        .file(
            "var/lib/dpkg/status.d/python3-yaml",
            "Package: python3-yaml\nVersion: 6.0-3+b2\nArchitecture: amd64\n\
             Source: pyyaml (6.0-3)\n",
        )
        .file(
            "var/lib/dpkg/status.d/python3-yaml.md5sums",
            "0123456789abcdef0123456789abcdef  \
             usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA\n",
        )
        .file(
            "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
            "Name: PyYAML\nVersion: 6.0\n",
        )
    });
    let inv = inventory(&img);
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    let debs: Vec<(&str, &str)> = inv
        .packages
        .iter()
        .filter(|p| p.kind == "deb")
        .map(|p| (p.name.as_str(), p.locations[0].path.as_str()))
        .collect();
    assert_eq!(
        debs,
        [
            ("base-files", "var/lib/dpkg/status.d/base"),
            ("libssl3", "var/lib/dpkg/status.d/libssl3"),
            ("netbase", "var/lib/dpkg/status.d/base"),
            ("python3-yaml", "var/lib/dpkg/status.d/python3-yaml"),
        ]
    );
    let ssl = find(&inv, "libssl3").unwrap();
    assert_eq!(ssl.ecosystem, "Debian:12");
    assert_eq!(
        ssl.purl,
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    );
    assert_eq!(ssl.source.as_ref().unwrap().name, "openssl");
    let yaml = find(&inv, "python3-yaml").unwrap();
    assert_eq!(
        find(&inv, "PyYAML").unwrap().owned_by.as_deref(),
        Some(yaml.id.as_str())
    );
}

const ALPINE_DB_0: &str = "\
C:Q1/h5Ue6ZUBBOsPN8Kt9tRoGh3Ky=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407134
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1ahW43/nXJt+4VG0KOmMIz8pF8sY=

C:Q1Q9C1vHTyuszCJ8RBAtXv6Svba9c=
P:libcrypto3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
F:usr/lib
R:libcrypto.so.3

";

const ALPINE_PY3_YAML: &str = "\
C:Q1Bt4vmh7b27dGomGKmxf3jz3oVbA=
P:py3-yaml
V:6.0.1-r1
A:x86_64
L:MIT
o:py3-yaml
F:usr/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info
R:METADATA
R:RECORD

";

#[test]
fn alpine_layers_and_ownership() {
    let upgraded = ALPINE_DB_0.replace("3.1.4-r5", "3.1.4-r6") + ALPINE_PY3_YAML;
    let img = ImageBuilder::new()
        .layer("ADD alpine-minirootfs.tar.gz /", |l| {
            l.file(
                "etc/os-release",
                "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n\
                 PRETTY_NAME=\"Alpine Linux v3.19\"\n",
            )
            .file("etc/alpine-release", "3.19.1\n")
            .file("lib/apk/db/installed", ALPINE_DB_0)
        })
        .layer("RUN apk upgrade libcrypto3 && apk add py3-yaml", |l| {
            l.file("lib/apk/db/installed", upgraded).file(
                "usr/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info/METADATA",
                "Name: PyYAML\nVersion: 6.0.1\n",
            )
        });
    let inv = inventory(&img);
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    let musl = find(&inv, "musl").unwrap();
    assert_eq!(musl.ecosystem, "Alpine:v3.19");
    assert_eq!(
        musl.purl,
        "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1"
    );
    assert_eq!(musl.licenses, ["MIT"]);
    assert_eq!(layer_of(&inv, "musl"), 0);
    assert_eq!(layer_of(&inv, "libcrypto3"), 1);
    let crypto = find(&inv, "libcrypto3").unwrap();
    assert_eq!(
        crypto.source,
        Some(SourcePackage {
            name: "openssl".into(),
            version: "3.1.4-r6".into()
        })
    );
    let yaml = find(&inv, "py3-yaml").unwrap();
    assert_eq!(layer_of(&inv, "py3-yaml"), 1);
    assert_eq!(
        find(&inv, "PyYAML").unwrap().owned_by.as_deref(),
        Some(yaml.id.as_str())
    );
}

#[test]
fn wolfi_purls() {
    let img = ImageBuilder::new().layer("apko", |l| {
        l.file(
            "etc/os-release",
            "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=20230201\n",
        )
        .file(
            "usr/lib/apk/db/installed",
            "P:glibc\nV:2.39-r1\nA:x86_64\nL:LGPL-2.1-or-later\no:glibc\n",
        )
    });
    let inv = inventory(&img);
    let g = find(&inv, "glibc").unwrap();
    assert_eq!(g.ecosystem, "Wolfi");
    assert_eq!(
        g.purl,
        "pkg:apk/wolfi/glibc@2.39-r1?arch=x86_64&distro=wolfi-20230201"
    );
}

#[test]
fn bad_databases_are_warnings_and_the_rest_stays() {
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let img = ImageBuilder::new()
        .layer("base", |l| {
            l.file("etc/os-release", DEBIAN_OS_RELEASE)
                .file("var/lib/dpkg/status", base_status())
                .file(
                    "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
                    "Name: PyYAML\nVersion: 6.0\n",
                )
        })
        .layer("RUN corrupt", |l| {
            l.file("var/lib/dpkg/status", &garbage)
                .file("lib/apk/db/installed", vec![b'x'; 20 << 20])
                .file("var/lib/dpkg/status.d/broken", "Package: half\nVers")
        });
    let inv = inventory(&img);
    assert_eq!(inv.warnings.len(), 2, "{:?}", inv.warnings);
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.starts_with("layer 1: var/lib/dpkg/status: dpkg could not be read")),
        "{:?}",
        inv.warnings
    );
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.starts_with("layer 1: lib/apk/db/installed: apk could not be read")),
        "{:?}",
        inv.warnings
    );
    assert!(inv.packages.iter().all(|p| p.kind == "python"));
    assert!(find(&inv, "PyYAML").is_some());
}

#[test]
fn registered_in_the_default_catalog() {
    let img = ImageBuilder::new().layer("base", |l| {
        l.file("etc/os-release", DEBIAN_OS_RELEASE)
            .file("var/lib/dpkg/status", base_status())
    });
    let inv = inventory_with(&img, &Catalog::default());
    assert_eq!(layer_of(&inv, "libssl3"), 0);
    assert_eq!(find(&inv, "libssl3").unwrap().kind, "deb");
}

/// Stands for a binary classifier: `usr/bin/*` files reading `busybox <version>`.
struct FakeBinary;

impl Cataloger for FakeBinary {
    fn name(&self) -> &'static str {
        "fake-binary"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["usr/bin/*"]
    }
    fn parse(&self, _path: &str, data: &[u8], _ctx: &Context) -> Result<Parsed, String> {
        let text = String::from_utf8_lossy(data);
        let Some(version) = text.strip_prefix("busybox ") else {
            return Ok(Parsed::default());
        };
        Ok(Parsed {
            packages: vec![Package {
                kind: "binary".into(),
                ecosystem: "generic".into(),
                name: "busybox-binary".into(),
                version: version.trim().into(),
                purl: format!("pkg:generic/busybox@{}", version.trim()),
                ..Package::default()
            }],
            ..Parsed::default()
        })
    }
}

#[test]
fn merged_usr_ownership_follows_symlinks() {
    // Debian 12 is merged-/usr: `bin` is a symlink to `usr/bin`, and dpkg's lists still
    // name `/bin/busybox`.
    let img = ImageBuilder::new().layer("debootstrap", |l| {
        l.file("etc/os-release", DEBIAN_OS_RELEASE)
            .symlink("bin", "usr/bin")
            .file(
                "var/lib/dpkg/status",
                stanza("busybox", OK, "1:1.35.0-4+b3", Some("busybox (1:1.35.0-4)")),
            )
            .file(
                "var/lib/dpkg/info/busybox.list",
                "/.\n/bin\n/bin/busybox\n/usr\n/usr/share/doc/busybox\n",
            )
            .file("usr/bin/busybox", "busybox 1.35.0\n")
    });
    let cat = Catalog::new(vec![Box::new(Dpkg), Box::new(FakeBinary)]);
    let inv = inventory_with(&img, &cat);
    let deb = find(&inv, "busybox").unwrap();
    assert_eq!(deb.source.as_ref().unwrap().version, "1:1.35.0-4");
    let bin = find(&inv, "busybox-binary").unwrap();
    assert_eq!(bin.owned_by.as_deref(), Some(deb.id.as_str()));
}

#[test]
fn owners_of_executables_setuid_files_and_libraries() {
    // A merged-/usr image: dpkg lists /bin/mount and /lib/x86_64-linux-gnu/libssl.so.3,
    // which the tree has under usr/ through the bin and lib symlinks.
    let img = ImageBuilder::new().layer("base", |l| {
        l.file("etc/os-release", DEBIAN_OS_RELEASE)
            .file("var/lib/dpkg/status", base_status())
            .file(
                "var/lib/dpkg/info/libc6:amd64.list",
                "/.\n/bin\n/bin/mount\n/usr/bin/ldd\n/usr/share/doc/libc6/copyright\n",
            )
            .file(
                "var/lib/dpkg/info/libssl3:amd64.list",
                "/lib/x86_64-linux-gnu/libssl.so.3\n",
            )
            .symlink("bin", "usr/bin")
            .symlink("lib", "usr/lib")
            .file_mode("usr/bin/mount", "\x7fELF mount", 0o4755)
            .file_mode("usr/bin/ldd", "#!/bin/bash\n", 0o755)
            .file("usr/lib/x86_64-linux-gnu/libssl.so.3", "\x7fELF ssl")
            .file_mode("usr/local/bin/tool", "\x7fELF tool", 0o755)
            .file("usr/share/doc/libc6/copyright", "text")
    });
    let inv = inventory(&img);
    let o = &inv.owners;
    assert!(o.file_lists());
    assert_eq!(
        o.owner("usr/bin/mount"),
        Some("libc6"),
        "setuid, through bin/"
    );
    assert_eq!(o.owner("usr/bin/ldd"), Some("libc6"), "executable");
    assert_eq!(
        o.owner("usr/lib/x86_64-linux-gnu/libssl.so.3"),
        Some("libssl3"),
        "a library, through lib/"
    );
    assert_eq!(o.owner("usr/local/bin/tool"), None, "no package lists it");
    assert_eq!(
        o.owner("usr/share/doc/libc6/copyright"),
        None,
        "neither executable nor a library: not asked"
    );

    // No package database: no file lists, no owners.
    let img = ImageBuilder::new().layer("base", |l| {
        l.file_mode("usr/local/bin/tool", "\x7fELF tool", 0o755)
    });
    let inv = inventory(&img);
    assert!(!inv.owners.file_lists());
    assert_eq!(inv.owners.owner("usr/local/bin/tool"), None);
}
