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

    /// The held-out measurements: (step, loss).
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
    }
}
