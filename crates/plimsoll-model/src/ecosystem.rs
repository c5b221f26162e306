//! The ecosystem table: one row per package ecosystem plimsoll knows, with its OSV name,
//! purl type, how its package names are normalised and how its versions are ordered; and
//! the mapping from a distribution (an os-release `ID` and `VERSION_ID`, or a purl `distro`
//! qualifier) to the release-scoped OSV ecosystem its advisories are filed under.
//!
//! Every crate asks here, so that the image path, the SBOM path, the database importer and
//! the matcher cannot spell `Ubuntu 22.04` two ways. OSV names follow the schema's list
//! (<https://ossf.github.io/osv-schema/#defined-ecosystems>, `ecosystems.json` in
//! ossf/osv-schema); the release suffixes were checked against real records (sources in
//! [`distro_ecosystem`]).
//!
//! The traps, each one a silently empty match when got wrong:
//! - Ubuntu LTS releases carry `:LTS` (`Ubuntu:22.04:LTS`), interim ones do not
//!   (`Ubuntu:23.10`); a purl qualifier (`distro=ubuntu-22.04`) never says which.
//! - Alpine wants `v` and major.minor (`Alpine:v3.19`, never `Alpine:3.19.1`).
//! - CBL-Mariner 2.0 is filed under `Azure Linux:2` (the product was renamed), and Azure
//!   Linux 3.0 under `Azure Linux:3`: major only.
//! - SUSE and openSUSE use the product's marketing name without the vendor word:
//!   `SUSE:Linux Enterprise Server 15 SP5`, `openSUSE:Leap 15.5`.

use std::borrow::Cow;

/// How an ecosystem's versions are ordered. plimsoll-version maps each to its `Scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionScheme {
    Dpkg,
    Apk,
    Rpm,
    Pep440,
    Semver,
    Go,
    Maven,
    RubyGems,
    NuGet,
    Composer,
    Hex,
    Pub,
}

/// How an ecosystem compares package names (what its registry treats as the same name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameRule {
    /// Exactly as written (Go module paths, Maven coordinates, RubyGems, distributions).
    AsWritten,
    /// Case-insensitive: lower-cased (npm legacy names, NuGet, Packagist).
    Lowercase,
    /// crates.io: case-insensitive and `-` equals `_` (lower case with `-`).
    Crate,
    /// PyPI: PEP 503 ([`pep503`]).
    Pep503,
}

/// One package ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    // Distributions.
    Debian,
    Ubuntu,
    Echo,
    Alpine,
    Wolfi,
    Chainguard,
    Alpaquita,
    BellSoftHardenedContainers,
    MinimOs,
    RedHat,
    RockyLinux,
    AlmaLinux,
    Suse,
    OpenSuse,
    PhotonOs,
    AzureLinux,
    Mageia,
    OpenEuler,
    // Language ecosystems.
    PyPI,
    Npm,
    Go,
    CratesIo,
    Maven,
    RubyGems,
    NuGet,
    Packagist,
    Hex,
    Pub,
    SwiftUrl,
    Bitnami,
}

/// A row of the table.
struct Row {
    eco: Ecosystem,
    osv: &'static str,
    purl_type: &'static str,
    scheme: VersionScheme,
    names: NameRule,
}

const fn row(
    eco: Ecosystem,
    osv: &'static str,
    purl_type: &'static str,
    scheme: VersionScheme,
    names: NameRule,
) -> Row {
    Row {
        eco,
        osv,
        purl_type,
        scheme,
        names,
    }
}

use Ecosystem as E;
use NameRule as N;
use VersionScheme as V;

