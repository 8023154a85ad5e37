//! BERT-family encoder (BERT, MiniLM): post-LayerNorm blocks with bidirectional attention.
//! Tensor names mirror Hugging Face `BertModel` checkpoints.

use ndarray::{Array2, Axis};

use crate::ablation::Ablation;
use crate::attention::{attend, Mask};
use crate::config::BertConfig;
use crate::error::{Error, Result};
use crate::ops::{activate, split_heads, LayerNorm, Linear};
use crate::tensors::TensorStore;
use crate::tokenize::Tokens;
use crate::trace::{EmbeddingTrace, LayerTrace};
use crate::weights::{Matrix, Precision};

struct BertLayer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_output: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

pub struct Bert {
    config: BertConfig,
    pub(crate) word_embeddings: Matrix,          // (V, H)
    pub(crate) position_embeddings: Array2<f32>, // (P, H)
    token_type_embeddings: Array2<f32>,          // (T, H)
    embedding_norm: LayerNorm,
    layers: Vec<BertLayer>,
}

/// What a BERT forward pass produces before it is wrapped into a `Trace`.
pub struct BertOutput {
    pub embeddings: EmbeddingTrace,
    pub hidden_states: Vec<Array2<f32>>,
    pub layers: Vec<LayerTrace>,
}

impl Bert {
    pub fn load(config: BertConfig, files: &[&[u8]], precision: Precision) -> Result<Self> {
        let store = TensorStore::parse_shards(
            files,
            "embeddings.word_embeddings.weight",
            &["", "bert.", "model."],
            precision,
        )?;
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let p = format!("encoder.layer.{i}");
                Ok(BertLayer {
                    query: Linear::load_torch(&store, &format!("{p}.attention.self.query"), h, h)?,
                    key: Linear::load_torch(&store, &format!("{p}.attention.self.key"), h, h)?,
                    value: Linear::load_torch(&store, &format!("{p}.attention.self.value"), h, h)?,
                    attention_output: Linear::load_torch(
                        &store,
                        &format!("{p}.attention.output.dense"),
                        h,
                        h,
                    )?,
                    attention_norm: LayerNorm::load(
                        &store,
                        &format!("{p}.attention.output.LayerNorm"),
                        h,
                        eps,
                    )?,
                    intermediate: Linear::load_torch(
                        &store,
                        &format!("{p}.intermediate.dense"),
                        h,
                        config.intermediate_size,
                    )?,
                    output: Linear::load_torch(
                        &store,
                        &format!("{p}.output.dense"),
                        config.intermediate_size,
                        h,
                    )?,
                    output_norm: LayerNorm::load(&store, &format!("{p}.output.LayerNorm"), h, eps)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Bert {
            word_embeddings: store.weight(
                "embeddings.word_embeddings.weight",
                config.vocab_size,
                h,
            )?,
            position_embeddings: store.matrix(
                "embeddings.position_embeddings.weight",
                config.max_position_embeddings,
                h,
            )?,
            token_type_embeddings: store.matrix(
                "embeddings.token_type_embeddings.weight",
                config.type_vocab_size,
                h,
            )?,
            embedding_norm: LayerNorm::load(&store, "embeddings.LayerNorm", h, eps)?,
            layers,
            config,
        })
    }

    /// Bytes the weights occupy in memory.
    pub fn weight_bytes(&self) -> u64 {
        let tables = (self.position_embeddings.len() + self.token_type_embeddings.len()) * 4;
        let layers: u64 = self
            .layers
            .iter()
            .map(|l| {
                l.query.bytes()
                    + l.key.bytes()
                    + l.value.bytes()
                    + l.attention_output.bytes()
                    + l.attention_norm.bytes()
                    + l.intermediate.bytes()
                    + l.output.bytes()
                    + l.output_norm.bytes()
            })
            .sum();
        self.word_embeddings.bytes() + tables as u64 + self.embedding_norm.bytes() + layers
    }

    /// Runs the text with a full trace; `ablation`'s heads are switched off.
    pub fn forward(&self, input: &Tokens, ablation: &Ablation) -> Result<BertOutput> {
        let seq = input.ids.len();
        let ids =
            input.checked_indices(self.config.vocab_size, self.config.max_position_embeddings)?;
        let types: Vec<usize> = input.type_ids.iter().map(|&t| t as usize).collect();
        if let Some(&bad) = types.iter().find(|&&t| t >= self.config.type_vocab_size) {
            return Err(Error::Input(format!(
                "token type {bad} needs a model with more than {} token types; this model takes one sentence at a time",
                self.config.type_vocab_size
            )));
        }
        let word = self.word_embeddings.select_rows(&ids); // (S, H)
        let position = self
            .position_embeddings
            .slice(ndarray::s![..seq, ..])
            .to_owned(); // (S, H)
        let token_type = self.token_type_embeddings.select(Axis(0), &types); // (S, H)
        let summed = &word + &position + &token_type; // (S, H)
        let output = self.embedding_norm.forward(&summed.view()); // (S, H)

        let heads = self.config.num_attention_heads;
        let scale = 1.0 / ((self.config.hidden_size / heads) as f32).sqrt();
        let mut hidden = output.clone();
        let mut hidden_states = vec![output.clone()];
        let mut layers = Vec::with_capacity(self.layers.len());
        for (index, layer) in self.layers.iter().enumerate() {
            let x = hidden.view();
            let q = split_heads(layer.query.forward(&x).view(), heads); // (heads, S, d)
            let k = split_heads(layer.key.forward(&x).view(), heads); // (heads, S, d)
            let v = split_heads(layer.value.forward(&x).view(), heads); // (heads, S, d)
            let mut att = attend(q.view(), k.view(), v.view(), scale, Mask::BIDIRECTIONAL)
                .into_trace(q, k, v);
            ablation.apply(index, &mut att.context, self.config.hidden_size / heads);
            let projected = layer.attention_output.forward(&att.context.view()); // (S, H)
            let attended = layer.attention_norm.forward(&(&projected + &hidden).view()); // (S, H)
            let mut inner = layer.intermediate.forward(&attended.view()); // (S, I)
            activate(&mut inner, self.config.activation);
            let out = layer.output.forward(&inner.view()); // (S, H)
            hidden = layer.output_norm.forward(&(&out + &attended).view()); // (S, H)
            hidden_states.push(hidden.clone());
            layers.push(att);
        }
        Ok(BertOutput {
            embeddings: EmbeddingTrace {
                word,
                position: Some(position),
                token_type: Some(token_type),
                output,
            },
            hidden_states,
            layers,
        })
    }
}
