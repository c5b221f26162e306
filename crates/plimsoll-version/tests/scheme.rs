//! `Scheme` names: OSV ecosystem strings (with release and repository suffixes) and the
//! command line's aliases.

use plimsoll_version::Scheme;

/// OSV `affected[].package.ecosystem` values as real records spell them.
const ECOSYSTEMS: &[(&str, Option<Scheme>)] = &[
    ("Debian", Some(Scheme::Dpkg)),
    ("Debian:12", Some(Scheme::Dpkg)),
    ("Debian:sid", Some(Scheme::Dpkg)),
    ("Ubuntu:22.04:LTS", Some(Scheme::Dpkg)),
    ("Ubuntu:Pro:18.04:LTS", Some(Scheme::Dpkg)),
    ("Ubuntu:Pro:FIPS-updates:22.04:LTS", Some(Scheme::Dpkg)),
    ("Ubuntu:25.04", Some(Scheme::Dpkg)),
    ("Echo", Some(Scheme::Dpkg)),
    ("Alpine:v3.19", Some(Scheme::Apk)),
    ("Wolfi", Some(Scheme::Apk)),
    ("Chainguard", Some(Scheme::Apk)),
    ("Alpaquita:stream", Some(Scheme::Apk)),
    ("BellSoft Hardened Containers:23", Some(Scheme::Apk)),
    ("MinimOS", Some(Scheme::Apk)),
    ("Red Hat:rhel_aus:8.4::appstream", Some(Scheme::Rpm)),
    ("Red Hat:enterprise_linux:9::baseos", Some(Scheme::Rpm)),
    ("Rocky Linux:9", Some(Scheme::Rpm)),
    ("AlmaLinux:8", Some(Scheme::Rpm)),
    ("SUSE:Linux Enterprise Server 15 SP5", Some(Scheme::Rpm)),
    ("openSUSE:Tumbleweed", Some(Scheme::Rpm)),
    ("Photon OS:5.0", Some(Scheme::Rpm)),
    ("Azure Linux:3", Some(Scheme::Rpm)),
    ("Mageia:9", Some(Scheme::Rpm)),
    ("openEuler:22.03-LTS-SP1", Some(Scheme::Rpm)),
    ("PyPI", Some(Scheme::Pep440)),
    ("npm", Some(Scheme::Semver)),
    ("crates.io", Some(Scheme::Semver)),
    ("Bitnami", Some(Scheme::Semver)),
    ("Go", Some(Scheme::Go)),
    ("Maven", Some(Scheme::Maven)),
    ("Maven:https://maven.google.com", Some(Scheme::Maven)),
    ("RubyGems", Some(Scheme::RubyGems)),
    ("NuGet", Some(Scheme::NuGet)),
    ("Packagist", Some(Scheme::Composer)),
    (
        "Packagist:https://packages.drupal.org/8",
        Some(Scheme::Composer),
    ),
    ("Hex", Some(Scheme::Hex)),
    ("Pub", Some(Scheme::Pub)),
    ("Root:Alpine:3.18", Some(Scheme::Apk)),
    ("Root:PyPI", Some(Scheme::Pep440)),
    // No version order here.
    ("GIT", None),
    ("Linux", None),
    ("Android", None),
    ("OSS-Fuzz", None),
    ("CRAN", None),
    ("Hackage", None),
    ("GitHub Actions", None),
    ("Root", None),
    ("", None),
    // OSV names are exact: another case is not an ecosystem string.
    ("pypi", None),
    ("debian:12", None),
    ("Debian ", None),
];

#[test]
fn for_ecosystem() {
    for &(eco, want) in ECOSYSTEMS {
        assert_eq!(Scheme::for_ecosystem(eco), want, "{eco:?}");
    }
}

const NAMES: &[(&str, Scheme)] = &[
    ("deb", Scheme::Dpkg),
    ("dpkg", Scheme::Dpkg),
    ("DPKG", Scheme::Dpkg),
    ("rpm", Scheme::Rpm),
    ("apk", Scheme::Apk),
    ("pypi", Scheme::Pep440),
    ("PyPI", Scheme::Pep440),
    ("pep440", Scheme::Pep440),
    ("semver", Scheme::Semver),
    ("SemVer", Scheme::Semver),
    ("npm", Scheme::Semver),
    ("cargo", Scheme::Semver),
    ("go", Scheme::Go),
    ("Go", Scheme::Go),
    ("maven", Scheme::Maven),
    ("gem", Scheme::RubyGems),
    ("rubygems", Scheme::RubyGems),
    ("nuget", Scheme::NuGet),
    ("NuGet", Scheme::NuGet),
    ("composer", Scheme::Composer),
    ("packagist", Scheme::Composer),
    ("hex", Scheme::Hex),
    ("pub", Scheme::Pub),
    // OSV ecosystem names, exact or in another case.
    ("Debian:12", Scheme::Dpkg),
    ("debian:12", Scheme::Dpkg),
    ("crates.io", Scheme::Semver),
    ("Alpine:v3.19", Scheme::Apk),
    ("red hat:rhel_aus:8.4::appstream", Scheme::Rpm),
    ("Rocky Linux:9", Scheme::Rpm),
    (" rpm ", Scheme::Rpm),
];

#[test]
fn from_name() {
    for &(name, want) in NAMES {
        assert_eq!(Scheme::from_name(name), Ok(want), "{name:?}");
        assert_eq!(name.parse::<Scheme>(), Ok(want), "{name:?}");
    }
    for bad in ["", "debianish", "cran", "GIT", "rpm2", "Root"] {
        let err = Scheme::from_name(bad).unwrap_err();
        assert_eq!(err.0, bad);
        assert!(err.to_string().contains("known: maven"), "{err}");
    }
}

#[test]
fn names_round_trip_and_are_distinct() {
    let mut seen = std::collections::HashSet::new();
    for &s in Scheme::ALL {
        assert_eq!(Scheme::from_name(s.name()), Ok(s));
        assert_eq!(s.to_string(), s.name());
        assert!(seen.insert(s.name()));
    }
    assert_eq!(Scheme::ALL.len(), 12);
}
