//! `plimsoll image` against a real Distribution registry on loopback
//! (`/usr/bin/docker-registry`, started by `plimsoll_testkit::registry`): the built binary,
//! its JSON report, its error messages and exit codes.

mod common;

use plimsoll_testkit::registry::{Action, Proxy, Registry, RegistryConfig};
use plimsoll_testkit::{BuiltImage, DOCKER_MANIFEST, ImageBuilder, OCI_MANIFEST};
use serde_json::Value;
use std::path::{Path, PathBuf};

const USER: &str = "alice";
const SECRET: &str = "Tr0ub4dor-and-3";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }
    fn ok(&self) -> Value {
        assert_eq!(
            self.code, 0,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self.json()
    }
    fn failed(&self, code: i32) -> &str {
        assert_eq!(
            self.code, code,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        &self.stderr
    }
    fn assert_hides(&self, secret: &str) {
        assert!(!self.stdout.contains(secret), "{}", self.stdout);
        assert!(!self.stderr.contains(secret), "{}", self.stderr);
    }
}

/// Runs `plimsoll image REF --format json --cache-dir CACHE ARGS…` with a clean environment
/// as far as credentials go: no PLIMSOLL_* variables and an empty Docker config directory
/// unless `env` sets them.
fn plimsoll(reference: &str, cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let empty_docker_config = tempfile::tempdir().unwrap();
    let mut cmd = common::bin();
    cmd.arg("image")
        .arg(reference)
        .args(["--format", "json", "--cache-dir"])
        .arg(cache)
        .args(args)
        .env_remove("PLIMSOLL_USERNAME")
        .env_remove("PLIMSOLL_PASSWORD")
        .env_remove("PLIMSOLL_CACHE_DIR")
        // Registry access is the subject here: no vulnerability database, no download.
        .env("PLIMSOLL_SCANNERS", "none")
        .env("DOCKER_CONFIG", empty_docker_config.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run plimsoll");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sample() -> ImageBuilder {
    ImageBuilder::new()
        .layer("/bin/sh -c #(nop) ADD file:0a1b in / ", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file("etc/motd", "hello")
        })
        .empty_step("/bin/sh -c #(nop)  ENV LANG=C.UTF-8")
        .layer("/bin/sh -c apt-get install -y curl", |l| {
            l.file("usr/bin/curl", "curl-binary").whiteout("etc/motd")
        })
}

/// The report's artifact describes exactly the pushed image.
fn assert_report(report: &Value, built: &BuiltImage, reference: &str) {
    let a = &report["artifact"];
    assert_eq!(report["schema_version"], 2);
    assert_eq!(a["name"], reference);
    assert_eq!(a["source"], "registry");
    assert_eq!(a["kind"], "container_image");
    assert_eq!(a["digest"], built.manifest.digest.as_str());
    assert_eq!(a["config_digest"], built.config.digest.as_str());
    assert_eq!(a["media_type"], built.manifest.media_type.as_str());
    let (os, arch, _) = &built.platform;
    assert_eq!(a["platform"]["os"], os.as_str());
    assert_eq!(a["platform"]["architecture"], arch.as_str());
    let layers = a["layers"].as_array().unwrap();
    assert_eq!(layers.len(), built.layers.len());
    for (i, (l, b)) in layers.iter().zip(&built.layers).enumerate() {
        assert_eq!(l["index"], i);
        assert_eq!(l["digest"], b.digest.as_str());
        assert_eq!(l["diff_id"], built.diff_ids[i].as_str());
        assert_eq!(l["size"], b.data.len());
        assert_eq!(l["media_type"], b.media_type.as_str());
        assert_eq!(l["uncompressed_size"], built.tars[i].len());
        assert!(l.get("error").is_none(), "{l}");
    }
}

fn assert_sample_history(report: &Value) {
    let layers = report["artifact"]["layers"].as_array().unwrap();
    assert_eq!(
        layers[0]["created_by"],
        "/bin/sh -c #(nop) ADD file:0a1b in / "
    );
    assert_eq!(
        layers[1]["created_by"],
        "/bin/sh -c apt-get install -y curl"
    );
    assert_eq!(layers[1]["deletions"], serde_json::json!(["etc/motd"]));
    assert_eq!(layers[0]["compression"], "gzip");
}

#[test]
fn pull_by_tag_and_by_digest() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    let digest = reg.push("team/app", "v1", &built);
    let cache = tempfile::tempdir().unwrap();

    let reference = format!("{}/team/app:v1", reg.host());
    let report = plimsoll(&reference, cache.path(), &[], &[]).ok();
    assert_report(&report, &built, &reference);
    assert_sample_history(&report);
    assert_eq!(report["artifact"]["reference"], reference.as_str());
    assert!(report["artifact"].get("index_digest").is_none());

    // `localhost` is loopback too: plain HTTP without --insecure.
    let by_name = format!("localhost:{}/team/app:v1", reg.addr().port());
    let report = plimsoll(&by_name, cache.path(), &[], &[]).ok();
    assert_report(&report, &built, &by_name);

    let by_digest = format!("{}/team/app@{digest}", reg.host());
    let report = plimsoll(&by_digest, cache.path(), &[], &[]).ok();
    assert_report(&report, &built, &by_digest);

    let run = plimsoll(
        &format!("{}/team/app:v2", reg.host()),
        cache.path(),
        &[],
        &[],
    );
    let err = run.failed(2);
    assert!(
        err.contains(&format!(
            "registry {}: 404 Not Found: team/app/manifests/v2",
            reg.host()
        )),
        "{err}"
    );
}

