//! `training.json`, the record a training run leaves next to its model: one type that
//! `tokenscope train` and the page's Train view write and the learning view reads.
//!
//! What the learning view needs (corpus, sizes, final loss, steps, the loss curve) is
//! required. The rest is optional, so a record that lacks it (written by hand, or by only
//! one of the two writers) still reads; an absent option is left out when written.

use serde::{Deserialize, Serialize};

use super::run::TrainingSettings;

/// The points of a record's loss curve, here too so that a reader needs only this module.
pub use super::run::LossPoint;

/// How the run was set up. `batch`, `seq`, `steps` and `learning_rate` are always there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordSettings {
    pub batch: usize,
    pub seq: usize,
    /// Steps the run was set to take.
    pub steps: usize,
    /// Steps it took before the record was written (the page: a run can be stopped early).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps_taken: Option<usize>,
    pub learning_rate: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_learning_rate: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_grad_norm: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta1: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta2: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eps: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl RecordSettings {
    /// Every setting of a run, as both writers record it (`steps_taken` is the page's own).
    pub fn from_settings(s: &TrainingSettings) -> Self {
        RecordSettings {
            batch: s.batch,
            seq: s.seq,
            steps: s.steps,
            steps_taken: None,
            learning_rate: s.learning_rate,
            min_learning_rate: Some(s.min_learning_rate),
            warmup: Some(s.warmup),
            max_grad_norm: Some(s.max_grad_norm),
            beta1: Some(s.adamw.beta1),
            beta2: Some(s.adamw.beta2),
            eps: Some(s.adamw.eps),
            weight_decay: Some(s.adamw.weight_decay),
            seed: Some(s.seed),
        }
    }
}

/// What a fine-tuning run started from (`tokenscope train --init`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InitRecord {
    /// The folder the earlier model was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The earlier model's held-out loss on this run's held-out text, before any step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out_loss_before: Option<f32>,
    /// The earlier model's own record, when its folder had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Box<TrainingRecord>>,
}

/// A model folder's `training.json`: what the model was trained on, how, how long, and its
/// loss curve. `Default` is an empty record to fill in; `parse` refuses it (no curve).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// What the text was ("lines of x.txt", "the shipped sample").
    pub corpus: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_lines: Option<usize>,
    /// The CLI holds out every `held_out_every`-th line of its corpus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out_lines: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out_every: Option<usize>,
    /// How the held-out text was chosen, in words (the page: the text's last tenth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out: Option<String>,
    pub training_tokens: usize,
    pub held_out_tokens: usize,
    pub vocab_size: usize,
    pub parameters: usize,
    pub settings: RecordSettings,
    /// The last held-out loss, and its exponential.
    pub held_out_loss: f32,
    pub held_out_perplexity: f32,
    pub seconds: f64,
    /// Where the training ran, when not the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_in: Option<String>,
    /// The loss curve, thinned (`thin_history`).
    pub history: Vec<LossPoint>,
    /// Present when this run went on training an earlier model (`tokenscope train --init`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<InitRecord>,
}

/// One run of a model's training history, placed on the whole history's step axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage<'a> {
    pub record: &'a TrainingRecord,
    /// Steps taken before this run began (by the runs it went on from).
    pub first_step: usize,
}

impl Stage<'_> {
    /// Training-batch losses: (step on the whole axis, loss).
    pub fn train(&self) -> Vec<(usize, f32)> {
        let at = self.first_step;
        self.record
            .history
            .iter()
            .map(|p| (at + p.step, p.train_loss))
            .collect()
    }

    /// Held-out measurements on this run's held-out text, starting with the earlier model's
    /// loss before the first step when the run recorded it.
    pub fn held_out(&self) -> Vec<(usize, f32)> {
        let at = self.first_step;
        let before = self
            .record
            .init
            .as_ref()
            .and_then(|i| i.held_out_loss_before)
            .map(|l| (at, l));
        before
            .into_iter()
            .chain(self.record.held_out().into_iter().map(|(s, l)| (at + s, l)))
            .collect()
    }
}

