//! What the user typed as `<REF>`, resolved to a source kind.
//!
//! Accepted forms (as skopeo and Trivy users write them):
//! - `docker-archive:PATH[:NAME:TAG]` — a `docker save` tarball, optionally gzip-compressed;
//! - `oci-archive:PATH[:TAG]` — a tar of an OCI image layout;
//! - `oci:DIR[:TAG]` — an OCI image layout directory;
//! - a bare path: a directory holding `oci-layout` is a layout, a file is sniffed
//!   (docker-archive if it holds `manifest.json`, else oci-archive);
//! - anything else is a registry reference (`debian:12`, `ghcr.io/o/r@sha256:…`), with
//!   Docker Hub's conventions: no registry means `docker.io`, a single-component name means
//!   `library/NAME`, `index.docker.io` is `docker.io`, no tag means `latest`.

use crate::digest::Digest;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    Registry(RegistryRef),
    DockerArchive { path: PathBuf, name: Option<String> },
    OciArchive { path: PathBuf, name: Option<String> },
    OciLayout { dir: PathBuf, name: Option<String> },
}

impl ImageSource {
    /// Short kind name used in reports: `registry`, `docker-archive`, `oci-archive`, `oci-layout`.
    pub fn kind(&self) -> &'static str {
        match self {
            ImageSource::Registry(_) => "registry",
            ImageSource::DockerArchive { .. } => "docker-archive",
            ImageSource::OciArchive { .. } => "oci-archive",
            ImageSource::OciLayout { .. } => "oci-layout",
        }
    }

    pub fn parse(input: &str) -> Result<ImageSource> {
        if input.is_empty() {
            return Err(bad(input, "empty reference"));
        }
        if let Some(rest) = input.strip_prefix("docker-archive:") {
            let (path, name) = split_path(rest);
            return Ok(ImageSource::DockerArchive { path, name });
        }
        if let Some(rest) = input.strip_prefix("oci-archive:") {
            let (path, name) = split_path(rest);
            return Ok(ImageSource::OciArchive { path, name });
        }
        if let Some(rest) = input.strip_prefix("oci:") {
            let (dir, name) = split_path(rest);
            return Ok(ImageSource::OciLayout { dir, name });
        }
        let path = Path::new(input);
        if path.is_dir() {
            if path.join("oci-layout").is_file() {
                return Ok(ImageSource::OciLayout {
                    dir: path.into(),
                    name: None,
                });
            }
            return Err(bad(
                input,
                "is a directory without an `oci-layout` file; to scan an unpacked root filesystem use `plimsoll fs`",
            ));
        }
        if path.is_file() {
            return crate::archive::sniff(path, None);
        }
        // `./image.tar:name:tag` for a bare archive path with a name.
        if let Some((p, name)) = input.split_once(':')
            && Path::new(p).is_file()
            && (p.contains('/')
                || p.ends_with(".tar")
                || p.ends_with(".tar.gz")
                || p.ends_with(".tgz"))
        {
            return crate::archive::sniff(Path::new(p), Some(name.to_string()));
        }
        RegistryRef::parse(input).map(ImageSource::Registry)
    }
}

/// `PATH[:NAME]`: the longest prefix that exists on disk is the path.
fn split_path(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (rest.into(), None);
    }
    let mut idx = None;
    for (i, c) in rest.char_indices() {
        if c == ':' && Path::new(&rest[..i]).exists() {
            idx = Some(i);
            break;
        }
    }
    match idx.or_else(|| rest.find(':')) {
        Some(i) if i + 1 < rest.len() => (rest[..i].into(), Some(rest[i + 1..].to_string())),
        _ => (rest.into(), None),
    }
}

fn bad(reference: &str, message: &str) -> Error {
    Error::Reference {
        reference: reference.to_string(),
        message: message.to_string(),
    }
}

pub const DOCKER_HUB: &str = "docker.io";

