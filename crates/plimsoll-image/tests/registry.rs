//! The registry client against a real Distribution registry on loopback
//! (`/usr/bin/docker-registry`, started by `plimsoll_testkit::registry`).

use plimsoll_image::{
    self as image, BlobCache, Credential, Error, Image, ImageSource, OpenOptions, RegistryOptions,
    WalkOptions,
};
use plimsoll_testkit::registry::{Action, Proxy, Registry, RegistryConfig};
use plimsoll_testkit::{BuiltImage, DOCKER_LIST, DOCKER_MANIFEST, ImageBuilder, OCI_INDEX};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "s3cr3t-Pa55word";

fn sample() -> ImageBuilder {
    ImageBuilder::new()
        .layer("/bin/sh -c #(nop) ADD file:0a1b in / ", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file("bin/sh", "#!shell")
                .file("etc/motd", "hello")
        })
        .empty_step("/bin/sh -c #(nop)  ENV LANG=C.UTF-8")
        .layer("/bin/sh -c apt-get install -y curl", |l| {
            l.file("usr/bin/curl", "curl-binary").whiteout("etc/motd")
        })
        .empty_step("/bin/sh -c #(nop)  CMD [\"bash\"]")
}

fn options(cache: &Path) -> OpenOptions {
    OpenOptions {
        platform: None,
        registry: RegistryOptions {
            attempts: 3,
            backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(20),
            ignore_docker_config: true,
            ..RegistryOptions::new()
        },
        cache: BlobCache::new(cache),
        ..OpenOptions::default()
    }
}

fn open(reference: &str, opts: &OpenOptions) -> image::Result<Image> {
    image::open(reference, ImageSource::parse(reference)?, opts)
}

fn scan(img: &Image) -> image::ImageScan {
    image::scan_image(img, &WalkOptions::default()).expect("scan")
}

/// The opened image describes exactly what was pushed, and every layer walks cleanly.
fn assert_matches_built(img: &Image, built: &BuiltImage) {
    assert_eq!(
        img.manifest_digest.as_ref().map(|d| d.to_string()),
        Some(built.manifest.digest.clone())
    );
    assert_eq!(img.config_digest.to_string(), built.config.digest);
    assert_eq!(img.layers.len(), built.layers.len());
    for (l, b) in img.layers.iter().zip(&built.layers) {
        assert_eq!(l.digest.as_ref().unwrap().to_string(), b.digest);
        assert_eq!(l.size, b.data.len() as u64);
        assert_eq!(l.media_type.as_deref(), Some(b.media_type.as_str()));
    }
    let diff_ids: Vec<String> = img
        .layers
        .iter()
        .map(|l| l.diff_id.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(diff_ids, built.diff_ids);
    let s = scan(img);
    assert_eq!(s.layer_errors().collect::<Vec<_>>(), vec![]);
    let walked: Vec<String> = s
        .layers
        .iter()
        .map(|l| l.diff_id.clone().unwrap())
        .collect();
    assert_eq!(walked, built.diff_ids);
}

fn assert_sample_layers(img: &Image) {
    let created_by: Vec<Option<&str>> =
        img.layers.iter().map(|l| l.created_by.as_deref()).collect();
    assert_eq!(
        created_by,
        vec![
            Some("/bin/sh -c #(nop) ADD file:0a1b in / "),
            Some("/bin/sh -c apt-get install -y curl")
        ]
    );
    let s = scan(img);
    assert_eq!(s.tree.get("etc/os-release").unwrap().layer, 0);
    assert_eq!(s.tree.get("usr/bin/curl").unwrap().layer, 1);
    assert!(s.tree.get("etc/motd").is_none(), "whiteout applied");
    assert_eq!(s.layers[1].whiteouts, vec!["etc/motd".to_string()]);
}

#[test]
fn pull_by_tag_and_by_digest() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    let digest = reg.push("team/app", "v1", &built);
    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path());

    let img = open(&format!("{}/team/app:v1", reg.host()), &opts).unwrap();
    assert_eq!(
        img.reference.as_deref(),
        Some(format!("{}/team/app:v1", reg.host()).as_str())
    );
    assert_eq!(
        img.media_type.as_deref(),
        Some(plimsoll_testkit::OCI_MANIFEST)
    );
    assert_eq!(img.index_digest, None);
    assert_eq!(img.platform.to_string(), "linux/amd64");
    assert_matches_built(&img, &built);
    assert_sample_layers(&img);

    let by_digest = format!("{}/team/app@{digest}", reg.host());
    let img = open(&by_digest, &opts).unwrap();
    assert_eq!(img.manifest_digest.as_ref().unwrap().to_string(), digest);
    assert_matches_built(&img, &built);

    // Tag and digest: the digest wins.
    let both = format!("{}/team/app:nonexistent@{digest}", reg.host());
    let img = open(&both, &opts).unwrap();
    assert_eq!(img.manifest_digest.as_ref().unwrap().to_string(), digest);
}

