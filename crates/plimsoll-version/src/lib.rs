//! Version parsing and total ordering for every ecosystem plimsoll matches, exactly as each
//! ecosystem's own tool orders them. Pure functions, no I/O.
//!
//! Each scheme lives in its own module with a `Version` type implementing `Ord` and a
//! `parse` that refuses what the ecosystem's tool would refuse; [`compare`] dispatches by
//! [`Scheme`], and [`Scheme::parse`] gives an [`AnyVersion`] to compare many times. Test
//! vectors come from the upstream projects' own test suites.
//!
//! Names: [`Scheme::for_ecosystem`] maps an OSV ecosystem string (`Debian:12`,
//! `Alpine:v3.19`, `Maven:https://…`) to its ordering; [`Scheme::from_name`] also takes the
//! command line's short aliases (`deb`, `pypi`, `gem`…); [`Scheme::name`] is the short name
//! for messages.
//!
//! [`osv::evaluate`] decides whether an installed version is affected by one OSV
//! `affected[]` entry (ranges and versions), exactly as the OSV schema defines it, and says
//! so when it cannot decide.

use plimsoll_model::ecosystem::{Ecosystem, VersionScheme};
use std::cmp::Ordering;

/// `PartialEq`, `Eq` and `PartialOrd` from a type's `Ord`: two versions are equal when they
/// order equal (`1.0` and `1.0.0` under Maven, `1.0+a` and `1.0+b` under SemVer), which a
/// derived `PartialEq` comparing fields would get wrong.
macro_rules! eq_and_partial_ord_from_ord {
    ($t:ty) => {
        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == std::cmp::Ordering::Equal
            }
        }

        impl Eq for $t {}
    };
}
pub(crate) use eq_and_partial_ord_from_ord;

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod generic;
pub mod golang;
pub mod hex;
pub mod maven;
pub mod nuget;
pub mod osv;
pub mod pep440;
pub mod pubdev;
pub mod rpm;
pub mod rubygems;
pub mod semver;

/// A version string that does not parse under a scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {version:?}: {reason}")]
pub struct ParseError {
    pub scheme: &'static str,
    pub version: String,
    pub reason: String,
}

impl ParseError {
    pub fn new(scheme: &'static str, version: &str, reason: impl Into<String>) -> ParseError {
        ParseError {
            scheme,
            version: version.to_string(),
            reason: reason.into(),
        }
    }
}

/// A version ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Maven `ComparableVersion`.
    Maven,
    /// RubyGems `Gem::Version`.
    RubyGems,
    /// NuGet `NuGetVersion`.
    NuGet,
    /// Composer (Packagist): Composer's normalization, then PHP `version_compare`.
    Composer,
    /// PEP 440 (`packaging.version.Version`).
    Pep440,
    /// SemVer 2.0.0 precedence (build metadata ignored).
    Semver,
    /// Go module versions (`golang.org/x/mod/semver`).
    Go,
    /// Debian `dpkg` (epoch, upstream, revision; `verrevcmp`).
    Dpkg,
    /// RPM EVR (`rpmvercmp`, `~` and `^`).
    Rpm,
    /// Alpine `apk-tools`.
    Apk,
    /// Hex (Elixir `Version`): SemVer 2.0, build ignored, strict parse.
    Hex,
    /// Pub (Dart `pub_semver`): SemVer-like, leading zeros ignored, build metadata ordered.
    Pub,
}

/// A name that [`Scheme::from_name`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown version scheme {0:?} (known: {known})", known = Scheme::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownScheme(pub String);

