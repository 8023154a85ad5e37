//! The training forward pass: a batch through GPT-2, keeping every activation the backward
//! pass reads, and the mean cross-entropy against the batch's targets.
//!
//! Activations are row-major `(N, ·)` with `N = B·T` rows, one per position of each
//! sequence in the batch.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

use crate::config::Gpt2Config;
use crate::error::{Error, Result};
use crate::ops::gelu_new_with_tanh;

use super::params::{BlockParams, Gpt2Params};

/// A batch: `batch` sequences of `seq` token ids, each followed by the id that should come
/// next at every position.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub batch: usize,
    pub seq: usize,
    pub inputs: Vec<u32>,  // (B, T)
    pub targets: Vec<u32>, // (B, T)
}

impl Batch {
    fn check(&self, config: &Gpt2Config) -> Result<()> {
        let n = self.batch * self.seq;
        if n == 0 || self.inputs.len() != n || self.targets.len() != n {
            return Err(Error::Input(format!(
                "a batch of {} × {} needs {n} inputs and targets (got {} and {})",
                self.batch,
                self.seq,
                self.inputs.len(),
                self.targets.len()
            )));
        }
        if self.seq > config.n_positions {
            return Err(Error::Input(format!(
                "sequences of {} tokens are longer than the model's {} positions",
                self.seq, config.n_positions
            )));
        }
        if let Some(bad) = self
            .inputs
            .iter()
            .chain(&self.targets)
            .find(|&&id| id as usize >= config.vocab_size)
        {
            return Err(Error::Input(format!(
                "token id {bad} is outside the vocabulary of {}",
                config.vocab_size
            )));
        }
        Ok(())
    }
}

/// The sizes of one pass, read once from the config and the batch (llm.c's names).
#[derive(Clone, Copy, Debug)]
pub(super) struct Dims {
    pub(super) b_count: usize, // B sequences
    pub(super) t_count: usize, // T positions per sequence
    pub(super) c: usize,       // C width
    pub(super) i: usize,       // I width of the MLP
    pub(super) v: usize,       // V vocabulary
    pub(super) nh: usize,      // NH heads
    pub(super) hs: usize,      // HS = C / NH, one head's width
    pub(super) n: usize,       // N = B·T rows
}

impl Dims {
    pub(super) fn new(config: &Gpt2Config, batch: &Batch) -> Self {
        let (b_count, t_count) = (batch.batch, batch.seq);
        Dims {
            b_count,
            t_count,
            c: config.n_embd,
            i: config.n_inner,
            v: config.vocab_size,
            nh: config.n_head,
            hs: config.n_embd / config.n_head,
            n: b_count * t_count,
        }
    }
}

/// What one block's forward pass keeps for its backward pass. All `(N, ·)`.
pub(super) struct BlockActivations {
    pub(super) input: Vec<f32>, // (N, C) the residual stream entering the block
    pub(super) ln_1: Norm,      // (N, C)
    pub(super) qkv: Vec<f32>,   // (N, 3C)
    pub(super) attention: Vec<f32>, // (B, NH, T, T) softmax, zero above the diagonal
    pub(super) context: Vec<f32>, // (N, C) Σ attention · v, heads side by side
    pub(super) residual_2: Vec<f32>, // (N, C) input + attention projection
    pub(super) ln_2: Norm,      // (N, C)
    pub(super) fc: Vec<f32>,    // (N, I) before gelu
    pub(super) fc_tanh: Vec<f32>, // (N, I) the tanh inside gelu
    pub(super) fc_gelu: Vec<f32>, // (N, I)
}

/// A LayerNorm's output with the per-row statistics its backward pass needs.
pub(super) struct Norm {
    pub(super) out: Vec<f32>,  // (N, C)
    pub(super) mean: Vec<f32>, // (N)
    pub(super) rstd: Vec<f32>, // (N) 1 / sqrt(var + eps)
}

/// The forward pass of a batch: the loss and everything the backward pass reads.
pub struct ForwardPass {
    pub(super) batch: Batch,
    pub(super) blocks: Vec<BlockActivations>,
    pub(super) final_input: Vec<f32>, // (N, C) residual stream after the last block
    pub(super) ln_f: Norm,            // (N, C)
    pub(super) probs: Vec<f32>,       // (N, V) softmax of the logits
    /// Mean cross-entropy over the N positions.
    pub loss: f32,
}

