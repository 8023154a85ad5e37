//! The training backward pass, written out operation by operation (as llm.c does): the
//! gradient of a forward pass's mean loss with respect to every parameter.
//!
//! It runs the forward pass in reverse: loss and tied head, then each block from the last
//! (its MLP, then its attention), then the embeddings. `dx` carries the gradient of the
//! residual stream between them; every function adds to gradients (`+=`), because the
//! residual stream and the tied `wte` receive them from more than one place.

use ndarray::linalg::general_mat_mul;

use crate::ops::gelu_new_grad;

use super::forward::{view, view_mut, BlockActivations, Dims, ForwardPass, Norm};
use super::params::{BlockParams, Gpt2Params};

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

impl Gpt2Params {
    /// The gradient of the forward pass's mean loss with respect to every parameter.
    pub fn backward(&self, pass: &ForwardPass) -> Gpt2Params {
        let dims = Dims::new(&self.config, &pass.batch);
        let mut grad = self.zeros_like();
        let mut dx = self.head_backward(pass, &mut grad, dims);
        for (layer, (p, act)) in self.blocks.iter().zip(&pass.blocks).enumerate().rev() {
            let scale = self.config.attention_scale(layer);
            let g = &mut grad.blocks[layer];
            mlp_backward(g, &mut dx, p, act, dims);
            attention_block_backward(g, &mut dx, p, act, scale, dims);
        }
        embedding_backward(&mut grad, &dx, &pass.batch.inputs, dims);
        grad
    }

    /// Cross-entropy, the tied head and `ln_f`, backwards: adds the head's share of `wte`'s
    /// gradient and `ln_f`'s, and returns the gradient of the residual stream after the last
    /// block. (N, C)
    fn head_backward(&self, pass: &ForwardPass, grad: &mut Gpt2Params, dims: Dims) -> Vec<f32> {
        let Dims { c, v, n, .. } = dims;
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
        dx
    }
}

/// A block's MLP half backwards. `next = residual_2 + mlp(ln_2(residual_2))`: `dx` enters as
/// d next, which flows to both terms, and leaves as d residual_2.
fn mlp_backward(
    g: &mut BlockParams,
    dx: &mut [f32],
    p: &BlockParams,
    act: &BlockActivations,
    dims: Dims,
) {
    let Dims { c, i, n, .. } = dims;
    let mut dfc_gelu = vec![0.0f32; n * i];
    linear_backward(
        &mut dfc_gelu,
        &mut g.fc_proj_weight,
        &mut g.fc_proj_bias,
        dx,
        &act.fc_gelu,
        &p.fc_proj_weight,
        i,
        c,
    );
    let dfc: Vec<f32> = dfc_gelu
        .iter()
        .zip(act.fc.iter().zip(&act.fc_tanh))
        .map(|(d, (&x, &t))| d * gelu_new_grad(x, t))
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
    layer_norm_backward(
        dx,
        &mut g.ln_2_weight,
        &mut g.ln_2_bias,
        &dln_2,
        &act.residual_2,
        &p.ln_2_weight,
        &act.ln_2,
    );
}

/// A block's attention half backwards. `residual_2 = input + proj(attention(ln_1(input)))`:
/// `dx` enters as d residual_2 and leaves as d input.
fn attention_block_backward(
    g: &mut BlockParams,
    dx: &mut [f32],
    p: &BlockParams,
    act: &BlockActivations,
    scale: f32,
    dims: Dims,
) {
    let Dims { c, n, .. } = dims;
    let mut dcontext = vec![0.0f32; n * c];
    linear_backward(
        &mut dcontext,
        &mut g.proj_weight,
        &mut g.proj_bias,
        dx,
        &act.context,
        &p.proj_weight,
        c,
        c,
    );
    let dqkv = attention_backward(act, &dcontext, scale, dims);
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
        dx,
        &mut g.ln_1_weight,
        &mut g.ln_1_bias,
        &dln_1,
        &act.input,
        &p.ln_1_weight,
        &act.ln_1,
    );
}

/// Causal self-attention backwards, every head: from d context (N, C) to d qkv (N, 3C)
/// through the weighted sum of values, the softmax and the scaled q·k scores.
fn attention_backward(
    act: &BlockActivations,
    dcontext: &[f32],
    scale: f32,
    dims: Dims,
) -> Vec<f32> {
    let Dims {
        b_count,
        t_count,
        c,
        nh,
        hs,
        n,
        ..
    } = dims;
    let mut dqkv = vec![0.0f32; n * 3 * c]; // (N, 3C)
    let mut dscores = vec![0.0f32; t_count];
    for b in 0..b_count {
        for h in 0..nh {
            let at = |t: usize, part: usize| (b * t_count + t) * 3 * c + part * c + h * hs;
            for t in 0..t_count {
                let probs = &act.attention[((b * nh + h) * t_count + t) * t_count..][..t_count];
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
    dqkv
}

/// `x0 = wte[id] + wpe[t]`: the residual stream's gradient added to each input token's row
/// of `wte` (on top of the head's share) and to each position's row of `wpe`.
fn embedding_backward(grad: &mut Gpt2Params, dx: &[f32], inputs: &[u32], dims: Dims) {
    let Dims { t_count, c, .. } = dims;
    for (row, &id) in inputs.iter().enumerate() {
        let t = row % t_count;
        let d = &dx[row * c..(row + 1) * c];
        let word = &mut grad.wte[id as usize * c..(id as usize + 1) * c];
        word.iter_mut().zip(d).for_each(|(w, &g)| *w += g);
        let position = &mut grad.wpe[t * c..(t + 1) * c];
        position.iter_mut().zip(d).for_each(|(p, &g)| *p += g);
    }
}