impl Scheme {
    /// Every scheme, in declaration order.
    pub const ALL: &'static [Scheme] = &[
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Composer,
        Scheme::Pep440,
        Scheme::Semver,
        Scheme::Go,
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Hex,
        Scheme::Pub,
    ];

    /// A short lower-case name for messages and the command line; [`Scheme::from_name`]
    /// reads it back.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Maven => "maven",
            Scheme::RubyGems => "rubygems",
            Scheme::NuGet => "nuget",
            Scheme::Composer => "composer",
            Scheme::Pep440 => "pep440",
            Scheme::Semver => "semver",
            Scheme::Go => "go",
            Scheme::Dpkg => "dpkg",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Hex => "hex",
            Scheme::Pub => "pub",
        }
    }

    /// The ordering of an OSV `affected[].package.ecosystem`
    /// (<https://ossf.github.io/osv-schema/#defined-ecosystems>), release or repository
    /// suffix included: `Debian:12`, `Ubuntu:Pro:22.04:LTS`, `Alpine:v3.19`,
    /// `Red Hat:rhel_aus:8.4::appstream`, `Maven:https://maven.google.com`. Names are
    /// matched exactly, as OSV spells them. `None` for ecosystems without a version order
    /// here (GIT, Linux, Android, OSS-Fuzz, CRAN, Hackage…).
    ///
    /// The mapping follows osv.dev's own (`osv/ecosystems/_ecosystems.py`), plus Photon OS
    /// and Azure Linux (RPM distributions the schema defines). `Root:<ecosystem>:…` (Root's
    /// patched packages of another ecosystem) takes that ecosystem's ordering.
    pub fn for_ecosystem(osv_ecosystem: &str) -> Option<Scheme> {
        match osv_ecosystem.split_once(':') {
            Some(("Root", rest)) => Scheme::for_ecosystem(rest),
            _ => Ecosystem::from_osv(osv_ecosystem).map(|e| Scheme::from(e.version_scheme())),
        }
    }

    /// A scheme from a command-line name: the short aliases `deb`, `dpkg`, `rpm`, `apk`,
    /// `pypi`, `pep440`, `semver`, `npm`, `cargo`, `go`, `maven`, `gem`, `rubygems`, `nuget`,
    /// `composer`, `packagist`, `hex`, `pub` (any case), or an OSV ecosystem name as
    /// [`Scheme::for_ecosystem`] takes it (also in any case: `pypi`, `debian:12`).
    pub fn from_name(s: &str) -> Result<Scheme, UnknownScheme> {
        let lower = s.trim().to_ascii_lowercase();
        let alias = match lower.as_str() {
            "deb" | "dpkg" => Some(Scheme::Dpkg),
            "rpm" => Some(Scheme::Rpm),
            "apk" => Some(Scheme::Apk),
            "pypi" | "pep440" => Some(Scheme::Pep440),
            "semver" | "npm" | "cargo" => Some(Scheme::Semver),
            "go" | "golang" => Some(Scheme::Go),
            "maven" => Some(Scheme::Maven),
            "gem" | "rubygems" => Some(Scheme::RubyGems),
            "nuget" => Some(Scheme::NuGet),
            "composer" | "packagist" => Some(Scheme::Composer),
            "hex" => Some(Scheme::Hex),
            "pub" => Some(Scheme::Pub),
            _ => None,
        };
        alias
            .or_else(|| Scheme::for_ecosystem(s.trim()))
            .or_else(|| {
                // OSV names in another case: match the base name case-insensitively.
                let (base, rest) = match s.trim().split_once(':') {
                    Some((b, r)) => (b, Some(r)),
                    None => (s.trim(), None),
                };
                Ecosystem::all()
                    .map(Ecosystem::osv_name)
                    .chain(["Root"])
                    .find(|n| n.eq_ignore_ascii_case(base))
                    .and_then(|n| match rest {
                        Some(r) => Scheme::for_ecosystem(&format!("{n}:{r}")),
                        None => Scheme::for_ecosystem(n),
                    })
            })
            .ok_or_else(|| UnknownScheme(s.to_string()))
    }
}

/// The ecosystem table's version schemes, one to one.
impl From<VersionScheme> for Scheme {
    fn from(v: VersionScheme) -> Scheme {
        match v {
            VersionScheme::Dpkg => Scheme::Dpkg,
            VersionScheme::Apk => Scheme::Apk,
            VersionScheme::Rpm => Scheme::Rpm,
            VersionScheme::Pep440 => Scheme::Pep440,
            VersionScheme::Semver => Scheme::Semver,
            VersionScheme::Go => Scheme::Go,
            VersionScheme::Maven => Scheme::Maven,
            VersionScheme::RubyGems => Scheme::RubyGems,
            VersionScheme::NuGet => Scheme::NuGet,
            VersionScheme::Composer => Scheme::Composer,
            VersionScheme::Hex => Scheme::Hex,
            VersionScheme::Pub => Scheme::Pub,
        }
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Scheme {
    type Err = UnknownScheme;
    fn from_str(s: &str) -> Result<Scheme, UnknownScheme> {
        Scheme::from_name(s)
    }
}

/// Compares two versions under `scheme`.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, ParseError> {
    match scheme {
        Scheme::Maven => maven::compare(a, b),
        Scheme::RubyGems => rubygems::compare(a, b),
        Scheme::NuGet => nuget::compare(a, b),
        Scheme::Composer => composer::compare(a, b),
        Scheme::Pep440 => pep440::compare(a, b),
        Scheme::Semver => semver::compare(a, b),
        Scheme::Go => golang::compare(a, b),
        Scheme::Dpkg => dpkg::compare(a, b),
        Scheme::Rpm => rpm::compare(a, b),
        Scheme::Apk => apk::compare(a, b),
        Scheme::Hex => hex::compare(a, b),
        Scheme::Pub => pubdev::compare(a, b),
    }
}

/// A version parsed under one [`Scheme`], so that it can be compared many times without
/// parsing again (the OSV evaluator sorts events and compares the installed version with each).
#[derive(Debug, Clone)]
pub enum AnyVersion {
    Maven(maven::Version),
    RubyGems(rubygems::Version),
    NuGet(nuget::Version),
    Composer(composer::Version),
    Pep440(pep440::Version),
    Semver(semver::Version),
    Go(golang::Version),
    Dpkg(dpkg::Version),
    Rpm(rpm::Version),
    Apk(apk::Version),
    Hex(hex::Version),
    Pub(pubdev::Version),
}

impl AnyVersion {
    /// The scheme this version was parsed under.
    pub fn scheme(&self) -> Scheme {
        match self {
            AnyVersion::Maven(_) => Scheme::Maven,
            AnyVersion::RubyGems(_) => Scheme::RubyGems,
            AnyVersion::NuGet(_) => Scheme::NuGet,
            AnyVersion::Composer(_) => Scheme::Composer,
            AnyVersion::Pep440(_) => Scheme::Pep440,
            AnyVersion::Semver(_) => Scheme::Semver,
            AnyVersion::Go(_) => Scheme::Go,
            AnyVersion::Dpkg(_) => Scheme::Dpkg,
            AnyVersion::Rpm(_) => Scheme::Rpm,
            AnyVersion::Apk(_) => Scheme::Apk,
            AnyVersion::Hex(_) => Scheme::Hex,
            AnyVersion::Pub(_) => Scheme::Pub,
        }
    }

