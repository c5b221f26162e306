//! The demo image bundled in `demo/`: small, but shaped like a real Debian 12 application
//! image (a base layer with an OS release and a dpkg database, a layer that installs a
//! Python package, a layer that deletes files), so the README's first command shows what
//! plimsoll reports on a real image. `cargo test -p plimsoll demo_image_is_current` checks
//! the committed file matches this code; set `PLIMSOLL_UPDATE_DEMO=1` to rewrite it.

use crate::{Compression, ImageBuilder};

pub const OS_RELEASE: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"#;

pub const DPKG_STATUS: &str = "Package: base-files
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 340
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6250
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit - shared libraries

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Provides: libz1
Depends: libc6 (>= 2.14)
Description: compression library - runtime
";

pub const REQUESTS_METADATA: &str = "Metadata-Version: 2.1
Name: requests
Version: 2.31.0
Summary: Python HTTP for Humans.
License: Apache 2.0
Requires-Python: >=3.7
";

/// Builds the demo image.
pub fn demo_image() -> ImageBuilder {
    ImageBuilder::new()
        .compression(Compression::Gzip)
        .layer(
            "/bin/sh -c #(nop) ADD file:6b3bb9a8c5bbd1a9b7f8d2a2b1e0c3d4 in / ",
            |l| {
                l.dir("etc")
                    .file("usr/lib/os-release", OS_RELEASE)
                    .symlink("etc/os-release", "../usr/lib/os-release")
                    .file("etc/debian_version", "12.5\n")
                    .file("var/lib/dpkg/status", DPKG_STATUS)
                    .file("usr/lib/x86_64-linux-gnu/libssl.so.3", "\x7fELF demo")
                    .file("usr/share/doc/base-files/README", "demo")
                    .file("etc/motd", "Welcome to the demo image\n")
            },
        )
        .empty_step("/bin/sh -c #(nop)  CMD [\"bash\"]")
        .empty_step("ENV PYTHONDONTWRITEBYTECODE=1 APP_SECRET_KEY=changeme")
        .layer(
            "RUN /bin/sh -c pip install --no-cache-dir requests==2.31.0 # buildkit",
            |l| {
                l.file(
                    "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
                    REQUESTS_METADATA,
                )
                .file(
                    "usr/local/lib/python3.11/site-packages/requests/__init__.py",
                    "__version__ = '2.31.0'\n",
                )
            },
        )
        .layer(
            "RUN /bin/sh -c rm -rf /usr/share/doc /etc/motd # buildkit",
            |l| l.whiteout("usr/share/doc").whiteout("etc/motd"),
        )
        .layer("COPY app /app # buildkit", |l| {
            l.file_mode("app/server.py", "print('hello')\n", 0o755)
        })
        .user("app")
        .env("PATH=/usr/local/bin:/usr/bin:/bin")
        .env("PYTHONDONTWRITEBYTECODE=1")
        .env("APP_SECRET_KEY=changeme")
        .expose("8000/tcp")
        .entrypoint(&["python3", "/app/server.py"])
        .label("org.opencontainers.image.title", "plimsoll-demo")
        .label(
            "org.opencontainers.image.base.name",
            "docker.io/library/debian:12",
        )
}

/// The demo image as oci-archive bytes, deterministic.
pub fn demo_archive() -> Vec<u8> {
    crate::oci_archive_bytes(&demo_image().build(), Some("demo"))
}
