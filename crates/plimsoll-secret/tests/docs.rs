//! docs/secrets.md stays in step with the rules: every built-in rule is in the rule table
//! with its severity, and every Trivy and gitleaks rule id has a row in the parity tables.

use plimsoll_secret::Scanner;

fn doc() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/secrets.md"
    ))
    .expect("docs/secrets.md")
}

#[test]
fn every_rule_is_documented() {
    let doc = doc();
    for r in Scanner::builtin().rules() {
        let row = format!("| `{}` | {} | {} |", r.id, r.title, r.severity);
        assert!(doc.contains(&row), "docs/secrets.md lacks the row {row}");
    }
}

#[test]
fn every_upstream_rule_has_a_parity_row() {
    let doc = doc();
    let (trivy_part, gitleaks_part) = doc.split_once("### gitleaks").expect("a gitleaks section");
    let trivy_part = trivy_part
        .split_once("### Trivy")
        .expect("a Trivy section")
        .1;
    let ids = include_str!("data/upstream-rule-ids.txt");
    let mut section = "";
    let mut n = 0;
    for line in ids.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let part = if section == "[trivy]" {
            trivy_part
        } else {
            gitleaks_part
        };
        assert!(
            part.lines().any(|l| l.starts_with('|')
                && l.split('|')
                    .nth(1)
                    .is_some_and(|c| c.contains(&format!("`{line}`")))),
            "{section} rule {line} has no row in docs/secrets.md"
        );
        n += 1;
    }
    assert_eq!(n, 87 + 218);
}
