//! What plimsoll remembers about each source between updates, what one update of an
//! ecosystem brought, and the RFC 3339 timestamps they hold.

use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// What plimsoll remembers about one source between updates (stored in the database).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// The URL last fetched for this source. For an OSV ecosystem, its directory
    /// (`<base>/<ECOSYSTEM>/`, encoded); a state whose URL differs from the one about to be
    /// fetched (another mirror) is ignored.
    pub url: String,
    /// HTTP `ETag` of the last full download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// HTTP `Last-Modified` of the last full download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Newest `modified` timestamp seen in the ecosystem's `modified_id.csv` (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_modified: Option<String>,
    /// When this source was last fetched (RFC 3339, UTC).
    pub fetched_at: String,
}

/// What the bucket said about one ecosystem since the last fetch.
#[derive(Debug)]
pub enum EcosystemUpdate {
    /// Nothing changed (a 304, or no line newer than the state's `newest_modified`).
    Unchanged { state: SourceState },
    /// The whole ecosystem: its `all.zip`, downloaded completely to this temporary file
    /// (already opened once as a zip). The file is removed when the `TempPath` is dropped;
    /// `keep()` it to hold on to it.
    Full {
        zip: tempfile::TempPath,
        state: SourceState,
    },
    /// Only these records changed: `(id, OSV JSON)`, newest first.
    Changed {
        records: Vec<(String, Vec<u8>)>,
        state: SourceState,
    },
}

impl EcosystemUpdate {
    pub fn state(&self) -> &SourceState {
        match self {
            EcosystemUpdate::Unchanged { state }
            | EcosystemUpdate::Full { state, .. }
            | EcosystemUpdate::Changed { state, .. } => state,
        }
    }
}

/// An instant; `jiff`'s, ordered as time is.
pub(super) type Timestamp = jiff::Timestamp;

/// Parses RFC 3339 `date-time` (`2024-05-01T12:34:56.789Z`, `…+02:00`); a time without an
/// offset is refused. RFC 3339 allows any number of fraction digits and jiff reads nine, so
/// the rest are dropped (below a nanosecond, they cannot change an order we act on).
pub(super) fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let Some(dot) = s.find('.') else {
        return s.parse().ok();
    };
    let digits = s[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    if digits <= 9 {
        return s.parse().ok();
    }
    format!("{}{}", &s[..dot + 10], &s[dot + 1 + digits..])
        .parse()
        .ok()
}

/// Formats a time as RFC 3339 UTC to the second: `2026-12-01T21:32:26Z`.
pub fn format_rfc3339(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ts(s: &str) -> Timestamp {
        parse_rfc3339(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn parses_rfc3339() {
        assert_eq!(ts("1970-01-01T00:00:00Z"), Timestamp::UNIX_EPOCH);
        let t = ts("2024-05-01T12:34:56.5Z");
        assert_eq!(
            (t.as_second(), t.subsec_nanosecond()),
            (1_714_566_896, 500_000_000)
        );
        assert_eq!(ts("2024-05-01T14:34:56+02:00"), ts("2024-05-01T12:34:56Z"));
        assert_eq!(
            ts("2024-05-01t12:34:56.123456789012z").subsec_nanosecond(),
            123_456_789
        );
        assert_eq!(ts("2024-02-29T00:00:00Z").as_second(), 1_709_164_800);
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T12:34:56",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T12:34:56.Z",
            "2024-05-01T12:34:56Zjunk",
            "2024-05-01T25:00:00Z",
            "２０２４-05-01T12:34:56Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn osv_string_order_is_not_time_order() {
        // The exporter's string sort puts the whole second first although it is older.
        let mut lines = ["2024-05-01T12:34:56.5Z", "2024-05-01T12:34:56Z"];
        lines.sort_by(|a, b| b.cmp(a));
        assert_eq!(lines[0], "2024-05-01T12:34:56Z");
        assert!(ts(lines[0]) < ts(lines[1]));
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_714_566_896);
        assert_eq!(format_rfc3339(t), "2024-05-01T12:34:56Z");
        let now = SystemTime::now();
        let s = format_rfc3339(now);
        let back = ts(&s).as_second();
        let want = now.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        assert_eq!(back, want);
    }
}
