//! Key and credential files, found by name and path in every layer: SSH host keys,
//! `authorized_keys`, `.git` directories, `.env` files and the credential files of cloud
//! and registry command-line tools.
//!
//! A streaming inspector ([`KeyFiles`]) wants a file only by its path and reads nothing of
//! it (the walk skips the rest of the entry), except `.docker/config.json`, whose `auths`
//! decide whether it holds registry credentials (a config with only `credsStore` keeps them
//! elsewhere). Its hits carry the check id and the path to report, never contents. Layers
//! deleted files stay in: a key copied in one layer and deleted in the next is still in the
//! first layer's blob, and the finding says which layer deleted it.

use super::{At, Findings};
use crate::analyzer::Input;
use plimsoll_image::inspect::{Candidate, Hit, Inspector};
use std::collections::BTreeMap;
use std::io::Read;

/// Largest `.docker/config.json` parsed for `auths`.
const MAX_DOCKER_CONFIG: u64 = 1 << 20;

/// What a path is, if it is a key or credential file: the check and the path to report
/// (the `.git` directory, not the file inside it).
pub fn classify(path: &str) -> Option<(&'static str, String)> {
    let path = path.trim_start_matches('/');
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let parent = dir.rsplit('/').next().unwrap_or("");
    // A `.git` directory: any file directly in it (HEAD, config, index…), so that a
    // repository's thousands of objects are never asked about one by one.
    if parent == ".git" {
        return Some((super::GIT_DIRECTORY, dir.to_string()));
    }
    let found = |id| Some((id, path.to_string()));
    if dir == "etc/ssh" && name.starts_with("ssh_host_") && name.ends_with("_key") {
        return found(super::SSH_HOST_KEY);
    }
    if name == "authorized_keys" || name == "authorized_keys2" {
        return found(super::AUTHORIZED_KEYS);
    }
    if is_env_file(name) {
        return found(super::ENV_FILE);
    }
    let cloud = match (parent, name) {
        (".aws", "credentials") => true,
        ("gcloud", "credentials.db" | "access_tokens.db" | "legacy_credentials") => {
            dir.ends_with(".config/gcloud")
        }
        (_, "application_default_credentials.json") => true,
        (".azure", "accessTokens.json" | "msal_token_cache.json" | "msal_token_cache.bin") => true,
        (".kube", "config") => true,
        (".docker", "config.json") => true,
        _ => false,
    };
    if cloud {
        return found(super::CLOUD_CREDENTIALS);
    }
    None
}

/// `.env`, `.env.local`, `.env.production`…, but not the templates projects commit
/// (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`).
pub fn is_env_file(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(".env") else {
        return false;
    };
    match rest.strip_prefix('.') {
        None => rest.is_empty(),
        Some(suffix) => {
            let s = suffix.to_ascii_lowercase();
            !s.is_empty()
                && ![
                    "example", "sample", "template", "dist", "defaults", "schema",
                ]
                .iter()
                .any(|t| s == *t || s.ends_with(&format!(".{t}")))
        }
    }
}

/// Whether a Docker client config holds registry credentials: an `auths` entry with an
/// `auth`, `password` or `identitytoken`.
pub fn docker_config_has_auths(data: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return false;
    };
    v.get("auths").and_then(|a| a.as_object()).is_some_and(|a| {
        a.values().any(|e| {
            ["auth", "password", "identitytoken", "registrytoken"]
                .iter()
                .any(|k| {
                    e.get(k)
                        .and_then(|x| x.as_str())
                        .is_some_and(|s| !s.is_empty())
                })
        })
    })
}

/// The inspector of key and credential files; see the module docs.
#[derive(Debug)]
pub struct KeyFiles;

impl Inspector for KeyFiles {
    fn fingerprint(&self) -> String {
        "hardening-keys:1".into()
    }

    fn wants(&self, file: &Candidate<'_>) -> bool {
        classify(file.path).is_some()
    }

    fn inspect(&self, path: &str, data: &mut dyn Read) -> std::io::Result<Vec<Hit>> {
        let Some((id, report_as)) = classify(path) else {
            return Ok(Vec::new());
        };
        if path.ends_with(".docker/config.json") {
            let mut buf = Vec::new();
            data.take(MAX_DOCKER_CONFIG + 1).read_to_end(&mut buf)?;
            if buf.len() as u64 > MAX_DOCKER_CONFIG || !docker_config_has_auths(&buf) {
                return Ok(Vec::new());
            }
        }
        Ok(vec![Hit {
            rule: id.to_string(),
            line: 0,
            detail: report_as,
        }])
    }
}

/// One key or credential finding in the making.
struct Seen {
    id: &'static str,
    layer: usize,
    /// A copy is in the final filesystem.
    present: bool,
    /// The first later layer that deleted a copy.
    deleted_in: Option<usize>,
}

