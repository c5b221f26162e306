//! SBOMs in: CycloneDX 1.4–1.6 JSON and SPDX 2.2/2.3 JSON, as plimsoll, Syft and Trivy write
//! them, read back into packages.
//!
//! An SBOM is untrusted input: documents over [`MAX_SBOM_SIZE`] are refused, and serde_json's
//! recursion limit (128 levels, about 60 levels of nested CycloneDX components) bounds
//! nesting: a deeper document is an error, never a silently shortened inventory. The
//! document is deserialized into typed structs borrowing from its bytes (see [`de`]), not
//! into a tree of `serde_json::Value`s, which took over ten times the document's size.

use packageurl::PackageUrl;
use plimsoll_model::ecosystem::{Ecosystem, distro_ecosystem_from_purl, name_from_purl};
use plimsoll_model::{Location, Origin, OsInfo, Package, SourcePackage};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

mod de;

/// Largest SBOM document read: 256 MiB.
pub const MAX_SBOM_SIZE: usize = 256 << 20;

/// Which format a document was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    CycloneDx,
    Spdx,
}

impl SbomFormat {
    /// `cyclonedx` or `spdx`, the artifact `source` of a report read from an SBOM.
    pub fn name(self) -> &'static str {
        match self {
            SbomFormat::CycloneDx => "cyclonedx",
            SbomFormat::Spdx => "spdx",
        }
    }
}

/// What reading an SBOM gave: its format, the operating system it names, its packages, and
/// warnings about entries it skipped.
#[derive(Debug)]
pub struct SbomRead {
    pub format: SbomFormat,
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    /// Entries that are not objects, components without a name and the like, counted,
    /// with the JSON path of the first of each kind.
    pub warnings: Vec<String>,
}

/// Reads a CycloneDX or SPDX JSON document: the operating system it names, if any, and its
/// packages.
pub fn read_sbom(bytes: &[u8]) -> Result<(Option<OsInfo>, Vec<Package>), String> {
    read_sbom_full(bytes).map(|r| (r.os, r.packages))
}

/// Reads a CycloneDX or SPDX JSON document.
///
/// A document whose structure is not the format's (`"components": "x"`, a property whose
/// value is a number, nesting past serde_json's limit) is an error naming the JSON path
/// (`$.components[3].properties`). Entries that cannot be packages (not objects, no name)
/// are skipped and counted in [`SbomRead::warnings`].
///
/// Memory stays near the size of the document: fields are borrowed from it rather than
/// copied, and CycloneDX components become packages one at a time as they are parsed,
/// never as a tree of JSON values.
pub fn read_sbom_full(bytes: &[u8]) -> Result<SbomRead, String> {
    if bytes.len() > MAX_SBOM_SIZE {
        return Err(format!(
            "SBOM of {} bytes is over the limit of {MAX_SBOM_SIZE} bytes",
            bytes.len()
        ));
    }
    let de::Map(probe): de::Map<de::Probe<'_>> = de::parse(bytes)?;
    if probe.bom_format.as_deref() == Some("CycloneDX") {
        let spec = probe.spec_version.as_deref().unwrap_or("");
        if !matches!(spec, "1.2" | "1.3" | "1.4" | "1.5" | "1.6" | "1.7") {
            return Err(format!("unsupported CycloneDX specVersion {spec:?}"));
        }
        return de::read_cyclonedx(bytes, probe.metadata);
    }
    if let Some(v) = probe.spdx_version.as_deref() {
        if !matches!(v, "SPDX-2.2" | "SPDX-2.3") {
            return Err(format!(
                "unsupported SPDX version {v:?} (2.2 and 2.3 JSON are read)"
            ));
        }
        return de::read_spdx(bytes);
    }
    Err("neither a CycloneDX JSON BOM (bomFormat) nor an SPDX 2 JSON document (spdxVersion)".into())
}

/// What a purl says about a package: type (the model's `kind`), OSV ecosystem, name as OSV
/// names it, version, source package and arch.
struct PurlFacts {
    kind: String,
    ecosystem: String,
    name: String,
    version: Option<String>,
    source: Option<SourcePackage>,
    arch: Option<String>,
}

