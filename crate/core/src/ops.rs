//! The numeric building blocks shared by every architecture: linear maps, LayerNorm,
//! activations and multi-head attention, written to match PyTorch's f32 results.

use ndarray::{s, Array1, Array2, Array3, ArrayView2, ArrayViewMut1, Axis};

use crate::config::Activation;
use crate::error::Result;
use crate::tensors::TensorStore;
use crate::trace::LayerTrace;
use crate::weights::Matrix;

/// `y = x · weight + bias` with `weight` stored as `(in, out)` so every architecture's
/// layers multiply the same way (PyTorch `nn.Linear` weights are transposed at load).
pub struct Linear {
    pub weight: Matrix,    // (in, out)
    pub bias: Array1<f32>, // (out)
}

impl Linear {
    /// Loads a PyTorch `nn.Linear` (`weight` stored `(out, in)`).
    pub fn load_torch(store: &TensorStore, prefix: &str, inp: usize, out: usize) -> Result<Self> {
        let weight = store.matrix(&format!("{prefix}.weight"), out, inp)?; // (out, in)
        Ok(Linear {
            weight: store.weight_from(weight.t().as_standard_layout().into_owned()), // (in, out)
            bias: store.vector(&format!("{prefix}.bias"), out)?,
        })
    }

    /// Loads a GPT-2 `Conv1D` (`weight` stored `(in, out)` already).
    pub fn load_conv1d(store: &TensorStore, prefix: &str, inp: usize, out: usize) -> Result<Self> {
        Ok(Linear {
            weight: store.weight(&format!("{prefix}.weight"), inp, out)?,
            bias: store.vector(&format!("{prefix}.bias"), out)?,
        })
    }

    /// Bytes held in memory.
    pub fn bytes(&self) -> u64 {
        self.weight.bytes() + (self.bias.len() * 4) as u64
    }

    pub fn forward(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        let mut y = self.weight.left_mul(x); // (S, out)
        y += &self.bias;
        y
    }
}

pub struct LayerNorm {
    pub weight: Array1<f32>,
    pub bias: Array1<f32>,
    pub eps: f64,
}

impl LayerNorm {
    pub fn load(store: &TensorStore, prefix: &str, dim: usize, eps: f64) -> Result<Self> {
        Ok(LayerNorm {
            weight: store.vector(&format!("{prefix}.weight"), dim)?,
            bias: store.vector(&format!("{prefix}.bias"), dim)?,
            eps,
        })
    }

    /// Bytes held in memory.
    pub fn bytes(&self) -> u64 {
        ((self.weight.len() + self.bias.len()) * 4) as u64
    }

    /// Normalises each row; statistics in f64 so rounding stays below PyTorch's own.
    pub fn forward(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        let mut y = x.to_owned();
        for mut row in y.rows_mut() {
            let n = row.len() as f64;
            let mean = row.iter().map(|&v| v as f64).sum::<f64>() / n;
            let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
            let inv = 1.0 / (var + self.eps).sqrt();
            for ((v, &g), &b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = ((*v as f64 - mean) * inv) as f32 * g + b;
            }
        }
        y
    }
}

pub fn activate(x: &mut Array2<f32>, activation: Activation) {
    match activation {
        Activation::GeluErf => x.mapv_inplace(|v| {
            let v = v as f64;
            (0.5 * v * (1.0 + libm::erf(v / std::f64::consts::SQRT_2))) as f32
        }),
        Activation::GeluTanh => x.mapv_inplace(|v| {
            let v = v as f64;
            let inner = (2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v * v * v);
            (0.5 * v * (1.0 + inner.tanh())) as f32
        }),
        Activation::Relu => x.mapv_inplace(|v| v.max(0.0)),
    }
}

/// Splits `(S, heads·d)` into `(heads, S, d)`, the layout the views read per head.
pub fn split_heads(x: ArrayView2<f32>, heads: usize) -> Array3<f32> {
    let (seq, hidden) = x.dim();
    let d = hidden / heads;
    let mut out = Array3::zeros((heads, seq, d));
    for h in 0..heads {
        out.slice_mut(s![h, .., ..])
            .assign(&x.slice(s![.., h * d..(h + 1) * d]));
    }
    out
}

/// Scaled dot-product attention over every head. `causal` hides later tokens from earlier
/// ones (their probability is exactly 0, as after PyTorch's finfo.min mask and softmax).
/// Returns what the views show, including the attention-weighted values the layer passes on.
pub fn attention(
    query: Array3<f32>,
    key: Array3<f32>,
    value: Array3<f32>,
    scale: f32,
    causal: bool,
) -> LayerTrace {
    let (heads, seq, d) = query.dim();
    let mut scores = Array3::zeros((heads, seq, seq));
    let mut probs = Array3::zeros((heads, seq, seq));
    let mut context = Array2::zeros((seq, heads * d));
    for h in 0..heads {
        let q = query.index_axis(Axis(0), h); // (S, d)
        let k = key.index_axis(Axis(0), h); // (S, d)
        let v = value.index_axis(Axis(0), h); // (S, d)
        let mut head_scores = q.dot(&k.t()); // (S, S)
        head_scores *= scale;
        let mut head_probs = head_scores.clone();
        for (i, mut row) in head_probs.rows_mut().into_iter().enumerate() {
            let visible = if causal { i + 1 } else { seq };
            softmax_prefix(row.view_mut(), visible);
        }
        context
            .slice_mut(s![.., h * d..(h + 1) * d])
            .assign(&head_probs.dot(&v)); // (S, d)
        scores.slice_mut(s![h, .., ..]).assign(&head_scores);
        probs.slice_mut(s![h, .., ..]).assign(&head_probs);
    }
    LayerTrace {
        query,
        key,
        value,
        scores,
        attention: probs,
        context,
    }
}

/// Softmax over the first `visible` entries; the rest become exactly 0.
pub fn softmax_prefix(mut row: ArrayViewMut1<f32>, visible: usize) {
    let visible = visible.min(row.len());
    let (mut shown, mut hidden) = row.view_mut().split_at(Axis(0), visible);
    let max = shown.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0.0f64;
    for v in shown.iter_mut() {
        *v = (*v - max).exp();
        sum += *v as f64;
    }
    let inv = (1.0 / sum) as f32;
    shown.mapv_inplace(|v| v * inv);
    hidden.fill(0.0);
}