#[test]
fn missing_tag_and_repository_are_404_with_the_name() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    reg.push("team/app", "v1", &sample().build());
    let cache = tempfile::tempdir().unwrap();
    let err = open(
        &format!("{}/team/app:v2", reg.host()),
        &options(cache.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains(&format!("registry {}", reg.host())), "{err}");
    assert!(
        err.contains("404 Not Found: team/app/manifests/v2"),
        "{err}"
    );
    assert!(err.contains("MANIFEST_UNKNOWN"), "{err}");
    let err = open(
        &format!("{}/team/other:v1", reg.host()),
        &options(cache.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("404 Not Found: team/other/manifests/v1"),
        "{err}"
    );
}

#[test]
fn docker_v2_schema2_media_types() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().docker_media_types().build();
    assert_eq!(built.manifest.media_type, DOCKER_MANIFEST);
    reg.push("library/dock", "latest", &built);
    let cache = tempfile::tempdir().unwrap();
    // No tag means latest.
    let img = open(
        &format!("{}/library/dock", reg.host()),
        &options(cache.path()),
    )
    .unwrap();
    assert_eq!(img.media_type.as_deref(), Some(DOCKER_MANIFEST));
    assert_eq!(
        img.layers[0].media_type.as_deref(),
        Some("application/vnd.docker.image.rootfs.diff.tar.gzip")
    );
    assert_matches_built(&img, &built);
    assert_sample_layers(&img);
}

fn platform_images(docker: bool) -> (BuiltImage, BuiltImage) {
    let mk = |arch: &str| {
        let b = ImageBuilder::new().platform("linux", arch, None).layer(
            &format!("ADD rootfs-{arch} /"),
            |l| {
                l.file("etc/arch", arch)
                    .file("etc/os-release", "ID=alpine\n")
            },
        );
        if docker {
            b.docker_media_types().build()
        } else {
            b.build()
        }
    };
    (mk("amd64"), mk("arm64"))
}

