//! Operating system detection from release files, and the names advisories use for it.
//!
//! `os-release(5)` (`etc/os-release`, else `usr/lib/os-release`) is read first; distro files
//! (`etc/alpine-release`, `etc/debian_version`, `etc/redhat-release`…) fill in what it lacks
//! (older images have no os-release; `debian_version` gives the point release).
//! The OSV ecosystem of a distribution (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`…)
//! comes from the ecosystem table in plimsoll-model, shared with the SBOM reader.

use plimsoll_model::OsInfo;
use plimsoll_model::ecosystem::distro_ecosystem;
use std::collections::BTreeMap;

/// Release files the walker must capture.
pub const RELEASE_FILES: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/alpine-release",
    "etc/debian_version",
    "etc/redhat-release",
    "etc/system-release",
    "etc/lsb-release",
];

/// A detected distribution.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Distro {
    /// os-release `ID`, lower case: `debian`, `ubuntu`, `alpine`, `wolfi`, `rhel`…
    pub id: String,
    /// `VERSION_ID` (or the distro file's version).
    pub version_id: String,
    pub codename: Option<String>,
    pub pretty_name: Option<String>,
    /// `ID_LIKE`, lower case.
    pub id_like: Vec<String>,
}

impl Distro {
    pub fn os_info(&self) -> OsInfo {
        OsInfo {
            family: self.id.clone(),
            version: self.version_id.clone(),
        }
    }

    /// OSV ecosystem for this distribution's packages, if OSV has one (the table in
    /// [`plimsoll_model::ecosystem::distro_ecosystem`]).
    pub fn osv_ecosystem(&self) -> Option<String> {
        distro_ecosystem(&self.id, &self.version_id, self.pretty_name.as_deref())
    }

    /// Namespace used in `pkg:deb/<ns>/…`, `pkg:rpm/<ns>/…`, `pkg:apk/<ns>/…` purls.
    pub fn purl_namespace(&self) -> &str {
        match self.id.as_str() {
            "rhel" => "redhat",
            "opensuse-leap" | "opensuse-tumbleweed" => "opensuse",
            id => id,
        }
    }

    /// The `distro` purl qualifier, e.g. `debian-12`, `alpine-3.19.1`.
    pub fn purl_distro(&self) -> String {
        if self.version_id.is_empty() {
            self.id.clone()
        } else {
            format!("{}-{}", self.id, self.version_id)
        }
    }
}

/// Parses `KEY=value` lines with optional shell quoting, as os-release(5) specifies.
pub fn parse_os_release(data: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(data);
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        m.insert(
            k.trim().to_string(),
            v.replace("\\\"", "\"").replace("\\\\", "\\"),
        );
    }
    m
}

