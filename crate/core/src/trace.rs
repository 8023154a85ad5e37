//! The record of one forward pass: every tensor the views draw, named as the checkpoint is.

use ndarray::{Array2, Array3};

use crate::tokenize::Tokens;

/// What the embedding layer looked up and produced, one row per token.
#[derive(Debug, Clone)]
pub struct EmbeddingTrace {
    /// Static word-embedding rows, the same for a token wherever it appears. (S, H)
    pub word: Array2<f32>,
    /// Position-embedding rows, one per position 0..S; None for rotary models, whose
    /// positions turn queries and keys inside attention instead. (S, H)
    pub position: Option<Array2<f32>>,
    /// Token-type rows (BERT only). (S, H)
    pub token_type: Option<Array2<f32>>,
    /// What the first layer receives: BERT's LayerNorm(word + position + type),
    /// GPT-2's word + position, a rotary model's word rows. (S, H)
    pub output: Array2<f32>,
}

/// One layer's attention, every head. With grouped-query attention, keys and values are
/// repeated for every query head that reads them, as transformers' `repeat_kv` does.
#[derive(Debug, Clone)]
pub struct LayerTrace {
    /// Queries as the scores use them: after rotary positions where the model has them.
    pub query: Array3<f32>, // (heads, S, d)
    pub key: Array3<f32>,   // (heads, S, d)
    pub value: Array3<f32>, // (heads, S, d)
    /// Rotary models only: queries and keys before rotation (after Qwen3's q/k norms).
    pub query_unrotated: Option<Array3<f32>>, // (heads, S, d)
    pub key_unrotated: Option<Array3<f32>>, // (heads, S, d)
    /// q·k/√d (and any other scaling the model uses), before mask and softmax. (heads, S, S)
    pub scores: Array3<f32>,
    /// Attention probabilities after mask and softmax; row = query, column = key. (heads, S, S)
    pub attention: Array3<f32>,
    /// Each head's weighted sum of values, heads side by side: row i, columns h·d..(h+1)·d
    /// hold Σ_j attention[h, i, j] · value[h, j]. The very matrix the layer's output
    /// projection reads, kept so the neuron view shows what the model used. (S, heads·d)
    pub context: Array2<f32>,
}

#[derive(Debug, Clone)]
pub struct Trace {
    pub input: Tokens,
    pub embeddings: EmbeddingTrace,
    /// HF convention: index 0 is the embedding output, index i the output of layer i;
    /// for decoders the last entry is after the final norm (`ln_f`, `norm`). L+1 × (S, H)
    pub hidden_states: Vec<Array2<f32>>,
    pub layers: Vec<LayerTrace>,
    /// Decoders only: the next-token distribution after every position. (S, V)
    pub next_token_probs: Option<Array2<f32>>,
}

impl Trace {
    pub fn len(&self) -> usize {
        self.input.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.input.ids.is_empty()
    }
}