/// The table. Distributions' purl types are the package format (`deb`, `apk`, `rpm`);
/// the distribution itself is the purl's namespace and `distro` qualifier.
const TABLE: &[Row] = &[
    row(E::Debian, "Debian", "deb", V::Dpkg, N::AsWritten),
    row(E::Ubuntu, "Ubuntu", "deb", V::Dpkg, N::AsWritten),
    row(E::Echo, "Echo", "deb", V::Dpkg, N::AsWritten),
    row(E::Alpine, "Alpine", "apk", V::Apk, N::AsWritten),
    row(E::Wolfi, "Wolfi", "apk", V::Apk, N::AsWritten),
    row(E::Chainguard, "Chainguard", "apk", V::Apk, N::AsWritten),
    row(E::Alpaquita, "Alpaquita", "apk", V::Apk, N::AsWritten),
    row(
        E::BellSoftHardenedContainers,
        "BellSoft Hardened Containers",
        "apk",
        V::Apk,
        N::AsWritten,
    ),
    row(E::MinimOs, "MinimOS", "apk", V::Apk, N::AsWritten),
    row(E::RedHat, "Red Hat", "rpm", V::Rpm, N::AsWritten),
    row(E::RockyLinux, "Rocky Linux", "rpm", V::Rpm, N::AsWritten),
    row(E::AlmaLinux, "AlmaLinux", "rpm", V::Rpm, N::AsWritten),
    row(E::Suse, "SUSE", "rpm", V::Rpm, N::AsWritten),
    row(E::OpenSuse, "openSUSE", "rpm", V::Rpm, N::AsWritten),
    row(E::PhotonOs, "Photon OS", "rpm", V::Rpm, N::AsWritten),
    row(E::AzureLinux, "Azure Linux", "rpm", V::Rpm, N::AsWritten),
    row(E::Mageia, "Mageia", "rpm", V::Rpm, N::AsWritten),
    row(E::OpenEuler, "openEuler", "rpm", V::Rpm, N::AsWritten),
    row(E::PyPI, "PyPI", "pypi", V::Pep440, N::Pep503),
    row(E::Npm, "npm", "npm", V::Semver, N::Lowercase),
    row(E::Go, "Go", "golang", V::Go, N::AsWritten),
    row(E::CratesIo, "crates.io", "cargo", V::Semver, N::Crate),
    row(E::Maven, "Maven", "maven", V::Maven, N::AsWritten),
    row(E::RubyGems, "RubyGems", "gem", V::RubyGems, N::AsWritten),
    row(E::NuGet, "NuGet", "nuget", V::NuGet, N::Lowercase),
    row(
        E::Packagist,
        "Packagist",
        "composer",
        V::Composer,
        N::Lowercase,
    ),
    row(E::Hex, "Hex", "hex", V::Hex, N::AsWritten),
    row(E::Pub, "Pub", "pub", V::Pub, N::AsWritten),
    row(E::SwiftUrl, "SwiftURL", "swift", V::Semver, N::AsWritten),
    row(E::Bitnami, "Bitnami", "bitnami", V::Semver, N::AsWritten),
];

impl Ecosystem {
    /// Every ecosystem, in table order.
    pub fn all() -> impl Iterator<Item = Ecosystem> {
        TABLE.iter().map(|r| r.eco)
    }

    fn row(self) -> &'static Row {
        // Every variant has a row (the `every_variant_has_one_row` test).
        TABLE.iter().find(|r| r.eco == self).unwrap_or(&TABLE[0])
    }

    /// The OSV base name (`Debian`, `PyPI`, `crates.io`), without a release.
    pub fn osv_name(self) -> &'static str {
        self.row().osv
    }

    /// The ecosystem of an OSV ecosystem string, release or repository suffix ignored
    /// (`Ubuntu:22.04:LTS`, `Maven:https://maven.google.com`); exact spelling.
    pub fn from_osv(osv_ecosystem: &str) -> Option<Ecosystem> {
        let base = base_name(osv_ecosystem);
        TABLE.iter().find(|r| r.osv == base).map(|r| r.eco)
    }

    /// The purl type of its packages (`deb`, `pypi`, `golang`, `cargo`…).
    pub fn purl_type(self) -> &'static str {
        self.row().purl_type
    }

    /// The language ecosystem of a purl type (`pypi` → PyPI); `None` for distribution
    /// formats (`deb`, `apk`, `rpm`: see [`distro_ecosystem_from_purl`]) and unknown types.
    pub fn from_purl_type(ty: &str) -> Option<Ecosystem> {
        TABLE
            .iter()
            .find(|r| !r.eco.is_distribution() && r.purl_type.eq_ignore_ascii_case(ty))
            .map(|r| r.eco)
    }

    /// How its versions are ordered.
    pub fn version_scheme(self) -> VersionScheme {
        self.row().scheme
    }

    /// How its names compare.
    pub fn name_rule(self) -> NameRule {
        self.row().names
    }

    /// Whether it is a distribution's (release-scoped, source-package) ecosystem.
    pub fn is_distribution(self) -> bool {
        matches!(
            self.version_scheme(),
            VersionScheme::Dpkg | VersionScheme::Apk | VersionScheme::Rpm
        )
    }

    /// Whether it is a distribution without releases, whose advisories are not
    /// release-scoped (Wolfi, Chainguard, MinimOS, Echo).
    pub fn is_rolling(self) -> bool {
        matches!(
            self,
            Ecosystem::Wolfi | Ecosystem::Chainguard | Ecosystem::MinimOs | Ecosystem::Echo
        )
    }

    /// A package name in the form the ecosystem compares names in.
    pub fn normalize_name(self, name: &str) -> Cow<'_, str> {
        self.name_rule().apply(name)
    }
}

