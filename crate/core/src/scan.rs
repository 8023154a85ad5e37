//! The ablation scan: for one position of a text, what removing each attention head alone
//! (every other head on) does there, one head per step so a caller can spread the work out.
//! A GPT is measured by the probability of the token the full model puts first; BERT, which
//! predicts nothing, by how far the position's final vector turns (1 − cosine).

use ndarray::Array1;

use crate::ablation::Ablation;
use crate::analysis::{cosine, top_tokens};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::tokenize::Tokens;
use crate::trace::Trace;

/// What the scan measures at its position, read from the full model's run.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanMeasure {
    /// A decoder: the token the full model ranks first after the position, and its
    /// probability there.
    TopToken { id: u32, prob: f32 },
    /// An encoder: the position's final vector. (H)
    FinalVector(Array1<f32>),
}

/// What removing one head did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanCell {
    /// Decoder: the full model's top-token probability minus the probability with the head
    /// removed (positive: the head was helping that token). Encoder: 1 − cosine between the
    /// final vectors with and without the head (0: the head changed nothing there).
    pub effect: f32,
    /// Decoder: the token ranked first with the head removed, and its probability.
    pub new_top: Option<(u32, f32)>,
}

/// A scan in progress: `cells` holds the heads done so far in layer-then-head order.
#[derive(Debug, Clone)]
pub struct AblationScan {
    input: Tokens,
    pub position: usize,
    pub layers: usize,
    pub heads: usize,
    pub measure: ScanMeasure,
    pub cells: Vec<ScanCell>,
}

impl AblationScan {
    /// Runs the full model once on `input` and prepares a scan of every head at `position`.
    pub fn new(model: &Model, input: Tokens, position: usize) -> Result<Self> {
        if position >= input.ids.len() {
            return Err(Error::Input(format!(
                "position {position} is past the text's {} tokens",
                input.ids.len()
            )));
        }
        let full = model.trace_tokens(input.clone())?;
        let measure = match &full.next_token_probs {
            Some(probs) => {
                let (id, prob) = top_tokens(probs.row(position), 1)
                    .first()
                    .copied()
                    .ok_or_else(|| Error::Input("the model predicts no token".into()))?;
                ScanMeasure::TopToken { id, prob }
            }
            None => ScanMeasure::FinalVector(final_row(&full, position)?),
        };
        let (layers, heads) = (model.config.num_layers(), model.config.num_heads());
        Ok(AblationScan {
            input: full.input,
            position,
            layers,
            heads,
            measure,
            cells: Vec::with_capacity(layers * heads),
        })
    }

    /// How many heads the scan covers: layers × heads.
    pub fn total(&self) -> usize {
        self.layers * self.heads
    }

    pub fn is_done(&self) -> bool {
        self.cells.len() >= self.total()
    }

    /// The text's tokens, as the model read them.
    pub fn input(&self) -> &Tokens {
        &self.input
    }

    /// Removes the next head alone and records what it did; false once every head is done.
    pub fn step(&mut self, model: &Model) -> Result<bool> {
        if self.is_done() {
            return Ok(false);
        }
        let at = self.cells.len();
        let head = (at / self.heads, at % self.heads);
        let trace = model.trace_ablated(self.input.clone(), &Ablation::new([head]))?;
        let cell = match (&self.measure, &trace.next_token_probs) {
            (ScanMeasure::TopToken { id, prob }, Some(probs)) => {
                let row = probs.row(self.position);
                ScanCell {
                    effect: prob - row[*id as usize],
                    new_top: top_tokens(row, 1).first().copied(),
                }
            }
            (ScanMeasure::FinalVector(before), _) => {
                let after = final_row(&trace, self.position)?;
                ScanCell {
                    effect: 1.0 - cosine(before.view(), after.view()),
                    new_top: None,
                }
            }
            (ScanMeasure::TopToken { .. }, None) => {
                return Err(Error::Input("the model stopped predicting tokens".into()))
            }
        };
        self.cells.push(cell);
        Ok(true)
    }

    /// Every head at once.
    pub fn run(model: &Model, input: Tokens, position: usize) -> Result<Self> {
        let mut scan = AblationScan::new(model, input, position)?;
        while scan.step(model)? {}
        Ok(scan)
    }
}

fn final_row(trace: &Trace, position: usize) -> Result<Array1<f32>> {
    trace
        .hidden_states
        .last()
        .map(|h| h.row(position).to_owned())
        .ok_or_else(|| Error::Input("the model has no layers".into()))
}
