//! Platform selection (`--platform os/arch[/variant]`), following the OCI image index rules:
//! the os and architecture must match, and a variant matches if either side leaves it out
//! or both name the same one. The default is the platform plimsoll itself runs on, with
//! `linux` as the OS, as `docker pull` does.

use plimsoll_model::Platform;

/// Parses `os/arch[/variant]` (e.g. `linux/arm64`, `linux/arm/v7`).
pub fn parse(s: &str) -> Result<Platform, String> {
    let parts: Vec<&str> = s.split('/').collect();
    let bad = || format!("invalid platform {s:?}: expected os/arch[/variant], e.g. linux/arm64");
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
        return Err(bad());
    }
    Ok(normalize(Platform {
        os: parts[0].to_ascii_lowercase(),
        architecture: parts[1].to_ascii_lowercase(),
        variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
    }))
}

/// Normalizes architecture aliases the way containerd does (`aarch64` → `arm64`,
/// `x86_64` → `amd64`, `arm64/v8` → `arm64`).
pub fn normalize(mut p: Platform) -> Platform {
    p.architecture = match p.architecture.as_str() {
        "x86_64" | "x86-64" => "amd64".into(),
        "aarch64" => "arm64".into(),
        "i686" | "i586" | "i486" => "386".into(),
        other => other.into(),
    };
    if p.architecture == "arm64" && p.variant.as_deref() == Some("v8") {
        p.variant = None;
    }
    p
}

/// The platform of the running binary, with `linux` as OS.
pub fn host() -> Platform {
    normalize(Platform {
        os: "linux".into(),
        architecture: std::env::consts::ARCH.into(),
        variant: None,
    })
}

/// Does an image built for `candidate` satisfy a request for `wanted`?
pub fn matches(wanted: &Platform, candidate: &Platform) -> bool {
    let c = normalize(candidate.clone());
    let w = normalize(wanted.clone());
    w.os == c.os
        && w.architecture == c.architecture
        && match (&w.variant, &c.variant) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let arm = parse("linux/arm64").unwrap();
        assert_eq!(arm.to_string(), "linux/arm64");
        assert!(matches(&arm, &parse("linux/aarch64/v8").unwrap()));
        assert!(!matches(&arm, &parse("linux/amd64").unwrap()));
        let v7 = parse("linux/arm/v7").unwrap();
        assert!(!matches(&v7, &parse("linux/arm/v6").unwrap()));
        assert!(matches(&parse("linux/arm").unwrap(), &v7));
        assert!(parse("linux").is_err());
        assert!(parse("linux//v7").is_err());
        assert!(parse("a/b/c/d").is_err());
    }
}