#[test]
fn multi_platform_index_selects_the_platform() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    for docker in [false, true] {
        let (amd, arm) = platform_images(docker);
        let index = plimsoll_testkit::multi_platform_index(&[&amd, &arm]);
        assert_eq!(
            index.media_type,
            if docker { DOCKER_LIST } else { OCI_INDEX }
        );
        let repo = if docker { "multi/docker" } else { "multi/oci" };
        let index_digest = reg.push_index(repo, "1.0", &index, &[&amd, &arm]);
        let cache = tempfile::tempdir().unwrap();
        let reference = format!("{}/{repo}:1.0", reg.host());

        let mut opts = options(cache.path());
        opts.platform = Some(image::platform::parse("linux/arm64").unwrap());
        let img = open(&reference, &opts).unwrap();
        assert_eq!(img.platform.to_string(), "linux/arm64");
        assert_eq!(
            img.index_digest.as_ref().map(|d| d.to_string()),
            Some(index_digest.clone())
        );
        assert_eq!(
            img.media_type.as_deref(),
            Some(arm.manifest.media_type.as_str())
        );
        assert_matches_built(&img, &arm);
        let s = scan(&img);
        let arch = s.tree.get("etc/arch").unwrap();
        assert_eq!(arch.size, 5);

        // aarch64 is an alias of arm64.
        opts.platform = Some(image::platform::parse("linux/aarch64").unwrap());
        let img = open(&reference, &opts).unwrap();
        assert_eq!(img.config_digest.to_string(), arm.config.digest);

        opts.platform = Some(image::platform::parse("linux/amd64").unwrap());
        let img = open(&reference, &opts).unwrap();
        assert_matches_built(&img, &amd);

        // The index by digest, then a platform in it.
        opts.platform = Some(image::platform::parse("linux/arm64").unwrap());
        let img = open(&format!("{}/{repo}@{index_digest}", reg.host()), &opts).unwrap();
        assert_eq!(img.config_digest.to_string(), arm.config.digest);

        opts.platform = Some(image::platform::parse("linux/s390x").unwrap());
        let err = open(&reference, &opts).unwrap_err();
        assert!(matches!(err, Error::Platform { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "{reference}: no image for platform linux/s390x; available: linux/amd64, linux/arm64"
            )
        );
    }
}

#[test]
fn htpasswd_basic_auth() {
    let Some(reg) = Registry::start(RegistryConfig::htpasswd("alice", SECRET)) else {
        return;
    };
    let built = sample().build();
    reg.push("private/app", "v1", &built);
    let reference = format!("{}/private/app:v1", reg.host());
    let cache = tempfile::tempdir().unwrap();

    let mut opts = options(cache.path());
    let err = open(&reference, &opts).unwrap_err().to_string();
    assert!(
        err.contains("401 Unauthorized: authentication required")
            && err.contains("--username/--password"),
        "{err}"
    );

    opts.registry.credential = Some(Credential::Basic {
        username: "alice".into(),
        password: SECRET.into(),
    });
    let img = open(&reference, &opts).unwrap();
    assert_matches_built(&img, &built);

    opts.registry.credential = Some(Credential::Basic {
        username: "alice".into(),
        password: "wrong-Pa55word".into(),
    });
    let err = open(&reference, &opts).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("401 Unauthorized: the registry rejected the credentials"),
        "{text}"
    );
    for shown in [text.clone(), format!("{err:?}"), format!("{opts:?}")] {
        assert!(!shown.contains("wrong-Pa55word"), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[test]
fn tls_self_signed_needs_insecure() {
    let Some(reg) = Registry::start(RegistryConfig::tls()) else {
        return;
    };
    let built = sample().build();
    reg.push("secure/app", "v1", &built);
    let reference = format!("{}/secure/app:v1", reg.host());
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    let err = open(&reference, &opts).unwrap_err().to_string();
    assert!(err.contains("TLS certificate verification failed"), "{err}");
    assert!(err.contains("--insecure"), "{err}");

    opts.registry.insecure = true;
    let img = open(&reference, &opts).unwrap();
    assert_matches_built(&img, &built);
}

/// Rewrites one byte of a stored blob in place (same size: the registry checks sizes).
fn corrupt(path: &Path, offset: usize) {
    let mut data = std::fs::read(path).unwrap();
    data[offset] ^= 0x55;
    std::fs::write(path, data).unwrap();
}

#[test]
fn corrupt_blob_is_reported_and_not_cached() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    // Two corruptions: in the middle of the compressed data (the decompressor or the
    // diff_id notices first) and in the gzip header's mtime field (only the digest can
    // tell: the layer decompresses to the right tar).
    for (name, offset) in [("middle", None), ("header", Some(4usize))] {
        // Distinct blobs per case: the registry's blob store is shared between repositories.
        let built = sample().layer("RUN echo", |l| l.file("case", name)).build();
        let repo = format!("corrupt/{name}");
        reg.push(&repo, "v1", &built);
        let bad = &built.layers[2];
        let offset = offset.unwrap_or(bad.data.len() / 2);
        corrupt(&reg.blob_path(&bad.digest), offset);

        let cache = tempfile::tempdir().unwrap();
        let reference = format!("{}/{repo}:v1", reg.host());
        let img = open(&reference, &options(cache.path())).unwrap();
        let s = scan(&img);
        let errors: Vec<(usize, &str)> = s.layer_errors().collect();
        assert_eq!(errors.len(), 1, "{name}: {errors:#?}");
        let (index, message) = errors[0];
        assert_eq!(index, 2);
        assert!(message.contains(&reference), "{message}");
        assert!(
            message.contains(&format!("layer 2 ({})", bad.digest)),
            "{message}"
        );
        assert!(
            message.contains(&format!("digest mismatch: expected {}", bad.digest)),
            "{name}: {message}"
        );
        // The good layer was cached, the corrupt one was not.
        let store = BlobCache::new(cache.path());
        let good = image::Digest::parse(&built.layers[0].digest).unwrap();
        let bad_d = image::Digest::parse(&bad.digest).unwrap();
        assert!(store.contains(&good), "{name}: good layer cached");
        assert!(
            !store.contains(&bad_d),
            "{name}: corrupt layer must not be cached"
        );
        let leftovers: Vec<_> = std::fs::read_dir(store.tmp_dir())
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert_eq!(leftovers, Vec::<std::path::PathBuf>::new(), "{name}");
    }
}

#[test]
fn corrupt_config_is_reported() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("corrupt/config", "v1", &built);
    corrupt(&reg.blob_path(&built.config.digest), 10);
    let cache = tempfile::tempdir().unwrap();
    let err = open(
        &format!("{}/corrupt/config:v1", reg.host()),
        &options(cache.path()),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Blob { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("blob {}", built.config.digest)) && text.contains("digest mismatch"),
        "{text}"
    );
}

