//! GPT-2 decoder: pre-LayerNorm blocks with causal attention, a final `ln_f`, and a
//! language-model head tied to the token embeddings. Names mirror HF `GPT2Model`.

use ndarray::{s, Array2};

use crate::ablation::Ablation;
use crate::attention::{attend, Mask};
use crate::cache::KvCache;
use crate::config::Gpt2Config;
use crate::error::Result;
use crate::ops::{activate, softmax_prefix, split_heads, LayerNorm, Linear};
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
    pub(crate) ln_f: LayerNorm,
}

/// What one pass over new tokens produced: the rows after ln_f, and when traced, the rest.
struct Pass {
    embeddings: EmbeddingTrace,
    hidden_states: Vec<Array2<f32>>,
    layers: Vec<LayerTrace>,
    last: Array2<f32>,
}

pub struct Gpt2Output {
    pub embeddings: EmbeddingTrace,
    pub hidden_states: Vec<Array2<f32>>,
    pub layers: Vec<LayerTrace>,
    pub next_token_probs: Array2<f32>,
}

impl Gpt2 {
    pub fn load(config: Gpt2Config, files: &[&[u8]], precision: Precision) -> Result<Self> {
        // Hub checkpoints have bare names; GPT2LMHeadModel.save_pretrained adds "transformer.".
        let store =
            TensorStore::parse_shards(files, "wte.weight", &["", "transformer."], precision)?;
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

    /// Runs the text with a full trace; `ablation`'s heads are switched off.
    pub fn forward(&self, input: &Tokens, ablation: &Ablation) -> Result<Gpt2Output> {
        let ids = input.checked_indices(self.config.vocab_size, self.config.n_positions)?;
        let mut cache = KvCache::new(self.blocks.len());
        let pass = self.pass(&ids, &mut cache, Some(ablation));
        let next_token_probs = self.next_token_probs(&pass.last); // (S, V)
        let mut hidden_states = pass.hidden_states;
        hidden_states.push(pass.last);
        Ok(Gpt2Output {
            embeddings: pass.embeddings,
            hidden_states,
            layers: pass.layers,
            next_token_probs,
        })
    }

    /// Reads `ids` after the cached positions and returns the logits after the last of them;
    /// the caller keeps every position within `n_positions`. (V)
    pub fn step(&self, ids: &[usize], cache: &mut KvCache) -> Vec<f32> {
        let pass = self.pass(ids, cache, None);
        let last = pass
            .last
            .slice(s![pass.last.nrows().saturating_sub(1).., ..]); // (1, H)
        self.wte.mul_transposed(&last).into_raw_vec_and_offset().0
    }

    /// One pass over `ids` at positions cache.len()…, every block; traced (with `ablation`'s
    /// heads switched off) when an ablation is given.
    fn pass(&self, ids: &[usize], cache: &mut KvCache, traced: Option<&Ablation>) -> Pass {
        let (h, heads) = (self.config.n_embd, self.config.n_head);
        let trace = traced.is_some();
        let offset = cache.len();
        let word = self.wte.select_rows(ids); // (n, H)
        let position = self
            .wpe
            .slice(s![offset..offset + ids.len(), ..])
            .to_owned(); // (n, H)
        let output = &word + &position; // (n, H)
        let mut hidden = output.clone();
        let mut hidden_states = Vec::new();
        let mut layers = Vec::new();
        for (index, block) in self.blocks.iter().enumerate() {
            // HF's hidden states are each block's input, then the last block's output after
            // ln_f (added by the caller).
            if trace {
                hidden_states.push(hidden.clone());
            }
            let normed = block.ln_1.forward(&hidden.view()); // (n, H)
            let qkv = block.c_attn.forward(&normed.view()); // (n, 3H)
            let q = split_heads(qkv.slice(s![.., ..h]), heads); // (heads, n, d)
            let k = split_heads(qkv.slice(s![.., h..2 * h]), heads); // (heads, n, d)
            let v = split_heads(qkv.slice(s![.., 2 * h..]), heads); // (heads, n, d)
            let mask = Mask {
                offset,
                ..Mask::CAUSAL
            };
            let traced_kv = trace.then(|| (k.clone(), v.clone()));
            let (all_k, all_v) = cache.extend(index, k, v); // (heads, T, d)
            let scale = self.config.attention_scale(index);
            let mut attended = attend(q.view(), all_k, all_v, scale, mask);
            if let Some(ablation) = traced {
                ablation.apply(index, &mut attended.context, h / heads);
            }
            hidden += &block.c_proj.forward(&attended.context.view()); // (n, H) residual
            let mut inner = block
                .c_fc
                .forward(&block.ln_2.forward(&hidden.view()).view()); // (n, I)
            activate(&mut inner, self.config.activation);
            hidden += &block.mlp_proj.forward(&inner.view()); // (n, H) residual
            if let Some((key, value)) = traced_kv {
                layers.push(attended.into_trace(q, key, value));
            }
        }
        cache.advance(ids.len());
        Pass {
            last: self.ln_f.forward(&hidden.view()), // (n, H)
            embeddings: EmbeddingTrace {
                word,
                position: Some(position),
                token_type: None,
                output,
            },
            hidden_states,
            layers,
        }
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
