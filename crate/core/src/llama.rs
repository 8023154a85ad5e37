//! The modern decoder (transformers' llama, mistral, qwen2 and qwen3): pre-RMSNorm blocks,
//! rotary positions, grouped-query causal attention (optionally in a sliding window), a
//! SwiGLU MLP, a final norm and a head tied to the embeddings or its own. Names mirror
//! `LlamaForCausalLM` (`model.layers.{i}.self_attn.q_proj`, …).

use ndarray::{s, Array2, Array3, Axis};

use crate::ablation::Ablation;
use crate::attention::{attend, repeat_heads, Mask};
use crate::cache::KvCache;
use crate::error::{Error, Result};
use crate::llama_config::LlamaConfig;
use crate::ops::{silu, softmax_prefix, split_heads, Linear, RmsNorm};
use crate::rope::{cos_sin, inverse_frequencies, rotate};
use crate::tensors::TensorStore;
use crate::trace::{EmbeddingTrace, LayerTrace};
use crate::weights::Matrix;

struct Block {
    input_norm: RmsNorm,
    q_proj: Linear, // (H, heads·d)
    k_proj: Linear, // (H, kv_heads·d)
    v_proj: Linear, // (H, kv_heads·d)
    /// Qwen3's norms over each head's query and key. (d)
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    o_proj: Linear, // (heads·d, H)
    post_norm: RmsNorm,
    gate_proj: Linear, // (H, I)
    up_proj: Linear,   // (H, I)
    down_proj: Linear, // (I, H)
}

impl Block {
    fn load(store: &TensorStore, config: &LlamaConfig, index: usize) -> Result<Self> {
        let p = format!("layers.{index}");
        let (h, d, i) = (
            config.hidden_size,
            config.head_dim,
            config.intermediate_size,
        );
        let (q_width, kv_width) = (
            config.num_attention_heads * d,
            config.num_key_value_heads * d,
        );
        let eps = config.rms_norm_eps;
        let linear = |name: &str, inp: usize, out: usize, bias: bool| {
            Linear::load_torch_with(store, &format!("{p}.{name}"), inp, out, bias)
        };
        let head_norm = |name: &str| {
            config
                .qk_norm
                .then(|| RmsNorm::load(store, &format!("{p}.self_attn.{name}"), d, eps))
                .transpose()
        };
        Ok(Block {
            input_norm: RmsNorm::load(store, &format!("{p}.input_layernorm"), h, eps)?,
            q_proj: linear("self_attn.q_proj", h, q_width, config.qkv_bias)?,
            k_proj: linear("self_attn.k_proj", h, kv_width, config.qkv_bias)?,
            v_proj: linear("self_attn.v_proj", h, kv_width, config.qkv_bias)?,
            q_norm: head_norm("q_norm")?,
            k_norm: head_norm("k_norm")?,
            o_proj: linear("self_attn.o_proj", q_width, h, config.o_bias)?,
            post_norm: RmsNorm::load(store, &format!("{p}.post_attention_layernorm"), h, eps)?,
            gate_proj: linear("mlp.gate_proj", h, i, config.mlp_bias)?,
            up_proj: linear("mlp.up_proj", h, i, config.mlp_bias)?,
            down_proj: linear("mlp.down_proj", i, h, config.mlp_bias)?,
        })
    }

    fn bytes(&self) -> u64 {
        let norms = [&self.q_norm, &self.k_norm]
            .into_iter()
            .flatten()
            .map(RmsNorm::bytes)
            .sum::<u64>();
        norms
            + self.input_norm.bytes()
            + self.post_norm.bytes()
            + [
                &self.q_proj,
                &self.k_proj,
                &self.v_proj,
                &self.o_proj,
                &self.gate_proj,
                &self.up_proj,
                &self.down_proj,
            ]
            .iter()
            .map(|l| l.bytes())
            .sum::<u64>()
    }

