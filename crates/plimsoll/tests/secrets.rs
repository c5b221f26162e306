//! The secrets scanner end to end: an image with a planted secret of every rule kind — in
//! files, in a file a later layer deletes, in Env, in a label and in the history — is
//! scanned in every format; each secret is found in the right layer, and no planted value
//! appears in any output, message or cache file.

mod common;

use common::{json, ok, plimsoll, s, text};
use plimsoll_testkit::ImageBuilder;
use plimsoll_testkit::secrets::{Fake, cases};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Everything planted, and where.
struct Planted {
    /// (rule id, path in the image, line, layer)
    files: Vec<(String, String, u64, usize)>,
    values: Vec<String>,
}

fn planted_image(dir: &Path) -> Planted {
    let mut f = Fake(0x5EED_1234_ABCD_0001);
    let gh_env = format!("ghp_{}", f.alnum(36));
    let slack_label = format!(
        "xoxb-{}-{}-{}",
        f.from("0123456789", 12),
        f.from("0123456789", 13),
        f.alnum(24)
    );
    let gitlab_history = format!("glpat-{}", f.urlsafe(20));
    let deleted = format!("ghp_{}", f.alnum(36));
    let mut files = Vec::new();
    let mut values = vec![
        gh_env.clone(),
        slack_label.clone(),
        gitlab_history.clone(),
        deleted.clone(),
    ];
    let all = cases();
    let mut img = ImageBuilder::new()
        .layer("ADD rootfs.tar /", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file("etc/motd", "welcome\n")
        })
        .layer("COPY app /srv # buildkit", |mut l| {
            for (i, (rule, path, text, line, secret)) in all.iter().enumerate() {
                let p = format!("srv/case{i}/{path}");
                files.push((rule.to_string(), p.clone(), *line, 1));
                values.push(secret.clone());
                l = l.file(&p, text);
            }
            l
        })
        .layer("COPY hosts.yml /root/.config/gh/ # buildkit", |l| {
            l.file(
                "root/.config/gh/hosts.yml",
                format!("github.com:\n    user: ci\n    oauth_token: {deleted}\n"),
            )
        })
        .layer("RUN rm /root/.config/gh/hosts.yml # buildkit", |l| {
            l.whiteout("root/.config/gh/hosts.yml")
        })
        .layer(
            &format!("RUN /bin/sh -c curl -H 'PRIVATE-TOKEN: {gitlab_history}' https://gitlab.example/api/v4/projects # buildkit"),
            |l| l.file("srv/projects.json", "[]\n"),
        )
        .env(&format!("GITHUB_TOKEN={gh_env}"))
        .label("org.example.slack", &slack_label);
    img = img.user("app");
    img.write_oci_layout(dir, Some("planted"));
    Planted { files, values }
}

