//! The words a report uses for decisions: the gate's result, a policy rule's action, and
//! what suppressed a finding. Each serializes exactly as the report always wrote it
//! (`pass`, `block`, `ignore-unfixed`), so these enums change no output; they keep two
//! crates from spelling one decision two ways.

use serde::{Deserialize, Serialize};

/// The CI gate's decision (`Gate::result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum GateResult {
    #[default]
    Pass,
    Fail,
}

impl GateResult {
    pub fn as_str(self) -> &'static str {
        match self {
            GateResult::Pass => "pass",
            GateResult::Fail => "fail",
        }
    }

    /// `Fail` when `fails`.
    pub fn failing_if(fails: bool) -> GateResult {
        if fails {
            GateResult::Fail
        } else {
            GateResult::Pass
        }
    }
}

/// What a violated policy rule does (`Violation::action`): `block` fails the gate, `alert`
/// is reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Alert,
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Block => "block",
        }
    }
}

/// What moved a finding to `suppressed` or `suppressed_secrets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressedBy {
    /// `--ignore-unfixed`: no fixed version is released.
    IgnoreUnfixed,
    /// An entry of an ignore file (`.plimsollignore`, `.trivyignore`, `.trivyignore.yaml`).
    Ignorefile,
    /// A VEX statement (`not_affected`, `fixed`).
    Vex,
    /// `--exclude-base-image`: the package came with the base image.
    ExcludeBaseImage,
}

impl SuppressedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressedBy::IgnoreUnfixed => "ignore-unfixed",
            SuppressedBy::Ignorefile => "ignorefile",
            SuppressedBy::Vex => "vex",
            SuppressedBy::ExcludeBaseImage => "exclude-base-image",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(GateResult, Action, SuppressedBy);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_serializes_as_the_report_always_wrote_it() {
        for (v, s) in [
            (serde_json::to_value(GateResult::Pass), "pass"),
            (serde_json::to_value(GateResult::Fail), "fail"),
            (serde_json::to_value(Action::Block), "block"),
            (serde_json::to_value(Action::Alert), "alert"),
            (
                serde_json::to_value(SuppressedBy::IgnoreUnfixed),
                "ignore-unfixed",
            ),
            (serde_json::to_value(SuppressedBy::Ignorefile), "ignorefile"),
            (serde_json::to_value(SuppressedBy::Vex), "vex"),
            (
                serde_json::to_value(SuppressedBy::ExcludeBaseImage),
                "exclude-base-image",
            ),
        ] {
            assert_eq!(v.unwrap(), serde_json::Value::String(s.into()));
        }
        for by in [
            SuppressedBy::IgnoreUnfixed,
            SuppressedBy::Ignorefile,
            SuppressedBy::Vex,
            SuppressedBy::ExcludeBaseImage,
        ] {
            let back: SuppressedBy = serde_json::from_value(by.as_str().into()).unwrap();
            assert_eq!((back, by.to_string()), (by, by.as_str().to_string()));
        }
        assert!(serde_json::from_value::<SuppressedBy>("policy".into()).is_err());
    }
}
