//! TokenScope's core: load a Hugging Face model from bytes, run it with a full trace of
//! every intermediate tensor, and compare vectors. No web types; builds for wasm32 too.

pub mod ablation;
pub mod analysis;
pub mod anatomy;
pub mod attention;
pub mod bert;
pub mod bundle;
pub mod byte_bpe;
pub mod cache;
pub mod checkpoint;
pub mod config;
pub mod corpus;
pub mod error;
pub mod gemm;
#[cfg(target_arch = "wasm32")]
pub mod gemm_wasm;
pub mod generate;
pub mod gpt2;
pub mod lens;
pub mod llama;
pub mod llama_config;
pub mod model;
pub mod neighbours;
pub mod ops;
pub mod parallel;
pub mod qk_map;
pub mod rollout;
pub mod rope;
pub mod scan;
pub mod tensors;
pub mod token_rows;
pub mod tokenize;
pub mod trace;
pub mod train;
pub mod weights;

pub use ablation::Ablation;
pub use config::ModelConfig;
pub use error::{Error, Result};
pub use model::{Model, ModelInfo, OneHotFacts};
pub use tokenize::{Segment, Tokens};
pub use trace::{EmbeddingTrace, LayerTrace, Trace};
pub use weights::Precision;

/// The optimiser lives with the parameters it updates (`train::optim`); this keeps the path
/// `tokenscope_core::optim` the CLI, the page and the tests use.
pub use train::optim;
