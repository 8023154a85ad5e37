//! What a model is made of, for the page's architecture panel and model line: its kind of
//! norm, MLP and positions, its sizes, and how many parameters each part holds, counted from
//! the config's shapes (which loading checked against the checkpoint).

use serde::{Deserialize, Serialize};

use crate::config::{Activation, BertConfig, Gpt2Config, ModelConfig};
use crate::llama_config::{LlamaConfig, RopeScaling};

/// How the model normalises a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Norm {
    /// (x − mean) / std · γ + β.
    LayerNorm,
    /// x / rms · γ: no mean taken away, no bias.
    RmsNorm,
}

/// The feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mlp {
    /// up, GELU (exact erf), down.
    Gelu,
    /// up, GELU (tanh approximation), down.
    GeluTanh,
    /// up, ReLU, down.
    Relu,
    /// down(silu(gate(x)) · up(x)): three matrices.
    SwiGlu,
}

/// How the model knows where a token is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Positions {
    /// A learned vector per position added to the token's embedding.
    Learned { rows: usize },
    /// Queries and keys turned by an angle that grows with the position (RoPE).
    Rotary {
        theta: f64,
        /// "default", "linear", "llama3" or "dynamic".
        scaling: String,
    },
}

/// One part of the model and its parameter count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// "embeddings", "positions", "attention", "mlp", "norms" or "head".
    pub name: String,
    pub parameters: u64,
}

/// A model's build and sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anatomy {
    pub model_type: String,
    pub causal: bool,
    pub norm: Norm,
    /// Norm before each sub-block (GPT-2, llama) rather than after the residual sum (BERT).
    pub pre_norm: bool,
    pub mlp: Mlp,
    pub positions: Positions,
    pub layers: usize,
    pub hidden: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub intermediate: usize,
    pub vocab: usize,
    pub context: usize,
    /// The next-token head is the embedding table (None: the model has no such head).
    pub tied_head: Option<bool>,
    /// Per layer, the tokens a query sees when attention slides in a window.
    pub sliding_window: Option<usize>,
    /// Qwen3's norms over each head's query and key.
    pub qk_norm: bool,
    pub attention_bias: bool,
    pub parts: Vec<Part>,
}

impl Anatomy {
    pub fn total_parameters(&self) -> u64 {
        self.parts.iter().map(|p| p.parameters).sum()
    }

    /// GPT-2 small as released (openai-community/gpt2's config.json): the classic block the
    /// panel draws beside the loaded model.
    pub fn gpt2_small() -> Anatomy {
        let mut config = Gpt2Config::for_training(50257, 768, 12, 12, 1024);
        config.eos_token_id = Some(50256);
        gpt2(&config)
    }
}

fn part(name: &str, parameters: usize) -> Part {
    Part {
        name: name.to_string(),
        parameters: parameters as u64,
    }
}

fn mlp_of(activation: Activation) -> Mlp {
    match activation {
        Activation::GeluErf => Mlp::Gelu,
        Activation::GeluTanh => Mlp::GeluTanh,
        Activation::Relu => Mlp::Relu,
    }
}

fn bert(c: &BertConfig) -> Anatomy {
    let (h, i, l) = (c.hidden_size, c.intermediate_size, c.num_hidden_layers);
    Anatomy {
        model_type: "bert".into(),
        causal: false,
        norm: Norm::LayerNorm,
        pre_norm: false,
        mlp: mlp_of(c.activation),
        positions: Positions::Learned {
            rows: c.max_position_embeddings,
        },
        layers: l,
        hidden: h,
        heads: c.num_attention_heads,
        kv_heads: c.num_attention_heads,
        head_dim: h / c.num_attention_heads,
        intermediate: i,
        vocab: c.vocab_size,
        context: c.max_position_embeddings,
        tied_head: None,
        sliding_window: None,
        qk_norm: false,
        attention_bias: true,
        parts: vec![
            part("embeddings", c.vocab_size * h),
            // Token types are BERT's second learned table beside the positions.
            part(
                "positions",
                (c.max_position_embeddings + c.type_vocab_size) * h,
            ),
            part("attention", l * 4 * (h * h + h)),
            part("mlp", l * (h * i + i + i * h + h)),
            part("norms", (1 + 2 * l) * 2 * h),
        ],
    }
}

