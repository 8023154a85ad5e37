//! Reads a Hugging Face `config.json` into the hyper-parameters of a supported architecture.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::llama_config::{self, Family, LlamaConfig};

/// The feed-forward non-linearity named by `hidden_act` / `activation_function`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Exact GELU, `x·Φ(x)` with the error function (`"gelu"`).
    GeluErf,
    /// The tanh approximation GPT-2 was trained with (`"gelu_new"`, `"gelu_pytorch_tanh"`).
    GeluTanh,
    Relu,
}

impl Activation {
    fn parse(name: &str) -> Result<Self> {
        match name {
            "gelu" => Ok(Activation::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
            "relu" => Ok(Activation::Relu),
            other => Err(Error::Config(format!(
                "activation \"{other}\" is not supported (supported: gelu, gelu_new, relu)"
            ))),
        }
    }
}

/// BERT-family encoder (BERT, MiniLM): post-LayerNorm, bidirectional attention.
#[derive(Debug, Clone, PartialEq)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub activation: Activation,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
}

/// GPT-2 decoder: pre-LayerNorm, causal attention, tied language-model head.
#[derive(Debug, Clone, PartialEq)]
pub struct Gpt2Config {
    pub vocab_size: usize,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_inner: usize,
    pub n_positions: usize,
    pub activation: Activation,
    pub layer_norm_epsilon: f64,
    /// Divide scores by √head_dim (true for every released GPT-2).
    pub scale_attn_weights: bool,
    /// Also divide scores by (layer index + 1), a rarely used GPT-2 option.
    pub scale_attn_by_inverse_layer_idx: bool,
    /// The token that ends a text (`<|endoftext|>`); generation stops after it.
    pub eos_token_id: Option<u32>,
}

impl Gpt2Config {
    /// What attention multiplies q·k by in `layer` (0-based), for inference and training
    /// alike: 1/√head_dim with `scale_attn_weights`, and a further 1/(layer + 1) with
    /// `scale_attn_by_inverse_layer_idx`.
    pub fn attention_scale(&self, layer: usize) -> f32 {
        let mut scale = 1.0f32;
        if self.scale_attn_weights {
            scale /= ((self.n_embd / self.n_head) as f32).sqrt();
        }
        if self.scale_attn_by_inverse_layer_idx {
            scale /= (layer + 1) as f32;
        }
        scale
    }

    /// The GPT-2 this project trains (`tokenscope train`, the page's Train view): GPT-2's
    /// choices (MLP 4 × width, gelu_new, LayerNorm ε 1e-5, scaled attention) at the given
    /// size, with `<|endoftext|>` = 0 as its end-of-text token.
    pub fn for_training(
        vocab_size: usize,
        width: usize,
        layers: usize,
        heads: usize,
        context: usize,
    ) -> Self {
        Gpt2Config {
            vocab_size,
            n_embd: width,
            n_layer: layers,
            n_head: heads,
            n_inner: 4 * width,
            n_positions: context,
            activation: Activation::GeluTanh,
            layer_norm_epsilon: 1e-5,
            scale_attn_weights: true,
            scale_attn_by_inverse_layer_idx: false,
            eos_token_id: Some(0),
        }
    }

