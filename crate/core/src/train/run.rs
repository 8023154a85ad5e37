//! A training run: its settings, the loss point each step reports, the step loop (batches,
//! clipping, AdamW on a schedule, held-out measurements), and the thinning of its history.

use crate::error::{Error, Result};
use crate::generate::SplitMix64;

use super::forward::Batch;
use super::optim::{clip_grad_norm, learning_rate_at, AdamW, AdamWSettings};
use super::params::Gpt2Params;

/// How a training run goes: batch shape, length, learning-rate schedule, optimiser, and
/// how often the held-out loss is measured.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingSettings {
    pub batch: usize,
    pub seq: usize,
    pub steps: usize,
    pub learning_rate: f32,
    pub min_learning_rate: f32,
    pub warmup: usize,
    pub max_grad_norm: f32,
    pub adamw: AdamWSettings,
    /// Measure the held-out loss every this many steps (and after the last).
    pub eval_every: usize,
    /// Held-out windows per measurement, in batches.
    pub eval_batches: usize,
    /// Seeds the choice of training windows.
    pub seed: u64,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        TrainingSettings {
            batch: 16,
            seq: 64,
            steps: 1000,
            learning_rate: 3e-3,
            min_learning_rate: 3e-4,
            warmup: 50,
            max_grad_norm: 1.0,
            adamw: AdamWSettings::default(),
            eval_every: 100,
            eval_batches: 8,
            seed: 0,
        }
    }
}

/// One point of the loss curve: what a step reports, what the page plots live, and what
/// `training.json` keeps (thinned) as its history.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LossPoint {
    pub step: usize,
    pub learning_rate: f32,
    pub train_loss: f32,
    /// Mean loss on held-out text, measured every `eval_every` steps.
    pub held_out_loss: Option<f32>,
}

/// A model being trained on a token stream, one step at a time (so a page can pause it).
pub struct TrainingRun {
    pub params: Gpt2Params,
    pub settings: TrainingSettings,
    optimiser: AdamW,
    rng: SplitMix64,
    train_ids: Vec<u32>,
    held_out_ids: Vec<u32>,
    /// Steps taken so far.
    pub step: usize,
    pub history: Vec<LossPoint>,
}

impl TrainingRun {
    pub fn new(
        params: Gpt2Params,
        train_ids: Vec<u32>,
        held_out_ids: Vec<u32>,
        settings: TrainingSettings,
    ) -> Result<Self> {
        let seq = settings.seq;
        if settings.batch == 0 || seq == 0 || settings.steps == 0 {
            return Err(Error::Input(
                "batch size, sequence length and steps must be at least 1".into(),
            ));
        }
        if seq > params.config.n_positions {
            return Err(Error::Input(format!(
                "sequences of {seq} tokens are longer than the model's {} positions",
                params.config.n_positions
            )));
        }
        for (what, ids) in [("training", &train_ids), ("held-out", &held_out_ids)] {
            if ids.len() < seq + 1 {
                return Err(Error::Input(format!(
                    "the {what} text has {} tokens; a window needs {}",
                    ids.len(),
                    seq + 1
                )));
            }
        }
        Ok(TrainingRun {
            optimiser: AdamW::new(&params, settings.adamw),
            rng: SplitMix64::new(settings.seed),
            params,
            train_ids,
            held_out_ids,
            step: 0,
            history: Vec::new(),
            settings,
        })
    }

    /// `batch` windows of `seq + 1` tokens: inputs and the same shifted by one.
    fn windows(
        ids: &[u32],
        starts: impl Iterator<Item = usize>,
        batch: usize,
        seq: usize,
    ) -> Batch {
        let mut inputs = Vec::with_capacity(batch * seq);
        let mut targets = Vec::with_capacity(batch * seq);
        for start in starts.take(batch) {
            inputs.extend_from_slice(&ids[start..start + seq]);
            targets.extend_from_slice(&ids[start + 1..start + seq + 1]);
        }
        Batch {
            batch,
            seq,
            inputs,
            targets,
        }
    }

    /// The next training batch: windows at random places of the training stream.
    pub fn next_batch(&mut self) -> Batch {
        let (batch, seq) = (self.settings.batch, self.settings.seq);
        let span = (self.train_ids.len() - seq) as u64; // start ∈ [0, span)
        let starts: Vec<usize> = (0..batch)
            .map(|_| (self.rng.next_u64() % span) as usize)
            .collect();
        Self::windows(&self.train_ids, starts.into_iter(), batch, seq)
    }

