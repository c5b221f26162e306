//! Finding kinds beside vulnerabilities: secrets now, misconfigurations and malware ready for
//! the analyzers that will write them. Each kind has its own list in the report
//! (`secrets`, `misconfigurations`, `malware`) and every output format renders it.

use crate::{Severity, SuppressedBy};
use serde::{Deserialize, Serialize};

/// Where a secret was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    /// A file of a layer (`path`, `line`, `layer`).
    File,
    /// An `Env` entry of the image config (`path` is the variable's name).
    Env,
    /// A label of the image config (`path` is the label's key).
    Label,
    /// A history entry's `created_by` (`layer` is the layer it made, when it made one).
    History,
}

impl SecretSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretSource::File => "file",
            SecretSource::Env => "env",
            SecretSource::Label => "label",
            SecretSource::History => "history",
        }
    }
}

/// A secret that ships with the image. The value itself is never kept: `redacted` holds a
/// short prefix and `****`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFinding {
    /// The rule that matched (`aws-access-key-id`).
    pub rule_id: String,
    /// What kind of secret, for people (`AWS`, `GitHub`, `Private key`).
    pub category: String,
    pub title: String,
    pub severity: Severity,
    pub source: SecretSource,
    /// The file (root-relative), the Env variable's name or the label's key; absent for
    /// history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1-based line in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The layer whose blob holds it, and that layer's `created_by`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_created_by: Option<String>,
    /// The later layer that deleted (or replaced) the file: it is gone from the final
    /// filesystem but still readable from layer `layer`'s blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_in_layer: Option<usize>,
    /// The match, redacted (`AKIA****`).
    pub redacted: String,
    /// Names this one finding in allow rules and ignore files: `PATH:RULE-ID:LINE` (see
    /// `docs/secrets.md`).
    pub fingerprint: String,
    /// Whether the layer came with the base image; absent when no base image was told
    /// apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_base_image: Option<bool>,
}

/// A malware finding named in a policy violation: its id, where it is and its severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MalwareRef {
    pub id: String,
    pub path: String,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
}

impl MalwareRef {
    pub fn of(m: &MalwareFinding) -> MalwareRef {
        MalwareRef {
            id: m.id.clone(),
            path: m.path.clone(),
            severity: m.severity,
            layer: m.layer,
        }
    }
}

/// A secret finding named in a policy violation or exception: its rule and the
/// fingerprint that names the one finding (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRef {
    pub rule_id: String,
    /// `PATH:RULE-ID:LINE`, as `SecretFinding::fingerprint`.
    pub fingerprint: String,
    pub severity: Severity,
    /// Why this secret violated the rule, when it needs saying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl SecretRef {
    pub fn of(s: &SecretFinding) -> SecretRef {
        SecretRef {
            rule_id: s.rule_id.clone(),
            fingerprint: s.fingerprint.clone(),
            severity: s.severity,
            detail: None,
        }
    }
}

/// A secret finding that an ignore file suppressed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressedSecret {
    #[serde(flatten)]
    pub secret: SecretFinding,
    /// `ignorefile` (the only suppression that applies to secrets).
    pub suppressed_by: SuppressedBy,
    pub reason: String,
}

/// A risky configuration: a hardening check of an image or root filesystem (`PLIM-IMG-…`,
/// `docs/hardening.md`); Dockerfiles and Kubernetes manifests later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misconfiguration {
    /// The check's stable id (`PLIM-DF-001`).
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// What is wrong here, for people.
    pub message: String,
    /// The file checked (root-relative), or `config` for the image config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The `created_by` of the layer or history entry at fault, redacted as the report's
    /// layers are (`redact::created_by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_created_by: Option<String>,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
}

/// A misconfiguration that an ignore file suppressed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressedMisconfiguration {
    #[serde(flatten)]
    pub misconfiguration: Misconfiguration,
    /// `ignorefile` (the only suppression that applies to misconfigurations).
    pub suppressed_by: SuppressedBy,
    pub reason: String,
}

/// A misconfiguration named in a policy violation or exception: its check and the
/// fingerprint that names the one finding (`PATH:CHECK-ID`, `:LINE` for history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MisconfigRef {
    pub id: String,
    pub fingerprint: String,
    pub severity: Severity,
}

impl Misconfiguration {
    /// `PATH:CHECK-ID`, with `:LINE` for a history entry (`srv/app/.env:PLIM-IMG-010`,
    /// `config:PLIM-IMG-014:3`): names one finding in policy exceptions and ignore files.
    pub fn fingerprint(&self) -> String {
        let path = self.path.as_deref().unwrap_or("config");
        match self.line {
            Some(l) => format!("{path}:{}:{l}", self.id),
            None => format!("{path}:{}", self.id),
        }
    }
}

impl MisconfigRef {
    pub fn of(m: &Misconfiguration) -> MisconfigRef {
        MisconfigRef {
            id: m.id.clone(),
            fingerprint: m.fingerprint(),
            severity: m.severity,
        }
    }
}

/// A known-malicious file or package, written by the malware analyzer (`docs/malware.md`):
/// an OSV `MAL-` record of a package, a file whose sha256 is on an imported blocklist, a
/// YARA rule that matched a file, or the EICAR test file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MalwareFinding {
    /// The signature, hash-list entry or advisory that matched (`MAL-2024-1234`).
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_created_by: Option<String>,
    /// `sha256:…` of the file, when the match was by hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The package it belongs to (`packages[].id`), for a malicious package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    /// Where the signature came from (`OSV MAL`, `yara:rules.yar`).
    pub data_source: String,
    /// The later layer that deleted (or replaced) the file: gone from the final filesystem
    /// but still readable from layer `layer`'s blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_in_layer: Option<usize>,
    /// A YARA rule's tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// A YARA rule's metadata (`author`, `description`…), values as text.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub meta: std::collections::BTreeMap<String, String>,
}