impl ForwardPass {
    /// Next-token probabilities at every position of the batch. (N, V)
    pub fn probs(&self) -> &[f32] {
        &self.probs
    }
}

fn layer_norm(x: &[f32], weight: &[f32], bias: &[f32], eps: f64) -> Norm {
    let c = weight.len();
    let n = x.len() / c;
    let mut out = vec![0.0; x.len()];
    let mut mean = vec![0.0; n];
    let mut rstd = vec![0.0; n];
    for row in 0..n {
        let xs = &x[row * c..(row + 1) * c];
        let m = xs.iter().map(|&v| v as f64).sum::<f64>() / c as f64;
        let var = xs.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / c as f64;
        let r = 1.0 / (var + eps).sqrt();
        for (j, o) in out[row * c..(row + 1) * c].iter_mut().enumerate() {
            *o = ((xs[j] as f64 - m) * r) as f32 * weight[j] + bias[j];
        }
        mean[row] = m as f32;
        rstd[row] = r as f32;
    }
    Norm { out, mean, rstd }
}

pub(super) fn view(values: &[f32], rows: usize, cols: usize) -> ArrayView2<'_, f32> {
    ArrayView2::from_shape((rows, cols), values).expect("sizes checked by the caller")
}

pub(super) fn view_mut(values: &mut [f32], rows: usize, cols: usize) -> ArrayViewMut2<'_, f32> {
    ArrayViewMut2::from_shape((rows, cols), values).expect("sizes checked by the caller")
}

/// `x · weight + bias` for `x: (N, in)`, `weight: (in, out)`. (N, out)
fn linear(x: &[f32], weight: &[f32], bias: &[f32], inp: usize, out: usize) -> Vec<f32> {
    let n = x.len() / inp;
    let mut y: Vec<f32> = (0..n).flat_map(|_| bias.iter().copied()).collect();
    general_mat_mul(
        1.0,
        &view(x, n, inp),
        &view(weight, inp, out),
        1.0,
        &mut view_mut(&mut y, n, out),
    );
    y
}

/// Causal self-attention of every head over `qkv` (N, 3C): the softmax rows (B, NH, T, T),
/// zero above the diagonal, and the heads' weighted values side by side (N, C).
fn attention_forward(qkv: &[f32], scale: f32, dims: Dims) -> (Vec<f32>, Vec<f32>) {
    let Dims {
        b_count,
        t_count,
        c,
        nh,
        hs,
        n,
        ..
    } = dims;
    let mut attention = vec![0.0f32; b_count * nh * t_count * t_count]; // (B, NH, T, T)
    let mut context = vec![0.0f32; n * c]; // (N, C)
    for b in 0..b_count {
        for h in 0..nh {
            let q_at = |t: usize| &qkv[(b * t_count + t) * 3 * c + h * hs..][..hs];
            let k_at = |t: usize| &qkv[(b * t_count + t) * 3 * c + c + h * hs..][..hs];
            let v_at = |t: usize| &qkv[(b * t_count + t) * 3 * c + 2 * c + h * hs..][..hs];
            for t in 0..t_count {
                let row = &mut attention[((b * nh + h) * t_count + t) * t_count..][..t_count];
                let q = q_at(t);
                let mut max = f32::NEG_INFINITY;
                for (t2, slot) in row.iter_mut().enumerate().take(t + 1) {
                    let k = k_at(t2);
                    let dot: f32 = q.iter().zip(k).map(|(a, b)| a * b).sum();
                    *slot = dot * scale;
                    max = max.max(*slot);
                }
                let mut sum = 0.0f64;
                for slot in row.iter_mut().take(t + 1) {
                    *slot = (*slot - max).exp();
                    sum += *slot as f64;
                }
                for slot in row.iter_mut().take(t + 1) {
                    *slot = (*slot as f64 / sum) as f32;
                }
                let out = &mut context[(b * t_count + t) * c + h * hs..][..hs];
                for (t2, &a) in row.iter().enumerate().take(t + 1) {
                    for (o, &vv) in out.iter_mut().zip(v_at(t2)) {
                        *o += a * vv;
                    }
                }
            }
        }
    }
    (attention, context)
}

