//! Version parsing and total ordering for every ecosystem plimsoll matches, exactly as each
//! ecosystem's own tool orders them. Pure functions, no I/O.
//!
//! Each scheme lives in its own module with a `Version` type implementing `Ord` and a
//! `parse` that refuses what the ecosystem's tool would refuse; [`compare`] dispatches by
//! [`Scheme`]. Test vectors come from the upstream projects' own test suites.

use std::cmp::Ordering;

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod golang;
pub mod maven;
pub mod nuget;
pub mod osv;
pub mod pep440;
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