/// The model's package `type` of a language ecosystem's packages.
fn package_kind(eco: Ecosystem) -> &'static str {
    match eco {
        Ecosystem::PyPI => "python",
        Ecosystem::Go => "go-module",
        Ecosystem::RubyGems => "gem",
        e => e.purl_type(),
    }
}

fn purl_facts(purl: &str) -> Option<PurlFacts> {
    let p = PackageUrl::from_str(purl).ok()?;
    let q = |k: &str| p.qualifiers().get(k).map(|v| v.to_string());
    let ns = p.namespace().unwrap_or("");
    let name = p.name().to_string();
    // Distribution packages: the OSV ecosystem from the `distro` qualifier or namespace
    // (the same table the image path uses); language packages: the purl type's ecosystem.
    let ty = p.ty().to_string();
    let (kind, ecosystem, name) = match ty.as_str() {
        ty @ ("deb" | "apk" | "rpm") => (
            ty,
            distro_ecosystem_from_purl(ns, q("distro").as_deref())
                // OSV has no data for it: keep the distribution's name for the warning.
                .unwrap_or_else(|| q("distro").unwrap_or_else(|| ns.to_string())),
            name.clone(),
        ),
        ty => {
            let eco = Ecosystem::from_purl_type(ty);
            (
                eco.map_or(ty, |e| package_kind(e)),
                eco.map_or("", Ecosystem::osv_name).to_string(),
                name_from_purl(eco, ns, &name),
            )
        }
    };
    // Syft and plimsoll write the source package as `upstream=name@version` (deb, apk) or
    // the source RPM file name (rpm).
    let source = q("upstream").and_then(|u| {
        if p.ty() == "rpm" {
            let base = u.strip_suffix(".src.rpm").unwrap_or(&u);
            let mut it = base.rsplitn(3, '-');
            let (rel, ver, n) = (it.next()?, it.next()?, it.next()?);
            Some(SourcePackage {
                name: n.to_string(),
                version: format!("{ver}-{rel}"),
            })
        } else {
            match u.split_once('@') {
                Some((n, v)) => Some(SourcePackage {
                    name: n.to_string(),
                    version: v.to_string(),
                }),
                None => Some(SourcePackage {
                    name: u.clone(),
                    version: String::new(),
                }),
            }
        }
    });
    let mut version = p.version().map(str::to_string);
    if p.ty() == "rpm"
        && let (Some(e), Some(v)) = (q("epoch"), &version)
        && e != "0"
        && !v.contains(':')
    {
        version = Some(format!("{e}:{v}"));
    }
    Some(PurlFacts {
        kind: kind.to_string(),
        ecosystem,
        name,
        version,
        source,
        arch: q("arch"),
    })
}

/// Trivy's `PkgType`/Syft's `package:type` values to the model's kinds.
fn tool_kind(t: &str) -> Option<&'static str> {
    Some(match t {
        "deb" | "debian" | "ubuntu" => "deb",
        "apk" | "alpine" | "wolfi" | "chainguard" => "apk",
        "rpm" | "redhat" | "centos" | "rocky" | "alma" | "amazon" | "oracle" | "fedora"
        | "photon" | "suse" | "cbl-mariner" | "azurelinux" => "rpm",
        "python" | "python-pkg" | "pip" | "pipenv" | "poetry" | "uv" => "python",
        "npm" | "node-pkg" | "yarn" | "pnpm" => "npm",
        "go-module" | "gobinary" | "gomod" => "go-module",
        "rust-crate" | "cargo" | "rustbinary" => "cargo",
        "java-archive" | "jar" | "pom" | "gradle" | "maven" => "maven",
        "gem" | "gemspec" | "bundler" => "gem",
        "composer" | "php-composer" => "composer",
        "dotnet" | "nuget" | "dotnet-core" => "nuget",
        "binary" => "binary",
        _ => return None,
    })
}

/// Properties gathered from either format, by name (repeated names keep every value),
/// borrowed from the document where it has no escapes.
type Props<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

fn first<'a>(props: &'a Props<'_>, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| props.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_ref()))
}