    /// A Hugging Face `config.json` for this model, which this core and `transformers`
    /// (`GPT2LMHeadModel`) both read.
    pub fn to_json(&self) -> String {
        let activation = match self.activation {
            Activation::GeluTanh => "gelu_new",
            Activation::GeluErf => "gelu",
            Activation::Relu => "relu",
        };
        let value = serde_json::json!({
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "vocab_size": self.vocab_size,
            "n_embd": self.n_embd,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_inner": self.n_inner,
            "n_positions": self.n_positions,
            "n_ctx": self.n_positions,
            "activation_function": activation,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "scale_attn_weights": self.scale_attn_weights,
            "scale_attn_by_inverse_layer_idx": self.scale_attn_by_inverse_layer_idx,
            "bos_token_id": self.eos_token_id,
            "eos_token_id": self.eos_token_id,
            "tie_word_embeddings": true,
            "resid_pdrop": 0.0,
            "embd_pdrop": 0.0,
            "attn_pdrop": 0.0,
        });
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ModelConfig {
    Bert(BertConfig),
    Gpt2(Gpt2Config),
    /// llama, mistral, qwen2 and qwen3: one decoder with per-family details.
    Llama(LlamaConfig),
}

#[derive(Deserialize)]
struct RawBert {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    #[serde(default = "default_bert_act")]
    hidden_act: String,
    max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    type_vocab_size: usize,
    #[serde(default = "default_bert_eps")]
    layer_norm_eps: f64,
    #[serde(default)]
    position_embedding_type: Option<String>,
}

#[derive(Deserialize)]
struct RawGpt2 {
    vocab_size: usize,
    n_embd: usize,
    n_layer: usize,
    n_head: usize,
    #[serde(default)]
    n_inner: Option<usize>,
    n_positions: usize,
    #[serde(default = "default_gpt2_act")]
    activation_function: String,
    #[serde(default = "default_gpt2_eps")]
    layer_norm_epsilon: f64,
    #[serde(default = "default_true")]
    scale_attn_weights: bool,
    #[serde(default)]
    scale_attn_by_inverse_layer_idx: bool,
    #[serde(default)]
    reorder_and_upcast_attn: bool,
    /// An id, or (in some configs) a list of ids, of which the first is used.
    #[serde(default)]
    eos_token_id: Option<Value>,
}

fn default_bert_act() -> String {
    "gelu".into()
}
fn default_type_vocab() -> usize {
    2
}
fn default_bert_eps() -> f64 {
    1e-12
}
fn default_gpt2_act() -> String {
    "gelu_new".into()
}
fn default_gpt2_eps() -> f64 {
    1e-5
}
fn default_true() -> bool {
    true
}

fn positive(name: &str, value: usize) -> Result<()> {
    if value == 0 {
        return Err(Error::Config(format!("{name} must be positive")));
    }
    Ok(())
}

fn divisible(hidden: usize, heads: usize) -> Result<()> {
    if !hidden.is_multiple_of(heads) {
        return Err(Error::Config(format!(
            "hidden size {hidden} is not divisible by the number of heads {heads}"
        )));
    }
    Ok(())
}

impl ModelConfig {
    /// Parses `config.json` bytes and dispatches on `model_type`.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::Config("the file is not UTF-8 text".into()))?;
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::Config(format!("not valid JSON: {e}")))?;
        let model_type = value
            .get("model_type")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Config("no \"model_type\" field".into()))?
            .to_string();
        match model_type.as_str() {
            "bert" => {
                let raw: RawBert = serde_json::from_value(value)
                    .map_err(|e| Error::Config(format!("bert config: {e}")))?;
                if let Some(kind) = raw.position_embedding_type.as_deref() {
                    if kind != "absolute" {
                        return Err(Error::Config(format!(
                            "position_embedding_type \"{kind}\" is not supported (only absolute)"
                        )));
                    }
                }
                for (name, v) in [
                    ("vocab_size", raw.vocab_size),
                    ("hidden_size", raw.hidden_size),
                    ("num_hidden_layers", raw.num_hidden_layers),
                    ("num_attention_heads", raw.num_attention_heads),
                    ("intermediate_size", raw.intermediate_size),
                    ("max_position_embeddings", raw.max_position_embeddings),
                    ("type_vocab_size", raw.type_vocab_size),
                ] {
                    positive(name, v)?;
                }
                divisible(raw.hidden_size, raw.num_attention_heads)?;
                Ok(ModelConfig::Bert(BertConfig {
                    vocab_size: raw.vocab_size,
                    hidden_size: raw.hidden_size,
                    num_hidden_layers: raw.num_hidden_layers,
                    num_attention_heads: raw.num_attention_heads,
                    intermediate_size: raw.intermediate_size,
                    activation: Activation::parse(&raw.hidden_act)?,
                    max_position_embeddings: raw.max_position_embeddings,
                    type_vocab_size: raw.type_vocab_size,
                    layer_norm_eps: raw.layer_norm_eps,
                }))
            }
            "gpt2" => {
                let raw: RawGpt2 = serde_json::from_value(value)
                    .map_err(|e| Error::Config(format!("gpt2 config: {e}")))?;
                if raw.reorder_and_upcast_attn {
                    return Err(Error::Config(
                        "reorder_and_upcast_attn is not supported".into(),
                    ));
                }
                for (name, v) in [
                    ("vocab_size", raw.vocab_size),
                    ("n_embd", raw.n_embd),
                    ("n_layer", raw.n_layer),
                    ("n_head", raw.n_head),
                    ("n_positions", raw.n_positions),
                ] {
                    positive(name, v)?;
                }
                divisible(raw.n_embd, raw.n_head)?;
                Ok(ModelConfig::Gpt2(Gpt2Config {
                    vocab_size: raw.vocab_size,
                    n_embd: raw.n_embd,
                    n_layer: raw.n_layer,
                    n_head: raw.n_head,
                    n_inner: raw.n_inner.unwrap_or(4 * raw.n_embd),
                    n_positions: raw.n_positions,
                    activation: Activation::parse(&raw.activation_function)?,
                    layer_norm_epsilon: raw.layer_norm_epsilon,
                    scale_attn_weights: raw.scale_attn_weights,
                    scale_attn_by_inverse_layer_idx: raw.scale_attn_by_inverse_layer_idx,
                    eos_token_id: raw
                        .eos_token_id
                        .as_ref()
                        .and_then(|v| v.as_u64().or_else(|| v.get(0).and_then(Value::as_u64)))
                        .and_then(|id| u32::try_from(id).ok()),
                }))
            }
            other => match Family::from_name(other) {
                Some(family) => Ok(ModelConfig::Llama(llama_config::parse(family, value)?)),
                None => Err(Error::UnsupportedModelType(other.to_string())),
            },
        }
    }

    pub fn model_type(&self) -> &'static str {
        match self {
            ModelConfig::Bert(_) => "bert",
            ModelConfig::Gpt2(_) => "gpt2",
            ModelConfig::Llama(c) => c.family.name(),
        }
    }

    pub fn vocab_size(&self) -> usize {
        match self {
            ModelConfig::Bert(c) => c.vocab_size,
            ModelConfig::Gpt2(c) => c.vocab_size,
            ModelConfig::Llama(c) => c.vocab_size,
        }
    }

    pub fn hidden_size(&self) -> usize {
        match self {
            ModelConfig::Bert(c) => c.hidden_size,
            ModelConfig::Gpt2(c) => c.n_embd,
            ModelConfig::Llama(c) => c.hidden_size,
        }
    }

    pub fn num_layers(&self) -> usize {
        match self {
            ModelConfig::Bert(c) => c.num_hidden_layers,
            ModelConfig::Gpt2(c) => c.n_layer,
            ModelConfig::Llama(c) => c.num_hidden_layers,
        }
    }

    pub fn num_heads(&self) -> usize {
        match self {
            ModelConfig::Bert(c) => c.num_attention_heads,
            ModelConfig::Gpt2(c) => c.n_head,
            ModelConfig::Llama(c) => c.num_attention_heads,
        }
    }

    /// Heads of keys and values: as many as query heads but in grouped-query attention.
    pub fn num_kv_heads(&self) -> usize {
        match self {
            ModelConfig::Llama(c) => c.num_key_value_heads,
            _ => self.num_heads(),
        }
    }

    pub fn head_dim(&self) -> usize {
        match self {
            ModelConfig::Llama(c) => c.head_dim,
            _ => self.hidden_size() / self.num_heads(),
        }
    }

    /// The longest token sequence the position embeddings cover.
    pub fn max_positions(&self) -> usize {
        match self {
            ModelConfig::Bert(c) => c.max_position_embeddings,
            ModelConfig::Gpt2(c) => c.n_positions,
            ModelConfig::Llama(c) => c.max_position_embeddings,
        }
    }

    /// Tokens after which generation stops.
    pub fn eos_token_ids(&self) -> Vec<u32> {
        match self {
            ModelConfig::Bert(_) => Vec::new(),
            ModelConfig::Gpt2(c) => c.eos_token_id.into_iter().collect(),
            ModelConfig::Llama(c) => c.eos_token_ids.clone(),
        }
    }

    /// True for decoders whose tokens see only themselves and earlier tokens.
    pub fn is_causal(&self) -> bool {
        !matches!(self, ModelConfig::Bert(_))
    }
}