/// A registry reference, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRef {
    /// Registry host (and port) as the user means it; `docker.io` for Docker Hub.
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl RegistryRef {
    pub fn parse(input: &str) -> Result<RegistryRef> {
        let r: oci_spec::distribution::Reference =
            input.parse().map_err(|e| bad(input, &format!("{e}")))?;
        let digest = match r.digest() {
            Some(d) => Some(Digest::parse(d).map_err(|m| bad(input, &m))?),
            None => None,
        };
        let tag = r.tag().map(str::to_string);
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        // Docker reads a first component with capitals as a registry host (`MyHost/app`);
        // oci-spec puts it on Docker Hub, as a repository name that cannot exist there.
        let (registry, repository) = match r.repository().split_once('/') {
            Some((host, rest))
                if r.registry() == DOCKER_HUB && host.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                (host.to_string(), rest.to_string())
            }
            _ => (r.registry().to_string(), r.repository().to_string()),
        };
        Ok(RegistryRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// Host to send API requests to (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// Key under which `~/.docker/config.json` stores this registry's credentials.
    pub fn credential_key(&self) -> &str {
        if self.registry == DOCKER_HUB {
            "https://index.docker.io/v1/"
        } else {
            &self.registry
        }
    }

    /// Tag or digest to request the manifest by (the digest wins when both are given).
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        }
    }

    /// True for registries on this machine, where plain HTTP is allowed without `--insecure`
    /// (as the Docker engine does for `localhost`).
    pub fn is_loopback(&self) -> bool {
        let host = host_part(&self.registry);
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

fn host_part(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.rsplit_once(':').map_or(registry, |(h, _)| h)
}

impl std::fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_conventions() {
        let r = RegistryRef::parse("debian:12").unwrap();
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "library/debian");
        assert_eq!(r.tag.as_deref(), Some("12"));
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(r.credential_key(), "https://index.docker.io/v1/");
        assert_eq!(r.to_string(), "docker.io/library/debian:12");

        let r = RegistryRef::parse("index.docker.io/library/alpine").unwrap();
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.tag.as_deref(), Some("latest"));

        let r = RegistryRef::parse("bitnami/redis:7").unwrap();
        assert_eq!(r.repository, "bitnami/redis");
    }

    #[test]
    fn registry_with_port_and_digest() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = RegistryRef::parse(&format!("127.0.0.1:5000/team/app@{d}")).unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_reference(), d);
        assert!(r.is_loopback());
        assert_eq!(r.credential_key(), "127.0.0.1:5000");
        let r = RegistryRef::parse("ghcr.io/o/r:v1").unwrap();
        assert!(!r.is_loopback());
        assert!(RegistryRef::parse("library/UPPER").is_err());
    }

    /// Found by the `reference` fuzz target: `lXn/ir` parsed as Docker Hub's `lXn/ir`,
    /// whose display `docker.io/lXn/ir:latest` did not parse back.
    #[test]
    fn capitalized_first_component_is_a_registry_host() {
        let r = RegistryRef::parse("lXn/ir").unwrap();
        assert_eq!(r.registry, "lXn");
        assert_eq!(r.repository, "ir");
        assert_eq!(RegistryRef::parse(&r.to_string()).unwrap(), r);
        let r = RegistryRef::parse("MyHost/team/app:1").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("MyHost", "team/app")
        );
    }

    #[test]
    fn prefixed_sources() {
        let s = ImageSource::parse("oci:/nonexistent/dir:v1").unwrap();
        assert_eq!(
            s,
            ImageSource::OciLayout {
                dir: "/nonexistent/dir".into(),
                name: Some("v1".into())
            }
        );
        let s = ImageSource::parse("docker-archive:/nonexistent/x.tar").unwrap();
        assert!(matches!(s, ImageSource::DockerArchive { name: None, .. }));
        let s = ImageSource::parse("docker-archive:/nonexistent/x.tar:app:1.0").unwrap();
        assert!(matches!(s, ImageSource::DockerArchive { name: Some(n), .. } if n == "app:1.0"));
    }
}
