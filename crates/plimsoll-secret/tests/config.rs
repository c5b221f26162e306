//! The `--secret-config` file: custom rules, disabled rules, allow rules, and its errors.

use plimsoll_model::Severity;
use plimsoll_secret::Scanner;

fn ids(s: &Scanner, path: &str, text: &str) -> Vec<(String, u64)> {
    s.scan_reader(path, &mut text.as_bytes(), 1 << 20)
        .unwrap()
        .into_iter()
        .map(|h| (h.rule_id, h.line))
        .collect()
}

const ACME: &str = "acme_k7Qp2Xv9Lm4Rt8Wz1Bn6Yc3Hd5Fg0Js2";

const CONFIG: &str = r#"# our rules
disable-rules:
  - stripe-publishable-token
rules:
  - id: acme-api-key
    title: ACME API key
    severity: high
    category: ACME
    keywords: [acme_]
    regex: '\b(acme_[A-Za-z0-9]{32})\b'
    entropy: 3.5
  - id: acme-internal-password
    title: ACME internal service password
    severity: LOW
    keywords: [svc_pass]
    regex: 'svc_pass\s*=\s*(?P<pw>\S+)'
    secret-group: pw
    path: '(^|/)acme\.conf$'
allow-rules:
  - id: acme-fixtures
    description: the ACME SDK's own test keys
    path: '^srv/sdk/tests/'
  - id: acme-sandbox
    description: sandbox keys are not secret
    regex: 'acme_sandbox'
  - id: one-known-finding
    description: reviewed in TICKET-12
    fingerprint: 'srv/app/legacy.env:acme-api-key:2'
"#;