impl TrainingRecord {
    /// Reads `training.json`; a file of another shape is refused with what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let record: TrainingRecord =
            serde_json::from_slice(bytes).map_err(|e| format!("training.json: {e}"))?;
        if record.history.is_empty() {
            return Err("training.json: the loss curve is empty".into());
        }
        Ok(record)
    }

    /// The record as `training.json` holds it.
    pub fn to_json(&self) -> Result<String, String> {
        serde_json::to_string_pretty(self).map_err(|e| format!("training.json: {e}"))
    }

    /// The runs that made this model, oldest first: the base models it went on from
    /// (`init.base`, recursively), then this run.
    pub fn stages(&self) -> Vec<Stage<'_>> {
        let mut chain = vec![self];
        while let Some(base) = chain
            .last()
            .and_then(|r| r.init.as_ref())
            .and_then(|i| i.base.as_deref())
        {
            chain.push(base);
        }
        let mut first_step = 0;
        chain
            .into_iter()
            .rev()
            .map(|record| {
                let stage = Stage { record, first_step };
                first_step += record.settings.steps;
                stage
            })
            .collect()
    }

    /// This run's own held-out measurements: (step, loss).
    pub fn held_out(&self) -> Vec<(usize, f32)> {
        self.history
            .iter()
            .filter_map(|p| p.held_out_loss.map(|l| (p.step, l)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_report_reads_back() {
        let json = br#"{"corpus": "lines of x.txt", "parameters": 1000, "vocab_size": 300,
            "training_tokens": 5000, "held_out_tokens": 400, "held_out_loss": 2.5,
            "held_out_perplexity": 12.18, "seconds": 3.5, "training_lines": 10,
            "settings": {"batch": 4, "seq": 16, "steps": 60, "learning_rate": 0.003, "seed": 7},
            "history": [{"step": 20, "learning_rate": 0.003, "train_loss": 4.0, "held_out_loss": 4.2},
                        {"step": 40, "learning_rate": 0.002, "train_loss": 3.0, "held_out_loss": null}]}"#;
        let record = TrainingRecord::parse(json).expect("parses");
        assert_eq!(record.held_out(), [(20, 4.2)]);
        assert_eq!(record.settings.steps, 60);
        assert!(TrainingRecord::parse(b"{}").is_err());
        let refused = TrainingRecord::parse(b"not json").expect_err("not JSON is refused");
        assert!(refused.starts_with("training.json"), "{refused}");
        assert_eq!(record.stages().len(), 1, "a run from scratch is one stage");
    }

    #[test]
    fn a_fine_tuning_run_follows_its_base_on_one_step_axis() {
        let base = r#"{"corpus": "WordNet", "parameters": 1000, "vocab_size": 300,
            "training_tokens": 5000, "held_out_tokens": 400, "held_out_loss": 3.0,
            "held_out_perplexity": 20.09, "seconds": 9.0,
            "settings": {"batch": 4, "seq": 16, "steps": 100, "learning_rate": 0.003},
            "history": [{"step": 50, "learning_rate": 0.003, "train_loss": 4.0, "held_out_loss": 3.5},
                        {"step": 100, "learning_rate": 0.001, "train_loss": 3.1, "held_out_loss": 3.0}]}"#;
        let json = format!(
            r#"{{"corpus": "WordNet + chat", "parameters": 1000, "vocab_size": 300,
            "training_tokens": 9000, "held_out_tokens": 700, "held_out_loss": 2.8,
            "held_out_perplexity": 16.44, "seconds": 5.0,
            "settings": {{"batch": 4, "seq": 16, "steps": 40, "learning_rate": 0.001}},
            "history": [{{"step": 40, "learning_rate": 0.0001, "train_loss": 2.9, "held_out_loss": 2.8}}],
            "init": {{"from": "base/", "held_out_loss_before": 3.4, "base": {base}}}}}"#
        );
        let record = TrainingRecord::parse(json.as_bytes()).expect("parses");
        let stages = record.stages();
        assert_eq!(stages.len(), 2);
        assert_eq!(stages[0].record.corpus, "WordNet");
        assert_eq!(stages[0].held_out(), [(50, 3.5), (100, 3.0)]);
        assert_eq!(stages[1].first_step, 100);
        assert_eq!(
            stages[1].held_out(),
            [(100, 3.4), (140, 2.8)],
            "the base model measured on the new held-out text, then the run's own"
        );
        assert_eq!(stages[1].train(), [(140, 2.9)]);
    }

    /// Where two JSON values first differ, as a path (`settings.seed`, `history[3]`).
    #[cfg(not(target_arch = "wasm32"))]
    fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> String {
        use serde_json::Value;
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys = x.keys().chain(y.keys());
                for key in keys {
                    match (x.get(key), y.get(key)) {
                        (Some(p), Some(q)) if p == q => {}
                        (Some(p), Some(q)) => {
                            return first_difference(p, q, &format!("{at}.{key}"))
                        }
                        (p, q) => return format!("{at}.{key}: {p:?} vs {q:?}"),
                    }
                }
                format!("{at}: nothing")
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                match x.iter().zip(y).position(|(p, q)| p != q) {
                    Some(i) => first_difference(&x[i], &y[i], &format!("{at}[{i}]")),
                    None => format!("{at}: nothing"),
                }
            }
            _ => format!("{at}: {a} vs {b}"),
        }
    }

    /// Every field either writer writes survives a read and a write: the record of each
    /// committed model (a `training.json` anywhere under assets/) parses, and serialises
    /// back to the same JSON value, and its written text reads back as the same record.
    /// (tests/reference/fixtures/training.json is PyTorch's reference for the training
    /// tests, another format.)
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn every_committed_record_round_trips_without_losing_a_field() {
        fn records(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
            let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
            for entry in entries {
                let path = entry.expect("directory entry").path();
                if path.is_dir() {
                    records(&path, found);
                } else if path.file_name().is_some_and(|n| n == "training.json") {
                    found.push(path);
                }
            }
        }
        let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        let mut found = Vec::new();
        records(&assets, &mut found);
        assert!(
            found
                .iter()
                .any(|p| p.ends_with("models/tokenscope-gpt/training.json")),
            "the embedded GPT's record is among {found:?}"
        );
        for path in found {
            let bytes = std::fs::read(&path).expect("reads");
            let original: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
            let record = TrainingRecord::parse(&bytes).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            // As a value (f32 widened to f64, as the json! writers wrote them) and back
            // through text, so both sides meet serde_json's float parsing alike (without
            // its float_roundtrip feature it can land an ulp from the nearest f64).
            let value = serde_json::to_value(&record).expect("serialises");
            let text = serde_json::to_string(&value).expect("writes");
            let again: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            assert!(
                again == original,
                "{path:?} loses or changes {}",
                first_difference(&original, &again, "")
            );
            let written = record.to_json().expect("writes");
            let reread = TrainingRecord::parse(written.as_bytes()).expect("reads back");
            assert_eq!(reread, record, "{path:?} reads back as written");
        }
    }

    /// What both writers put in `settings`, and that a page record without the CLI's
    /// fields leaves them out rather than writing nulls.
    #[test]
    fn settings_record_every_training_setting_and_absent_options_are_left_out() {
        let s = TrainingSettings::default();
        let settings = RecordSettings::from_settings(&s);
        assert_eq!(settings.beta2, Some(s.adamw.beta2));
        assert_eq!(settings.warmup, Some(s.warmup));
        let record = TrainingRecord {
            corpus: "the shipped sample".into(),
            settings,
            history: vec![LossPoint {
                step: 1,
                learning_rate: 1e-3,
                train_loss: 5.0,
                held_out_loss: None,
            }],
            ..TrainingRecord::default()
        };
        let value = serde_json::to_value(&record).expect("serialises");
        for absent in ["held_out_lines", "held_out_every", "trained_in", "init"] {
            assert!(value.get(absent).is_none(), "{absent} is left out");
        }
        assert!(value["settings"].get("steps_taken").is_none());
        assert_eq!(value["settings"]["seed"], 0);
        assert_eq!(
            value["history"][0]["held_out_loss"],
            serde_json::Value::Null,
            "a point without a measurement says so"
        );
        let json = record.to_json().expect("writes");
        assert_eq!(TrainingRecord::parse(json.as_bytes()), Ok(record));
    }
}
