//! GPT-2 learning: parameters, a batched forward pass that keeps what the backward pass
//! needs, the backward pass written out operation by operation (as llm.c does), AdamW, the
//! training loop, and the `training.json` record a run leaves.
//!
//! Imports run one way (optim.rs and train.rs used to import each other): `params` needs
//! nothing here; `forward`, `backward` and `optim` build on it; `run` on those; `record` on
//! `run`.

mod backward;
mod forward;
pub mod optim;
mod params;
pub mod record;
mod run;

pub use forward::{Batch, ForwardPass};
pub use params::{BlockParams, Gpt2Params};
pub use run::{thin_history, LossPoint, TrainingRun, TrainingSettings};