#[test]
fn docker_and_oci_media_types() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    for (repo, built) in [
        ("media/docker", sample().docker_media_types().build()),
        ("media/oci", sample().build()),
    ] {
        reg.push(repo, "1", &built);
        let reference = format!("{}/{repo}:1", reg.host());
        let report = plimsoll(&reference, cache.path(), &[], &[]).ok();
        assert_report(&report, &built, &reference);
        assert_sample_history(&report);
        let want = if repo == "media/docker" {
            (
                DOCKER_MANIFEST,
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
            )
        } else {
            (OCI_MANIFEST, "application/vnd.oci.image.layer.v1.tar+gzip")
        };
        assert_eq!(report["artifact"]["media_type"], want.0);
        assert_eq!(report["artifact"]["layers"][0]["media_type"], want.1);
    }
}

#[test]
fn multi_platform_index() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let mk = |arch: &str| {
        ImageBuilder::new()
            .platform("linux", arch, None)
            .layer(&format!("ADD rootfs-{arch} /"), |l| {
                l.file("etc/arch", arch)
            })
            .build()
    };
    let (amd, arm) = (mk("amd64"), mk("arm64"));
    let index = plimsoll_testkit::multi_platform_index(&[&amd, &arm]);
    let index_digest = reg.push_index("multi/app", "2", &index, &[&amd, &arm]);
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/multi/app:2", reg.host());

    let report = plimsoll(
        &reference,
        cache.path(),
        &["--platform", "linux/arm64"],
        &[],
    )
    .ok();
    assert_report(&report, &arm, &reference);
    assert_eq!(report["artifact"]["index_digest"], index_digest.as_str());
    assert_eq!(
        report["artifact"]["layers"][0]["created_by"],
        "ADD rootfs-arm64 /"
    );

    let report = plimsoll(
        &reference,
        cache.path(),
        &["--platform", "linux/amd64"],
        &[],
    )
    .ok();
    assert_report(&report, &amd, &reference);

    let run = plimsoll(
        &reference,
        cache.path(),
        &["--platform", "linux/s390x"],
        &[],
    );
    let err = run.failed(2);
    assert!(
        err.contains(&format!(
            "{reference}: no image for platform linux/s390x; available: linux/amd64, linux/arm64"
        )),
        "{err}"
    );
    assert!(run.stdout.is_empty());
}