impl NameRule {
    /// `name` in this rule's normal form.
    pub fn apply(self, name: &str) -> Cow<'_, str> {
        match self {
            NameRule::AsWritten => Cow::Borrowed(name),
            NameRule::Lowercase => Cow::Owned(name.to_lowercase()),
            NameRule::Crate => Cow::Owned(name.to_lowercase().replace('_', "-")),
            NameRule::Pep503 => Cow::Owned(pep503(name)),
        }
    }
}

/// The part of an OSV ecosystem string before its first `:` (`Debian:12` → `Debian`).
pub fn base_name(osv_ecosystem: &str) -> &str {
    osv_ecosystem
        .split_once(':')
        .map_or(osv_ecosystem, |(b, _)| b)
}

/// A package name as the ecosystem named by `osv_ecosystem` compares it (as written for
/// ecosystems not in the table).
pub fn normalize_name(osv_ecosystem: &str, name: &str) -> String {
    match Ecosystem::from_osv(osv_ecosystem) {
        Some(e) => e.normalize_name(name).into_owned(),
        None => name.to_owned(),
    }
}

/// PEP 503 normal form of a Python project name
/// (<https://peps.python.org/pep-0503/#normalized-names>): lower case, and every run of
/// `-`, `_` and `.` one `-`. Surrounding whitespace and separators, which PEP 508 does not
/// allow in a name, are dropped (`PyYAML` → `pyyaml`, `zope.interface` → `zope-interface`).
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// A language package's name from its purl's namespace and name: npm scopes, Go module
/// paths, Composer vendors and Swift hosts join with `/`, Maven group and artifact with `:`.
pub fn name_from_purl(eco: Option<Ecosystem>, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        return name.to_owned();
    }
    let sep = match eco {
        Some(Ecosystem::Maven) => ":",
        Some(Ecosystem::PyPI | Ecosystem::CratesIo | Ecosystem::RubyGems | Ecosystem::NuGet) => {
            return name.to_owned();
        }
        Some(Ecosystem::Hex | Ecosystem::Pub) => return name.to_owned(),
        _ => "/",
    };
    format!("{namespace}{sep}{name}")
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn scoped(base: &str, release: &str) -> String {
    if release.is_empty() {
        base.to_owned()
    } else {
        format!("{base}:{release}")
    }
}

/// A SUSE Linux Enterprise product name from its os-release ID and VERSION_ID, as
/// PRETTY_NAME would say it (`sles` `15.5` → `Linux Enterprise Server 15 SP5`).
fn sle_product(id: &str, version: &str) -> String {
    let product = match id {
        "sled" => "Linux Enterprise Desktop",
        "sle-micro" | "sle_micro" => "Linux Enterprise Micro",
        "sles_sap" => "Linux Enterprise Server for SAP Applications",
        _ => "Linux Enterprise Server",
    };
    let release = match version.split_once('.') {
        // Service packs: 12 and 15 count `15.5` as `15 SP5`; Micro numbers are plain.
        Some((maj, sp)) if !id.contains("micro") && sp != "0" && !sp.is_empty() => {
            format!("{maj} SP{sp}")
        }
        Some((maj, _)) if !id.contains("micro") => maj.to_owned(),
        _ => version.to_owned(),
    };
    if release.is_empty() {
        product.to_owned()
    } else {
        format!("{product} {release}")
    }
}