fn gpt2(c: &Gpt2Config) -> Anatomy {
    let (h, i, l) = (c.n_embd, c.n_inner, c.n_layer);
    Anatomy {
        model_type: "gpt2".into(),
        causal: true,
        norm: Norm::LayerNorm,
        pre_norm: true,
        mlp: mlp_of(c.activation),
        positions: Positions::Learned {
            rows: c.n_positions,
        },
        layers: l,
        hidden: h,
        heads: c.n_head,
        kv_heads: c.n_head,
        head_dim: h / c.n_head,
        intermediate: i,
        vocab: c.vocab_size,
        context: c.n_positions,
        tied_head: Some(true),
        sliding_window: None,
        qk_norm: false,
        attention_bias: true,
        parts: vec![
            part("embeddings", c.vocab_size * h),
            part("positions", c.n_positions * h),
            part("attention", l * (h * 3 * h + 3 * h + h * h + h)),
            part("mlp", l * (h * i + i + i * h + h)),
            part("norms", (2 * l + 1) * 2 * h),
        ],
    }
}

fn llama(c: &LlamaConfig) -> Anatomy {
    let (h, i, l, d) = (
        c.hidden_size,
        c.intermediate_size,
        c.num_hidden_layers,
        c.head_dim,
    );
    let (q, kv) = (c.num_attention_heads * d, c.num_key_value_heads * d);
    let qkv_bias = if c.qkv_bias { q + 2 * kv } else { 0 };
    let o_bias = if c.o_bias { h } else { 0 };
    let mlp_bias = if c.mlp_bias { 2 * i + h } else { 0 };
    let qk_norms = if c.qk_norm { 2 * d } else { 0 };
    let scaling = match c.rope.scaling {
        RopeScaling::Default => "default",
        RopeScaling::Linear { .. } => "linear",
        RopeScaling::Llama3 { .. } => "llama3",
        RopeScaling::Dynamic { .. } => "dynamic",
    };
    let mut parts = vec![
        part("embeddings", c.vocab_size * h),
        part(
            "attention",
            l * (h * q + 2 * h * kv + q * h + qkv_bias + o_bias),
        ),
        part("mlp", l * (3 * h * i + mlp_bias)),
        part("norms", l * (2 * h + qk_norms) + h),
    ];
    if !c.tie_word_embeddings {
        parts.push(part("head", c.vocab_size * h));
    }
    Anatomy {
        model_type: c.family.name().into(),
        causal: true,
        norm: Norm::RmsNorm,
        pre_norm: true,
        mlp: Mlp::SwiGlu,
        positions: Positions::Rotary {
            theta: c.rope.theta,
            scaling: scaling.into(),
        },
        layers: l,
        hidden: h,
        heads: c.num_attention_heads,
        kv_heads: c.num_key_value_heads,
        head_dim: d,
        intermediate: i,
        vocab: c.vocab_size,
        context: c.max_position_embeddings,
        tied_head: Some(c.tie_word_embeddings),
        sliding_window: c.sliding_windows.iter().flatten().copied().min(),
        qk_norm: c.qk_norm,
        attention_bias: c.qkv_bias,
        parts,
    }
}

impl ModelConfig {
    /// The model's build and the parameters of each part.
    pub fn anatomy(&self) -> Anatomy {
        match self {
            ModelConfig::Bert(c) => bert(c),
            ModelConfig::Gpt2(c) => gpt2(c),
            ModelConfig::Llama(c) => llama(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt2_small_has_its_published_parameter_count() {
        let gpt2 = Anatomy::gpt2_small();
        assert_eq!(gpt2.total_parameters(), 124_439_808);
        assert_eq!((gpt2.layers, gpt2.heads, gpt2.hidden), (12, 12, 768));
    }
}
