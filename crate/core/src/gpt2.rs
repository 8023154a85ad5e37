//! GPT-2 decoder: pre-LayerNorm blocks with causal attention, a final `ln_f`, and a
//! language-model head tied to the token embeddings. Names mirror HF `GPT2Model`.

use ndarray::{s, Array2};

use crate::config::Gpt2Config;
use crate::error::Result;
use crate::ops::{activate, attention, softmax_prefix, split_heads, LayerNorm, Linear};
use crate::tensors::TensorStore;
use crate::tokenize::Tokens;
use crate::trace::{EmbeddingTrace, LayerTrace};
use crate::weights::{Matrix, Precision};

struct Gpt2Block {
    ln_1: LayerNorm,
    c_attn: Linear, // (H, 3H): q | k | v side by side
    c_proj: Linear,
    ln_2: LayerNorm,
    c_fc: Linear,
    mlp_proj: Linear,
}

pub struct Gpt2 {
    config: Gpt2Config,
    pub(crate) wte: Matrix,      // (V, H), also the output projection
    pub(crate) wpe: Array2<f32>, // (P, H)
    blocks: Vec<Gpt2Block>,
    ln_f: LayerNorm,
}

pub struct Gpt2Output {
    pub embeddings: EmbeddingTrace,
    pub hidden_states: Vec<Array2<f32>>,
    pub layers: Vec<LayerTrace>,
    pub next_token_probs: Array2<f32>,
}

impl Gpt2 {
    pub fn load(config: Gpt2Config, bytes: &[u8], precision: Precision) -> Result<Self> {
        // Hub checkpoints have bare names; GPT2LMHeadModel.save_pretrained adds "transformer.".
        let store = TensorStore::parse(bytes, "wte.weight", &["", "transformer."], precision)?;
        let h = config.n_embd;
        let eps = config.layer_norm_epsilon;
        let blocks = (0..config.n_layer)
            .map(|i| {
                let p = format!("h.{i}");
                Ok(Gpt2Block {
                    ln_1: LayerNorm::load(&store, &format!("{p}.ln_1"), h, eps)?,
                    c_attn: Linear::load_conv1d(&store, &format!("{p}.attn.c_attn"), h, 3 * h)?,
                    c_proj: Linear::load_conv1d(&store, &format!("{p}.attn.c_proj"), h, h)?,
                    ln_2: LayerNorm::load(&store, &format!("{p}.ln_2"), h, eps)?,
                    c_fc: Linear::load_conv1d(&store, &format!("{p}.mlp.c_fc"), h, config.n_inner)?,
                    mlp_proj: Linear::load_conv1d(
                        &store,
                        &format!("{p}.mlp.c_proj"),
                        config.n_inner,
                        h,
                    )?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Gpt2 {
            wte: store.weight("wte.weight", config.vocab_size, h)?,
            wpe: store.matrix("wpe.weight", config.n_positions, h)?,
            ln_f: LayerNorm::load(&store, "ln_f", h, eps)?,
            blocks,
            config,
        })
    }

    /// Bytes the weights occupy in memory.
    pub fn weight_bytes(&self) -> u64 {
        let blocks: u64 = self
            .blocks
            .iter()
            .map(|b| {
                b.ln_1.bytes()
                    + b.c_attn.bytes()
                    + b.c_proj.bytes()
                    + b.ln_2.bytes()
                    + b.c_fc.bytes()
                    + b.mlp_proj.bytes()
            })
            .sum();
        self.wte.bytes() + (self.wpe.len() * 4) as u64 + self.ln_f.bytes() + blocks
    }

    pub fn forward(&self, input: &Tokens) -> Result<Gpt2Output> {
        let seq = input.ids.len();
        let ids = input.checked_indices(self.config.vocab_size, self.config.n_positions)?;
        let h = self.config.n_embd;
        let heads = self.config.n_head;
        let word = self.wte.select_rows(&ids); // (S, H)
        let position = self.wpe.slice(s![..seq, ..]).to_owned(); // (S, H)
        let output = &word + &position; // (S, H)

        let mut hidden = output.clone();
        let mut hidden_states = vec![output.clone()];
        let mut layers = Vec::with_capacity(self.blocks.len());
        for (index, block) in self.blocks.iter().enumerate() {
            let normed = block.ln_1.forward(&hidden.view()); // (S, H)
            let qkv = block.c_attn.forward(&normed.view()); // (S, 3H)
            let q = split_heads(qkv.slice(s![.., ..h]), heads); // (heads, S, d)
            let k = split_heads(qkv.slice(s![.., h..2 * h]), heads); // (heads, S, d)
            let v = split_heads(qkv.slice(s![.., 2 * h..]), heads); // (heads, S, d)
            let att = attention(q, k, v, self.config.attention_scale(index), true);
            hidden += &block.c_proj.forward(&att.context.view()); // (S, H) residual
            let mut inner = block
                .c_fc
                .forward(&block.ln_2.forward(&hidden.view()).view()); // (S, I)
            activate(&mut inner, self.config.activation);
            hidden += &block.mlp_proj.forward(&inner.view()); // (S, H) residual
                                                              // HF's hidden_states end with the last block's output after ln_f, not before:
                                                              // that block's raw output is not kept, and `last` is pushed after the loop.
            if index + 1 < self.blocks.len() {
                hidden_states.push(hidden.clone());
            }
            layers.push(att);
        }
        let last = self.ln_f.forward(&hidden.view()); // (S, H)
        let next_token_probs = self.next_token_probs(&last); // (S, V)
        hidden_states.push(last);
        Ok(Gpt2Output {
            embeddings: EmbeddingTrace {
                word,
                position,
                token_type: None,
                output,
            },
            hidden_states,
            layers,
            next_token_probs,
        })
    }

    /// Softmax of the tied head's logits `final · wteᵀ`, one distribution per row. (S, V)
    pub fn next_token_probs(&self, final_hidden: &Array2<f32>) -> Array2<f32> {
        let mut probs = self.wte.mul_transposed(&final_hidden.view()); // (S, V)
        let vocab = probs.ncols();
        for row in probs.rows_mut() {
            softmax_prefix(row, vocab);
        }
        probs
    }
}
