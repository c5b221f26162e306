//! Images for the hardening checks (`--scanners misconfig`, `docs/hardening.md`): a Debian-
//! shaped image with one finding of each kind planted in a known layer, and the findings
//! it must give. The binary's hardening test scans them; a combined image test can reuse
//! the layers.

use crate::{ImageBuilder, LayerBuilder};

/// A finding an image must give: its check id, path and layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub id: &'static str,
    pub path: &'static str,
    pub layer: Option<usize>,
}

const fn expect(id: &'static str, path: &'static str, layer: Option<usize>) -> Expected {
    Expected { id, path, layer }
}

pub const DEBIAN_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"
NAME=\"Debian GNU/Linux\"
VERSION_ID=\"12\"
VERSION=\"12 (bookworm)\"
VERSION_CODENAME=bookworm
ID=debian
";

fn stanza(name: &str, version: &str) -> String {
    format!(
        "Package: {name}\nStatus: install ok installed\nPriority: required\nSection: admin\n\
         Installed-Size: 100\nMaintainer: Debian Maintainers <debian@example.org>\n\
         Architecture: amd64\nVersion: {version}\nDescription: the {name} package\n\n"
    )
}

/// A Debian 12 base layer whose dpkg database owns a setuid `usr/bin/passwd` (listed in
/// `info/passwd.list`, so not reported), with `/tmp` and `/var/tmp` as `1777` (sticky: not
/// reported) and `bin` a merged-/usr symlink.
pub fn debian_base(l: LayerBuilder) -> LayerBuilder {
    l.file("etc/os-release", DEBIAN_OS_RELEASE)
        .file(
            "var/lib/dpkg/status",
            stanza("passwd", "1:4.13+dfsg1-1+b1") + &stanza("base-files", "12.4+deb12u5"),
        )
        .file(
            "var/lib/dpkg/info/passwd.list",
            "/.\n/usr\n/usr/bin\n/usr/bin/passwd\n/usr/sbin/useradd\n",
        )
        .file(
            "var/lib/dpkg/info/base-files.list",
            "/.\n/etc\n/etc/os-release\n",
        )
        .symlink("bin", "usr/bin")
        .file_mode("usr/bin/passwd", "\x7fELF passwd", 0o4755)
        .file_mode("usr/sbin/useradd", "\x7fELF useradd", 0o755)
        .dir_mode("tmp", 0o1777)
        .dir_mode("var/tmp", 0o1777)
}