#[test]
fn custom_rules_extend_the_builtin_ones() {
    let s = Scanner::from_config("secrets.yaml", CONFIG).unwrap();
    let info = s.rule("acme-api-key").unwrap();
    assert_eq!(
        (info.severity, info.category.as_str(), info.title.as_str()),
        (Severity::High, "ACME", "ACME API key")
    );
    assert_eq!(s.rule("acme-internal-password").unwrap().category, "Custom");
    assert!(s.rule("stripe-publishable-token").is_none());
    assert!(s.rule("github-pat").is_some());
    assert_eq!(
        s.rules().count(),
        Scanner::builtin().rules().count() + 2 - 1
    );

    let text = format!("x = 1\nkey = \"{ACME}\"\n");
    assert_eq!(
        ids(&s, "srv/app/main.py", &text),
        [("acme-api-key".into(), 2)]
    );
    // Allowed by path, by regex, and by fingerprint.
    assert_eq!(ids(&s, "srv/sdk/tests/test_client.py", &text), []);
    assert!(!s.wants_path("srv/sdk/tests/test_client.py"));
    assert_eq!(
        ids(
            &s,
            "srv/app/a.py",
            "k = acme_sandboxk7Qp2Xv9Lm4Rt8Wz1Bn6Yc3H\n"
        ),
        []
    );
    assert_eq!(ids(&s, "srv/app/legacy.env", &text), []);
    assert_eq!(ids(&s, "/srv/app/legacy.env", &text), []);
    assert_eq!(
        ids(&s, "srv/app/other.env", &text),
        [("acme-api-key".into(), 2)]
    );
    // Low entropy is not reported.
    assert_eq!(
        ids(
            &s,
            "srv/app/a.py",
            "acme_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        ),
        []
    );
    // Path-restricted rule with a named secret group.
    let conf = "[svc]\nsvc_pass = Xk29!fQ0z\n";
    assert_eq!(
        ids(&s, "etc/acme.conf", conf),
        [("acme-internal-password".into(), 2)]
    );
    assert_eq!(ids(&s, "srv/app/notes.txt", conf), []);
    // Disabled built-in rule.
    assert_eq!(
        ids(
            &s,
            "srv/app/c.js",
            "Stripe('pk_live_9fK2mQ7xR4tZ1wB8nC5vL3hJ');\n"
        ),
        []
    );
    assert_eq!(
        ids(
            &Scanner::builtin(),
            "srv/app/c.js",
            "Stripe('pk_live_9fK2mQ7xR4tZ1wB8nC5vL3hJ');\n"
        ),
        [("stripe-publishable-token".into(), 1)]
    );
}

#[test]
fn fingerprint_changes_with_the_rule_set() {
    let a = Scanner::builtin().fingerprint();
    let b = Scanner::from_config("s.yaml", CONFIG)
        .unwrap()
        .fingerprint();
    let c = Scanner::from_config("s.yaml", "{}").unwrap().fingerprint();
    let d = Scanner::from_config("s.yaml", &CONFIG.replace("3.5", "3.6"))
        .unwrap()
        .fingerprint();
    assert_ne!(a, b);
    assert_eq!(a, c);
    assert_ne!(b, d);
}

#[test]
fn hit_fingerprint_format() {
    let s = Scanner::builtin();
    let hits = s
        .scan_reader(
            "/srv/app/.env",
            &mut "A=1\nGH=ghp_Zr8kQ2mX7vT4nB9wL1cY6pH3dF5gJ0sA2eRu\n".as_bytes(),
            1 << 20,
        )
        .unwrap();
    assert_eq!(
        hits[0].fingerprint("/srv/app/.env"),
        "srv/app/.env:github-pat:2"
    );
}

fn err(yaml: &str) -> String {
    match Scanner::from_config("conf/secrets.yaml", yaml) {
        Ok(_) => panic!("accepted:\n{yaml}"),
        Err(e) => e,
    }
}

#[test]
fn errors_name_the_file_and_line() {
    let e = err("disable-rules: [github-pat]\nrulez: []\n");
    assert!(e.starts_with("conf/secrets.yaml:2:"), "{e}");
    assert!(e.contains("rulez"), "{e}");

    let e = err(
        "rules:\n  - id: x\n    title: X\n    severity: HIGH\n    keywords: [x]\n    regex: 'x'\n    colour: red\n",
    );
    assert!(
        e.starts_with("conf/secrets.yaml:") && e.contains("colour"),
        "{e}"
    );

    let e = err(
        "rules:\n  - id: bad\n    title: Bad\n    severity: HIGH\n    keywords: [b]\n    regex: 'b(['\n",
    );
    assert!(e.starts_with("conf/secrets.yaml:6:"), "{e}");
    assert!(e.contains("rule bad") && e.contains("bad regex"), "{e}");

    let e = err("disable-rules: [no-such-rule]\n");
    assert!(
        e.starts_with("conf/secrets.yaml:1:") && e.contains("no-such-rule"),
        "{e}"
    );

    let e = err(
        "rules:\n  - id: github-pat\n    title: Mine\n    severity: LOW\n    keywords: [ghp_]\n    regex: 'ghp_\\w+'\n",
    );
    assert!(
        e.contains("already defined") && e.contains("disable-rules"),
        "{e}"
    );

    let e = err(
        "rules:\n  - id: x\n    title: X\n    severity: SEVERE\n    keywords: [x]\n    regex: 'x'\n",
    );
    assert!(e.contains("unknown severity"), "{e}");

    let e = err("rules:\n  - id: x\n    title: X\n    severity: LOW\n    regex: 'x'\n");
    assert!(e.contains("keywords"), "{e}");

    let e = err(
        "rules:\n  - id: x\n    title: X\n    severity: LOW\n    keywords: [x]\n    regex: 'x(y)'\n    secret-group: 5\n",
    );
    assert!(e.contains("secret-group"), "{e}");

    let e = err("allow-rules:\n  - id: a\n    description: nothing to match\n");
    assert!(e.contains("path, a regex or a fingerprint"), "{e}");

    let e = err("allow-rules:\n  - id: a\n    fingerprint: 'no-line-here'\n");
    assert!(e.contains("path:rule-id:line"), "{e}");

    let e = err("allow-rules:\n  - id: a\n    path: '(unclosed'\n");
    assert!(
        e.starts_with("conf/secrets.yaml:3:") && e.contains("path"),
        "{e}"
    );

    // A regex too large to compile is refused, not compiled at any cost.
    let huge = format!(
        "rules:\n  - id: big\n    title: Big\n    severity: LOW\n    keywords: [a]\n    regex: '(?:\\w{{1000}}){{1000}}'\n"
    );
    let e = err(&huge);
    assert!(e.contains("bad regex") || e.contains("size"), "{e}");

    let e = err("rules: [\n");
    assert!(e.starts_with("conf/secrets.yaml"), "{e}");
}

#[test]
fn builtin_allow_rules_can_be_disabled() {
    let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwEzzo2hqplgGm\nk8mT9nQw7xY2zR4pL6cV3bH1jK0sD5fG8aE2uI9oP7lM4nB6vC1xZ3qW5eR8tY0u\n-----END RSA PRIVATE KEY-----\n";
    let path = "usr/lib/python3/dist-packages/Crypto/SelfTest/PublicKey/test_import_RSA.py";
    assert_eq!(ids(&Scanner::builtin(), path, key), []);
    let s = Scanner::from_config("s.yaml", "disable-rules: [package-test-data]\n").unwrap();
    assert_eq!(ids(&s, path, key), [("private-key".into(), 1)]);
}