#[test]
fn layers_come_from_the_cache_once_fetched() {
    let Some(mut reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("cached/app", "v1", &built);
    let reference = format!("{}/cached/app:v1", reg.host());
    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path());
    let first = open(&reference, &opts).unwrap();
    assert_matches_built(&first, &built);
    let store = BlobCache::new(cache.path());
    for l in &built.layers {
        let d = image::Digest::parse(&l.digest).unwrap();
        assert_eq!(std::fs::read(store.blob_path(&d)).unwrap(), l.data);
    }

    // Open (manifest and config) while the registry runs, then stop it: the layers are
    // read from the cache only.
    let second = open(&reference, &opts).unwrap();
    reg.stop();
    let s = scan(&second);
    assert_eq!(s.layer_errors().collect::<Vec<_>>(), vec![]);
    assert_eq!(s.tree.get("usr/bin/curl").unwrap().layer, 1);

    // A tampered cache entry is caught on read (cached blobs are verified every time).
    let d = image::Digest::parse(&built.layers[0].digest).unwrap();
    corrupt(&store.blob_path(&d), 20);
    let s = scan(&second);
    let errors: Vec<(usize, &str)> = s.layer_errors().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].1.contains(&format!(
            "layer 0 ({d}): blob verification failed: digest mismatch: expected {d}"
        )),
        "{}",
        errors[0].1
    );
    // ... and evicted, so that the next scan fetches it again.
    assert!(!store.contains(&d));
}