#[test]
fn every_planted_secret_is_found_in_its_layer_and_never_printed() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let planted = planted_image(img.path());
    let reference = format!("oci:{}:planted", s(img.path()));

    let out = plimsoll(
        &["image", &reference, "--scanners", "secret", "-f", "json"],
        cache.path(),
    );
    let r = json(ok(&out));
    let secrets = r["secrets"].as_array().expect("secrets");
    let found: BTreeSet<(String, String, u64, usize)> = secrets
        .iter()
        .filter(|x| x["source"] == "file")
        .map(|x| {
            (
                x["rule_id"].as_str().unwrap().to_string(),
                x["path"].as_str().unwrap().to_string(),
                x["line"].as_u64().unwrap(),
                x["layer"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    for want in &planted.files {
        assert!(
            found.contains(want),
            "not found: {want:?}\nfound: {found:#?}"
        );
    }
    // The deleted file: found in layer 2, deleted by layer 3, still readable.
    let gone = secrets
        .iter()
        .find(|x| x["path"] == "root/.config/gh/hosts.yml")
        .expect("the deleted file's secret");
    assert_eq!(
        (gone["layer"].as_u64(), gone["deleted_in_layer"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        gone["layer_created_by"],
        "COPY hosts.yml /root/.config/gh/ # buildkit"
    );
    // Env, label and history.
    let by_source =
        |src: &str| -> Vec<&Value> { secrets.iter().filter(|x| x["source"] == src).collect() };
    let env = by_source("env");
    assert!(env.iter().any(|x| x["path"] == "GITHUB_TOKEN"), "{env:#?}");
    let label = by_source("label");
    assert!(
        label.iter().any(|x| x["path"] == "org.example.slack"),
        "{label:#?}"
    );
    let history = by_source("history");
    assert!(history.iter().any(|x| x["layer"] == 4), "{history:#?}");
    // Nothing in the final filesystem of the other layers was reported.
    assert!(secrets.iter().all(|x| x["path"] != "etc/motd"));

    // No planted value in any format, on either stream, in the cache (layer-cache entries
    // decompressed), or in the report's own quotes of the image (labels, created_by).
    let mut outputs = vec![(String::from("json"), text(&out.stdout) + &text(&out.stderr))];
    for f in [
        "table",
        "sarif",
        "cyclonedx",
        "spdx-json",
        "markdown",
        "junit",
    ] {
        let o = plimsoll(
            &["image", &reference, "--scanners", "secret", "-f", f],
            cache.path(),
        );
        ok(&o);
        outputs.push((f.to_string(), text(&o.stdout) + &text(&o.stderr)));
    }
    let cached = cache_text(cache.path());
    assert!(
        cached.len() > 1000,
        "the layer cache was read: {} bytes",
        cached.len()
    );
    outputs.push(("cache".into(), cached));
    for (what, body) in &outputs {
        for v in planted.values.iter().filter(|v| v.len() >= 8) {
            let head: String = v.chars().take(6).collect();
            assert!(
                !body.contains(v.as_str()),
                "{what} holds a planted secret ({head}…)"
            );
            // Nor any 12-character piece of one (a redaction keeps 4 at most).
            let chars: Vec<char> = v.chars().filter(|c| !c.is_whitespace()).collect();
            for w in chars.windows(12).step_by(5) {
                let piece: String = w.iter().collect();
                assert!(
                    !body.contains(&piece),
                    "{what} holds a piece of a planted secret ({head}…): {piece}"
                );
            }
        }
    }

    // SARIF: one rule per secret rule id found.
    let o = plimsoll(
        &["image", &reference, "--scanners", "secret", "-f", "sarif"],
        cache.path(),
    );
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let ids: BTreeSet<&str> = secrets
        .iter()
        .map(|x| x["rule_id"].as_str().unwrap())
        .collect();
    let rule_set: BTreeSet<&str> = rules.iter().copied().collect();
    assert_eq!(rules.len(), rule_set.len(), "one rule per id: {rules:?}");
    for id in &ids {
        assert!(
            rule_set
                .iter()
                .any(|r| r == id || r.ends_with(&format!("/{id}"))),
            "no SARIF rule for {id}: {rules:?}"
        );
    }
}

/// Every file of the cache directory as text; layer-cache entries (a 60-byte header, then a
/// zstd frame) decompressed first.
fn cache_text(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            if bytes.starts_with(b"PLIMSOLL-LAYER") {
                let body = zstd::stream::decode_all(&bytes[60..]).expect("layer cache entry");
                out.push_str(&String::from_utf8_lossy(&body));
            } else {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    out
}

#[test]
fn a_warm_rescan_reuses_the_cached_hits_and_other_rules_miss() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    planted_image(img.path());
    let reference = format!("oci:{}:planted", s(img.path()));
    let args = [
        "image",
        reference.as_str(),
        "--scanners",
        "secret",
        "-f",
        "json",
    ];
    let cold = json(ok(&plimsoll(&args, cache.path())));
    let layers = cache.path().join("layers");
    let entries = || std::fs::read_dir(&layers).unwrap().count();
    let n = entries();
    assert!(n >= 5, "every layer cached: {n}");
    let warm = json(ok(&plimsoll(&args, cache.path())));
    assert_eq!(cold["secrets"], warm["secrets"]);
    assert_eq!(entries(), n, "the warm scan wrote nothing new");

    // Other rules (a config disabling one): a new cache key, every layer walked again.
    let cfg = img.path().join("secret.yaml");
    std::fs::write(&cfg, "disable-rules: [github-pat]\n").unwrap();
    let mut a = args.to_vec();
    a.extend(["--secret-config", s(&cfg)]);
    let other = json(ok(&plimsoll(&a, cache.path())));
    assert_eq!(entries(), 2 * n);
    let ids = |r: &Value| -> BTreeSet<String> {
        r["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["rule_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ids(&cold).contains("github-pat"));
    assert!(!ids(&other).contains("github-pat"), "{:?}", ids(&other));
}

#[test]
fn a_bad_secret_config_is_an_input_error_naming_the_file() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = cache.path().join("secret.yaml");
    std::fs::write(&cfg, "rules:\n  - id: x\n    regex: '('\n").unwrap();
    let out = plimsoll(
        &[
            "fs",
            s(cache.path()),
            "--scanners",
            "secret",
            "--secret-config",
            s(&cfg),
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("secret.yaml"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn the_per_file_size_limit_is_a_setting() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut f = Fake(0x5EED_0000_0000_0002);
    let token = format!("ghp_{}", f.alnum(36));
    // The token sits after 64 KiB of ordinary text.
    let text = format!(
        "{}token: {token}\n",
        "lorem ipsum dolor sit amet\n".repeat(2500)
    );
    std::fs::write(dir.path().join("notes.txt"), text).unwrap();
    let scan = |limit: &str| {
        let out = plimsoll(
            &[
                "fs",
                s(dir.path()),
                "--scanners",
                "secret",
                "--secret-max-file-size",
                limit,
                "-f",
                "json",
            ],
            cache.path(),
        );
        json(ok(&out))["secrets"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(scan("10485760"), 1);
    assert_eq!(scan("4096"), 0, "only the first 4 KiB are read");
}

#[test]
fn explain_tells_a_secret_by_rule_id_or_fingerprint_without_its_value() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let planted = planted_image(img.path());
    let reference = format!("oci:{}:planted", s(img.path()));
    let by_fingerprint = "root/.config/gh/hosts.yml:github-pat:3";
    for wanted in ["github-pat", by_fingerprint] {
        let out = plimsoll(
            &["explain", wanted, &reference, "--scanners", "secret"],
            cache.path(),
        );
        let t = text(&ok(&out).stdout);
        assert!(t.contains("root/.config/gh/hosts.yml, line 3"), "{t}");
        assert!(
            t.contains(
                "Deleted: added in layer 2, removed in layer 3; still readable from layer 2"
            ),
            "{t}"
        );
        assert!(t.contains(&format!("Fingerprint: {by_fingerprint}")), "{t}");
        for v in planted.values.iter().filter(|v| v.len() >= 8) {
            assert!(!t.contains(v.as_str()), "explain printed a planted value");
        }
    }
    let out = plimsoll(
        &[
            "explain",
            "no-such-rule",
            &reference,
            "--scanners",
            "secret",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("secret rule ids and fingerprints"));
}