/// The OSV ecosystem a distribution's packages are filed under, release included, from its
/// os-release `ID` (any case), `VERSION_ID` and, where it has one, `PRETTY_NAME` (SUSE and
/// openSUSE name their ecosystems after it). `None` for distributions OSV has no data for
/// (Fedora, Amazon Linux, CentOS, Oracle Linux…). A missing version gives the bare name
/// (`Debian`), which the matcher refuses as release-less where that matters.
///
/// Sources of each spelling, checked against real OSV records:
/// - Debian `Debian:12`: Debian security tracker records (`DEBIAN-CVE-…`, `DSA-…`).
/// - Ubuntu `Ubuntu:22.04:LTS`, `Ubuntu:23.10`: the schema's Ubuntu entry ("mandatory
///   `:LTS` suffix if the release is marked as LTS") and canonical/ubuntu-security-notices
///   `osv/` records (USN-…, UBUNTU-CVE-…).
/// - Alpine `Alpine:v3.19`: the schema ("the `v` prefix is required") and alpine secdb
///   records (ALPINE-CVE-…).
/// - Wolfi, Chainguard: bare names, no releases (wolfi-dev and chainguard advisory feeds).
/// - Red Hat: records say `Red Hat:enterprise_linux:9::appstream` (a CPE tail per repository);
///   the image gives the bare `Red Hat` and the matcher narrows by the release major.
/// - Rocky `Rocky Linux:9` (RLSA-… records), AlmaLinux `AlmaLinux:9` (ALSA-… records).
/// - SUSE `SUSE:Linux Enterprise Server 15 SP5`, openSUSE `openSUSE:Leap 15.5`: the schema
///   ("matches the value in the `/etc/os-release` `PRETTY_NAME` field", vendor word as the
///   ecosystem) and SUSE-SU-… / openSUSE-SU-… records.
/// - Photon OS `Photon OS:5.0`: the schema ("Eg `Photon OS:3.0`") and PHSA-… records, whose
///   purls say `distro=photon-4` for `Photon OS:4.0`.
/// - Azure Linux `Azure Linux:3`, and CBL-Mariner 2.0 as `Azure Linux:2`: AZL-… records
///   (osv.dev's ecosystem tests use `Azure Linux:2` for AZL-10003); OSV has no `Mariner`.
pub fn distro_ecosystem(id: &str, version_id: &str, pretty_name: Option<&str>) -> Option<String> {
    let id = id.trim().to_ascii_lowercase();
    let v = version_id.trim().trim_start_matches(['v', 'V']);
    let pretty = pretty_name.map(str::trim).filter(|p| !p.is_empty());
    Some(match id.as_str() {
        "debian" => scoped("Debian", major(v)),
        "ubuntu" => {
            let v = major_minor(v);
            let lts = v.ends_with(".04") && major(&v).parse::<u32>().is_ok_and(|y| y % 2 == 0);
            if lts {
                format!("Ubuntu:{v}:LTS")
            } else {
                scoped("Ubuntu", &v)
            }
        }
        "alpine" => {
            let v = major_minor(v);
            if v.is_empty() {
                "Alpine".into()
            } else {
                format!("Alpine:v{v}")
            }
        }
        "wolfi" => "Wolfi".into(),
        "chainguard" => "Chainguard".into(),
        "rhel" | "redhat" | "red hat" => "Red Hat".into(),
        "rocky" | "rocky-linux" | "rockylinux" => scoped("Rocky Linux", major(v)),
        "almalinux" | "alma" => scoped("AlmaLinux", major(v)),
        "opensuse-tumbleweed" => "openSUSE:Tumbleweed".into(),
        "opensuse" | "opensuse-leap" | "opensuse-leap-micro" => {
            match pretty.and_then(|p| p.strip_prefix("openSUSE ")) {
                Some(product) => format!("openSUSE:{}", product.trim()),
                None if v.is_empty() => "openSUSE".into(),
                None if id == "opensuse-leap-micro" => format!("openSUSE:Leap Micro {v}"),
                None => format!("openSUSE:Leap {}", major_minor(v)),
            }
        }
        "sles" | "sled" | "sles_sap" | "sle-micro" | "sle_micro" | "suse" => {
            match pretty.and_then(|p| p.strip_prefix("SUSE ")) {
                Some(product) => format!("SUSE:{}", product.trim()),
                None if v.is_empty() => "SUSE".into(),
                None => format!("SUSE:{}", sle_product(&id, v)),
            }
        }
        "photon" => {
            let m = major(v);
            if m.is_empty() {
                "Photon OS".into()
            } else {
                format!("Photon OS:{m}.0")
            }
        }
        "mariner" | "cbl-mariner" | "azurelinux" | "azure-linux" => scoped("Azure Linux", major(v)),
        _ => return None,
    })
}