fn private_registry() -> Option<(Registry, BuiltImage, String)> {
    let reg = Registry::start(RegistryConfig::htpasswd(USER, SECRET))?;
    let built = sample().build();
    reg.push("private/app", "v1", &built);
    let reference = format!("{}/private/app:v1", reg.host());
    Some((reg, built, reference))
}

#[test]
fn basic_auth_from_flags_and_environment() {
    let Some((reg, built, reference)) = private_registry() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();

    let run = plimsoll(&reference, cache.path(), &[], &[]);
    let err = run.failed(2);
    assert!(
        err.contains(&format!(
            "registry {}: 401 Unauthorized: authentication required",
            reg.host()
        )),
        "{err}"
    );

    let run = plimsoll(
        &reference,
        cache.path(),
        &["--username", USER, "--password", SECRET],
        &[],
    );
    assert_report(&run.ok(), &built, &reference);
    run.assert_hides(SECRET);

    let run = plimsoll(
        &reference,
        cache.path(),
        &[],
        &[("PLIMSOLL_USERNAME", USER), ("PLIMSOLL_PASSWORD", SECRET)],
    );
    assert_report(&run.ok(), &built, &reference);

    // --password-stdin keeps the secret out of the process list.
    let mut child = common::bin()
        .args(["image", &reference, "--format", "json", "--cache-dir"])
        .arg(cache.path())
        .args(["--username", USER, "--password-stdin", "--scanners", "none"])
        .env_remove("PLIMSOLL_USERNAME")
        .env_remove("PLIMSOLL_PASSWORD")
        .env("DOCKER_CONFIG", cache.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{SECRET}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_report(&run.ok(), &built, &reference);
    run.assert_hides(SECRET);

    // Flags win over a wrong Docker config entry.
    let docker = docker_config(&reg.host(), "alice", "stale-password");
    let run = plimsoll(
        &reference,
        cache.path(),
        &["--username", USER, "--password", SECRET],
        &[("DOCKER_CONFIG", docker.path().to_str().unwrap())],
    );
    assert_report(&run.ok(), &built, &reference);
}

#[test]
fn bad_password_is_a_clear_401() {
    let Some((reg, _built, reference)) = private_registry() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let wrong = "Wr0ng-horse-battery";
    for run in [
        plimsoll(
            &reference,
            cache.path(),
            &["--username", USER, "--password", wrong],
            &[],
        ),
        plimsoll(
            &reference,
            cache.path(),
            &[],
            &[("PLIMSOLL_USERNAME", USER), ("PLIMSOLL_PASSWORD", wrong)],
        ),
    ] {
        let err = run.failed(2);
        assert!(
            err.contains(&format!(
                "registry {}: 401 Unauthorized: the registry rejected the credentials",
                reg.host()
            )),
            "{err}"
        );
        assert!(run.stdout.is_empty());
        run.assert_hides(wrong);
        run.assert_hides(SECRET);
    }
}

/// A Docker config directory whose `config.json` has an `auths` entry for `host`.
fn docker_config(host: &str, user: &str, password: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let header = plimsoll_testkit::registry::basic(user, password);
    let auth = header.trim_start_matches("Basic ");
    let config = serde_json::json!({"auths": {host: {"auth": auth}}});
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    dir
}

#[test]
fn credentials_from_docker_config() {
    let Some((reg, built, reference)) = private_registry() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let docker = docker_config(&reg.host(), USER, SECRET);
    let run = plimsoll(
        &reference,
        cache.path(),
        &[],
        &[("DOCKER_CONFIG", docker.path().to_str().unwrap())],
    );
    assert_report(&run.ok(), &built, &reference);

    let docker = docker_config(&reg.host(), USER, "stale-password");
    let run = plimsoll(
        &reference,
        cache.path(),
        &[],
        &[("DOCKER_CONFIG", docker.path().to_str().unwrap())],
    );
    let err = run.failed(2);
    assert!(err.contains("rejected the credentials"), "{err}");
    run.assert_hides("stale-password");
}

#[test]
fn credentials_from_a_credential_helper() {
    let Some((reg, built, reference)) = private_registry() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let asked = bin.path().join("asked");
    let helper = bin.path().join("docker-credential-plimsolltest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n\
             [ \"$1\" = get ] || exit 1\n\
             read -r server\n\
             printf '%s' \"$server\" > '{asked}'\n\
             if [ \"$server\" = '{host}' ]; then\n\
             printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{SECRET}\"}}\\n' \"$server\"\n\
             else echo 'credentials not found in native keychain'; exit 1; fi\n",
            asked = asked.display(),
            host = reg.host(),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let docker = tempfile::tempdir().unwrap();
    let config = serde_json::json!({"credHelpers": {reg.host(): "plimsolltest"}});
    std::fs::write(docker.path().join("config.json"), config.to_string()).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [
        ("DOCKER_CONFIG", docker.path().to_str().unwrap()),
        ("PATH", path.as_str()),
    ];
    let run = plimsoll(&reference, cache.path(), &[], &env);
    assert_report(&run.ok(), &built, &reference);
    run.assert_hides(SECRET);
    assert_eq!(std::fs::read_to_string(&asked).unwrap(), reg.host());

    // A helper that fails: the error names it, and does not repeat its output. (It reads
    // its input first, as real helpers do: one that exits before reading makes writing the
    // server name fail, which docker_credential reports as a communication error.)
    std::fs::write(
        &helper,
        "#!/bin/sh\nread -r server\necho \"leaked-helper-output for $server\"; exit 1\n",
    )
    .unwrap();
    let run = plimsoll(&reference, cache.path(), &[], &env);
    let err = run.failed(2);
    assert!(
        err.contains("credential helper docker-credential-plimsolltest failed"),
        "{err}"
    );
    run.assert_hides("leaked-helper-output");
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
    let run = plimsoll(&reference, cache.path(), &[], &[]);
    let err = run.failed(2);
    assert!(
        err.contains("TLS certificate verification failed") && err.contains("--insecure"),
        "{err}"
    );
    let report = plimsoll(&reference, cache.path(), &["--insecure"], &[]).ok();
    assert_report(&report, &built, &reference);
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn corrupt_blob_fails_with_exit_2_and_stays_out_of_the_cache() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("corrupt/app", "v1", &built);
    let bad = &built.layers[1];
    let good = &built.layers[0];
    // Same size, different content: the registry serves it; only the digest can tell.
    let path = reg.blob_path(&bad.digest);
    let mut data = std::fs::read(&path).unwrap();
    data[4] ^= 0x5a;
    std::fs::write(&path, data).unwrap();

    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/corrupt/app:v1", reg.host());
    let run = plimsoll(&reference, cache.path(), &[], &[]);
    let err = run.failed(2).to_string();
    assert!(
        err.contains(&format!(
            "error: {reference}: layer 1 ({}): blob verification failed: digest mismatch: expected {}",
            bad.digest, bad.digest
        )),
        "{err}"
    );
    // The report of the rest is still written, with the error on the layer.
    let report = run.json();
    let layers = report["artifact"]["layers"].as_array().unwrap();
    assert!(layers[0].get("error").is_none());
    assert!(
        layers[1]["error"]
            .as_str()
            .unwrap()
            .contains("digest mismatch"),
        "{}",
        layers[1]
    );
    let hex_bad = bad.digest.trim_start_matches("sha256:");
    let hex_good = good.digest.trim_start_matches("sha256:");
    // The layer cache (`layers/`) keeps the walk of the good layer only; blobs are the rest.
    let (walks, cached): (Vec<_>, Vec<_>) = files_under(cache.path())
        .into_iter()
        .partition(|p| p.starts_with(cache.path().join("layers")));
    assert_eq!(walks.len(), 1, "only the good layer's walk: {walks:?}");
    assert!(
        !cached.iter().any(|p| p.to_string_lossy().contains(hex_bad)),
        "corrupt blob in the cache: {cached:?}"
    );
    assert!(
        cached
            .iter()
            .any(|p| p.to_string_lossy().contains(hex_good)),
        "good blob cached: {cached:?}"
    );
    // No half-written download is left behind either.
    assert_eq!(
        cached.len(),
        1,
        "only the good layer is in the cache: {cached:?}"
    );
}

#[test]
fn second_scan_reads_layers_from_the_cache() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("cached/app", "v1", &built);
    let reference = format!("{}/cached/app:v1", reg.host());
    let cache = tempfile::tempdir().unwrap();
    let first = plimsoll(&reference, cache.path(), &[], &[]).ok();
    assert_report(&first, &built, &reference);

    // Remove the layer blobs from the registry's storage: manifests and config still come
    // from the registry, layers can only come from the cache.
    for l in &built.layers {
        std::fs::remove_file(reg.blob_path(&l.digest)).unwrap();
    }
    let second = plimsoll(&reference, cache.path(), &[], &[]).ok();
    assert_report(&second, &built, &reference);
    assert_eq!(first["artifact"]["layers"], second["artifact"]["layers"]);

    // Proof that the registry no longer has them: a cold cache fails, naming the layer.
    let cold = tempfile::tempdir().unwrap();
    let run = plimsoll(&reference, cold.path(), &[], &[]);
    let err = run.failed(2);
    assert!(
        err.contains(&format!(
            "layer 0 ({d}): registry {}: 404 Not Found: cached/app/blobs/{d}: the registry does not have this blob",
            reg.host(),
            d = built.layers[0].digest
        )),
        "{err}"
    );
    // --no-cache does not read the cache.
    let run = plimsoll(&reference, cache.path(), &["--no-cache"], &[]);
    run.failed(2);
}

#[test]
fn retries_after_503() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("flaky/app", "v1", &built);
    let proxy = Proxy::failing_first(reg.addr(), 2, 503);
    let reference = format!("{}/flaky/app:v1", proxy.host());
    let cache = tempfile::tempdir().unwrap();
    let report = plimsoll(&reference, cache.path(), &[], &[]).ok();
    assert_report(&report, &built, &reference);
    let requests = proxy.requests();
    assert!(
        requests[..3]
            .iter()
            .all(|r| r.target == "/v2/flaky/app/manifests/v1"),
        "{requests:?}"
    );
}