#[test]
fn retries_503_then_succeeds() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("flaky/app", "v1", &built);
    let proxy = Proxy::failing_first(reg.addr(), 2, 503);
    let reference = format!("{}/flaky/app:v1", proxy.host());
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    opts.registry.attempts = 4;
    let img = open(&reference, &opts).unwrap();
    assert_matches_built(&img, &built);
    let manifest_requests = proxy
        .requests()
        .iter()
        .filter(|r| r.target == "/v2/flaky/app/manifests/v1")
        .count();
    assert_eq!(manifest_requests, 3, "two 503s, then the answer");

    // With fewer attempts than failures the error says what the registry answered.
    let proxy = Proxy::failing_first(reg.addr(), 5, 503);
    opts.registry.attempts = 2;
    let err = open(&format!("{}/flaky/app:v1", proxy.host()), &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("503"), "{err}");
    assert!(err.contains(&format!("registry {}", proxy.host())), "{err}");
    assert_eq!(proxy.requests().len(), 2);
}

/// A token service and a gate in front of an anonymous registry: requests without
/// `Authorization: Bearer <token>` get a `401` Bearer challenge whose realm is the proxy's
/// own `/token` endpoint, which wants basic credentials.
fn bearer_proxy(reg: &Registry, token: &'static str) -> (Proxy, Arc<Mutex<Vec<String>>>) {
    let token_requests = Arc::new(Mutex::new(Vec::new()));
    let log = token_requests.clone();
    let realm = Arc::new(Mutex::new(String::new()));
    let realm2 = realm.clone();
    let proxy = Proxy::start(reg.addr(), move |req| {
        if req.method == "POST" && req.target == "/token" {
            // OAuth2 refresh-token grant, for identity tokens from `docker login`.
            let form = String::from_utf8_lossy(&req.body).into_owned();
            log.lock().unwrap().push(format!("POST {form}"));
            if !form.contains("grant_type=refresh_token&refresh_token=refresh-0f1e&") {
                return Action::status(401);
            }
            return Action::Respond {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: format!(r#"{{"access_token":"{token}","expires_in":300}}"#).into_bytes(),
            };
        }
        if req.target.starts_with("/token?") {
            log.lock().unwrap().push(req.target.clone());
            let expected = plimsoll_testkit::registry::basic("bob", SECRET);
            if req.header("authorization") != Some(expected.as_str()) {
                return Action::status(401);
            }
            return Action::Respond {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: format!(r#"{{"token":"{token}","expires_in":300}}"#).into_bytes(),
            };
        }
        if req.header("authorization") == Some(format!("Bearer {token}").as_str()) {
            return Action::Forward;
        }
        let realm = realm2.lock().unwrap().clone();
        Action::Respond {
            status: 401,
            headers: vec![(
                "WWW-Authenticate".into(),
                format!(
                    r#"Bearer realm="{realm}",service="test-registry",scope="repository:tok/app:pull""#
                ),
            )],
            body: br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
                .to_vec(),
        }
    });
    *realm.lock().unwrap() = format!("http://{}/token", proxy.host());
    (proxy, token_requests)
}

#[test]
fn bearer_token_flow() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("tok/app", "v1", &built);
    let (proxy, token_requests) = bearer_proxy(&reg, "tkn-123");
    let reference = format!("{}/tok/app:v1", proxy.host());
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    opts.registry.credential = Some(Credential::Basic {
        username: "bob".into(),
        password: SECRET.into(),
    });
    let img = open(&reference, &opts).unwrap();
    assert_matches_built(&img, &built);
    let tokens = token_requests.lock().unwrap().clone();
    assert_eq!(
        tokens,
        vec!["/token?service=test-registry&scope=repository%3Atok%2Fapp%3Apull".to_string()],
        "one token, fetched once, for the challenge's service and scope"
    );
    // Every forwarded request carried the token.
    for r in proxy.requests() {
        if !r.target.starts_with("/token") && r.header("authorization").is_some() {
            assert_eq!(r.header("authorization"), Some("Bearer tkn-123"));
        }
    }

    // Wrong basic credentials at the token service: a clear error without the secret.
    opts.registry.credential = Some(Credential::Basic {
        username: "bob".into(),
        password: "not-the-Pa55word".into(),
    });
    let err = open(&reference, &opts).unwrap_err().to_string();
    assert!(
        err.contains("401 from token service") && err.contains("rejected the credentials"),
        "{err}"
    );
    assert!(!err.contains("not-the-Pa55word"), "{err}");
}

#[test]
fn plain_http_realm_elsewhere_gets_no_credentials() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    reg.push("tok/app", "v1", &sample().build());
    // A registry on loopback (a port-forward, say) naming a plain-HTTP realm on another
    // host: sending the password there would expose it on the network.
    let proxy = Proxy::start(reg.addr(), |_| Action::Respond {
        status: 401,
        headers: vec![(
            "WWW-Authenticate".into(),
            r#"Bearer realm="http://auth.invalid/token",service="s""#.into(),
        )],
        body: Vec::new(),
    });
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    opts.registry.credential = Some(Credential::Basic {
        username: "bob".into(),
        password: SECRET.into(),
    });
    let err = open(&format!("{}/tok/app:v1", proxy.host()), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "token realm http://auth.invalid/token is plain HTTP; refusing to send credentials without --insecure"
        ),
        "{err}"
    );
}

