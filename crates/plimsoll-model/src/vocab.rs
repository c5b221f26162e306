//! Small closed vocabularies that were strings: where a package was found
//! ([`Origin`]) and which advisories apply to distribution-owned files
//! ([`DetectionPriority`]). Each serializes exactly as the string it replaces.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How a package was found: installed in the filesystem (or built into a binary), or only
/// declared by a lockfile. Serialized as `installed` / `declared`; [`Origin::Unknown`]
/// (an SBOM that does not say) is written as nothing at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Origin {
    #[default]
    Unknown,
    Installed,
    Declared,
}

impl Origin {
    /// `installed`, `declared`, or the empty string for [`Origin::Unknown`].
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Unknown => "",
            Origin::Installed => "installed",
            Origin::Declared => "declared",
        }
    }

    /// The origin a report or SBOM names; anything else is [`Origin::Unknown`].
    pub fn parse(s: &str) -> Origin {
        match s {
            "installed" => Origin::Installed,
            "declared" => Origin::Declared,
            _ => Origin::Unknown,
        }
    }

    pub fn is_unknown(&self) -> bool {
        *self == Origin::Unknown
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Origin {
    fn from(s: &str) -> Origin {
        Origin::parse(s)
    }
}

impl PartialEq<&str> for Origin {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Origin {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Origin {
    /// Lenient: a report written by another version may say something new; that is
    /// [`Origin::Unknown`], not an unreadable report.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Origin, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Origin::parse(&s))
    }
}

/// `--detection-priority`: whether packages a distribution package owns are also matched
/// against upstream advisories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DetectionPriority {
    /// Only the distribution's advisories apply to what it ships (the default).
    #[default]
    Precise,
    /// Upstream advisories too, flagged `upstream_match`.
    Comprehensive,
}

impl DetectionPriority {
    /// Every value, as the command line spells them.
    pub const NAMES: [&'static str; 2] = ["precise", "comprehensive"];

    pub fn as_str(self) -> &'static str {
        match self {
            DetectionPriority::Precise => "precise",
            DetectionPriority::Comprehensive => "comprehensive",
        }
    }
}

impl std::fmt::Display for DetectionPriority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DetectionPriority {
    type Err = String;
    fn from_str(s: &str) -> Result<DetectionPriority, String> {
        match s {
            "precise" => Ok(DetectionPriority::Precise),
            "comprehensive" => Ok(DetectionPriority::Comprehensive),
            _ => Err(format!(
                "unknown detection priority {s:?} (precise, comprehensive)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_serializes_as_the_string_it_replaced() {
        for (o, s) in [
            (Origin::Installed, "\"installed\""),
            (Origin::Declared, "\"declared\""),
        ] {
            assert_eq!(serde_json::to_string(&o).unwrap(), s);
            assert_eq!(serde_json::from_str::<Origin>(s).unwrap(), o);
        }
        assert_eq!(
            serde_json::from_str::<Origin>("\"vendored\"").unwrap(),
            Origin::Unknown
        );
        assert!(Origin::Installed == "installed" && Origin::Unknown == "");
    }

    #[test]
    fn detection_priority_round_trips() {
        for n in DetectionPriority::NAMES {
            assert_eq!(n.parse::<DetectionPriority>().unwrap().as_str(), n);
        }
        assert!("fast".parse::<DetectionPriority>().is_err());
    }
}
