//! CISA's Known Exploited Vulnerabilities catalog (`known_exploited_vulnerabilities.json`)
//! into the `kev` table, replacing it whole.
//! <https://www.cisa.gov/known-exploited-vulnerabilities-catalog>

use crate::build::{Builder, ImportSummary};
use crate::fetch::SourceState;
use crate::{Error, Result, SqlCtx};
use plimsoll_model::is_cve;
use rusqlite::params;
use serde::Deserialize;
use serde_json::value::RawValue;

impl Builder {
    /// Replaces the KEV table with a CISA `known_exploited_vulnerabilities.json` feed.
    /// A feed that cannot be read at all leaves the table as it was.
    pub fn import_kev(
        &mut self,
        input: &str,
        bytes: &[u8],
        state: Option<&SourceState>,
    ) -> Result<ImportSummary> {
        #[derive(Deserialize)]
        struct Feed<'a> {
            #[serde(rename = "catalogVersion")]
            catalog_version: Option<String>,
            #[serde(rename = "dateReleased")]
            date_released: Option<String>,
            #[serde(borrow)]
            vulnerabilities: Vec<&'a RawValue>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Entry {
            #[serde(rename = "cveID")]
            cve_id: String,
            vendor_project: Option<String>,
            product: Option<String>,
            vulnerability_name: Option<String>,
            date_added: String,
            due_date: Option<String>,
            known_ransomware_campaign_use: Option<String>,
            cwes: Option<Vec<String>>,
        }
        if bytes.len() as u64 > self.limits.max_feed_bytes {
            return Err(Error::Input {
                input: input.into(),
                reason: format!(
                    "{} bytes, over the feed limit of {}",
                    bytes.len(),
                    self.limits.max_feed_bytes
                ),
            });
        }
        let feed: Feed<'_> = serde_json::from_slice(bytes).map_err(|e| Error::Input {
            input: input.into(),
            reason: format!("not a CISA KEV feed: {e}"),
        })?;
        let mut summary = ImportSummary::default();
        let mut rows = Vec::with_capacity(feed.vulnerabilities.len());
        for (i, raw) in feed.vulnerabilities.iter().enumerate() {
            match serde_json::from_str::<Entry>(raw.get()) {
                Ok(e) if is_cve(&e.cve_id) => rows.push(e),
                Ok(e) => summary.skip(
                    &format!("{input}: vulnerabilities[{i}]"),
                    Some(e.cve_id),
                    "not a CVE id",
                ),
                Err(e) => summary.skip(
                    &format!("{input}: vulnerabilities[{i}]"),
                    None,
                    e.to_string(),
                ),
            }
        }
        if rows.is_empty() && !feed.vulnerabilities.is_empty() {
            return Err(Error::Input {
                input: input.into(),
                reason: "no readable entry in the KEV feed; the existing KEV data is kept".into(),
            });
        }
        let path = self.tmp_path().to_owned();
        let c = self.conn();
        c.execute("DELETE FROM kev", []).at(&path)?;
        {
            let mut ins = c
                .prepare_cached(
                    "INSERT OR REPLACE INTO kev(cve, vendor_project, product, vulnerability_name,
                     date_added, due_date, known_ransomware, cwes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .at(&path)?;
            for e in &rows {
                let ransomware = e
                    .known_ransomware_campaign_use
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case("known"));
                let cwes = e
                    .cwes
                    .as_ref()
                    .map(|c| serde_json::to_string(c).unwrap_or_default());
                ins.execute(params![
                    e.cve_id,
                    e.vendor_project,
                    e.product,
                    e.vulnerability_name,
                    e.date_added,
                    e.due_date,
                    ransomware,
                    cwes
                ])
                .at(&path)?;
            }
        }
        summary.kev_entries = rows.len() as u64;
        self.source_id("kev", "kev")?;
        if let Some(state) = state {
            self.set_source_state("kev", "kev", state)?;
        }
        let details = serde_json::json!({
            "catalog_version": feed.catalog_version,
            "date_released": feed.date_released,
            "input": input,
        });
        self.set_source_details("kev", summary.kev_entries, &details, state)?;
        Ok(summary)
    }
}
