//! Every output format of plimsoll, and the SBOM formats read back in.
//!
//! [`Format`] names the formats and which command writes which ([`Format::for_command`]);
//! [`render`] writes a report in any of them. Every format renders every finding kind:
//! vulnerabilities, secrets (redacted), misconfigurations and malware (`docs/report.md`
//! says how each format carries each kind).
//!
//! - [`to_cyclonedx`]: CycloneDX 1.6 JSON;
//! - [`to_spdx`]: SPDX 2.3 JSON;
//! - [`read_sbom`]: CycloneDX 1.4–1.6 and SPDX 2.2/2.3 JSON (plimsoll's own, Syft's, Trivy's)
//!   back into packages;
//! - the findings: [`vulnerability_table`] (terminal, by package or by layer), [`to_sarif`]
//!   (SARIF 2.1.0 for GitHub code scanning), [`to_markdown`] (pull-request comments),
//!   [`to_junit`] (JUnit XML), and [`to_cyclonedx`] again, which is a VDR when the report has
//!   findings. The native JSON report is the model serialized; its JSON Schema is
//!   `docs/report.schema.json`;
//! - [`explore`]: the fleet view's table (`plimsoll explore`); the fleet itself, many native
//!   reports read back and folded, is `plimsoll-explore`'s.
//!
//! Every vulnerability format states the scanner version and the database's build time and
//! age, where the format has a place for them: a clean result from a stale database is not
//! a clean image. The functions are pure: the caller computes `database.age_seconds`.
//!
//! Both writers carry what the native report knows about a package that the formats have no
//! field for (layer, path, ecosystem, owning OS package, source package) as `plimsoll:`
//! properties (CycloneDX) or annotations (SPDX), so that [`read_sbom`] gets them back.

mod cyclonedx;
pub mod explore;
mod format;
mod image_table;
mod junit;
mod kinds;
mod layers;
mod licenses;
mod markdown;
mod sarif;
mod sbom_in;
mod spdx;
mod summary;
mod table;
mod terminal;

pub use cyclonedx::{to_cyclonedx, to_cyclonedx_at};
pub use format::{Command, Format, RenderOptions, View, render};
pub use image_table::{image_table, inventory_table};
pub use junit::to_junit;
pub use layers::layer_span;
pub use markdown::to_markdown;
pub use sarif::to_sarif;
pub use sbom_in::{MAX_SBOM_SIZE, SbomFormat, SbomRead, read_sbom, read_sbom_full};
pub use spdx::{to_spdx, to_spdx_at};
pub use summary::{age, base_image_line, failed_layer_lines, short_created_by};
pub use table::{GroupBy, TableOptions, color_wanted, vulnerability_table};
pub use terminal::terminal_text;

use sha2::{Digest, Sha256};

/// plimsoll's version, as tools lists name it.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where plimsoll is published (SARIF `informationUri`).
pub const TOOL_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// The current time as RFC 3339 UTC (`2024-05-01T12:00:00Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the Unix epoch as RFC 3339 UTC.
pub use plimsoll_model::time::rfc3339;

/// A UUID (version 8, RFC 9562 "custom") derived from the report's identity: the artifact
/// name and digest and every package id and purl. The same report gives the same UUID.
pub(crate) fn report_uuid(report: &plimsoll_model::Report) -> String {
    let mut h = Sha256::new();
    let a = &report.artifact;
    for part in [
        a.name.as_str(),
        a.digest.as_deref().unwrap_or(""),
        a.config_digest.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for p in &report.packages {
        h.update(p.id.as_bytes());
        h.update([0]);
        h.update(p.purl.as_bytes());
        h.update([0]);
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_714_564_800), "2024-05-01T12:00:00Z");
    }
}