/// Findings of the inspector's hits, one per (check, path) however many layers wrote it:
/// the layer that brought it in, and the layer that deleted it when no copy is left.
pub fn check(input: &Input<'_>, out: &mut Findings) {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for (file, _) in input.walk.inspected() {
        let removed = input.walk.removed_after(&file.path, file.layer);
        for h in &file.hits {
            let Some(c) = super::check(&h.rule) else {
                continue;
            };
            // A directory scan of a checkout: the checkout's own `.git` is what was
            // pointed at, not something shipped.
            if input.image.is_none() && c.id == super::GIT_DIRECTORY && h.detail == ".git" {
                continue;
            }
            let s = seen.entry(h.detail.clone()).or_insert(Seen {
                id: c.id,
                layer: file.layer,
                present: false,
                deleted_in: None,
            });
            s.layer = s.layer.min(file.layer);
            match removed {
                None => s.present = true,
                Some(l) => s.deleted_in = Some(s.deleted_in.map_or(l, |d| d.min(l))),
            }
        }
    }
    for (path, s) in seen {
        let p = plimsoll_model::text::escape_controls(&path);
        let what = match s.id {
            super::SSH_HOST_KEY => "an SSH host private key",
            super::AUTHORIZED_KEYS => "an SSH authorized_keys file",
            super::GIT_DIRECTORY => "a Git repository (history, remotes, maybe credentials)",
            super::ENV_FILE => "a .env file (settings, often secrets)",
            _ => "a cloud or registry CLI credential file",
        };
        let shown = if s.id == super::GIT_DIRECTORY {
            format!("{p}/")
        } else {
            p.to_string()
        };
        let message = match (s.present, s.deleted_in) {
            (false, Some(d)) => format!(
                "{shown} is {what}; layer {d} deleted it, but layer {}'s blob still holds it",
                s.layer
            ),
            _ => format!("{shown} is {what}"),
        };
        out.push(s.id, message, At::file(&path, s.layer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_credential_paths() {
        let cases = [
            (
                "etc/ssh/ssh_host_ed25519_key",
                Some((super::super::SSH_HOST_KEY, "etc/ssh/ssh_host_ed25519_key")),
            ),
            (
                "etc/ssh/ssh_host_rsa_key",
                Some((super::super::SSH_HOST_KEY, "etc/ssh/ssh_host_rsa_key")),
            ),
            ("etc/ssh/ssh_host_rsa_key.pub", None),
            ("etc/ssh/sshd_config", None),
            (
                "root/.ssh/authorized_keys",
                Some((super::super::AUTHORIZED_KEYS, "root/.ssh/authorized_keys")),
            ),
            (
                "srv/app/.git/HEAD",
                Some((super::super::GIT_DIRECTORY, "srv/app/.git")),
            ),
            (
                "srv/app/.git/config",
                Some((super::super::GIT_DIRECTORY, "srv/app/.git")),
            ),
            (".git/HEAD", Some((super::super::GIT_DIRECTORY, ".git"))),
            ("srv/app/.git/objects/ab/cdef", None),
            ("srv/app/.gitignore", None),
            (
                "srv/app/.env",
                Some((super::super::ENV_FILE, "srv/app/.env")),
            ),
            (
                "srv/app/.env.production",
                Some((super::super::ENV_FILE, "srv/app/.env.production")),
            ),
            ("srv/app/.env.example", None),
            ("srv/app/.env.sample", None),
            ("srv/app/.env.template", None),
            ("srv/app/.envrc", None),
            ("srv/app/env", None),
            (
                "root/.aws/credentials",
                Some((super::super::CLOUD_CREDENTIALS, "root/.aws/credentials")),
            ),
            ("root/.aws/config", None),
            (
                "home/u/.config/gcloud/credentials.db",
                Some((
                    super::super::CLOUD_CREDENTIALS,
                    "home/u/.config/gcloud/credentials.db",
                )),
            ),
            (
                "home/u/.config/gcloud/application_default_credentials.json",
                Some((
                    super::super::CLOUD_CREDENTIALS,
                    "home/u/.config/gcloud/application_default_credentials.json",
                )),
            ),
            (
                "root/.azure/accessTokens.json",
                Some((
                    super::super::CLOUD_CREDENTIALS,
                    "root/.azure/accessTokens.json",
                )),
            ),
            (
                "root/.azure/msal_token_cache.json",
                Some((
                    super::super::CLOUD_CREDENTIALS,
                    "root/.azure/msal_token_cache.json",
                )),
            ),
            (
                "root/.kube/config",
                Some((super::super::CLOUD_CREDENTIALS, "root/.kube/config")),
            ),
            (
                "root/.docker/config.json",
                Some((super::super::CLOUD_CREDENTIALS, "root/.docker/config.json")),
            ),
            ("usr/share/doc/kube/config", None),
        ];
        for (path, want) in cases {
            let got = classify(path);
            assert_eq!(got.as_ref().map(|(i, p)| (*i, p.as_str())), want, "{path}");
        }
    }

    #[test]
    fn docker_configs_with_and_without_credentials() {
        assert!(docker_config_has_auths(
            br#"{"auths":{"registry.example":{"auth":"dXNlcjpwYXNz"}}}"#
        ));
        assert!(docker_config_has_auths(
            br#"{"auths":{"r.example":{"identitytoken":"x"}}}"#
        ));
        assert!(!docker_config_has_auths(br#"{"credsStore":"desktop"}"#));
        assert!(!docker_config_has_auths(br#"{"auths":{"r.example":{}}}"#));
        assert!(!docker_config_has_auths(
            br#"{"auths":{"r.example":{"auth":""}}}"#
        ));
        assert!(!docker_config_has_auths(b"not json"));
    }

    #[test]
    fn the_inspector_reads_nothing_but_docker_configs() {
        struct Refuse;
        impl Read for Refuse {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                panic!("contents read")
            }
        }
        let hits = KeyFiles.inspect("srv/.env", &mut Refuse).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].rule, super::super::ENV_FILE);
        assert_eq!(hits[0].detail, "srv/.env");
        let mut cfg: &[u8] = br#"{"auths":{"r":{"auth":"dTpw"}}}"#;
        let hits = KeyFiles
            .inspect("root/.docker/config.json", &mut cfg)
            .unwrap();
        assert_eq!(hits.len(), 1);
        assert!(!hits[0].detail.contains("dTpw"));
        let mut cfg: &[u8] = br#"{"credsStore":"pass"}"#;
        assert!(
            KeyFiles
                .inspect("root/.docker/config.json", &mut cfg)
                .unwrap()
                .is_empty()
        );
    }
}