#[test]
fn bearer_token_from_the_environment() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let built = sample().build();
    reg.push("tok/app", "v1", &built);
    let realm = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let realm2 = realm.clone();
    let proxy = Proxy::start(reg.addr(), move |req| {
        if req.target.starts_with("/token?") {
            let ok = req.header("authorization")
                == Some(plimsoll_testkit::registry::basic(USER, SECRET).as_str());
            return if ok && req.target.contains("scope=repository%3Atok%2Fapp%3Apull") {
                Action::Respond {
                    status: 200,
                    headers: vec![],
                    body: br#"{"access_token":"cli-token"}"#.to_vec(),
                }
            } else {
                Action::status(401)
            };
        }
        if req.header("authorization") == Some("Bearer cli-token") {
            return Action::Forward;
        }
        Action::Respond {
            status: 401,
            headers: vec![(
                "Www-Authenticate".into(),
                format!(
                    "Bearer realm=\"{}\",service=\"test\",scope=\"repository:tok/app:pull\"",
                    realm2.lock().unwrap()
                ),
            )],
            body: vec![],
        }
    });
    *realm.lock().unwrap() = format!("http://{}/token", proxy.host());
    let reference = format!("{}/tok/app:v1", proxy.host());
    let cache = tempfile::tempdir().unwrap();
    let run = plimsoll(
        &reference,
        cache.path(),
        &[],
        &[("PLIMSOLL_USERNAME", USER), ("PLIMSOLL_PASSWORD", SECRET)],
    );
    assert_report(&run.ok(), &built, &reference);
    let forwarded = proxy
        .requests()
        .iter()
        .filter(|r| r.header("authorization") == Some("Bearer cli-token"))
        .count();
    // The manifest, the config and two layers.
    assert_eq!(forwarded, 4);
}
