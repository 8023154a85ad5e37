//! The Train view's messages: what a run learns from, what it watches, and what the worker
//! sends back while it learns.

use serde::{Deserialize, Serialize};
pub use tokenscope_core::train::LossPoint;

use crate::named_enum;

/// What a training run learns from and how: the Train view's controls.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainSetup {
    /// The text to learn; each non-empty line is a document.
    pub corpus: String,
    /// What the text is, for the record ("the shipped sample", "your text").
    pub corpus_name: String,
    pub vocab: usize,
    pub layers: usize,
    pub heads: usize,
    pub width: usize,
    /// Positions the model sees; also the length of each training window.
    pub context: usize,
    pub batch: usize,
    pub steps: usize,
    pub learning_rate: f32,
    /// A sample, the word pairs and the attention head are renewed every this many steps.
    pub sample_every: usize,
    pub seed: u64,
}

/// What the Train view watches while the model learns.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TrainWatch {
    /// The start of each generated sample.
    pub prompt: String,
    /// Word pairs whose embedding cosine is followed.
    pub pairs: Vec<(String, String)>,
    /// The sentence whose attention is drawn, and the head.
    pub probe: String,
    pub layer: usize,
    pub head: usize,
}

/// Page → worker, for the run in the Train view.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum TrainCommand {
    /// A new model from random weights (dropping any run), then train it.
    Start {
        setup: TrainSetup,
        watch: TrainWatch,
    },
    /// Go on with a paused run.
    Resume,
    Pause,
    /// Drop the run.
    Reset,
    /// Watch other words or another head; answered at once with a new snapshot.
    Watch(TrainWatch),
    /// Make the trained model the one every other view uses.
    Use,
    /// The trained model as a zip of a Hugging Face folder.
    Download,
}

named_enum! {
    /// Where the run is; the names are the Train button's `data-phase`.
    #[derive(Serialize, Deserialize)]
    pub enum TrainPhase {
        /// No run.
        Idle = "idle",
        Running = "running",
        Paused = "paused",
        Finished = "finished",
    }
}

/// Facts of a run, fixed when it starts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainFacts {
    pub corpus_name: String,
    pub corpus_lines: usize,
    pub vocab_size: usize,
    pub parameters: usize,
    pub training_tokens: usize,
    pub held_out_tokens: usize,
    pub steps: usize,
    pub batch: usize,
    pub context: usize,
    pub layers: usize,
    pub heads: usize,
    pub width: usize,
    pub learning_rate: f32,
    pub sample_every: usize,
}

/// The cosine of two words' embeddings in the model as it is now.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PairCosine {
    pub a: String,
    pub b: String,
    /// None when a word has no tokens.
    pub cosine: Option<f32>,
    /// How many tokens each word is (a word of several tokens is their mean).
    pub tokens: (usize, usize),
}

/// The model at one step, seen the ways the Train view shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainSnapshot {
    pub step: usize,
    /// The prompt and what the model wrote after it.
    pub prompt: String,
    pub sample: String,
    pub pairs: Vec<PairCosine>,
    pub probe_tokens: Vec<String>,
    pub layer: usize,
    pub head: usize,
    /// The probe's attention at `layer`, `head`. (S, S) row-major
    pub attention: Vec<f32>,
}

/// The training run: its phase, the loss points since the last update, and a snapshot when
/// one was due.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainingUpdate {
    pub phase: TrainPhase,
    /// Sent with every update of a run, so a page that lost its state has it.
    pub facts: Option<TrainFacts>,
    pub points: Vec<LossPoint>,
    pub step: usize,
    pub tokens_per_second: f64,
    pub snapshot: Option<TrainSnapshot>,
    /// What went wrong with the last command, if anything (the run is kept).
    pub error: Option<String>,
}

impl TrainingUpdate {
    /// No run (after Reset, or before any), with what went wrong, if anything.
    pub fn idle(error: Option<String>) -> Self {
        TrainingUpdate {
            phase: TrainPhase::Idle,
            facts: None,
            points: Vec::new(),
            step: 0,
            tokens_per_second: 0.0,
            snapshot: None,
            error,
        }
    }
}
