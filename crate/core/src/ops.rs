//! The numeric building blocks shared by every architecture: linear maps, LayerNorm,
//! activations and multi-head attention, written to match PyTorch's f32 results.

use ndarray::{s, Array1, Array2, Array3, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};

use crate::config::Activation;
use crate::error::Result;
use crate::tensors::TensorStore;
use crate::weights::Matrix;

/// `y = x · weight + bias` with `weight` stored as `(in, out)` so every architecture's
/// layers multiply the same way (PyTorch `nn.Linear` weights are transposed at load).
pub struct Linear {
    pub weight: Matrix,            // (in, out)
    pub bias: Option<Array1<f32>>, // (out)
}

impl Linear {
    /// Loads a PyTorch `nn.Linear` with a bias (`weight` stored `(out, in)`).
    pub fn load_torch(store: &TensorStore, prefix: &str, inp: usize, out: usize) -> Result<Self> {
        Self::load_torch_with(store, prefix, inp, out, true)
    }

    /// Loads a PyTorch `nn.Linear`, with a bias only when `bias` says the layer has one.
    pub fn load_torch_with(
        store: &TensorStore,
        prefix: &str,
        inp: usize,
        out: usize,
        bias: bool,
    ) -> Result<Self> {
        let weight = store.matrix(&format!("{prefix}.weight"), out, inp)?; // (out, in)
        Ok(Linear {
            weight: store.layer_weight(weight.t().as_standard_layout().into_owned()), // (in, out)
            bias: match bias {
                true => Some(store.vector(&format!("{prefix}.bias"), out)?),
                false => None,
            },
        })
    }

    /// Loads a GPT-2 `Conv1D` (`weight` stored `(in, out)` already).
    pub fn load_conv1d(store: &TensorStore, prefix: &str, inp: usize, out: usize) -> Result<Self> {
        Ok(Linear {
            weight: store.layer_weight(store.matrix(&format!("{prefix}.weight"), inp, out)?),
            bias: Some(store.vector(&format!("{prefix}.bias"), out)?),
        })
    }

    /// Bytes held in memory.
    pub fn bytes(&self) -> u64 {
        self.weight.bytes() + self.bias.as_ref().map_or(0, |b| (b.len() * 4) as u64)
    }

    pub fn forward(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        let mut y = self.weight.left_mul(x); // (S, out)
        if let Some(bias) = &self.bias {
            y += bias;
        }
        y
    }
}

/// Root-mean-square norm (llama's `RMSNorm`): each row divided by √(mean(x²) + ε), then
/// scaled by `weight`; no mean is taken away and there is no bias.
pub struct RmsNorm {
    pub weight: Array1<f32>,
    pub eps: f64,
}

impl RmsNorm {
    pub fn load(store: &TensorStore, name: &str, dim: usize, eps: f64) -> Result<Self> {
        Ok(RmsNorm {
            weight: store.vector(&format!("{name}.weight"), dim)?,
            eps,
        })
    }

    /// Bytes held in memory.
    pub fn bytes(&self) -> u64 {
        (self.weight.len() * 4) as u64
    }

    pub fn forward(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        let mut y = x.to_owned();
        self.normalize(y.view_mut());
        y
    }

    /// Normalises each row in place. The mean square in f64 (PyTorch's f32 sum is the one
    /// rounding that differs), then x · rsqrt(…) and · weight in f32, as transformers does.
    pub fn normalize(&self, mut x: ArrayViewMut2<f32>) {
        for mut row in x.rows_mut() {
            let n = row.len() as f64;
            let mean_square = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / n;
            let inv = (1.0 / ((mean_square as f32) as f64 + self.eps).sqrt()) as f32;
            for (v, &g) in row.iter_mut().zip(&self.weight) {
                *v = g * (*v * inv);
            }
        }
    }
}

/// SiLU (swish), x · sigmoid(x), the gate of a SwiGLU MLP.
pub fn silu(x: f32) -> f32 {
    let v = x as f64;
    (v / (1.0 + (-v).exp())) as f32
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
        // In f32, as PyTorch computes it (f64 was 3× slower in wasm for no closer match).
        Activation::GeluErf => match x.as_slice_mut() {
            Some(values) => gelu_erf_in_place(values),
            None => x.mapv_inplace(|v| {
                0.5 * v * (1.0 + libm::erff(v * std::f32::consts::FRAC_1_SQRT_2))
            }),
        },
        Activation::GeluTanh => x.mapv_inplace(gelu_new),
        Activation::Relu => x.mapv_inplace(|v| v.max(0.0)),
    }
}