/// An image with every hardening check's finding planted once (and near misses that must
/// not be reported), and the findings it must give.
///
/// Layers: 0 the Debian base; 1 a `RUN` piping `curl` into `sh` that leaves an SSH host
/// key, `authorized_keys`, a setuid and a setgid file no package owns, a world-writable
/// directory, file and sticky directory; 2 `COPY . /srv/app` with a `.git` directory, an
/// `.env` and an `.env.example`; 3 copies AWS credentials that 4 deletes; 5 `ADD`s a URL.
/// History entry 8 is `EXPOSE 22`; no USER, no HEALTHCHECK, created in 2020, and the base
/// named by tag in the manifest annotations.
pub fn planted() -> (ImageBuilder, Vec<Expected>) {
    let img = ImageBuilder::new()
        .created("2020-01-02T03:04:05Z")
        .layer(
            "/bin/sh -c #(nop) ADD file:4b9dbd0b5e3c1f6a8f2e in / ",
            debian_base,
        )
        .empty_step("/bin/sh -c #(nop)  CMD [\"bash\"]")
        .layer(
            "RUN /bin/sh -c apt-get install -y openssh-server && curl -fsSL https://get.example.com/install.sh | sh # buildkit",
            |l| {
                l.file("etc/ssh/ssh_host_ed25519_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n")
                    .file("etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAA host\n")
                    .file("root/.ssh/authorized_keys", "ssh-ed25519 AAAA ops\n")
                    .file_mode("usr/local/bin/helper", "\x7fELF helper", 0o4755)
                    .file_mode("usr/local/bin/mailgrp", "\x7fELF mailgrp", 0o2755)
                    .dir_mode("srv/uploads", 0o777)
                    .dir_mode("srv/shared", 0o1777)
                    .file_mode("srv/app.log", "", 0o666)
                    .symlink("srv/current", "app")
            },
        )
        .layer("COPY . /srv/app # buildkit", |l| {
            l.file("srv/app/.git/HEAD", "ref: refs/heads/main\n")
                .file("srv/app/.git/config", "[core]\n\tbare = false\n")
                .file("srv/app/.git/objects/ab/cdef0123", "x")
                .file("srv/app/.env", "DEBUG=0\n")
                .file("srv/app/.env.example", "DEBUG=\n")
                .file("srv/app/main.py", "print('hi')\n")
        })
        .layer("COPY credentials /root/.aws/credentials # buildkit", |l| {
            l.file("root/.aws/credentials", "[default]\n")
        })
        .layer("RUN /bin/sh -c rm /root/.aws/credentials # buildkit", |l| {
            l.whiteout("root/.aws/credentials")
        })
        .layer(
            "ADD https://downloads.example.com/tool.tar.gz /opt/ # buildkit",
            |l| l.file("opt/tool.tar.gz", "not really"),
        )
        .empty_step("EXPOSE map[22/tcp:{}]")
        .expose("22/tcp")
        .cmd(&["/srv/app/main.py"])
        .annotation("org.opencontainers.image.base.name", "docker.io/library/debian:12");
    let expected = vec![
        expect("PLIM-IMG-001", "config", None),
        expect("PLIM-IMG-002", "usr/local/bin/helper", Some(1)),
        expect("PLIM-IMG-003", "usr/local/bin/mailgrp", Some(1)),
        expect("PLIM-IMG-004", "srv/app.log", Some(1)),
        expect("PLIM-IMG-005", "srv/uploads", Some(1)),
        expect("PLIM-IMG-007", "etc/ssh/ssh_host_ed25519_key", Some(1)),
        expect("PLIM-IMG-008", "root/.ssh/authorized_keys", Some(1)),
        expect("PLIM-IMG-009", "srv/app/.git", Some(2)),
        expect("PLIM-IMG-010", "srv/app/.env", Some(2)),
        expect("PLIM-IMG-011", "root/.aws/credentials", Some(3)),
        expect("PLIM-IMG-012", "config", None),
        expect("PLIM-IMG-013", "config", Some(5)),
        expect("PLIM-IMG-014", "config", Some(1)),
        expect("PLIM-IMG-015", "config", None),
        expect("PLIM-IMG-016", "config", None),
        expect("PLIM-IMG-017", "config", None),
    ];
    (img, expected)
}

/// A distroless-shaped image (`PRETTY_NAME="Distroless"`, per-package files in
/// `var/lib/dpkg/status.d/`, a non-root numeric user) that nevertheless ships a busybox
/// shell and pip, and the findings it must give.
pub fn distroless_with_shell() -> (ImageBuilder, Vec<Expected>) {
    // Reproducible builds write the epoch: not an age, and not reported.
    let img = ImageBuilder::new()
        .created("1970-01-01T00:00:00Z")
        .layer("bazel build //base:static", |l| {
            l.file(
                "etc/os-release",
                "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\n",
            )
            .file("var/lib/dpkg/status.d/base-files", stanza("base-files", "12.4+deb12u5"))
            .dir_mode("tmp", 0o1777)
        })
        .layer("COPY busybox /busybox/ # buildkit", |l| {
            l.file_mode("busybox/busybox", "\x7fELF busybox", 0o755)
                .symlink("busybox/sh", "busybox")
                .file_mode("usr/local/bin/pip3", "#!/usr/bin/python3\n", 0o755)
        })
        .user("65532")
        .config_field(
            "Healthcheck",
            serde_json::json!({"Test": ["CMD", "/app", "--health"]}),
        );
    let expected = vec![
        expect("PLIM-IMG-006", "busybox/sh", Some(1)),
        expect("PLIM-IMG-006", "usr/local/bin/pip3", Some(1)),
    ];
    (img, expected)
}