    /// Orders two versions of the same scheme; `None` when the schemes differ (there is no
    /// order across schemes).
    pub fn compare(&self, other: &AnyVersion) -> Option<Ordering> {
        Some(match (self, other) {
            (AnyVersion::Maven(a), AnyVersion::Maven(b)) => a.cmp(b),
            (AnyVersion::RubyGems(a), AnyVersion::RubyGems(b)) => a.cmp(b),
            (AnyVersion::NuGet(a), AnyVersion::NuGet(b)) => a.cmp(b),
            (AnyVersion::Composer(a), AnyVersion::Composer(b)) => a.cmp(b),
            (AnyVersion::Pep440(a), AnyVersion::Pep440(b)) => a.cmp(b),
            (AnyVersion::Semver(a), AnyVersion::Semver(b)) => a.cmp(b),
            (AnyVersion::Go(a), AnyVersion::Go(b)) => a.cmp(b),
            (AnyVersion::Dpkg(a), AnyVersion::Dpkg(b)) => a.cmp(b),
            (AnyVersion::Rpm(a), AnyVersion::Rpm(b)) => a.cmp(b),
            (AnyVersion::Apk(a), AnyVersion::Apk(b)) => a.cmp(b),
            (AnyVersion::Hex(a), AnyVersion::Hex(b)) => a.cmp(b),
            (AnyVersion::Pub(a), AnyVersion::Pub(b)) => a.cmp(b),
            _ => return None,
        })
    }
}

impl Scheme {
    /// Parses `s` under this scheme.
    pub fn parse(self, s: &str) -> Result<AnyVersion, ParseError> {
        Ok(match self {
            Scheme::Maven => AnyVersion::Maven(maven::parse(s)?),
            Scheme::RubyGems => AnyVersion::RubyGems(rubygems::parse(s)?),
            Scheme::NuGet => AnyVersion::NuGet(nuget::parse(s)?),
            Scheme::Composer => AnyVersion::Composer(composer::parse(s)?),
            Scheme::Pep440 => AnyVersion::Pep440(pep440::parse(s)?),
            Scheme::Semver => AnyVersion::Semver(semver::parse(s)?),
            Scheme::Go => AnyVersion::Go(golang::parse(s)?),
            Scheme::Dpkg => AnyVersion::Dpkg(dpkg::parse(s)?),
            Scheme::Rpm => AnyVersion::Rpm(rpm::parse(s)?),
            Scheme::Apk => AnyVersion::Apk(apk::parse(s)?),
            Scheme::Hex => AnyVersion::Hex(hex::parse(s)?),
            Scheme::Pub => AnyVersion::Pub(pubdev::parse(s)?),
        })
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use std::cmp::Ordering;
    use std::fmt::Debug;

    /// Reflexivity, antisymmetry over all pairs and transitivity over all triples.
    pub(crate) fn check_total<T: Ord + Debug>(v: &[T]) {
        for a in v {
            assert_eq!(a.cmp(a), Ordering::Equal);
            for b in v {
                assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{a:?} / {b:?}");
                for c in v {
                    let (ab, bc, ac) = (a.cmp(b), b.cmp(c), a.cmp(c));
                    if ab != Ordering::Greater && bc != Ordering::Greater {
                        assert_ne!(ac, Ordering::Greater, "{a:?} <= {b:?} <= {c:?}");
                        if ab == Ordering::Less || bc == Ordering::Less {
                            assert_eq!(ac, Ordering::Less, "{a:?} < {c:?}");
                        }
                    }
                }
            }
        }
    }
}