    /// Mean loss on the same evenly spaced held-out windows every time. Its exponential is
    /// the held-out perplexity.
    pub fn held_out_loss(&self) -> Result<f32> {
        let (batch, seq) = (self.settings.batch, self.settings.seq);
        let count = batch * self.settings.eval_batches.max(1);
        let span = self.held_out_ids.len() - seq;
        let starts: Vec<usize> = (0..count).map(|i| i * span / count).collect();
        let mut total = 0.0f64;
        for chunk in starts.chunks(batch) {
            let windows =
                Self::windows(&self.held_out_ids, chunk.iter().copied(), chunk.len(), seq);
            total += self.params.forward(&windows)?.loss as f64 * chunk.len() as f64;
        }
        Ok((total / count as f64) as f32)
    }

    /// One step: a batch forward and back, clipping, AdamW at the scheduled learning rate,
    /// and the held-out loss when due.
    pub fn train_step(&mut self) -> Result<LossPoint> {
        let s = &self.settings;
        let learning_rate = learning_rate_at(
            self.step,
            s.steps,
            s.warmup,
            s.learning_rate,
            s.min_learning_rate,
        );
        let max_grad_norm = s.max_grad_norm;
        let batch = self.next_batch();
        let pass = self.params.forward(&batch)?;
        let mut grad = self.params.backward(&pass);
        clip_grad_norm(&mut grad, max_grad_norm);
        self.optimiser
            .update(&mut self.params, &grad, learning_rate);
        self.step += 1;
        let due = self.step.is_multiple_of(self.settings.eval_every.max(1))
            || self.step == self.settings.steps;
        let point = LossPoint {
            step: self.step,
            learning_rate,
            train_loss: pass.loss,
            held_out_loss: if due {
                Some(self.held_out_loss()?)
            } else {
                None
            },
        };
        self.history.push(point.clone());
        Ok(point)
    }

    pub fn finished(&self) -> bool {
        self.step >= self.settings.steps
    }
}

/// A loss curve short enough to ship and plot: about `max_points` points, each the mean
/// training loss of consecutive steps (ending at its `step`). A window also ends at every
/// held-out measurement, so each one keeps the exact step it was measured at.
pub fn thin_history(points: &[LossPoint], max_points: usize) -> Vec<LossPoint> {
    let window = points.len().div_ceil(max_points.max(1)).max(1);
    let mean_of = |chunk: &[&LossPoint]| -> Option<LossPoint> {
        let last = chunk.last()?;
        let mean = chunk.iter().map(|p| p.train_loss as f64).sum::<f64>() / chunk.len() as f64;
        Some(LossPoint {
            step: last.step,
            learning_rate: last.learning_rate,
            train_loss: mean as f32,
            held_out_loss: last.held_out_loss,
        })
    };
    let mut thin = Vec::new();
    let mut chunk: Vec<&LossPoint> = Vec::with_capacity(window);
    for point in points {
        chunk.push(point);
        if chunk.len() == window || point.held_out_loss.is_some() {
            thin.extend(mean_of(&chunk));
            chunk.clear();
        }
    }
    thin.extend(mean_of(&chunk));
    thin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_history_thins_to_window_means_and_keeps_held_out_points() {
        let points: Vec<LossPoint> = (1..=1000)
            .map(|step| LossPoint {
                step,
                learning_rate: 1e-3,
                train_loss: step as f32,
                held_out_loss: step.is_multiple_of(250).then_some(step as f32 / 2.0),
            })
            .collect();
        let thin = thin_history(&points, 100);
        assert_eq!(thin.len(), 100);
        assert_eq!(thin[0].step, 10);
        assert!((thin[0].train_loss - 5.5).abs() < 1e-6, "mean of 1..=10");
        let held: Vec<f32> = thin.iter().filter_map(|p| p.held_out_loss).collect();
        assert_eq!(held, [125.0, 250.0, 375.0, 500.0]);
        assert_eq!(thin_history(&points[..3], 100).len(), 3);
        // Held-out points off the window grid keep their own step.
        let odd: Vec<LossPoint> = (1..=100)
            .map(|step| LossPoint {
                step,
                learning_rate: 1e-3,
                train_loss: 1.0,
                held_out_loss: step.is_multiple_of(33).then_some(2.0),
            })
            .collect();
        let thin = thin_history(&odd, 10);
        let steps: Vec<usize> = thin
            .iter()
            .filter(|p| p.held_out_loss.is_some())
            .map(|p| p.step)
            .collect();
        assert_eq!(steps, [33, 66, 99]);
        assert!(thin.len() <= 10 + 3);
        assert_eq!(thin.last().map(|p| p.step), Some(100));
    }
}
