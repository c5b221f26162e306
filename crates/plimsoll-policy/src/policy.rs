//! Policy files: rules that alert on or block what a team's policy forbids, and exceptions.
//!
//! A policy is YAML (docs/policy.md documents every key with an example). Rules are
//! evaluated in order and every rule is evaluated: a finding may violate several rules,
//! and the gate fails when any `block` rule is violated by something no exception excuses.
//! Each rule has one subject, decided by its conditions:
//!
//! - any finding condition (`kind`, `severity`, `cvss`, `status`, `fix_available`, `kev`,
//!   `epss`, `in_base_image`, `slo`, `rule_ids`, `paths`): the rule judges findings, and
//!   package conditions narrow which packages' findings count. The kind of finding is what
//!   `kind` says (`vulnerability`, `secret`, or both), else `secret` when a condition is
//!   only about secrets (`rule_ids`, `paths`), else `vulnerability`; a condition that
//!   cannot judge a kind the rule judges is refused (`kind: secret` with `kev`);
//! - else package conditions (`packages`, `ecosystems`, `licenses`): it judges packages;
//! - else `image` facts: it judges the image.
//!
//! `image` facts in a finding or package rule are a precondition ("block criticals in
//! images that run as root"). Conditions of one rule all have to hold (and).
//!
//! The code follows the data: `schema` holds the parsed policy, `parse` reads YAML into
//! it, `condition` holds every condition with its check and description, `evaluate` runs
//! the rules over a report into a gate, and `explain` tells one finding's story.
//!
//! Every decision can be explained: [`Policy::explain`] (and [`Policy::explain_secret`])
//! gives, for one finding, each rule that fired or was skipped and why, which `plimsoll
//! explain` prints.

mod condition;
mod evaluate;
mod explain;
#[cfg(test)]
mod fixtures;
mod parse;
mod schema;

pub use explain::{Outcome, RuleTrace};
pub use parse::{load, parse};
pub use plimsoll_model::Action;
pub use schema::Policy;

/// The starter file `plimsoll policy init` writes: every kind of condition, commented.
pub const STARTER: &str = include_str!("policy_starter.yaml");