#[test]
fn same_host_redirect_keeps_credentials() {
    let Some(reg) = Registry::start(RegistryConfig::htpasswd("alice", SECRET)) else {
        return;
    };
    let built = sample().build();
    reg.push("private/app", "v1", &built);
    // Blob requests are redirected to another path on the same host (as registries behind
    // some proxies and CDNs do); the registry there still wants the credentials.
    let proxy = Proxy::start(reg.addr(), |req| {
        if req.target.contains("/blobs/") && !req.target.contains('?') {
            let host = req.header("host").unwrap_or("").to_string();
            Action::Respond {
                status: 307,
                headers: vec![(
                    "Location".into(),
                    format!("http://{host}{}?redirected=1", req.target),
                )],
                body: Vec::new(),
            }
        } else {
            Action::Forward
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    opts.registry.credential = Some(Credential::Basic {
        username: "alice".into(),
        password: SECRET.into(),
    });
    let img = open(&format!("{}/private/app:v1", proxy.host()), &opts).unwrap();
    assert_matches_built(&img, &built);
    let redirected: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.target.ends_with("?redirected=1"))
        .collect();
    // The config and two layers.
    assert_eq!(redirected.len(), 3, "{redirected:?}");
    for r in redirected {
        assert!(r.header("authorization").is_some(), "{r:?}");
    }
}

#[test]
fn identity_token_is_exchanged_for_an_access_token() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("tok/app", "v1", &built);
    let (proxy, token_requests) = bearer_proxy(&reg, "tkn-456");
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    opts.registry.credential = Some(Credential::IdentityToken("refresh-0f1e".into()));
    let img = open(&format!("{}/tok/app:v1", proxy.host()), &opts).unwrap();
    assert_matches_built(&img, &built);
    assert_eq!(
        token_requests.lock().unwrap().clone(),
        vec![
            "POST grant_type=refresh_token&refresh_token=refresh-0f1e&service=test-registry\
             &scope=repository%3Atok%2Fapp%3Apull&client_id=plimsoll"
                .to_string()
        ]
    );

    opts.registry.credential = Some(Credential::IdentityToken("revoked-0f1e".into()));
    let err = open(&format!("{}/tok/app:v1", proxy.host()), &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("401 from token service"), "{err}");
    assert!(!err.contains("revoked-0f1e"), "{err}");
}

#[test]
fn retries_dropped_connections_and_429() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("flaky/app", "v1", &built);
    // Every path fails once: a hang-up for blobs (the client knows the scheme by then), a
    // 429 with Retry-After for the manifest; the second try goes through.
    let seen = Mutex::new(std::collections::HashSet::new());
    let proxy = Proxy::start(reg.addr(), move |req| {
        if seen.lock().unwrap().insert(req.target.clone()) {
            if req.target.contains("/blobs/") {
                Action::Hangup
            } else {
                Action::Respond {
                    status: 429,
                    headers: vec![("Retry-After".into(), "0".into())],
                    body: Vec::new(),
                }
            }
        } else {
            Action::Forward
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let img = open(
        &format!("{}/flaky/app:v1", proxy.host()),
        &options(cache.path()),
    )
    .unwrap();
    assert_matches_built(&img, &built);
    let requests = proxy.requests();
    assert_eq!(
        requests.len(),
        2 * (2 + built.layers.len()),
        "{requests:#?}"
    );
}

/// `Retry-After` as an HTTP-date (RFC 9110 §10.2.3). A date already past means "now": with
/// a backoff longer than the whole timeout, only the honoured header allows the retry. A
/// date an hour ahead (capped at 30 s) is past the deadline: the registry's answer is
/// reported after one request, not five.
#[test]
fn retry_after_as_an_http_date() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("flaky/app", "v1", &built);
    let manifest = "/v2/flaky/app/manifests/v1";
    let seen = Mutex::new(false);
    let proxy = Proxy::start(reg.addr(), move |req| {
        let mut seen = seen.lock().unwrap();
        if req.target == manifest && !*seen {
            *seen = true;
            return Action::Respond {
                status: 503,
                headers: vec![("Retry-After".into(), "Sun, 06 Nov 1994 08:49:37 GMT".into())],
                body: Vec::new(),
            };
        }
        Action::Forward
    });
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    opts.registry.backoff = Duration::from_secs(60);
    let img = open(&format!("{}/flaky/app:v1", proxy.host()), &opts).unwrap();
    assert_matches_built(&img, &built);
    let tries = proxy
        .requests()
        .iter()
        .filter(|r| r.target == manifest)
        .count();
    assert_eq!(tries, 2, "a 503, then the answer");

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let later = plimsoll_testkit::bucket::http_date(now + 3600);
    let proxy = Proxy::start(reg.addr(), move |_| Action::Respond {
        status: 429,
        headers: vec![("Retry-After".into(), later.clone())],
        body: Vec::new(),
    });
    let mut opts = options(cache.path());
    opts.registry.attempts = 5;
    let err = open(&format!("{}/flaky/app:v1", proxy.host()), &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("429 Too Many Requests"), "{err}");
    assert_eq!(proxy.requests().len(), 1, "{:#?}", proxy.requests());
}

/// One deadline bounds the whole request: after a 503 that asks for 2 s and a dropped
/// connection, the next wait (a backoff of at least 2 s) would reach the 3 s deadline, so no
/// third attempt is made and the error names the deadline and the attempts.
#[test]
fn no_retry_starts_that_the_deadline_would_cut() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    reg.push("flaky/app", "v1", &sample().build());
    let first = Mutex::new(true);
    let proxy = Proxy::start(reg.addr(), move |_| {
        if std::mem::replace(&mut *first.lock().unwrap(), false) {
            Action::Respond {
                status: 503,
                headers: vec![("Retry-After".into(), "2".into())],
                body: Vec::new(),
            }
        } else {
            Action::Hangup
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    opts.registry.attempts = 5;
    opts.registry.backoff = Duration::from_secs(4);
    opts.registry.timeout = Duration::from_secs(3);
    let err = open(&format!("{}/flaky/app:v1", proxy.host()), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("flaky/app/manifests/v1 not answered within --timeout 3s (2 attempts)"),
        "{err}"
    );
    assert_eq!(proxy.requests().len(), 2, "{:#?}", proxy.requests());
}

#[test]
fn expired_token_is_renewed() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("tok/app", "v1", &built);
    // Each token is good for two requests (a short expiry); then the registry answers 401
    // with a new challenge, and the client must fetch a new token and repeat the request.
    let state = Arc::new(Mutex::new((
        0u32,
        std::collections::HashMap::<String, u32>::new(),
    )));
    let realm = Arc::new(Mutex::new(String::new()));
    let (st, realm2) = (state.clone(), realm.clone());
    let proxy = Proxy::start(reg.addr(), move |req| {
        let mut st = st.lock().unwrap();
        if req.target.starts_with("/token?") {
            st.0 += 1;
            let token = format!("t{}", st.0);
            st.1.insert(token.clone(), 0);
            return Action::Respond {
                status: 200,
                headers: vec![],
                body: format!(r#"{{"token":"{token}"}}"#).into_bytes(),
            };
        }
        if let Some(tok) = req
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            && let Some(uses) = st.1.get_mut(tok)
            && *uses < 2
        {
            *uses += 1;
            return Action::Forward;
        }
        Action::Respond {
            status: 401,
            headers: vec![(
                "WWW-Authenticate".into(),
                format!(
                    r#"Bearer realm="{}",service="s",scope="repository:tok/app:pull""#,
                    realm2.lock().unwrap()
                ),
            )],
            body: Vec::new(),
        }
    });
    *realm.lock().unwrap() = format!("http://{}/token", proxy.host());
    let cache = tempfile::tempdir().unwrap();
    let img = open(
        &format!("{}/tok/app:v1", proxy.host()),
        &options(cache.path()),
    )
    .unwrap();
    assert_matches_built(&img, &built);
    let issued = state.lock().unwrap().0;
    // Manifest, config and two layers: four requests need at least two tokens.
    assert!(issued >= 2, "{issued} tokens");
}

#[test]
fn unreachable_registry_names_what_was_tried() {
    let Some(mut reg) = Registry::anonymous() else {
        return;
    };
    let host = reg.host();
    reg.stop();
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    opts.registry.attempts = 2;
    let err = open(&format!("{host}/team/app:v1"), &opts)
        .unwrap_err()
        .to_string();
    // A loopback registry is tried with https, then plain http.
    assert!(
        err.starts_with(&format!(
            "registry {host}: https://{host}/v2/team/app/manifests/v1: "
        )) && err.contains(&format!("; http://{host}/v2/team/app/manifests/v1: ")),
        "{err}"
    );
    assert!(err.contains("Connection refused"), "{err}");
}

#[test]
fn layers_larger_than_http_body_defaults() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    // 12 MiB of incompressible bytes: over the 10 MB that HTTP clients often buffer by default.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let data: Vec<u8> = (0..12 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let built = ImageBuilder::new()
        .layer("ADD big /", |l| l.file("opt/big.bin", &data))
        .build();
    assert!(built.layers[0].data.len() > 12 << 20);
    reg.push("big/app", "v1", &built);
    let cache = tempfile::tempdir().unwrap();
    let img = open(
        &format!("{}/big/app:v1", reg.host()),
        &options(cache.path()),
    )
    .unwrap();
    assert_matches_built(&img, &built);
    let s = scan(&img);
    assert_eq!(s.tree.get("opt/big.bin").unwrap().size, 12 << 20);
}

#[test]
fn tls_with_basic_auth() {
    let config = RegistryConfig {
        htpasswd: Some(("alice".into(), SECRET.into())),
        tls: true,
    };
    let Some(reg) = Registry::start(config) else {
        return;
    };
    let built = sample().docker_media_types().build();
    reg.push("secure/private", "v1", &built);
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path());
    opts.registry.insecure = true;
    let reference = format!("{}/secure/private:v1", reg.host());
    let err = open(&reference, &opts).unwrap_err().to_string();
    assert!(err.contains("authentication required"), "{err}");
    opts.registry.credential = Some(Credential::Basic {
        username: "alice".into(),
        password: SECRET.into(),
    });
    let img = open(&reference, &opts).unwrap();
    assert_matches_built(&img, &built);
}
