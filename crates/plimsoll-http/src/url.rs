//! Small URL helpers for messages and transport policy.

/// True when an `http(s)://` URL's host is this machine: the only place plain HTTP may carry
/// credentials or vulnerability data without `--insecure`. Userinfo does not count
/// (`http://127.0.0.1@evil.example/` is not loopback).
pub fn url_is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The URL without `user:password@`, for messages: credentials are never written.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters: one path segment, a query
/// or form value.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls() {
        assert!(url_is_loopback("http://127.0.0.1:5000/token"));
        assert!(url_is_loopback("http://localhost/token?x=1"));
        assert!(url_is_loopback("http://[::1]:8080/token"));
        assert!(url_is_loopback("http://user@127.0.0.1/token"));
        assert!(!url_is_loopback("http://auth.example.com/token"));
        assert!(!url_is_loopback("http://127.0.0.1.example.com/token"));
        assert!(!url_is_loopback("http://evil.example/127.0.0.1"));
        assert!(!url_is_loopback("http://127.0.0.1@evil.example/"));
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(
            redact("https://user:secret@mirror.example/osv/x?y=z@w"),
            "https://mirror.example/osv/x?y=z@w"
        );
        assert_eq!(
            redact("https://mirror.example/a@b"),
            "https://mirror.example/a@b"
        );
    }

    #[test]
    fn encodes_segments() {
        assert_eq!(encode_segment("Red Hat"), "Red%20Hat");
        assert_eq!(encode_segment("Ubuntu:22.04:LTS"), "Ubuntu%3A22.04%3ALTS");
        assert_eq!(encode_segment("crates.io"), "crates.io");
        assert_eq!(
            encode_segment("repository:library/debian:pull"),
            "repository%3Alibrary%2Fdebian%3Apull"
        );
    }
}