/// √(2/π), the scale inside GPT-2's gelu_new (the f64 nearest `(2.0 / PI).sqrt()`).
const GELU_NEW_SCALE: f64 = 0.797_884_560_802_865_4;
/// The weight of x³ inside gelu_new.
const GELU_NEW_CUBIC: f64 = 0.044715;

/// The arithmetic gelu_new needs, so that one formula serves inference (f64) and training
/// (f32, as PyTorch computes it).
trait GeluFloat: Copy + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> {
    fn of(value: f64) -> Self;
    fn tanh(self) -> Self;
}

impl GeluFloat for f32 {
    fn of(value: f64) -> Self {
        value as f32
    }
    fn tanh(self) -> Self {
        f32::tanh(self)
    }
}

impl GeluFloat for f64 {
    fn of(value: f64) -> Self {
        value
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
}

/// gelu_new, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, and the tanh inside it.
#[inline]
fn gelu_new_parts<T: GeluFloat>(x: T) -> (T, T) {
    let t = (T::of(GELU_NEW_SCALE) * (x + T::of(GELU_NEW_CUBIC) * x * x * x)).tanh();
    (T::of(0.5) * x * (T::of(1.0) + t), t)
}

/// GPT-2's gelu_new (the tanh approximation) for inference, computed in f64: within the
/// project's 1e-5 of PyTorch at no cost worth measuring.
#[inline]
pub fn gelu_new(x: f32) -> f32 {
    gelu_new_parts(x as f64).0 as f32
}

/// gelu_new in f32, as PyTorch computes it (and faster), with the tanh the backward pass
/// reads: (gelu_new(x), tanh(…)).
#[inline]
pub fn gelu_new_with_tanh(x: f32) -> (f32, f32) {
    gelu_new_parts(x)
}

/// d gelu_new / dx from x and the tanh `gelu_new_with_tanh` computed.
#[inline]
pub fn gelu_new_grad(x: f32, t: f32) -> f32 {
    let du = GELU_NEW_SCALE as f32 * (1.0 + 3.0 * GELU_NEW_CUBIC as f32 * x * x);
    0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
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

/// Softmax over the first `visible` entries; the rest become exactly 0.
pub fn softmax_prefix(mut row: ArrayViewMut1<f32>, visible: usize) {
    let visible = visible.min(row.len());
    let (mut shown, mut hidden) = row.view_mut().split_at(Axis(0), visible);
    match shown.as_slice_mut() {
        Some(values) => softmax_in_place(values),
        None => {
            let max = shown.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            shown.mapv_inplace(|v| (v - max).exp());
            let inv = (1.0 / shown.iter().map(|&v| v as f64).sum::<f64>()) as f32;
            shown.mapv_inplace(|v| v * inv);
        }
    }
    hidden.fill(0.0);
}

/// Lanes of the partial maxima and sums below: eight independent chains, so the loops
/// compile to SIMD instead of one long dependent chain (what `fold` with `f32::max`, a call
/// to `fmaxf` in wasm, and a running f64 sum were: 13 % of a 512-token trace).
const LANES: usize = 8;

/// `softmax` of a contiguous row, in place. The sum is in f32 over eight partial sums, as
/// PyTorch's vectorised softmax sums; every value is at most 1 after subtracting the maximum,
/// so a row of 512 sums within about 1e-7 relative.
fn softmax_in_place(values: &mut [f32]) {
    let (chunks, rest) = values.as_chunks::<LANES>();
    let mut lane_max = [f32::NEG_INFINITY; LANES];
    for chunk in chunks {
        for (m, &v) in lane_max.iter_mut().zip(chunk) {
            *m = if v > *m { v } else { *m };
        }
    }
    let max = lane_max
        .iter()
        .chain(rest)
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    for v in values.iter_mut() {
        *v -= max;
    }
    exp_in_place(values);
    let (chunks, rest) = values.as_chunks::<LANES>();
    let mut lane_sum = [0.0f32; LANES];
    for chunk in chunks {
        for (sum, &v) in lane_sum.iter_mut().zip(chunk) {
            *sum += v;
        }
    }
    let sum: f32 = lane_sum.iter().sum::<f32>() + rest.iter().sum::<f32>();
    let inv = 1.0 / sum;
    for v in values.iter_mut() {
        *v *= inv;
    }
}

/// GELU with the exact erf, `0.5·x·(1 + erf(x/√2))`, for every value. erf comes from
/// erfc(z) = t·e^(−z² + P(t)), t = 1/(1 + z/2) (Numerical Recipes' Chebyshev fit, relative
/// error under 1.2e-7 for every z ≥ 0), written branch-free so the loop compiles to SIMD;
/// libm's `erff` is a scalar call with branches, 7 % of a 512-token trace in wasm.
pub fn gelu_erf_in_place(values: &mut [f32]) {
    let mut erfc_exponents = [0.0f32; 256];
    let mut factors = [0.0f32; 256];
    for block in values.chunks_mut(256) {
        let n = block.len();
        for ((x, exponent), factor) in block.iter().zip(&mut erfc_exponents).zip(&mut factors) {
            let z = (x * std::f32::consts::FRAC_1_SQRT_2).abs();
            let t = 1.0 / (1.0 + 0.5 * z);
            let p = 0.170_872_77_f32;
            let p = p * t - 0.822_152_23;
            let p = p * t + 1.488_515_9;
            let p = p * t - 1.135_204;
            let p = p * t + 0.278_868_07;
            let p = p * t - 0.186_288_06;
            let p = p * t + 0.096_784_18;
            let p = p * t + 0.374_091_96;
            let p = p * t + 1.000_023_7;
            let p = p * t - 1.265_512_2;
            *exponent = p - z * z;
            *factor = t;
        }
        exp_in_place(&mut erfc_exponents[..n]);
        for ((x, &e), &t) in block.iter_mut().zip(&erfc_exponents).zip(&factors) {
            // t·e is erfc(|x|/√2); 1 + erf(x/√2) is 2 − erfc for x ≥ 0 and erfc for x < 0.
            let erfc = t * e;
            let one_plus_erf = if *x >= 0.0 { 2.0 - erfc } else { erfc };
            *x *= 0.5 * one_plus_erf;
        }
    }
}

/// `e^x` for every value, within 2 ulp of the true value (Cephes' `expf`: x = n·ln 2 + r,
/// a degree-6 polynomial for e^r, 2^n from the exponent bits). Written as one branch-free
/// loop so it compiles to SIMD; a 512-token trace takes 19 million of these in softmax, and
/// wasm has no hardware `exp`.
pub fn exp_in_place(values: &mut [f32]) {
    const LN2_HIGH: f32 = 0.693_359_4;
    const LN2_LOW: f32 = -2.121_944_4e-4;
    for v in values.iter_mut() {
        let x = *v;
        let clamped = x.clamp(-87.336_55, 88.376_26);
        let n = (clamped * std::f32::consts::LOG2_E + 0.5).floor();
        let r = clamped - n * LN2_HIGH - n * LN2_LOW;
        let p = 1.987_569_1e-4_f32;
        let p = p * r + 1.398_199_9e-3;
        let p = p * r + 8.333_452e-3;
        let p = p * r + 4.166_579_6e-2;
        let p = p * r + 1.666_666_5e-1;
        let p = p * r + 0.5;
        let e_r = p * r * r + r + 1.0;
        let two_n = f32::from_bits(((n as i32 + 127) as u32) << 23);
        let y = e_r * two_n;
        // Below the clamp e^x is under f32's smallest normal: 0. NaN stays NaN.
        *v = if x.is_nan() {
            x
        } else if x < -87.336_55 {
            0.0
        } else {
            y
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_is_within_a_few_ulp_of_the_exact_erf() {
        let mut values: Vec<f32> = (0..400_001)
            .map(|i| -20.0 + 40.0 * i as f32 / 400_000.0)
            .collect();
        let exact: Vec<f64> = values
            .iter()
            .map(|&x| {
                let x = x as f64;
                0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2))
            })
            .collect();
        gelu_erf_in_place(&mut values);
        let mut worst = 0.0f64;
        for (&got, &want) in values.iter().zip(&exact) {
            // Absolute below 1 (where GELU passes through 0), relative above.
            worst = worst.max(((got as f64) - want).abs() / want.abs().max(1.0));
        }
        assert!(worst < 4e-7, "largest error {worst:e}");
        // The edges come out as the formula with libm's erff gives them (−∞ · 0 is NaN there too).
        let edges = [
            f32::NAN,
            f32::NEG_INFINITY,
            f32::INFINITY,
            -0.0,
            1e-30,
            -30.0,
        ];
        let mut got = edges;
        gelu_erf_in_place(&mut got);
        for (&x, &g) in edges.iter().zip(&got) {
            let want = 0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2));
            assert!(
                g == want || (g.is_nan() && want.is_nan()),
                "gelu({x}) = {g}, not {want}"
            );
        }
    }