    /// down(silu(gate(x)) · up(x)). (n, H)
    fn mlp(&self, x: &Array2<f32>) -> Array2<f32> {
        let mut gate = self.gate_proj.forward(&x.view()); // (n, I)
        let up = self.up_proj.forward(&x.view()); // (n, I)
        gate.zip_mut_with(&up, |g, &u| *g = silu(*g) * u);
        self.down_proj.forward(&gate.view()) // (n, H)
    }
}

/// Applies an optional per-head norm to every head's rows. (heads, n, d)
fn norm_heads(x: &mut Array3<f32>, norm: &Option<RmsNorm>) {
    if let Some(norm) = norm {
        for head in x.axis_iter_mut(Axis(0)) {
            norm.normalize(head);
        }
    }
}

pub struct Llama {
    pub config: LlamaConfig,
    pub(crate) embed_tokens: Matrix, // (V, H)
    /// The untied output head; None when the head is `embed_tokens`. (V, H)
    lm_head: Option<Matrix>,
    blocks: Vec<Block>,
    pub(crate) norm: RmsNorm,
    /// θ_i of each dimension pair. (d/2)
    pub(crate) inv_freq: Vec<f32>,
}

pub struct LlamaOutput {
    pub embeddings: EmbeddingTrace,
    pub hidden_states: Vec<Array2<f32>>,
    pub layers: Vec<LayerTrace>,
    pub next_token_probs: Array2<f32>,
}

/// What one pass over new tokens produced: the final-norm rows, and when traced, the rest.
struct Pass {
    word: Array2<f32>,
    hidden_states: Vec<Array2<f32>>,
    layers: Vec<LayerTrace>,
    last: Array2<f32>,
}

impl Llama {
    pub fn load(config: LlamaConfig, store: &TensorStore) -> Result<Self> {
        let (v, h) = (config.vocab_size, config.hidden_size);
        let blocks = (0..config.num_hidden_layers)
            .map(|i| Block::load(store, &config, i))
            .collect::<Result<Vec<_>>>()?;
        let lm_head = if config.tie_word_embeddings {
            None
        } else {
            // The head sits beside `model.`, not under it.
            Some(store.root_weight("lm_head.weight", v, h).map_err(|e| match e {
                Error::MissingTensor(_) => Error::MissingTensor(
                    "lm_head.weight (tie_word_embeddings is false, so the model needs its own output head)"
                        .into(),
                ),
                other => other,
            })?)
        };
        Ok(Llama {
            embed_tokens: store.weight("embed_tokens.weight", v, h)?,
            norm: RmsNorm::load(store, "norm", h, config.rms_norm_eps)?,
            inv_freq: inverse_frequencies(&config.rope, config.head_dim),
            lm_head,
            blocks,
            config,
        })
    }

    /// Bytes the weights occupy in memory.
    pub fn weight_bytes(&self) -> u64 {
        self.embed_tokens.bytes()
            + self.lm_head.as_ref().map_or(0, Matrix::bytes)
            + self.norm.bytes()
            + self.blocks.iter().map(Block::bytes).sum::<u64>()
    }

    /// Runs the text with a full trace, as transformers' eager attention with
    /// `output_attentions` and `output_hidden_states`.
    /// `ablation`'s heads are switched off.
    pub fn forward(&self, ids: &[usize], ablation: &Ablation) -> Result<LlamaOutput> {
        let mut cache = KvCache::new(self.blocks.len());
        let pass = self.pass(ids, &mut cache, Some(ablation));
        let next_token_probs = self.next_token_probs(&pass.last); // (S, V)
        let mut hidden_states = pass.hidden_states;
        hidden_states.push(pass.last);
        Ok(LlamaOutput {
            embeddings: EmbeddingTrace {
                output: pass.word.clone(),
                word: pass.word,
                position: None,
                token_type: None,
            },
            hidden_states,
            layers: pass.layers,
            next_token_probs,
        })
    }

