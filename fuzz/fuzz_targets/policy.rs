//! Policy files (`--policy FILE`): any text, parsed, then evaluated against the demo image's
//! two findings on three dates and explained for each finding.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)] // check() is for the suppression targets
mod common_report;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match plimsoll_policy::policy::parse("policy.yaml", text) {
        Ok(policy) => {
            let report = common_report::report();
            let ids: Vec<&str> = report.vulnerabilities.iter().map(|f| f.id.as_str()).collect();
            for today in ["2026-12-02", "1970-01-01", "9999-12-31"] {
                let today = today.parse().unwrap();
                let gate = policy.evaluate(&report, today);
                let blocked = gate
                    .violations
                    .iter()
                    .any(|v| v.action == plimsoll_model::Action::Block);
                assert_eq!(gate.result.as_str(), if blocked { "fail" } else { "pass" }, "{gate:?}");
                for v in &gate.violations {
                    assert!(matches!(v.action.as_str(), "block" | "alert"), "{v:?}");
                    assert!(v.at.starts_with("policy.yaml:"), "{v:?}");
                    for f in &v.findings {
                        assert!(ids.contains(&f.id.as_str()), "{v:?}");
                    }
                }
                for f in &report.vulnerabilities {
                    for t in policy.explain(&report, f, today) {
                        assert!(t.at.starts_with("policy.yaml:"), "{t:?}");
                    }
                }
            }
        }
        Err(e) => {
            assert_eq!(e.file, "policy.yaml");
            if let Some((line, column)) = e.at {
                assert!(line >= 1 && column >= 1, "{e}");
            }
            assert!(!e.message.contains('\n'), "{e}");
        }
    }
});
