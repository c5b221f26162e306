//! The secrets analyzer: `plimsoll-secret`'s rules over every file of every layer (files a
//! later layer deletes too: the blob still holds them), the image config's Env and Labels,
//! and the history's `created_by` lines.
//!
//! Files are read by a streaming inspector while the layers stream, so no file is held; a
//! hit carries the rule, the line and the redacted match, never the value. Wherever the
//! report would quote the image (a label, a layer's `created_by`), text that holds a secret
//! is redacted before the report exists.

use crate::analyzer::{Analyzer, Input};
use plimsoll_image::inspect::{Candidate, Hit, Inspector};
use plimsoll_model::{Report, SecretFinding, SecretSource};
use plimsoll_secret::Scanner as Rules;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

/// Hits kept per file; the rest of a file's hits are dropped.
pub const MAX_HITS_PER_FILE: usize = 100;

/// Finds secrets; see the module docs.
pub struct Secrets {
    rules: Arc<Rules>,
    max_file_size: u64,
}

impl Secrets {
    pub fn new(rules: Arc<Rules>, max_file_size: u64) -> Secrets {
        Secrets {
            rules,
            max_file_size,
        }
    }
}

/// The inspector the walk runs on every file.
struct FileInspector {
    rules: Arc<Rules>,
    max_file_size: u64,
}

impl std::fmt::Debug for FileInspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "secrets({})", self.fingerprint())
    }
}

impl Inspector for FileInspector {
    fn fingerprint(&self) -> String {
        format!(
            "secrets:{}:max{}",
            self.rules.fingerprint(),
            self.max_file_size
        )
    }

    fn wants(&self, file: &Candidate<'_>) -> bool {
        file.size > 0 && self.rules.wants_path(file.path)
    }

    fn inspect(&self, path: &str, data: &mut dyn Read) -> std::io::Result<Vec<Hit>> {
        // Read to the end of the file even past the limit: the walker's stream must
        // continue at the next entry either way (tar skips the rest), so only the scan
        // stops.
        Ok(self
            .rules
            .scan_reader(path, data, self.max_file_size)?
            .into_iter()
            // A file of key-shaped lines is one problem, not a million findings: the
            // report, the cache and memory stay bounded whatever the image holds.
            .take(MAX_HITS_PER_FILE)
            .map(|h| Hit {
                rule: h.rule_id,
                line: h.line,
                detail: h.redacted,
            })
            .collect())
    }
}

impl Analyzer for Secrets {
    fn name(&self) -> &'static str {
        "secrets"
    }

    fn inspectors(&self) -> Vec<Arc<dyn Inspector>> {
        vec![Arc::new(FileInspector {
            rules: self.rules.clone(),
            max_file_size: self.max_file_size,
        })]
    }

    fn analyze(&self, input: &Input<'_>, report: &mut Report) {
        let mut found = Vec::new();
        if let Some(img) = input.image {
            self.config(img, report, &mut found);
        }
        found.extend(self.files(input, report));
        found.sort_by(|a, b| {
            (b.severity, a.source, &a.path, a.line, &a.rule_id)
                .cmp(&(a.severity, b.source, &b.path, b.line, &b.rule_id))
        });
        report.secrets.extend(found);
    }
}

impl Secrets {
    /// A finding of `hit`: `path` is what the report names (a file, an Env variable, a
    /// label), `named` what the fingerprint names (`history:3` for history), `layer` the
    /// layer whose blob or history entry holds it.
    fn finding(
        &self,
        report: &Report,
        hit: &plimsoll_secret::Hit,
        source: SecretSource,
        path: Option<&str>,
        named: &str,
        layer: Option<usize>,
    ) -> SecretFinding {
        let info = self.rules.rule(&hit.rule_id);
        SecretFinding {
            rule_id: hit.rule_id.clone(),
            category: info.map(|r| r.category.clone()).unwrap_or_default(),
            title: info
                .map(|r| r.title.clone())
                .unwrap_or_else(|| hit.rule_id.clone()),
            severity: info.map(|r| r.severity).unwrap_or_default(),
            source,
            path: path.map(str::to_string),
            line: (source == SecretSource::File).then_some(hit.line),
            layer,
            layer_created_by: layer.and_then(|l| {
                report
                    .artifact
                    .layers
                    .iter()
                    .find(|x| x.index == l)
                    .and_then(|x| x.created_by.clone())
            }),
            deleted_in_layer: None,
            redacted: hit.redacted.clone(),
            fingerprint: hit.fingerprint(named),
            in_base_image: layer.and_then(|l| {
                report
                    .artifact
                    .base_image
                    .as_ref()
                    .and_then(|b| b.holds(Some(l)))
            }),
        }
    }