/// Builds a package from what the document says, filling what the purl knows and what
/// plimsoll's, Syft's and Trivy's properties add. `layers` maps layer diff_ids to indexes.
fn build_package(
    id: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    licenses: Vec<String>,
    props: &Props<'_>,
    layers: &HashMap<String, usize>,
) -> Option<Package> {
    let facts = purl.as_deref().and_then(purl_facts);
    // A `pkg:oci` purl names an image (Syft and Trivy describe the scanned image so), not a
    // package in it.
    if facts.as_ref().is_some_and(|f| f.kind == "oci") {
        return None;
    }
    let name = facts
        .as_ref()
        .map(|f| f.name.clone())
        .filter(|n| !n.is_empty())
        .or(name)?;
    let version = version
        .filter(|v| !v.is_empty())
        .or_else(|| facts.as_ref().and_then(|f| f.version.clone()))
        .unwrap_or_default();
    let kind = first(props, &["plimsoll:package:type"])
        .map(str::to_string)
        .or_else(|| {
            first(props, &["syft:package:type", "aquasecurity:trivy:PkgType"])
                .and_then(tool_kind)
                .map(str::to_string)
        })
        .or_else(|| facts.as_ref().map(|f| f.kind.clone()))
        .unwrap_or_else(|| "unknown".into());
    let ecosystem = first(props, &["plimsoll:ecosystem"])
        .map(str::to_string)
        .or_else(|| facts.as_ref().map(|f| f.ecosystem.clone()))
        .unwrap_or_default();

    let mut locations: Vec<Location> = props
        .iter()
        .filter(|(k, _)| k == "plimsoll:location")
        .filter_map(|(_, v)| {
            let (l, path) = v.split_once(':')?;
            Some(Location {
                layer: l.parse().ok(),
                path: path.to_string(),
            })
        })
        .collect();
    let mut metadata = BTreeMap::new();
    if locations.is_empty() {
        // plimsoll:path/layer, then Syft's `syft:location:N:path`/`layerID`, then Trivy's.
        let layer_of = |diff: Option<&str>, meta: &mut BTreeMap<String, String>| {
            let d = diff?;
            let i = layers.get(d).copied();
            if i.is_none() {
                meta.insert("layer_diff_id".into(), d.to_string());
            }
            i
        };
        if let Some(path) = first(props, &["plimsoll:path"]) {
            let layer = first(props, &["plimsoll:layer"])
                .and_then(|l| l.parse().ok())
                .or_else(|| layer_of(first(props, &["plimsoll:layer:diff_id"]), &mut metadata));
            locations.push(Location {
                layer,
                path: path.to_string(),
            });
        }
        let mut n = 0;
        while let Some(path) = first(props, &[&format!("syft:location:{n}:path")]) {
            let diff = first(props, &[&format!("syft:location:{n}:layerID")]);
            let layer = layer_of(diff, &mut metadata);
            locations.push(Location {
                layer,
                path: path.trim_start_matches('/').to_string(),
            });
            n += 1;
            if n > 1000 {
                break;
            }
        }
        if locations.is_empty() {
            let diff = first(props, &["aquasecurity:trivy:LayerDiffID"]);
            let path = first(
                props,
                &[
                    "aquasecurity:trivy:FilePath",
                    "aquasecurity:trivy:PkgPath",
                    "spdx:file",
                    "spdx:sourceInfo",
                ],
            );
            if path.is_some() || diff.is_some() {
                let layer = layer_of(diff, &mut metadata);
                locations.push(Location {
                    layer,
                    path: path.unwrap_or("").trim_start_matches('/').to_string(),
                });
            }
        }
    }

    let source = match (
        first(props, &["plimsoll:source:name"]),
        first(props, &["plimsoll:source:version"]),
    ) {
        (Some(n), v) => Some(SourcePackage {
            name: n.into(),
            version: v.unwrap_or("").into(),
        }),
        _ => match first(props, &["aquasecurity:trivy:SrcName"]) {
            Some(n) => {
                let mut v = first(props, &["aquasecurity:trivy:SrcVersion"])
                    .unwrap_or("")
                    .to_string();
                if let Some(r) = first(props, &["aquasecurity:trivy:SrcRelease"])
                    && !r.is_empty()
                {
                    v = format!("{v}-{r}");
                }
                if let Some(e) = first(props, &["aquasecurity:trivy:SrcEpoch"])
                    && !e.is_empty()
                    && e != "0"
                {
                    v = format!("{e}:{v}");
                }
                Some(SourcePackage {
                    name: n.into(),
                    version: v,
                })
            }
            None => match (
                first(props, &["syft:metadata:source"]),
                first(props, &["syft:metadata:sourceVersion"]),
            ) {
                (Some(n), v) if !n.is_empty() => Some(SourcePackage {
                    name: n.into(),
                    version: v.filter(|v| !v.is_empty()).unwrap_or(&version).into(),
                }),
                // A purl `upstream=name` without a version: the source has the binary's.
                _ => facts.as_ref().and_then(|f| f.source.clone()).map(|mut s| {
                    if s.version.is_empty() {
                        s.version = version.clone();
                    }
                    s
                }),
            },
        },
    };
    let licenses = {
        let exact: Vec<String> = props
            .iter()
            .filter(|(k, _)| k == "plimsoll:license")
            .map(|(_, v)| v.to_string())
            .collect();
        if exact.is_empty() { licenses } else { exact }
    };
    for (k, v) in props {
        if let Some(m) = k.strip_prefix("plimsoll:metadata:") {
            metadata.insert(m.to_string(), v.to_string());
        }
    }
    let purl = purl.unwrap_or_default();
    let id = first(props, &["plimsoll:id"])
        .map(str::to_string)
        .or(id)
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| {
            if purl.is_empty() {
                format!("{kind}:{name}@{version}")
            } else {
                purl.clone()
            }
        });
    Some(Package {
        id,
        kind,
        ecosystem,
        name,
        version,
        source,
        licenses,
        arch: first(props, &["plimsoll:arch"])
            .map(str::to_string)
            .or_else(|| facts.as_ref().and_then(|f| f.arch.clone())),
        locations,
        owned_by: first(props, &["plimsoll:owned_by"]).map(str::to_string),
        removed_in_layer: first(props, &["plimsoll:removed_in_layer"]).and_then(|v| v.parse().ok()),
        origin: Origin::parse(first(props, &["plimsoll:origin"]).unwrap_or("")),
        purl,
        metadata,
        found_by: first(props, &["plimsoll:found_by"]).map(str::to_string),
        cpes: props
            .iter()
            .filter(|(k, _)| k == "plimsoll:cpe")
            .map(|(_, v)| v.to_string())
            .collect(),
    })
}