    /// Inference's and training's gelu_new are one formula: each gives, bit for bit, what its
    /// own copy of it gave before (f64 for inference, f32 for training), and the gradient
    /// agrees with a central difference.
    #[test]
    fn gelu_new_is_one_formula_at_two_precisions() {
        assert_eq!(GELU_NEW_SCALE, (2.0 / std::f64::consts::PI).sqrt());
        for i in 0..20_001 {
            let x = -10.0 + 20.0 * i as f32 / 20_000.0;
            let v = x as f64;
            let inner = (2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v * v * v);
            let inference = (0.5 * v * (1.0 + inner.tanh())) as f32;
            assert_eq!(gelu_new(x).to_bits(), inference.to_bits(), "f64 at {x}");
            let t = (0.797_884_6f32 * (x + 0.044715 * x * x * x)).tanh();
            let training = 0.5 * x * (1.0 + t);
            let (got, got_t) = gelu_new_with_tanh(x);
            assert_eq!(got.to_bits(), training.to_bits(), "f32 at {x}");
            assert_eq!(got_t.to_bits(), t.to_bits(), "tanh at {x}");
            let du = 0.797_884_6f32 * (1.0 + 3.0 * 0.044715 * x * x);
            let grad = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du;
            assert_eq!(gelu_new_grad(x, t).to_bits(), grad.to_bits(), "grad at {x}");
            let h = 1e-3;
            let numeric = (gelu_new_parts(v + h).0 - gelu_new_parts(v - h).0) / (2.0 * h);
            assert!(
                (gelu_new_grad(x, t) as f64 - numeric).abs() < 1e-4,
                "d/dx at {x}"
            );
        }
    }

