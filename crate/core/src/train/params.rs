//! A GPT-2's trainable parameters: their layout, GPT-2's initialisation, and the Hugging Face
//! `model.safetensors` they load from and save to.
//!
//! Layouts follow the Hugging Face checkpoint, so parameters load from and save to the same
//! file the rest of the core reads: `Conv1D` weights are `(in, out)`, and the language-model
//! head is the token embedding `wte` itself (tied).

use crate::config::{Activation, Gpt2Config};
use crate::error::{Error, Result};
use crate::generate::SplitMix64;
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

/// The backward pass implements gelu_new only; any other activation would train a model
/// that inference then runs differently.
fn check_trainable(config: &Gpt2Config) -> Result<()> {
    if config.activation != Activation::GeluTanh {
        return Err(Error::Config(
            "training implements GPT-2's gelu_new activation only".into(),
        ));
    }
    Ok(())
}

impl Gpt2Params {
    /// Reads the parameters of a GPT-2 checkpoint (f32, f16 or bf16; bare or `transformer.`
    /// names), refusing options the backward pass does not implement.
    pub fn from_safetensors(config: &Gpt2Config, bytes: &[u8]) -> Result<Self> {
        check_trainable(config)?;
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
        check_trainable(config)?;
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
