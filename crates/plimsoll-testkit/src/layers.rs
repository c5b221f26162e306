//! Images whose later layers remove what earlier layers installed (`--layers all`): package
//! database entries as dpkg, apk and pip write them, and one image where a package is
//! installed in one layer and purged in the next. The catalog's tests and the binary's
//! share them, and so can a combined image test (add layers around
//! [`purged_layers`]).

use crate::{ImageBuilder, LayerBuilder};

pub use crate::demo::OS_RELEASE as DEBIAN_12_OS_RELEASE;

/// Alpine 3.20's `/etc/os-release`.
pub const ALPINE_OS_RELEASE: &str = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n\
PRETTY_NAME=\"Alpine Linux v3.20\"\nHOME_URL=\"https://alpinelinux.org/\"\n";

/// Where pip installs into Debian's Python image.
pub const SITE: &str = "usr/local/lib/python3.11/site-packages";

pub const DPKG_STATUS: &str = "var/lib/dpkg/status";
pub const APK_INSTALLED: &str = "lib/apk/db/installed";

/// One installed package's stanza of dpkg's `status` file, as dpkg writes it.
pub fn dpkg_stanza(name: &str, version: &str, source: Option<&str>) -> String {
    let mut s = format!(
        "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: libs\n\
         Installed-Size: 100\nMaintainer: Debian Maintainers <debian@example.org>\n\
         Architecture: amd64\nMulti-Arch: same\n"
    );
    if let Some(src) = source {
        s.push_str(&format!("Source: {src}\n"));
    }
    s.push_str(&format!(
        "Version: {version}\nDepends: libc6 (>= 2.34)\nDescription: the {name} package\n \
         A longer description of {name}.\n\n"
    ));
    s
}

/// A `status` file of the given (name, version, source) packages.
pub fn dpkg_status(packages: &[(&str, &str, Option<&str>)]) -> String {
    packages
        .iter()
        .map(|(n, v, s)| dpkg_stanza(n, v, *s))
        .collect()
}

/// One package's entry of apk's `installed` database.
pub fn apk_entry(name: &str, version: &str, origin: &str) -> String {
    format!(
        "C:Q1{name}AAAAAAAAAAAAAAAAAAAAAAAA=\nP:{name}\nV:{version}\nA:x86_64\nS:100000\n\
         I:300000\nT:the {name} package\nU:https://alpinelinux.org\nL:MIT\no:{origin}\n\
         m:Alpine Maintainers <alpine@example.org>\nt:1700000000\n\
         c:0123456789abcdef0123456789abcdef01234567\nF:usr/lib\nR:lib{name}.so.1\n\n"
    )
}

/// A wheel's `METADATA`, as pip installs it.
pub fn dist_info_metadata(name: &str, version: &str) -> String {
    format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: the {name} \
         package\nLicense: Apache-2.0\nRequires-Python: >=3.8\n"
    )
}

/// `SITE/NAME-VERSION.dist-info/METADATA`.
pub fn dist_info_path(name: &str, version: &str) -> String {
    format!("{SITE}/{name}-{version}.dist-info/METADATA")
}

/// What [`purged_layers`] installs in layer 1 and removes in layer 2: libssl3 (Debian,
/// source openssl) and requests (PyPI). `demo/osv` has an advisory for each
/// (`CVE-2023-5678`, `CVE-2024-35195`).
pub const PURGED_DEB: (&str, &str, &str) = ("libssl3", "3.0.11-1~deb12u2", "openssl");
pub const PURGED_PYPI: (&str, &str) = ("requests", "2.31.0");

/// The base packages of [`purged_layers`]' layer 0, still installed at the end.
pub fn base_packages() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    vec![
        ("base-files", "12.4+deb12u5", None),
        ("zlib1g", "1:1.2.13.dfsg-1", Some("zlib")),
    ]
}

/// Three layers: a Debian 12 base (layer 0), `apt-get install libssl3 && pip install
/// requests` (layer 1), then `apt-get purge libssl3 && pip uninstall requests` (layer 2:
/// the status file rewritten without libssl3, whiteouts for its files and for the
/// dist-info). Add layers after them as needed.
pub fn purged_layers(img: ImageBuilder) -> ImageBuilder {
    let (deb, deb_v, src) = PURGED_DEB;
    let (py, py_v) = PURGED_PYPI;
    let base = base_packages();
    let mut with = base.clone();
    with.push((deb, deb_v, Some(src)));
    let list = format!("var/lib/dpkg/info/{deb}:amd64.list");
    img.layer(
        "/bin/sh -c #(nop) ADD file:0c4b3c7b2c1d in / ",
        |l: LayerBuilder| {
            l.file("etc/os-release", DEBIAN_12_OS_RELEASE)
                .file("etc/debian_version", "12.5\n")
                .file(DPKG_STATUS, dpkg_status(&base))
        },
    )
    .layer(
        &format!("RUN /bin/sh -c apt-get install -y {deb} && pip install {py}=={py_v} # buildkit"),
        |l| {
            l.file(DPKG_STATUS, dpkg_status(&with))
                .file(
                    &list,
                    "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
                )
                .file("usr/lib/x86_64-linux-gnu/libssl.so.3", "\x7fELF libssl")
                .file(&dist_info_path(py, py_v), dist_info_metadata(py, py_v))
                .file(
                    &format!("{SITE}/{py}/__init__.py"),
                    format!("__version__ = '{py_v}'\n"),
                )
        },
    )
    .layer(
        &format!("RUN /bin/sh -c apt-get purge -y {deb} && pip uninstall -y {py} # buildkit"),
        |l| {
            l.file(DPKG_STATUS, dpkg_status(&base))
                .whiteout(&list)
                .whiteout("usr/lib/x86_64-linux-gnu/libssl.so.3")
                .whiteout(&format!("{SITE}/{py}-{py_v}.dist-info"))
                .whiteout(&format!("{SITE}/{py}"))
        },
    )
}

/// [`purged_layers`] and an application layer (layer 3).
pub fn purged_image() -> ImageBuilder {
    purged_layers(ImageBuilder::new()).layer("COPY app /app # buildkit", |l| {
        l.file_mode("app/server.py", "print('hello')\n", 0o755)
    })
}