    /// Reads `ids` after the cached positions and returns the logits after the last of them.
    /// (V)
    pub fn step(&self, ids: &[usize], cache: &mut KvCache) -> Vec<f32> {
        let pass = self.pass(ids, cache, None);
        let last = pass
            .last
            .slice(s![pass.last.nrows().saturating_sub(1).., ..]); // (1, H)
        self.head()
            .mul_transposed(&last)
            .into_raw_vec_and_offset()
            .0
    }

    pub(crate) fn head(&self) -> &Matrix {
        self.lm_head.as_ref().unwrap_or(&self.embed_tokens)
    }

    /// One pass over `ids` at positions cache.len()…, every layer; traced (with `ablation`'s
    /// heads switched off) when an ablation is given.
    fn pass(&self, ids: &[usize], cache: &mut KvCache, traced: Option<&Ablation>) -> Pass {
        let c = &self.config;
        let trace = traced.is_some();
        let offset = cache.len();
        let word = self.embed_tokens.select_rows(ids); // (n, H)
        let (cos, sin) = cos_sin(&self.inv_freq, offset, ids.len()); // (n, d) each
        let mut hidden = word.clone(); // (n, H)
        let mut hidden_states = Vec::new();
        let mut layers = Vec::new();
        for (index, block) in self.blocks.iter().enumerate() {
            if trace {
                hidden_states.push(hidden.clone());
            }
            let normed = block.input_norm.forward(&hidden.view()); // (n, H)
            let mut q = split_heads(
                block.q_proj.forward(&normed.view()).view(),
                c.num_attention_heads,
            ); // (heads, n, d)
            let mut k = split_heads(
                block.k_proj.forward(&normed.view()).view(),
                c.num_key_value_heads,
            ); // (kv_heads, n, d)
            let v = split_heads(
                block.v_proj.forward(&normed.view()).view(),
                c.num_key_value_heads,
            ); // (kv_heads, n, d)
            norm_heads(&mut q, &block.q_norm);
            norm_heads(&mut k, &block.k_norm);
            let unrotated = trace.then(|| (q.clone(), k.clone()));
            rotate(&mut q, &cos, &sin);
            rotate(&mut k, &cos, &sin);
            let mask = Mask {
                causal: true,
                window: c.sliding_windows.get(index).copied().flatten(),
                offset,
            };
            let traced_kv = trace.then(|| (k.clone(), v.clone()));
            let (all_k, all_v) = cache.extend(index, k, v); // (kv_heads, T, d)
            let mut attended = attend(q.view(), all_k, all_v, c.attention_scale(), mask);
            if let Some(ablation) = traced {
                ablation.apply(index, &mut attended.context, c.head_dim);
            }
            hidden += &block.o_proj.forward(&attended.context.view()); // (n, H) residual
            let normed = block.post_norm.forward(&hidden.view()); // (n, H)
            hidden += &block.mlp(&normed); // (n, H) residual
            if let (Some((q_raw, k_raw)), Some((k, v))) = (unrotated, traced_kv) {
                let group = c.group_size();
                layers.push(LayerTrace {
                    query: q,
                    key: repeat_heads(&k, group),
                    value: repeat_heads(&v, group),
                    query_unrotated: Some(q_raw),
                    key_unrotated: Some(repeat_heads(&k_raw, group)),
                    scores: attended.scores,
                    attention: attended.probs,
                    context: attended.context,
                });
            }
        }
        cache.advance(ids.len());
        // transformers' hidden states are each layer's input (the embeddings first), then
        // the last layer's output after the final norm, which the caller adds.
        let last = self.norm.forward(&hidden.view()); // (n, H)
        Pass {
            word,
            hidden_states,
            layers,
            last,
        }
    }

    /// Softmax of the head's logits, one distribution per row. (S, V)
    pub(crate) fn next_token_probs(&self, final_hidden: &Array2<f32>) -> Array2<f32> {
        let mut probs = self.head().mul_transposed(&final_hidden.view()); // (S, V)
        let vocab = probs.ncols();
        for row in probs.rows_mut() {
            softmax_prefix(row, vocab);
        }
        probs
    }
}
