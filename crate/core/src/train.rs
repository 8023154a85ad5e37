//! GPT-2 learning: a batched forward pass that keeps what the backward pass needs, the
//! backward pass written out operation by operation (as llm.c does), and cross-entropy loss.
//!
//! Layouts follow the Hugging Face checkpoint, so parameters load from and save to the same
//! `model.safetensors` the rest of the core reads: `Conv1D` weights are `(in, out)`, and the
//! language-model head is the token embedding `wte` itself (tied). Activations are row-major
//! `(N, ·)` with `N = B·T` rows, one per position of each sequence in the batch.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

use crate::config::{Activation, Gpt2Config};
use crate::error::{Error, Result};
use crate::generate::SplitMix64;
use crate::optim::{clip_grad_norm, learning_rate_at, AdamW, AdamWSettings};
use crate::tensors::TensorStore;
use crate::weights::Precision;

/// The one list of a GPT-2's tensors: (HF name, shape, field), in checkpoint order, borrowed
/// shared (`iter`) or mutable (`iter_mut, mut`), so the two views cannot drift apart.
macro_rules! named_tensors {
    ($params:expr, $iter:ident $(, $mutability:ident)?) => {{
        let c = $params.config.clone();
        let (e, i) = (c.n_embd, c.n_inner);
        let mut out = vec![
            ("wte.weight".to_string(), vec![c.vocab_size, e], & $($mutability)? $params.wte),
            ("wpe.weight".to_string(), vec![c.n_positions, e], & $($mutability)? $params.wpe),
        ];
        for (l, b) in $params.blocks.$iter().enumerate() {
            let n = |s: &str| format!("h.{l}.{s}");
            out.extend([
                (n("ln_1.weight"), vec![e], & $($mutability)? b.ln_1_weight),
                (n("ln_1.bias"), vec![e], & $($mutability)? b.ln_1_bias),
                (n("attn.c_attn.weight"), vec![e, 3 * e], & $($mutability)? b.qkv_weight),
                (n("attn.c_attn.bias"), vec![3 * e], & $($mutability)? b.qkv_bias),
                (n("attn.c_proj.weight"), vec![e, e], & $($mutability)? b.proj_weight),
                (n("attn.c_proj.bias"), vec![e], & $($mutability)? b.proj_bias),
                (n("ln_2.weight"), vec![e], & $($mutability)? b.ln_2_weight),
                (n("ln_2.bias"), vec![e], & $($mutability)? b.ln_2_bias),
                (n("mlp.c_fc.weight"), vec![e, i], & $($mutability)? b.fc_weight),
                (n("mlp.c_fc.bias"), vec![i], & $($mutability)? b.fc_bias),
                (n("mlp.c_proj.weight"), vec![i, e], & $($mutability)? b.fc_proj_weight),
                (n("mlp.c_proj.bias"), vec![e], & $($mutability)? b.fc_proj_bias),
            ]);
        }
        out.push(("ln_f.weight".to_string(), vec![e], & $($mutability)? $params.ln_f_weight));
        out.push(("ln_f.bias".to_string(), vec![e], & $($mutability)? $params.ln_f_bias));
        out
    }};
}

/// One transformer block's parameters (or their gradients), HF names in the comments.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockParams {
    pub ln_1_weight: Vec<f32>,    // h.{l}.ln_1.weight (C)
    pub ln_1_bias: Vec<f32>,      // h.{l}.ln_1.bias (C)
    pub qkv_weight: Vec<f32>,     // h.{l}.attn.c_attn.weight (C, 3C)
    pub qkv_bias: Vec<f32>,       // h.{l}.attn.c_attn.bias (3C)
    pub proj_weight: Vec<f32>,    // h.{l}.attn.c_proj.weight (C, C)
    pub proj_bias: Vec<f32>,      // h.{l}.attn.c_proj.bias (C)
    pub ln_2_weight: Vec<f32>,    // h.{l}.ln_2.weight (C)
    pub ln_2_bias: Vec<f32>,      // h.{l}.ln_2.bias (C)
    pub fc_weight: Vec<f32>,      // h.{l}.mlp.c_fc.weight (C, I)
    pub fc_bias: Vec<f32>,        // h.{l}.mlp.c_fc.bias (I)
    pub fc_proj_weight: Vec<f32>, // h.{l}.mlp.c_proj.weight (I, C)
    pub fc_proj_bias: Vec<f32>,   // h.{l}.mlp.c_proj.bias (C)
}