/// The OSV ecosystem of a distribution package from its purl: the `distro` qualifier
/// (`ubuntu-22.04`, `debian-12.5`, `alpine-3.19.1`, `rhel-9.3`, `sles-15.5`,
/// `opensuse-leap-15.5`, `wolfi`; Trivy writes only the version for apk, `3.19.1`), else the
/// purl namespace (`pkg:deb/debian/…`). `None` for distributions OSV has no data for.
pub fn distro_ecosystem_from_purl(namespace: &str, distro: Option<&str>) -> Option<String> {
    let distro = distro.map(str::trim).filter(|d| !d.is_empty());
    let (id, version) = match distro {
        Some(d) if d.starts_with(|c: char| c.is_ascii_digit()) => (namespace, d),
        Some(d) => match d.rsplit_once('-') {
            Some((id, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => (id, v),
            _ => (d, ""),
        },
        None => (namespace, ""),
    };
    let id = if id.is_empty() { namespace } else { id };
    distro_ecosystem(id, version, None)
        // A namespace that is a vendor rather than an os-release ID (`pkg:rpm/suse/…`).
        .or_else(|| distro_ecosystem(namespace, version, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_one_row() {
        for e in Ecosystem::all() {
            assert_eq!(TABLE.iter().filter(|r| r.eco == e).count(), 1, "{e:?}");
            assert_eq!(Ecosystem::from_osv(e.osv_name()), Some(e));
        }
        assert_eq!(Ecosystem::all().count(), TABLE.len());
    }

    #[test]
    fn osv_names_with_suffixes() {
        assert_eq!(
            Ecosystem::from_osv("Ubuntu:22.04:LTS"),
            Some(Ecosystem::Ubuntu)
        );
        assert_eq!(
            Ecosystem::from_osv("Maven:https://maven.google.com"),
            Some(Ecosystem::Maven)
        );
        assert_eq!(
            Ecosystem::from_osv("Red Hat:enterprise_linux:9::appstream"),
            Some(Ecosystem::RedHat)
        );
        assert_eq!(Ecosystem::from_osv("pypi"), None);
        assert_eq!(Ecosystem::from_osv("Fedora"), None);
    }

    #[test]
    fn purl_types() {
        assert_eq!(Ecosystem::from_purl_type("pypi"), Some(Ecosystem::PyPI));
        assert_eq!(Ecosystem::from_purl_type("golang"), Some(Ecosystem::Go));
        assert_eq!(
            Ecosystem::from_purl_type("cargo"),
            Some(Ecosystem::CratesIo)
        );
        assert_eq!(
            Ecosystem::from_purl_type("composer"),
            Some(Ecosystem::Packagist)
        );
        assert_eq!(Ecosystem::from_purl_type("deb"), None);
        assert_eq!(Ecosystem::PyPI.purl_type(), "pypi");
        assert_eq!(Ecosystem::Alpine.purl_type(), "apk");
    }

    #[test]
    fn names_normalize_per_ecosystem() {
        let cases = [
            ("PyPI", "Django", "django"),
            ("PyPI", "zope.interface", "zope-interface"),
            ("PyPI", "Foo__Bar-.baz", "foo-bar-baz"),
            ("crates.io", "Serde_JSON", "serde-json"),
            ("npm", "JSONStream", "jsonstream"),
            ("NuGet", "Newtonsoft.Json", "newtonsoft.json"),
            ("Packagist", "Symfony/HTTP-Kernel", "symfony/http-kernel"),
            (
                "Go",
                "github.com/BurntSushi/toml",
                "github.com/BurntSushi/toml",
            ),
            ("RubyGems", "ActiveSupport", "ActiveSupport"),
            ("Debian:12", "openssl", "openssl"),
            ("Unknown", "MiXed", "MiXed"),
        ];
        for (eco, name, want) in cases {
            assert_eq!(normalize_name(eco, name), want, "{eco} {name}");
        }
    }

    #[test]
    fn pep503_normal_form() {
        assert_eq!(pep503("Foo.Bar__baz-_.Qux"), "foo-bar-baz-qux");
        assert_eq!(pep503("Foo.Bar__baz--Qux"), "foo-bar-baz-qux");
        assert_eq!(pep503("PyYAML"), "pyyaml");
        assert_eq!(pep503(" requests "), "requests");
        assert_eq!(pep503("-x-"), "x");
    }

    /// One row per distribution: the os-release input, the purl `distro` qualifier (with
    /// its purl namespace), and the ecosystem OSV's records use (sources in
    /// [`distro_ecosystem`]'s doc).
    /// (ID, VERSION_ID, PRETTY_NAME, purl namespace, distro qualifier, OSV ecosystem)
    type DistroCase = (
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
        &'static str,
        &'static str,
    );

    const DISTROS: &[DistroCase] = &[
        ("debian", "12", None, "debian", "debian-12", "Debian:12"),
        ("debian", "12", None, "debian", "debian-12.5", "Debian:12"),
        (
            "ubuntu",
            "22.04",
            Some("Ubuntu 22.04.4 LTS"),
            "ubuntu",
            "ubuntu-22.04",
            "Ubuntu:22.04:LTS",
        ),
        (
            "ubuntu",
            "24.04",
            None,
            "ubuntu",
            "ubuntu-24.04",
            "Ubuntu:24.04:LTS",
        ),
        (
            "ubuntu",
            "23.10",
            None,
            "ubuntu",
            "ubuntu-23.10",
            "Ubuntu:23.10",
        ),
        (
            "alpine",
            "3.19.1",
            None,
            "alpine",
            "alpine-3.19.1",
            "Alpine:v3.19",
        ),
        // Trivy's apk purls carry the bare version.
        ("alpine", "3.19.1", None, "alpine", "3.19.1", "Alpine:v3.19"),
        ("wolfi", "20230201", None, "wolfi", "wolfi", "Wolfi"),
        (
            "chainguard",
            "20230214",
            None,
            "chainguard",
            "chainguard",
            "Chainguard",
        ),
        ("rhel", "9.3", None, "redhat", "rhel-9.3", "Red Hat"),
        ("rocky", "9.3", None, "rocky", "rocky-9.3", "Rocky Linux:9"),
        (
            "almalinux",
            "9.4",
            None,
            "almalinux",
            "almalinux-9.4",
            "AlmaLinux:9",
        ),
        (
            "almalinux",
            "9",
            None,
            "almalinux",
            "almalinux-9",
            "AlmaLinux:9",
        ),
        (
            "sles",
            "15.5",
            Some("SUSE Linux Enterprise Server 15 SP5"),
            "suse",
            "sles-15.5",
            "SUSE:Linux Enterprise Server 15 SP5",
        ),
        (
            "opensuse-leap",
            "15.5",
            Some("openSUSE Leap 15.5"),
            "opensuse",
            "opensuse-leap-15.5",
            "openSUSE:Leap 15.5",
        ),
        (
            "opensuse-tumbleweed",
            "20240801",
            Some("openSUSE Tumbleweed"),
            "opensuse",
            "opensuse-tumbleweed-20240801",
            "openSUSE:Tumbleweed",
        ),
        (
            "photon",
            "5.0",
            None,
            "photon",
            "photon-5.0",
            "Photon OS:5.0",
        ),
        ("photon", "4", None, "vmware", "photon-4", "Photon OS:4.0"),
        (
            "mariner",
            "2.0",
            None,
            "mariner",
            "mariner-2.0",
            "Azure Linux:2",
        ),
        (
            "azurelinux",
            "3.0",
            None,
            "azurelinux",
            "azurelinux-3.0",
            "Azure Linux:3",
        ),
    ];

    #[test]
    fn distributions_from_os_release() {
        for &(id, version, pretty, _, _, want) in DISTROS {
            assert_eq!(
                distro_ecosystem(id, version, pretty).as_deref(),
                Some(want),
                "{id} {version} {pretty:?}"
            );
            // Without PRETTY_NAME (a minimal os-release) the name is the same.
            assert_eq!(
                distro_ecosystem(id, version, None).as_deref(),
                Some(want),
                "{id} {version}"
            );
        }
        assert_eq!(
            distro_ecosystem("DEBIAN", "", None).as_deref(),
            Some("Debian")
        );
        for none in ["fedora", "amzn", "centos", "ol", ""] {
            assert_eq!(distro_ecosystem(none, "9", None), None, "{none}");
        }
    }

    #[test]
    fn distributions_from_purl_qualifiers() {
        for &(_, _, _, namespace, distro, want) in DISTROS {
            assert_eq!(
                distro_ecosystem_from_purl(namespace, Some(distro)).as_deref(),
                Some(want),
                "{namespace} distro={distro}"
            );
        }
        // No qualifier: the namespace, release unknown.
        assert_eq!(
            distro_ecosystem_from_purl("debian", None).as_deref(),
            Some("Debian")
        );
        assert_eq!(
            distro_ecosystem_from_purl("redhat", None).as_deref(),
            Some("Red Hat")
        );
        assert_eq!(
            distro_ecosystem_from_purl("fedora", Some("fedora-39")),
            None
        );
    }
}
