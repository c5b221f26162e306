//! FIRST's Exploit Prediction Scoring System scores of the day (`epss_scores-*.csv`) into
//! the `epss` table, replacing it whole. <https://www.first.org/epss/data_stats>

use crate::build::{Builder, ImportSummary};
use crate::fetch::SourceState;
use crate::{Error, Result, SqlCtx};
use plimsoll_model::is_cve;
use rusqlite::params;
use std::io::BufRead;

impl Builder {
    /// Replaces the EPSS table with a FIRST `epss_scores-*.csv` (already decompressed):
    /// `#model_version:…,score_date:…`, then `cve,epss,percentile`, then one line per CVE.
    pub fn import_epss(
        &mut self,
        input: &str,
        reader: impl BufRead,
        state: Option<&SourceState>,
    ) -> Result<ImportSummary> {
        let bad = |reason: String| Error::Input {
            input: input.into(),
            reason,
        };
        let mut reader = reader.take(self.limits.max_feed_bytes + 1);
        let mut summary = ImportSummary::default();
        let mut line = String::new();
        let mut model_version = None;
        let mut score_date = None;
        let mut columns: Option<(usize, usize, usize)> = None;
        let mut rows: Vec<(String, f64, f64)> = Vec::new();
        let mut read = 0u64;
        let mut lineno = 0u64;
        loop {
            line.clear();
            let n = reader
                .read_line(&mut line)
                .map_err(|e| bad(format!("cannot read line {}: {e}", lineno + 1)))?;
            if n == 0 {
                break;
            }
            lineno += 1;
            read += n as u64;
            if read > self.limits.max_feed_bytes {
                return Err(bad(format!(
                    "larger than the feed limit of {} bytes",
                    self.limits.max_feed_bytes
                )));
            }
            let l = line.trim_end_matches(['\r', '\n']);
            if l.is_empty() {
                continue;
            }
            if let Some(meta) = l.strip_prefix('#') {
                for part in meta.split(',') {
                    match part.split_once(':') {
                        Some(("model_version", v)) => model_version = Some(v.to_owned()),
                        Some(("score_date", v)) => score_date = Some(v.to_owned()),
                        _ => {}
                    }
                }
                continue;
            }
            let fields: Vec<&str> = l.split(',').map(str::trim).collect();
            let Some((ci, si, pi)) = columns else {
                let pos = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
                match (pos("cve"), pos("epss"), pos("percentile")) {
                    (Some(c), Some(s), Some(p)) => columns = Some((c, s, p)),
                    _ => {
                        return Err(bad(format!(
                            "line {lineno}: expected the header `cve,epss,percentile`, found {l:?}"
                        )));
                    }
                }
                continue;
            };
            let get = |i: usize| fields.get(i).copied().unwrap_or("");
            let cve = get(ci);
            let score = get(si).parse::<f64>();
            let pct = get(pi).parse::<f64>();
            match (score, pct) {
                (Ok(s), Ok(p))
                    if is_cve(cve)
                        && cve.len() < 64
                        && (0.0..=1.0).contains(&s)
                        && (0.0..=1.0).contains(&p) =>
                {
                    rows.push((cve.to_owned(), s, p))
                }
                _ => summary.skip(
                    &format!("{input}: line {lineno}"),
                    None,
                    format!("not a `cve,epss,percentile` row: {l:.80}"),
                ),
            }
        }
        if columns.is_none() {
            return Err(bad(
                "no `cve,epss,percentile` header: not an EPSS CSV".into()
            ));
        }
        if rows.is_empty() {
            return Err(bad(
                "no readable EPSS row; the existing EPSS data is kept".into()
            ));
        }
        let path = self.tmp_path().to_owned();
        let c = self.conn();
        c.execute("DELETE FROM epss", []).at(&path)?;
        {
            let mut ins = c
                .prepare_cached(
                    "INSERT OR REPLACE INTO epss(cve, score, percentile) VALUES (?1, ?2, ?3)",
                )
                .at(&path)?;
            for (cve, s, p) in &rows {
                ins.execute(params![cve, s, p]).at(&path)?;
            }
        }
        summary.epss_scores = rows.len() as u64;
        self.source_id("epss", "epss")?;
        if let Some(state) = state {
            self.set_source_state("epss", "epss", state)?;
        }
        let details = serde_json::json!({
            "model_version": model_version,
            "score_date": score_date,
            "input": input,
        });
        self.set_source_details("epss", summary.epss_scores, &details, state)?;
        Ok(summary)
    }
}
