//! The one error type of the core: every way loading or running a model can fail, named.

use std::fmt;

/// Everything that can go wrong between model bytes and a trace. Each variant names the
/// problem in words a user can act on; none of them is ever a panic.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// `config.json` is not valid JSON or lacks a field the architecture needs.
    Config(String),
    /// `config.json` names a `model_type` this core does not implement.
    UnsupportedModelType(String),
    /// `model.safetensors` could not be parsed (truncated, corrupted, bad header).
    Safetensors(String),
    /// A tensor the architecture needs is absent from the checkpoint.
    MissingTensor(String),
    /// A sharded checkpoint's index names a file that was not given.
    MissingShard(String),
    /// A tensor is present but its shape differs from what the config implies.
    ShapeMismatch {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// A tensor is stored in a dtype other than F32, F16 or BF16.
    UnsupportedDtype { name: String, dtype: String },
    /// `tokenizer.json` could not be parsed or used.
    Tokenizer(String),
    /// The tokenizer's vocabulary and the config's `vocab_size` disagree.
    VocabMismatch { tokenizer: usize, config: usize },
    /// The input cannot be run (e.g. a sentence pair on a model without token types).
    Input(String),
    /// Writing a bundle failed.
    Io(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(msg) => write!(f, "config.json: {msg}"),
            Error::UnsupportedModelType(t) => write!(
                f,
                "config.json: model_type \"{t}\" is not supported (supported: bert, gpt2, llama, mistral, qwen2, qwen3)"
            ),
            Error::Safetensors(msg) => write!(f, "model.safetensors: {msg}"),
            Error::MissingTensor(name) => {
                write!(f, "model.safetensors: missing tensor \"{name}\"")
            }
            Error::MissingShard(name) => write!(
                f,
                "model.safetensors.index.json names the shard \"{name}\", which is not among the files: add it (every file the index lists is needed)"
            ),
            Error::ShapeMismatch {
                name,
                expected,
                found,
            } => write!(
                f,
                "model.safetensors: tensor \"{name}\" has shape {found:?}, config.json implies {expected:?}"
            ),
            Error::UnsupportedDtype { name, dtype } => write!(
                f,
                "model.safetensors: tensor \"{name}\" has dtype {dtype} (supported: F32, F16, BF16)"
            ),
            Error::Tokenizer(msg) => write!(f, "tokenizer.json: {msg}"),
            Error::VocabMismatch { tokenizer, config } => write!(
                f,
                "tokenizer.json has {tokenizer} tokens but config.json says vocab_size = {config}: they are not from the same model"
            ),
            Error::Input(msg) => write!(f, "input: {msg}"),
            Error::Io(msg) => write!(f, "{msg}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