    /// Secrets in the files of every layer. The same secret in the same place written by
    /// several layers (a file copied again, its mode changed) is one finding: the layer
    /// that brought it in, and the layer that removed it only when no copy is left in the
    /// final filesystem.
    fn files(&self, input: &Input<'_>, report: &Report) -> Vec<SecretFinding> {
        let mut by_place: BTreeMap<(String, String, u64, String), SecretFinding> = BTreeMap::new();
        for (file, _) in input.walk.inspected() {
            let removed = input.walk.removed_after(&file.path, file.layer);
            for h in &file.hits {
                let key = (file.path.clone(), h.rule.clone(), h.line, h.detail.clone());
                if let Some(f) = by_place.get_mut(&key) {
                    if f.deleted_in_layer.is_some() {
                        f.deleted_in_layer = removed;
                    }
                    continue;
                }
                let hit = plimsoll_secret::Hit {
                    rule_id: h.rule.clone(),
                    line: h.line,
                    redacted: h.detail.clone(),
                };
                let path = Some(file.path.as_str());
                let mut f = self.finding(
                    report,
                    &hit,
                    SecretSource::File,
                    path,
                    &file.path,
                    Some(file.layer),
                );
                f.deleted_in_layer = removed;
                by_place.insert(key, f);
            }
        }
        by_place.into_values().collect()
    }

    /// Secrets in the image config's Env and Labels and in the history; what the report
    /// quotes of them (labels, `created_by`) is redacted first.
    fn config(
        &self,
        img: &plimsoll_image::Image,
        report: &mut Report,
        found: &mut Vec<SecretFinding>,
    ) {
        let (env, labels) = (SecretSource::Env, SecretSource::Label);
        if let Some(c) = img.config.config() {
            for e in c.env().iter().flatten() {
                let name = e.split_once('=').map_or(e.as_str(), |(k, _)| k);
                for h in self.rules.scan_text("config:Env", e) {
                    found.push(self.finding(report, &h, env, Some(name), name, None));
                }
            }
        }
        for (k, v) in img.labels() {
            let hits = self.rules.scan_text("config:Labels", &format!("{k}={v}"));
            if hits.is_empty() {
                continue;
            }
            if let Some(cfg) = report.artifact.config.as_mut() {
                cfg.labels.insert(k.clone(), hits[0].redacted.clone());
            }
            for h in hits {
                found.push(self.finding(report, &h, labels, Some(&k), &k, None));
            }
        }
        // History entries that made a layer are numbered with the layers.
        let mut layer = 0usize;
        for (i, h) in img.config.history().iter().flatten().enumerate() {
            let empty = h.empty_layer().unwrap_or(false);
            let this_layer = (!empty).then_some(layer);
            if !empty {
                layer += 1;
            }
            let Some(text) = h.created_by() else { continue };
            let named = format!("history:{i}");
            let hits = self.rules.scan_text(&named, text);
            if hits.is_empty() {
                continue;
            }
            if let Some(l) = this_layer
                && let Some(rl) = report.artifact.layers.iter_mut().find(|x| x.index == l)
                && let Some(cb) = rl.created_by.as_mut()
            {
                *cb = self.redact_text(&named, cb);
            }
            for hit in hits {
                let history = SecretSource::History;
                found.push(self.finding(report, &hit, history, None, &named, this_layer));
            }
        }
    }

    /// `text` with every word that holds a secret replaced by its redacted form; when the
    /// secret spans words, the whole text.
    fn redact_text(&self, path: &str, text: &str) -> String {
        let out: Vec<String> = text
            .split(' ')
            .map(|w| match self.rules.scan_text(path, w).first() {
                Some(h) => h.redacted.clone(),
                None => w.to_string(),
            })
            .collect();
        let out = out.join(" ");
        if self.rules.scan_text(path, &out).is_empty() {
            out
        } else {
            "[redacted by plimsoll: holds a secret]".to_string()
        }
    }
}