/// The package database path of an SPDX `sourceInfo`: among the paths listed, the one
/// that is a package database, else the first.
fn source_info_path(si: &str) -> Option<String> {
    let (_, paths) = si.split_once(": ")?;
    let paths: Vec<&str> = paths
        .split(", ")
        .map(|p| p.split(" (layer ").next().unwrap_or(p).trim())
        .filter(|p| !p.is_empty())
        .collect();
    let db = paths.iter().find(|p| {
        p.ends_with("dpkg/status")
            || p.contains("dpkg/status.d/")
            || p.ends_with("apk/db/installed")
            || p.contains("/rpm/")
    });
    db.or(paths.first())
        .map(|p| p.trim_start_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_from_purls() {
        let f = purl_facts(
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5&upstream=glibc",
        )
        .unwrap();
        assert_eq!(
            (f.kind.as_str(), f.ecosystem.as_str()),
            ("deb", "Debian:12")
        );
        assert_eq!(f.version.as_deref(), Some("2.36-9+deb12u4"));
        assert_eq!(f.source.unwrap().name, "glibc");
        let f =
            purl_facts("pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1").unwrap();
        assert_eq!(f.ecosystem, "Alpine:v3.19");
        // Syft and Trivy say `ubuntu-22.04`; OSV's records say `Ubuntu:22.04:LTS`.
        let f = purl_facts(
            "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04&upstream=openssl",
        )
        .unwrap();
        assert_eq!(f.ecosystem, "Ubuntu:22.04:LTS");
        // Trivy's apk purls carry only the version.
        let f = purl_facts("pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.19.1").unwrap();
        assert_eq!(f.ecosystem, "Alpine:v3.19");
        let f = purl_facts("pkg:npm/%40babel/core@7.24.0").unwrap();
        assert_eq!(
            (f.name.as_str(), f.ecosystem.as_str()),
            ("@babel/core", "npm")
        );
        let f = purl_facts("pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1").unwrap();
        assert_eq!(f.name, "org.apache.logging.log4j:log4j-core");
        let f = purl_facts("pkg:golang/github.com/google/uuid@v1.6.0").unwrap();
        assert_eq!(
            (f.name.as_str(), f.ecosystem.as_str()),
            ("github.com/google/uuid", "Go")
        );
        let f = purl_facts("pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm&distro=rhel-9.4").unwrap();
        assert_eq!(f.ecosystem, "Red Hat");
        assert_eq!(f.version.as_deref(), Some("1:3.0.7-27.el9"));
        let s = f.source.unwrap();
        assert_eq!(
            (s.name.as_str(), s.version.as_str()),
            ("openssl", "3.0.7-27.el9")
        );
        assert_eq!(
            purl_facts("pkg:cargo/serde@1.0.0").unwrap().ecosystem,
            "crates.io"
        );
        assert_eq!(
            purl_facts("pkg:gem/rack@3.0.0").unwrap().ecosystem,
            "RubyGems"
        );
        assert_eq!(
            purl_facts("pkg:nuget/Newtonsoft.Json@13.0.1")
                .unwrap()
                .ecosystem,
            "NuGet"
        );
        let f = purl_facts("pkg:composer/laravel/framework@10.0.0").unwrap();
        assert_eq!(
            (f.name.as_str(), f.ecosystem.as_str()),
            ("laravel/framework", "Packagist")
        );
        assert_eq!(
            purl_facts("pkg:pypi/requests@2.31.0").unwrap().ecosystem,
            "PyPI"
        );
    }

    #[test]
    fn an_oci_purl_is_the_image() {
        let doc = br#"{"spdxVersion":"SPDX-2.2","SPDXID":"SPDXRef-DOCUMENT","packages":[
            {"SPDXID":"SPDXRef-img","name":"demo","externalRefs":[{"referenceCategory":
            "PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:oci/demo@sha256%3Aab"}]},
            {"SPDXID":"SPDXRef-p","name":"musl","versionInfo":"1.2.4-r2","externalRefs":[
            {"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"}]}]}"#;
        let (_, p) = read_sbom(doc).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].kind.as_str(), p[0].ecosystem.as_str()),
            ("apk", "Alpine:v3.19")
        );
    }

    #[test]
    fn structure_errors_name_the_path_and_skips_are_counted() {
        let e = read_sbom(br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":"x"}"#)
            .unwrap_err();
        assert!(e.starts_with("invalid structure at $.components: "), "{e}");
        let e = read_sbom(br#"{"spdxVersion":"SPDX-2.3","packages":[{"name":{}}]}"#).unwrap_err();
        assert!(
            e.starts_with("invalid structure at $.packages[0].name: "),
            "{e}"
        );
        let e = read_sbom(b"[1]").unwrap_err();
        assert!(
            e.starts_with("invalid structure at $: invalid type: sequence, expected a JSON object"),
            "{e}"
        );
        // Escaped strings are read (owned), plain ones borrowed: the same packages.
        let r = read_sbom_full(
            br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[1,
            {"type":"library","name":"a\u0062","version":"1","purl":"pkg:npm/ab@1",
             "properties":[{"name":"plimsoll:metadata:n\u006fte","value":"x\ty"}]}]}"#,
        )
        .unwrap();
        assert_eq!(r.packages.len(), 1);
        assert_eq!(r.packages[0].name, "ab");
        assert_eq!(r.packages[0].metadata["note"], "x\ty");
        assert_eq!(
            r.warnings,
            ["SBOM: 1 list entries are not JSON objects; skipped (the first at $.components[0])"]
        );
    }

    #[test]
    fn refuses_bad_documents() {
        assert!(read_sbom(b"{}").is_err());
        assert!(read_sbom(b"not json").is_err());
        assert!(read_sbom(br#"{"bomFormat":"CycloneDX","specVersion":"9.9"}"#).is_err());
        assert!(read_sbom(br#"{"spdxVersion":"SPDX-3.0"}"#).is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(read_sbom(deep.as_bytes()).is_err());
        let big = vec![b' '; MAX_SBOM_SIZE + 1];
        assert!(read_sbom(&big).unwrap_err().contains("over the limit"));
    }
}