/// Every parameter of a GPT-2 model, or a gradient of the same shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Gpt2Params {
    pub config: Gpt2Config,
    pub wte: Vec<f32>, // wte.weight (V, C), also the output head
    pub wpe: Vec<f32>, // wpe.weight (P, C)
    pub blocks: Vec<BlockParams>,
    pub ln_f_weight: Vec<f32>, // ln_f.weight (C)
    pub ln_f_bias: Vec<f32>,   // ln_f.bias (C)
}

impl Gpt2Params {
    /// Reads the parameters of a GPT-2 checkpoint (f32, f16 or bf16; bare or `transformer.`
    /// names), refusing options the backward pass does not implement.
    pub fn from_safetensors(config: &Gpt2Config, bytes: &[u8]) -> Result<Self> {
        if config.activation != Activation::GeluTanh {
            return Err(Error::Config(
                "training implements GPT-2's gelu_new activation only".into(),
            ));
        }
        let store = TensorStore::parse(bytes, "wte.weight", &["", "transformer."], Precision::F32)?;
        let (c, i) = (config.n_embd, config.n_inner);
        let vector = |name: &str, len: usize| store.vector(name, len).map(|a| a.to_vec());
        let matrix = |name: &str, rows: usize, cols: usize| {
            store
                .matrix(name, rows, cols)
                .map(|a| a.as_standard_layout().iter().copied().collect::<Vec<f32>>())
        };
        let blocks = (0..config.n_layer)
            .map(|l| {
                let p = format!("h.{l}");
                Ok(BlockParams {
                    ln_1_weight: vector(&format!("{p}.ln_1.weight"), c)?,
                    ln_1_bias: vector(&format!("{p}.ln_1.bias"), c)?,
                    qkv_weight: matrix(&format!("{p}.attn.c_attn.weight"), c, 3 * c)?,
                    qkv_bias: vector(&format!("{p}.attn.c_attn.bias"), 3 * c)?,
                    proj_weight: matrix(&format!("{p}.attn.c_proj.weight"), c, c)?,
                    proj_bias: vector(&format!("{p}.attn.c_proj.bias"), c)?,
                    ln_2_weight: vector(&format!("{p}.ln_2.weight"), c)?,
                    ln_2_bias: vector(&format!("{p}.ln_2.bias"), c)?,
                    fc_weight: matrix(&format!("{p}.mlp.c_fc.weight"), c, i)?,
                    fc_bias: vector(&format!("{p}.mlp.c_fc.bias"), i)?,
                    fc_proj_weight: matrix(&format!("{p}.mlp.c_proj.weight"), i, c)?,
                    fc_proj_bias: vector(&format!("{p}.mlp.c_proj.bias"), c)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Gpt2Params {
            wte: matrix("wte.weight", config.vocab_size, c)?,
            wpe: matrix("wpe.weight", config.n_positions, c)?,
            blocks,
            ln_f_weight: vector("ln_f.weight", c)?,
            ln_f_bias: vector("ln_f.bias", c)?,
            config: config.clone(),
        })
    }

    /// A fresh model as GPT-2 starts: weights drawn from N(0, 0.02²), the two projections
    /// that write into the residual stream from N(0, (0.02/√(2L))²) so the stream's variance
    /// does not grow with depth, biases 0, LayerNorm gains 1. The same seed gives the same
    /// model.
    pub fn init(config: &Gpt2Config, seed: u64) -> Result<Self> {
        if config.activation != Activation::GeluTanh {
            return Err(Error::Config(
                "training implements GPT-2's gelu_new activation only".into(),
            ));
        }
        if config.n_head == 0 || !config.n_embd.is_multiple_of(config.n_head) {
            return Err(Error::Config(format!(
                "n_embd ({}) must be a multiple of n_head ({})",
                config.n_embd, config.n_head
            )));
        }
        let mut rng = SplitMix64::new(seed);
        let mut normal = |len: usize, std: f64| -> Vec<f32> {
            // Box–Muller: two uniforms give one standard normal (the second is dropped so
            // every value costs the same draws, whatever `len` is).
            (0..len)
                .map(|_| {
                    let u1 = 1.0 - rng.next_f64(); // (0, 1]: ln is finite
                    let u2 = rng.next_f64();
                    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos() * std) as f32
                })
                .collect()
        };
        let (c, i) = (config.n_embd, config.n_inner);
        let std = 0.02;
        let residual_std = std / (2.0 * config.n_layer as f64).sqrt();
        let wte = normal(config.vocab_size * c, std);
        let wpe = normal(config.n_positions * c, std / 2.0);
        let blocks = (0..config.n_layer)
            .map(|_| BlockParams {
                ln_1_weight: vec![1.0; c],
                ln_1_bias: vec![0.0; c],
                qkv_weight: normal(c * 3 * c, std),
                qkv_bias: vec![0.0; 3 * c],
                proj_weight: normal(c * c, residual_std),
                proj_bias: vec![0.0; c],
                ln_2_weight: vec![1.0; c],
                ln_2_bias: vec![0.0; c],
                fc_weight: normal(c * i, std),
                fc_bias: vec![0.0; i],
                fc_proj_weight: normal(i * c, residual_std),
                fc_proj_bias: vec![0.0; c],
            })
            .collect();
        Ok(Gpt2Params {
            config: config.clone(),
            wte,
            wpe,
            blocks,
            ln_f_weight: vec![1.0; c],
            ln_f_bias: vec![0.0; c],
        })
    }

    /// The parameters as a Hugging Face `model.safetensors` (bare GPT-2 names, F32), which
    /// this core and `transformers` both load.
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        let tensors = self.tensors();
        let bytes: Vec<Vec<u8>> = tensors
            .iter()
            .map(|(_, _, values)| values.iter().flat_map(|v| v.to_le_bytes()).collect())
            .collect();
        let views = tensors
            .iter()
            .zip(&bytes)
            .map(|((name, shape, _), data)| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data)
                    .map(|view| (name.clone(), view))
                    .map_err(|e| Error::Io(format!("{name}: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let metadata = std::collections::HashMap::from([("format".to_string(), "pt".to_string())]);
        safetensors::serialize(views, Some(metadata)).map_err(|e| Error::Io(e.to_string()))
    }

    /// The same shapes, all zero: a gradient accumulator or an optimiser moment.
    pub fn zeros_like(&self) -> Self {
        let mut out = self.clone();
        for (_, _, values) in out.tensors_mut() {
            values.iter_mut().for_each(|v| *v = 0.0);
        }
        out
    }

    /// Every tensor as (HF name without prefix, shape, values), in checkpoint order.
    pub fn tensors(&self) -> Vec<(String, Vec<usize>, &Vec<f32>)> {
        named_tensors!(self, iter)
    }

    /// `tensors` with mutable values, in the same order.
    pub fn tensors_mut(&mut self) -> Vec<(String, Vec<usize>, &mut Vec<f32>)> {
        named_tensors!(self, iter_mut, mut)
    }

    /// How many numbers the model has.
    pub fn len(&self) -> usize {
        self.tensors().iter().map(|(_, _, v)| v.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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

/// What one block's forward pass keeps for its backward pass. All `(N, ·)`.
struct BlockActivations {
    input: Vec<f32>,      // (N, C) the residual stream entering the block
    ln_1: Norm,           // (N, C)
    qkv: Vec<f32>,        // (N, 3C)
    attention: Vec<f32>,  // (B, NH, T, T) softmax, zero above the diagonal
    context: Vec<f32>,    // (N, C) Σ attention · v, heads side by side
    residual_2: Vec<f32>, // (N, C) input + attention projection
    ln_2: Norm,           // (N, C)
    fc: Vec<f32>,         // (N, I) before gelu
    fc_tanh: Vec<f32>,    // (N, I) the tanh inside gelu
    fc_gelu: Vec<f32>,    // (N, I)
}

/// A LayerNorm's output with the per-row statistics its backward pass needs.
struct Norm {
    out: Vec<f32>,  // (N, C)
    mean: Vec<f32>, // (N)
    rstd: Vec<f32>, // (N) 1 / sqrt(var + eps)
}

impl ForwardPass {
    /// Next-token probabilities at every position of the batch. (N, V)
    pub fn probs(&self) -> &[f32] {
        &self.probs
    }
}

/// The forward pass of a batch: the loss and everything the backward pass reads.
pub struct ForwardPass {
    batch: Batch,
    blocks: Vec<BlockActivations>,
    final_input: Vec<f32>, // (N, C) residual stream after the last block
    ln_f: Norm,            // (N, C)
    probs: Vec<f32>,       // (N, V) softmax of the logits
    /// Mean cross-entropy over the N positions.
    pub loss: f32,
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

/// Adds LayerNorm's gradients: `dx += …`, `dweight += …`, `dbias += …`.
fn layer_norm_backward(
    dx: &mut [f32],
    dweight: &mut [f32],
    dbias: &mut [f32],
    dout: &[f32],
    x: &[f32],
    weight: &[f32],
    norm: &Norm,
) {
    let c = weight.len();
    for row in 0..norm.mean.len() {
        let (mean, rstd) = (norm.mean[row] as f64, norm.rstd[row] as f64);
        let xs = &x[row * c..(row + 1) * c];
        let ds = &dout[row * c..(row + 1) * c];
        // Two means over the row: of dnorm and of dnorm · x̂.
        let mut dnorm_mean = 0.0f64;
        let mut dnorm_xhat_mean = 0.0f64;
        for j in 0..c {
            let xhat = (xs[j] as f64 - mean) * rstd;
            let dnorm = ds[j] as f64 * weight[j] as f64;
            dnorm_mean += dnorm;
            dnorm_xhat_mean += dnorm * xhat;
        }
        dnorm_mean /= c as f64;
        dnorm_xhat_mean /= c as f64;
        for j in 0..c {
            let xhat = (xs[j] as f64 - mean) * rstd;
            let dnorm = ds[j] as f64 * weight[j] as f64;
            dbias[j] += ds[j];
            dweight[j] += (ds[j] as f64 * xhat) as f32;
            dx[row * c + j] += (rstd * (dnorm - dnorm_mean - xhat * dnorm_xhat_mean)) as f32;
        }
    }
}

fn view(values: &[f32], rows: usize, cols: usize) -> ArrayView2<'_, f32> {
    ArrayView2::from_shape((rows, cols), values).expect("sizes checked by the caller")
}

fn view_mut(values: &mut [f32], rows: usize, cols: usize) -> ArrayViewMut2<'_, f32> {
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

/// Adds a linear layer's gradients: `dx += dy · weightᵀ`, `dweight += xᵀ · dy`,
/// `dbias += Σ rows of dy`.
#[allow(clippy::too_many_arguments)]
fn linear_backward(
    dx: &mut [f32],
    dweight: &mut [f32],
    dbias: &mut [f32],
    dy: &[f32],
    x: &[f32],
    weight: &[f32],
    inp: usize,
    out: usize,
) {
    let n = x.len() / inp;
    let dy_view = view(dy, n, out);
    general_mat_mul(
        1.0,
        &dy_view,
        &view(weight, inp, out).t(),
        1.0,
        &mut view_mut(dx, n, inp),
    );
    general_mat_mul(
        1.0,
        &view(x, n, inp).t(),
        &dy_view,
        1.0,
        &mut view_mut(dweight, inp, out),
    );
    for row in dy.chunks_exact(out) {
        for (b, &d) in dbias.iter_mut().zip(row) {
            *b += d;
        }
    }
}

const GELU_SCALE: f32 = 0.797_884_6; // √(2/π)

/// gelu_new in f32, as PyTorch computes it, with the tanh kept for the backward pass.
fn gelu(x: f32) -> (f32, f32) {
    let t = (GELU_SCALE * (x + 0.044715 * x * x * x)).tanh();
    (0.5 * x * (1.0 + t), t)
}

/// d gelu / dx from x and the tanh the forward pass computed.
fn gelu_grad(x: f32, t: f32) -> f32 {
    let du = GELU_SCALE * (1.0 + 3.0 * 0.044715 * x * x);
    0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
}

impl Gpt2Params {
    fn attention_scale(&self, layer: usize) -> f32 {
        let c = &self.config;
        let mut scale = 1.0f32;
        if c.scale_attn_weights {
            scale /= ((c.n_embd / c.n_head) as f32).sqrt();
        }
        if c.scale_attn_by_inverse_layer_idx {
            scale /= (layer + 1) as f32;
        }
        scale
    }

    /// Runs the batch forward and computes the mean cross-entropy against its targets.
    pub fn forward(&self, batch: &Batch) -> Result<ForwardPass> {
        let cfg = &self.config;
        batch.check(cfg)?;
        let (b_count, t_count) = (batch.batch, batch.seq);
        let (c, i, v, nh) = (cfg.n_embd, cfg.n_inner, cfg.vocab_size, cfg.n_head);
        let hs = c / nh;
        let n = b_count * t_count;
        let eps = cfg.layer_norm_epsilon;

        let mut x = vec![0.0f32; n * c]; // (N, C)
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
            let ln_1 = layer_norm(&x, &p.ln_1_weight, &p.ln_1_bias, eps);
            let qkv = linear(&ln_1.out, &p.qkv_weight, &p.qkv_bias, c, 3 * c); // (N, 3C)
            let scale = self.attention_scale(layer);
            let mut attention = vec![0.0f32; b_count * nh * t_count * t_count]; // (B, NH, T, T)
            let mut context = vec![0.0f32; n * c]; // (N, C)
            for b in 0..b_count {
                for h in 0..nh {
                    let q_at = |t: usize| &qkv[(b * t_count + t) * 3 * c + h * hs..][..hs];
                    let k_at = |t: usize| &qkv[(b * t_count + t) * 3 * c + c + h * hs..][..hs];
                    let v_at = |t: usize| &qkv[(b * t_count + t) * 3 * c + 2 * c + h * hs..][..hs];
                    for t in 0..t_count {
                        let row =
                            &mut attention[((b * nh + h) * t_count + t) * t_count..][..t_count];
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
            let projected = linear(&context, &p.proj_weight, &p.proj_bias, c, c);
            let residual_2: Vec<f32> = x.iter().zip(&projected).map(|(a, b)| a + b).collect();
            let ln_2 = layer_norm(&residual_2, &p.ln_2_weight, &p.ln_2_bias, eps);
            let fc = linear(&ln_2.out, &p.fc_weight, &p.fc_bias, c, i); // (N, I)
            let (fc_gelu, fc_tanh): (Vec<f32>, Vec<f32>) = fc.iter().map(|&a| gelu(a)).unzip();
            let mlp = linear(&fc_gelu, &p.fc_proj_weight, &p.fc_proj_bias, i, c);
            let next: Vec<f32> = residual_2.iter().zip(&mlp).map(|(a, b)| a + b).collect();
            blocks.push(BlockActivations {
                input: std::mem::replace(&mut x, next),
                ln_1,
                qkv,
                attention,
                context,
                residual_2,
                ln_2,
                fc,
                fc_tanh,
                fc_gelu,
            });
        }

        let ln_f = layer_norm(&x, &self.ln_f_weight, &self.ln_f_bias, eps);
        let mut probs = vec![0.0f32; n * v]; // (N, V) logits, then probabilities
        general_mat_mul(
            1.0,
            &view(&ln_f.out, n, c),
            &view(&self.wte, v, c).t(),
            0.0,
            &mut view_mut(&mut probs, n, v),
        );
        let mut loss = 0.0f64;
        for (row, &target) in probs.chunks_exact_mut(v).zip(&batch.targets) {
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
        Ok(ForwardPass {
            batch: batch.clone(),
            blocks,
            final_input: x,
            ln_f,
            probs,
            loss: (loss / n as f64) as f32,
        })
    }

    /// The gradient of the forward pass's mean loss with respect to every parameter.
    pub fn backward(&self, pass: &ForwardPass) -> Gpt2Params {
        let cfg = &self.config;
        let (b_count, t_count) = (pass.batch.batch, pass.batch.seq);
        let (c, i, v, nh) = (cfg.n_embd, cfg.n_inner, cfg.vocab_size, cfg.n_head);
        let hs = c / nh;
        let n = b_count * t_count;
        let mut grad = self.zeros_like();

        // Cross-entropy through softmax: (p − onehot(target)) / N. (N, V)
        let mut dlogits = pass.probs.clone();
        for (row, &target) in dlogits.chunks_exact_mut(v).zip(&pass.batch.targets) {
            row[target as usize] -= 1.0;
            row.iter_mut().for_each(|d| *d /= n as f32);
        }
        // logits = ln_f · wteᵀ: the head's share of wte's gradient, and dln_f. (N, C)
        general_mat_mul(
            1.0,
            &view(&dlogits, n, v).t(),
            &view(&pass.ln_f.out, n, c),
            1.0,
            &mut view_mut(&mut grad.wte, v, c),
        );
        let mut dln_f = vec![0.0f32; n * c];
        general_mat_mul(
            1.0,
            &view(&dlogits, n, v),
            &view(&self.wte, v, c),
            0.0,
            &mut view_mut(&mut dln_f, n, c),
        );
        drop(dlogits);
        let mut dx = vec![0.0f32; n * c]; // gradient of the residual stream (N, C)
        layer_norm_backward(
            &mut dx,
            &mut grad.ln_f_weight,
            &mut grad.ln_f_bias,
            &dln_f,
            &pass.final_input,
            &self.ln_f_weight,
            &pass.ln_f,
        );

        for (layer, (p, act)) in self.blocks.iter().zip(&pass.blocks).enumerate().rev() {
            let g = &mut grad.blocks[layer];
            // next = residual_2 + mlp: dx flows to both.
            let mut dfc_gelu = vec![0.0f32; n * i];
            linear_backward(
                &mut dfc_gelu,
                &mut g.fc_proj_weight,
                &mut g.fc_proj_bias,
                &dx,
                &act.fc_gelu,
                &p.fc_proj_weight,
                i,
                c,
            );
            let dfc: Vec<f32> = dfc_gelu
                .iter()
                .zip(act.fc.iter().zip(&act.fc_tanh))
                .map(|(d, (&x, &t))| d * gelu_grad(x, t))
                .collect();
            let mut dln_2 = vec![0.0f32; n * c];
            linear_backward(
                &mut dln_2,
                &mut g.fc_weight,
                &mut g.fc_bias,
                &dfc,
                &act.ln_2.out,
                &p.fc_weight,
                c,
                i,
            );
            // dx now stands for d residual_2.
            layer_norm_backward(
                &mut dx,
                &mut g.ln_2_weight,
                &mut g.ln_2_bias,
                &dln_2,
                &act.residual_2,
                &p.ln_2_weight,
                &act.ln_2,
            );
            // residual_2 = input + projected.
            let mut dcontext = vec![0.0f32; n * c];
            linear_backward(
                &mut dcontext,
                &mut g.proj_weight,
                &mut g.proj_bias,
                &dx,
                &act.context,
                &p.proj_weight,
                c,
                c,
            );
            let scale = self.attention_scale(layer);
            let mut dqkv = vec![0.0f32; n * 3 * c]; // (N, 3C)
            let mut dscores = vec![0.0f32; t_count];
            for b in 0..b_count {
                for h in 0..nh {
                    let at = |t: usize, part: usize| (b * t_count + t) * 3 * c + part * c + h * hs;
                    for t in 0..t_count {
                        let probs =
                            &act.attention[((b * nh + h) * t_count + t) * t_count..][..t_count];
                        let dout = &dcontext[(b * t_count + t) * c + h * hs..][..hs];
                        // context_t = Σ p_t2 · v_t2: dp and dv.
                        let mut weighted = 0.0f64;
                        for t2 in 0..=t {
                            let value = &act.qkv[at(t2, 2)..][..hs];
                            let dp: f32 = dout.iter().zip(value).map(|(a, b)| a * b).sum();
                            dscores[t2] = dp;
                            weighted += (dp * probs[t2]) as f64;
                            let dvalue = &mut dqkv[at(t2, 2)..][..hs];
                            for (dv, &d) in dvalue.iter_mut().zip(dout) {
                                *dv += probs[t2] * d;
                            }
                        }
                        // softmax: ds = p · (dp − Σ p·dp), then scores = scale · q·k.
                        let q = &act.qkv[at(t, 0)..][..hs];
                        let mut dq = vec![0.0f32; hs];
                        for t2 in 0..=t {
                            let ds = probs[t2] * (dscores[t2] - weighted as f32) * scale;
                            let k = &act.qkv[at(t2, 1)..][..hs];
                            for (dq, &k) in dq.iter_mut().zip(k) {
                                *dq += ds * k;
                            }
                            let dk = &mut dqkv[at(t2, 1)..][..hs];
                            for (dk, &q) in dk.iter_mut().zip(q) {
                                *dk += ds * q;
                            }
                        }
                        for (out, d) in dqkv[at(t, 0)..][..hs].iter_mut().zip(&dq) {
                            *out += d;
                        }
                    }
                }
            }
            let mut dln_1 = vec![0.0f32; n * c];
            linear_backward(
                &mut dln_1,
                &mut g.qkv_weight,
                &mut g.qkv_bias,
                &dqkv,
                &act.ln_1.out,
                &p.qkv_weight,
                c,
                3 * c,
            );
            layer_norm_backward(
                &mut dx,
                &mut g.ln_1_weight,
                &mut g.ln_1_bias,
                &dln_1,
                &act.input,
                &p.ln_1_weight,
                &act.ln_1,
            );
        }

        // x0 = wte[id] + wpe[t].
        for (row, &id) in pass.batch.inputs.iter().enumerate() {
            let t = row % t_count;
            let d = &dx[row * c..(row + 1) * c];
            let word = &mut grad.wte[id as usize * c..(id as usize + 1) * c];
            word.iter_mut().zip(d).for_each(|(w, &g)| *w += g);
            let position = &mut grad.wpe[t * c..(t + 1) * c];
            position.iter_mut().zip(d).for_each(|(p, &g)| *p += g);
        }
        grad
    }
}

/// How a training run goes: batch shape, length, learning-rate schedule, optimiser, and
/// how often the held-out loss is measured.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingSettings {
    pub batch: usize,
    pub seq: usize,
    pub steps: usize,
    pub learning_rate: f32,
    pub min_learning_rate: f32,
    pub warmup: usize,
    pub max_grad_norm: f32,
    pub adamw: AdamWSettings,
    /// Measure the held-out loss every this many steps (and after the last).
    pub eval_every: usize,
    /// Held-out windows per measurement, in batches.
    pub eval_batches: usize,
    /// Seeds the choice of training windows.
    pub seed: u64,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        TrainingSettings {
            batch: 16,
            seq: 64,
            steps: 1000,
            learning_rate: 3e-3,
            min_learning_rate: 3e-4,
            warmup: 50,
            max_grad_norm: 1.0,
            adamw: AdamWSettings::default(),
            eval_every: 100,
            eval_batches: 8,
            seed: 0,
        }
    }
}

/// One point of the loss curve.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LossPoint {
    pub step: usize,
    pub learning_rate: f32,
    pub train_loss: f32,
    /// Mean loss on held-out text, measured every `eval_every` steps.
    pub held_out_loss: Option<f32>,
}

/// A model being trained on a token stream, one step at a time (so a page can pause it).
pub struct TrainingRun {
    pub params: Gpt2Params,
    pub settings: TrainingSettings,
    optimiser: AdamW,
    rng: SplitMix64,
    train_ids: Vec<u32>,
    held_out_ids: Vec<u32>,
    /// Steps taken so far.
    pub step: usize,
    pub history: Vec<LossPoint>,
}

impl TrainingRun {
    pub fn new(
        params: Gpt2Params,
        train_ids: Vec<u32>,
        held_out_ids: Vec<u32>,
        settings: TrainingSettings,
    ) -> Result<Self> {
        let seq = settings.seq;
        if settings.batch == 0 || seq == 0 || settings.steps == 0 {
            return Err(Error::Input(
                "batch size, sequence length and steps must be at least 1".into(),
            ));
        }
        if seq > params.config.n_positions {
            return Err(Error::Input(format!(
                "sequences of {seq} tokens are longer than the model's {} positions",
                params.config.n_positions
            )));
        }
        for (what, ids) in [("training", &train_ids), ("held-out", &held_out_ids)] {
            if ids.len() < seq + 1 {
                return Err(Error::Input(format!(
                    "the {what} text has {} tokens; a window needs {}",
                    ids.len(),
                    seq + 1
                )));
            }
        }
        Ok(TrainingRun {
            optimiser: AdamW::new(&params, settings.adamw),
            rng: SplitMix64::new(settings.seed),
            params,
            train_ids,
            held_out_ids,
            step: 0,
            history: Vec::new(),
            settings,
        })
    }

    /// `batch` windows of `seq + 1` tokens: inputs and the same shifted by one.
    fn windows(
        ids: &[u32],
        starts: impl Iterator<Item = usize>,
        batch: usize,
        seq: usize,
    ) -> Batch {
        let mut inputs = Vec::with_capacity(batch * seq);
        let mut targets = Vec::with_capacity(batch * seq);
        for start in starts.take(batch) {
            inputs.extend_from_slice(&ids[start..start + seq]);
            targets.extend_from_slice(&ids[start + 1..start + seq + 1]);
        }
        Batch {
            batch,
            seq,
            inputs,
            targets,
        }
    }

    /// The next training batch: windows at random places of the training stream.
    pub fn next_batch(&mut self) -> Batch {
        let (batch, seq) = (self.settings.batch, self.settings.seq);
        let span = (self.train_ids.len() - seq) as u64; // start ∈ [0, span)
        let starts: Vec<usize> = (0..batch)
            .map(|_| (self.rng.next_u64() % span) as usize)
            .collect();
        Self::windows(&self.train_ids, starts.into_iter(), batch, seq)
    }

    /// Mean loss on the same evenly spaced held-out windows every time. Its exponential is
    /// the held-out perplexity.
    pub fn held_out_loss(&self) -> Result<f32> {
        let (batch, seq) = (self.settings.batch, self.settings.seq);
        let count = batch * self.settings.eval_batches.max(1);
        let span = self.held_out_ids.len() - seq;
        let starts: Vec<usize> = (0..count).map(|i| i * span / count).collect();
        let mut total = 0.0f64;
        for chunk in starts.chunks(batch) {
            let windows =
                Self::windows(&self.held_out_ids, chunk.iter().copied(), chunk.len(), seq);
            total += self.params.forward(&windows)?.loss as f64 * chunk.len() as f64;
        }
        Ok((total / count as f64) as f32)
    }

    /// One step: a batch forward and back, clipping, AdamW at the scheduled learning rate,
    /// and the held-out loss when due.
    pub fn train_step(&mut self) -> Result<LossPoint> {
        let s = &self.settings;
        let learning_rate = learning_rate_at(
            self.step,
            s.steps,
            s.warmup,
            s.learning_rate,
            s.min_learning_rate,
        );
        let max_grad_norm = s.max_grad_norm;
        let batch = self.next_batch();
        let pass = self.params.forward(&batch)?;
        let mut grad = self.params.backward(&pass);
        clip_grad_norm(&mut grad, max_grad_norm);
        self.optimiser
            .update(&mut self.params, &grad, learning_rate);
        self.step += 1;
        let due = self.step.is_multiple_of(self.settings.eval_every.max(1))
            || self.step == self.settings.steps;
        let point = LossPoint {
            step: self.step,
            learning_rate,
            train_loss: pass.loss,
            held_out_loss: if due {
                Some(self.held_out_loss()?)
            } else {
                None
            },
        };
        self.history.push(point.clone());
        Ok(point)
    }

    pub fn finished(&self) -> bool {
        self.step >= self.settings.steps
    }
}

/// A loss curve short enough to ship and plot: about `max_points` points, each the mean
/// training loss of consecutive steps (ending at its `step`). A window also ends at every
/// held-out measurement, so each one keeps the exact step it was measured at.
pub fn thin_history(points: &[LossPoint], max_points: usize) -> Vec<LossPoint> {
    let window = points.len().div_ceil(max_points.max(1)).max(1);
    let mean_of = |chunk: &[&LossPoint]| -> Option<LossPoint> {
        let last = chunk.last()?;
        let mean = chunk.iter().map(|p| p.train_loss as f64).sum::<f64>() / chunk.len() as f64;
        Some(LossPoint {
            step: last.step,
            learning_rate: last.learning_rate,
            train_loss: mean as f32,
            held_out_loss: last.held_out_loss,
        })
    };
    let mut thin = Vec::new();
    let mut chunk: Vec<&LossPoint> = Vec::with_capacity(window);
    for point in points {
        chunk.push(point);
        if chunk.len() == window || point.held_out_loss.is_some() {
            thin.extend(mean_of(&chunk));
            chunk.clear();
        }
    }
    thin.extend(mean_of(&chunk));
    thin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_history_thins_to_window_means_and_keeps_held_out_points() {
        let points: Vec<LossPoint> = (1..=1000)
            .map(|step| LossPoint {
                step,
                learning_rate: 1e-3,
                train_loss: step as f32,
                held_out_loss: step.is_multiple_of(250).then_some(step as f32 / 2.0),
            })
            .collect();
        let thin = thin_history(&points, 100);
        assert_eq!(thin.len(), 100);
        assert_eq!(thin[0].step, 10);
        assert!((thin[0].train_loss - 5.5).abs() < 1e-6, "mean of 1..=10");
        let held: Vec<f32> = thin.iter().filter_map(|p| p.held_out_loss).collect();
        assert_eq!(held, [125.0, 250.0, 375.0, 500.0]);
        assert_eq!(thin_history(&points[..3], 100).len(), 3);
        // Held-out points off the window grid keep their own step.
        let odd: Vec<LossPoint> = (1..=100)
            .map(|step| LossPoint {
                step,
                learning_rate: 1e-3,
                train_loss: 1.0,
                held_out_loss: step.is_multiple_of(33).then_some(2.0),
            })
            .collect();
        let thin = thin_history(&odd, 10);
        let steps: Vec<usize> = thin
            .iter()
            .filter(|p| p.held_out_loss.is_some())
            .map(|p| p.step)
            .collect();
        assert_eq!(steps, [33, 66, 99]);
        assert!(thin.len() <= 10 + 3);
        assert_eq!(thin.last().map(|p| p.step), Some(100));
    }
}