impl Gpt2Params {
    /// Runs the batch forward and computes the mean cross-entropy against its targets.
    pub fn forward(&self, batch: &Batch) -> Result<ForwardPass> {
        batch.check(&self.config)?;
        let dims = Dims::new(&self.config, batch);
        let c = dims.c;
        let t_count = dims.t_count;

        let mut x = vec![0.0f32; dims.n * c]; // (N, C)
        for (row, &id) in batch.inputs.iter().enumerate() {
            let t = row % t_count;
            let word = &self.wte[id as usize * c..(id as usize + 1) * c];
            let position = &self.wpe[t * c..(t + 1) * c];
            for j in 0..c {
                x[row * c + j] = word[j] + position[j];
            }
        }

        let mut blocks = Vec::with_capacity(self.blocks.len());
        for (layer, p) in self.blocks.iter().enumerate() {
            let (next, activations) = self.block_forward(layer, p, x, dims);
            blocks.push(activations);
            x = next;
        }

        let ln_f = layer_norm(
            &x,
            &self.ln_f_weight,
            &self.ln_f_bias,
            self.config.layer_norm_epsilon,
        );
        let (probs, loss) = self.head_forward(&ln_f.out, &batch.targets, dims);
        Ok(ForwardPass {
            batch: batch.clone(),
            blocks,
            final_input: x,
            ln_f,
            probs,
            loss,
        })
    }

    /// One block on the residual stream `input` (N, C): the stream after it, and what the
    /// backward pass reads (which keeps `input`).
    fn block_forward(
        &self,
        layer: usize,
        p: &BlockParams,
        input: Vec<f32>,
        dims: Dims,
    ) -> (Vec<f32>, BlockActivations) {
        let Dims { c, i, .. } = dims;
        let eps = self.config.layer_norm_epsilon;
        let ln_1 = layer_norm(&input, &p.ln_1_weight, &p.ln_1_bias, eps);
        let qkv = linear(&ln_1.out, &p.qkv_weight, &p.qkv_bias, c, 3 * c); // (N, 3C)
        let scale = self.config.attention_scale(layer);
        let (attention, context) = attention_forward(&qkv, scale, dims);
        let projected = linear(&context, &p.proj_weight, &p.proj_bias, c, c);
        let residual_2: Vec<f32> = input.iter().zip(&projected).map(|(a, b)| a + b).collect();
        let ln_2 = layer_norm(&residual_2, &p.ln_2_weight, &p.ln_2_bias, eps);
        let fc = linear(&ln_2.out, &p.fc_weight, &p.fc_bias, c, i); // (N, I)
        let (fc_gelu, fc_tanh): (Vec<f32>, Vec<f32>) =
            fc.iter().map(|&a| gelu_new_with_tanh(a)).unzip();
        let mlp = linear(&fc_gelu, &p.fc_proj_weight, &p.fc_proj_bias, i, c);
        let next: Vec<f32> = residual_2.iter().zip(&mlp).map(|(a, b)| a + b).collect();
        let activations = BlockActivations {
            input,
            ln_1,
            qkv,
            attention,
            context,
            residual_2,
            ln_2,
            fc,
            fc_tanh,
            fc_gelu,
        };
        (next, activations)
    }

    /// The tied head on the final LayerNorm's output: next-token probabilities (N, V) and
    /// the mean cross-entropy against `targets`.
    fn head_forward(&self, ln_f: &[f32], targets: &[u32], dims: Dims) -> (Vec<f32>, f32) {
        let Dims { c, v, n, .. } = dims;
        let mut probs = vec![0.0f32; n * v]; // (N, V) logits, then probabilities
        general_mat_mul(
            1.0,
            &view(ln_f, n, c),
            &view(&self.wte, v, c).t(),
            0.0,
            &mut view_mut(&mut probs, n, v),
        );
        let mut loss = 0.0f64;
        for (row, &target) in probs.chunks_exact_mut(v).zip(targets) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0f64;
            for p in row.iter_mut() {
                *p = (*p - max).exp();
                sum += *p as f64;
            }
            for p in row.iter_mut() {
                *p = (*p as f64 / sum) as f32;
            }
            loss -= (row[target as usize] as f64).ln();
        }
        (probs, (loss / n as f64) as f32)
    }
}