    #[test]
    fn softmax_rows_match_the_f64_softmax() {
        for &len in &[1usize, 7, 8, 9, 64, 513] {
            let row: Vec<f32> = (0..len)
                .map(|i| ((i * 37) % 19) as f32 * 0.7 - 6.0)
                .collect();
            let max = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
            let exps: Vec<f64> = row.iter().map(|&v| (v as f64 - max).exp()).collect();
            let total: f64 = exps.iter().sum();
            let mut got = Array1::from(row.clone());
            softmax_prefix(got.view_mut(), len);
            for (&g, &e) in got.iter().zip(&exps) {
                assert!(((g as f64) - e / total).abs() < 1e-7, "len {len}");
            }
            // A prefix: the hidden part is exactly 0 and the rest a distribution.
            let mut prefix = Array1::from(row);
            softmax_prefix(prefix.view_mut(), len.div_ceil(2));
            assert!(prefix.iter().skip(len.div_ceil(2)).all(|&v| v == 0.0));
            assert!((prefix.sum() - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn exp_in_place_is_within_two_ulp_of_exp() {
        let mut values: Vec<f32> = (0..200_001)
            .map(|i| -87.0 + 175.0 * i as f32 / 200_000.0)
            .collect();
        let exact: Vec<f64> = values.iter().map(|&x| (x as f64).exp()).collect();
        exp_in_place(&mut values);
        let mut worst = 0.0f64;
        for (&got, &want) in values.iter().zip(&exact) {
            worst = worst.max(((got as f64) - want).abs() / want);
        }
        // 2 ulp of f32 is 2.4e-7 relative.
        assert!(worst < 2.4e-7, "largest relative error {worst:e}");
        let mut edges = [f32::NAN, f32::NEG_INFINITY, -1000.0, 0.0];
        exp_in_place(&mut edges);
        assert!(edges[0].is_nan());
        assert_eq!(&edges[1..], &[0.0, 0.0, 1.0]);
    }
}