/// Detects the distribution from the final image's release files.
pub fn detect<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>) -> Option<Distro> {
    let files: BTreeMap<&str, &[u8]> = files.collect();
    let osr = files
        .get("etc/os-release")
        .or_else(|| files.get("usr/lib/os-release"))
        .map(|d| parse_os_release(d));
    let mut d = Distro::default();
    if let Some(m) = &osr {
        d.id = m
            .get("ID")
            .cloned()
            .unwrap_or_default()
            .to_ascii_lowercase();
        d.version_id = m.get("VERSION_ID").cloned().unwrap_or_default();
        d.codename = m.get("VERSION_CODENAME").cloned().filter(|s| !s.is_empty());
        d.pretty_name = m.get("PRETTY_NAME").cloned();
        d.id_like = m
            .get("ID_LIKE")
            .map(|s| {
                s.split_whitespace()
                    .map(|x| x.to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
    }
    let text = |p: &str| {
        files
            .get(p)
            .map(|d| String::from_utf8_lossy(d).trim().to_string())
    };
    if d.id.is_empty() || d.version_id.is_empty() {
        if let Some(v) = text("etc/alpine-release") {
            d.id = "alpine".into();
            d.version_id = v;
        } else if let Some(v) = text("etc/debian_version") {
            if d.id.is_empty() {
                d.id = "debian".into();
            }
            // `12.5` is a release; `bookworm/sid` is testing or unstable.
            if v.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                d.version_id = v.split('.').next().unwrap_or("").to_string();
            }
        } else if let Some(v) = text("etc/redhat-release").or_else(|| text("etc/system-release")) {
            // "CentOS Linux release 7.9.2009 (Core)", "Red Hat Enterprise Linux Server release 7.9 (Maipo)"
            let lower = v.to_ascii_lowercase();
            if d.id.is_empty() {
                d.id = if lower.contains("centos") {
                    "centos"
                } else if lower.contains("red hat") {
                    "rhel"
                } else if lower.contains("amazon") {
                    "amzn"
                } else if lower.contains("fedora") {
                    "fedora"
                } else {
                    "rhel"
                }
                .into();
            }
            if let Some(ver) = v.split_whitespace().skip_while(|w| *w != "release").nth(1) {
                d.version_id = ver.to_string();
            }
        }
    }
    // Distroless images built from Debian have only etc/debian_version; an os-release with
    // a debian_version beside it keeps os-release's values.
    (!d.id.is_empty()).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_os_release(s: &str) -> Distro {
        detect([("etc/os-release", s.as_bytes())].into_iter()).unwrap()
    }

    #[test]
    fn osv_ecosystems_per_distro() {
        let cases = [
            (
                "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
                "Debian:12",
            ),
            ("ID=ubuntu\nVERSION_ID=\"22.04\"\n", "Ubuntu:22.04:LTS"),
            ("ID=ubuntu\nVERSION_ID=\"23.10\"\n", "Ubuntu:23.10"),
            ("ID=alpine\nVERSION_ID=3.19.1\n", "Alpine:v3.19"),
            ("ID=wolfi\nVERSION_ID=20230201\n", "Wolfi"),
            ("ID=chainguard\nVERSION_ID=20230214\n", "Chainguard"),
            ("ID=\"rhel\"\nVERSION_ID=\"9.3\"\n", "Red Hat"),
            ("ID=\"rocky\"\nVERSION_ID=\"9.3\"\n", "Rocky Linux:9"),
            ("ID=\"almalinux\"\nVERSION_ID=\"8.9\"\n", "AlmaLinux:8"),
            (
                "ID=\"opensuse-leap\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap 15.5\"\n",
                "openSUSE:Leap 15.5",
            ),
            (
                "ID=\"sles\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"\n",
                "SUSE:Linux Enterprise Server 15 SP5",
            ),
            ("ID=photon\nVERSION_ID=5.0\n", "Photon OS:5.0"),
            ("ID=azurelinux\nVERSION_ID=\"3.0\"\n", "Azure Linux:3"),
            // OSV files CBL-Mariner 2.0 under the product's new name.
            ("ID=mariner\nVERSION_ID=\"2.0\"\n", "Azure Linux:2"),
        ];
        for (text, eco) in cases {
            assert_eq!(
                from_os_release(text).osv_ecosystem().as_deref(),
                Some(eco),
                "{text}"
            );
        }
        for none in [
            "ID=fedora\nVERSION_ID=39\n",
            "ID=amzn\nVERSION_ID=\"2023\"\n",
            "ID=centos\nVERSION_ID=\"7\"\n",
            "ID=\"ol\"\nVERSION_ID=\"9.3\"\n",
        ] {
            assert!(from_os_release(none).osv_ecosystem().is_none(), "{none}");
        }
    }

    #[test]
    fn distro_files_without_os_release() {
        let d = detect([("etc/debian_version", &b"12.5\n"[..])].into_iter()).unwrap();
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("debian", "12"));
        let d = detect([("etc/alpine-release", &b"3.18.4\n"[..])].into_iter()).unwrap();
        assert_eq!(d.osv_ecosystem().as_deref(), Some("Alpine:v3.18"));
        let d = detect(
            [(
                "etc/redhat-release",
                &b"CentOS Linux release 7.9.2009 (Core)\n"[..],
            )]
            .into_iter(),
        )
        .unwrap();
        assert_eq!(
            (d.id.as_str(), d.version_id.as_str()),
            ("centos", "7.9.2009")
        );
        assert!(detect(std::iter::empty()).is_none());
        let d = detect(
            [
                (
                    "etc/os-release",
                    &b"ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n"[..],
                ),
                ("etc/debian_version", &b"trixie/sid\n"[..]),
            ]
            .into_iter(),
        )
        .unwrap();
        assert_eq!(d.osv_ecosystem().as_deref(), Some("Debian"));
    }

    #[test]
    fn purl_parts() {
        let d = from_os_release("ID=debian\nVERSION_ID=\"12\"\n");
        assert_eq!(d.purl_distro(), "debian-12");
        let d = from_os_release("ID=\"rhel\"\nVERSION_ID=\"9.3\"\n");
        assert_eq!(d.purl_namespace(), "redhat");
    }
}
