//! A model folder's `training.json` (written by `tokenscope train`), read for the learning
//! view: what the model was trained on, how long, and its loss curve.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecordSettings {
    pub batch: usize,
    pub seq: usize,
    pub steps: usize,
    pub learning_rate: f32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecordPoint {
    pub step: usize,
    pub learning_rate: f32,
    pub train_loss: f32,
    pub held_out_loss: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrainingRecord {
    pub corpus: String,
    pub parameters: usize,
    pub vocab_size: usize,
    pub training_tokens: usize,
    pub held_out_tokens: usize,
    pub held_out_loss: f32,
    pub held_out_perplexity: f32,
    pub seconds: f64,
    pub settings: RecordSettings,
    pub history: Vec<RecordPoint>,
    /// Present when this run went on training an earlier model (`tokenscope train --init`).
    #[serde(default)]
    pub init: Option<InitRecord>,
}

/// What a fine-tuning run started from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InitRecord {
    /// The earlier model's held-out loss on this run's held-out text, before any step.
    pub held_out_loss_before: Option<f32>,
    /// The earlier model's own record, when its folder had one.
    pub base: Option<Box<TrainingRecord>>,
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
}
