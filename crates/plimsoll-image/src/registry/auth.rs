//! Registry authentication: `WWW-Authenticate` challenges and where credentials come from.
//!
//! The distribution spec's token flow: a request answered `401` carries
//! `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`; the client fetches a token
//! from the realm (with basic credentials if it has any, anonymously otherwise) and repeats
//! the request with `Authorization: Bearer <token>`. Registries configured with htpasswd
//! answer `Basic realm="…"` instead. <https://distribution.github.io/distribution/spec/auth/token/>
//!
//! Credentials are looked up in this order: `--username/--password` (or the
//! `PLIMSOLL_USERNAME`/`PLIMSOLL_PASSWORD` environment variables), then the Docker config
//! (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`: `auths`, `credHelpers`,
//! `credsStore`, through the `docker-credential-*` helper protocol). Secrets are never
//! printed: [`Credential`]'s `Debug` redacts them.

use std::collections::BTreeMap;
use std::fmt;

/// A credential for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Basic {
        username: String,
        password: String,
    },
    /// An identity (refresh) token, exchanged at the token realm for an access token.
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Basic { username, .. } => {
                write!(
                    f,
                    "Basic {{ username: {username:?}, password: <redacted> }}"
                )
            }
            Credential::IdentityToken(_) => write!(f, "IdentityToken(<redacted>)"),
        }
    }
}

impl Credential {
    pub(crate) fn basic_header(&self) -> Option<String> {
        use base64::Engine;
        match self {
            Credential::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
            Credential::IdentityToken(_) => None,
        }
    }
}

/// Looks up the Docker config's credential for `key` (`https://index.docker.io/v1/` for
/// Docker Hub, `host[:port]` otherwise). `Ok(None)` when nothing is configured; an error
/// when a configured helper fails (its output is not repeated: it may hold secrets).
pub fn docker_config_credential(key: &str) -> Result<Option<Credential>, String> {
    use docker_credential::{CredentialRetrievalError as E, DockerCredential};
    match docker_credential::get_credential(key) {
        Ok(DockerCredential::UsernamePassword(username, password)) => {
            Ok(Some(Credential::Basic { username, password }))
        }
        Ok(DockerCredential::IdentityToken(t)) => Ok(Some(Credential::IdentityToken(t))),
        Err(E::NoCredentialConfigured | E::ConfigNotFound | E::ConfigReadError) => Ok(None),
        Err(E::HelperFailure { helper, .. }) => Err(format!(
            "credential helper {helper} failed for {key} (run `{helper} get` to see why)"
        )),
        Err(E::HelperCommunicationError) => Err(format!(
            "could not run the credential helper configured for {key}, or it exited without reading its input (is it on PATH?)"
        )),
        Err(e) => Err(format!("docker config credential for {key}: {e}")),
    }
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn is_bearer(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("bearer")
    }
    pub fn is_basic(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("basic")
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Parses the first challenge of a `WWW-Authenticate` header value (RFC 7235 auth-params,
/// quoted strings with backslash escapes). Registries send one challenge.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = match header.find(char::is_whitespace) {
        Some(i) => (&header[..i], header[i..].trim_start()),
        None => (header, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' || c.is_whitespace() {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek() != Some(&'=') {
            // token68 form or a new scheme: stop at what we understood.
            break;
        }
        chars.next();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        params.insert(name.to_ascii_lowercase(), value);
    }
    Some(Challenge {
        scheme: scheme.to_string(),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_from_docker_hub() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull""#,
        )
        .unwrap();
        assert!(c.is_bearer());
        assert_eq!(c.param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c.param("service"), Some("registry.docker.io"));
        assert_eq!(c.param("scope"), Some("repository:library/debian:pull"));
    }

    #[test]
    fn basic_and_odd_spacing() {
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert!(c.is_basic());
        assert_eq!(c.param("realm"), Some("Registry Realm"));
        let c = parse_challenge(r#"bearer  Realm = "a\"b" , error=insufficient_scope"#).unwrap();
        assert!(c.is_bearer());
        assert_eq!(c.param("realm"), Some("a\"b"));
        assert_eq!(c.param("error"), Some("insufficient_scope"));
        assert!(parse_challenge("").is_none());
    }

    #[test]
    fn debug_redacts() {
        let c = Credential::Basic {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{:?}", Credential::IdentityToken("tok".into())).contains("tok"));
    }
}
