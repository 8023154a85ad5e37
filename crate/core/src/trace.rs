//! The record of one forward pass: every tensor the views draw, named as the checkpoint is.

use ndarray::{Array2, Array3};

use crate::tokenize::Tokens;

/// What the embedding layer looked up and produced, one row per token.
#[derive(Debug, Clone)]
pub struct EmbeddingTrace {
    /// Static word-embedding rows, the same for a token wherever it appears. (S, H)
    pub word: Array2<f32>,
    /// Position-embedding rows, one per position 0..S. (S, H)
    pub position: Array2<f32>,
    /// Token-type rows (BERT only). (S, H)
    pub token_type: Option<Array2<f32>>,
    /// What the first layer receives: BERT's LayerNorm(word + position + type),
    /// GPT-2's word + position. (S, H)
    pub output: Array2<f32>,
}

/// One layer's attention, every head.
#[derive(Debug, Clone)]
pub struct LayerTrace {
    pub query: Array3<f32>, // (heads, S, d)
    pub key: Array3<f32>,   // (heads, S, d)
    pub value: Array3<f32>, // (heads, S, d)
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
    /// for GPT-2 the last entry is after the final LayerNorm `ln_f`. L+1 × (S, H)
    pub hidden_states: Vec<Array2<f32>>,
    pub layers: Vec<LayerTrace>,
    /// GPT-2 only: the next-token distribution after every position. (S, V)
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
