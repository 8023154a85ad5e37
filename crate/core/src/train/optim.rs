//! How parameters change: AdamW (as `torch.optim.AdamW` computes it), clipping of the
//! gradient's global norm, and a warm-up + cosine learning-rate schedule.

use super::params::Gpt2Params;

/// AdamW's settings. Weight decay applies to matrices only (GPT-2 / llm.c practice): biases,
/// LayerNorm and other vectors are not pulled towards zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWSettings {
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
}

impl Default for AdamWSettings {
    fn default() -> Self {
        AdamWSettings {
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            weight_decay: 0.1,
        }
    }
}

/// The optimiser's state: the running mean of gradients (`m`) and of their squares (`v`).
pub struct AdamW {
    pub settings: AdamWSettings,
    /// Steps taken so far.
    pub step: u32,
    m: Gpt2Params,
    v: Gpt2Params,
}

impl AdamW {
    pub fn new(params: &Gpt2Params, settings: AdamWSettings) -> Self {
        AdamW {
            settings,
            step: 0,
            m: params.zeros_like(),
            v: params.zeros_like(),
        }
    }

    /// One update of every parameter from its gradient, in the order of operations
    /// `torch.optim.AdamW` uses (decay, moments, bias-corrected step).
    pub fn update(&mut self, params: &mut Gpt2Params, grad: &Gpt2Params, learning_rate: f32) {
        self.step += 1;
        let s = self.settings;
        let bias_correction1 = 1.0 - s.beta1.powi(self.step as i32);
        let bias_correction2_sqrt = (1.0 - s.beta2.powi(self.step as i32)).sqrt();
        let step_size = learning_rate / bias_correction1;
        let grads = grad.tensors();
        let ms = self.m.tensors_mut();
        let vs = self.v.tensors_mut();
        for ((((_, shape, p), (_, _, g)), (_, _, m)), (_, _, v)) in
            params.tensors_mut().into_iter().zip(grads).zip(ms).zip(vs)
        {
            let decay = if shape.len() >= 2 {
                s.weight_decay
            } else {
                0.0
            };
            for (((p, &g), m), v) in p
                .iter_mut()
                .zip(g.iter())
                .zip(m.iter_mut())
                .zip(v.iter_mut())
            {
                *p *= 1.0 - learning_rate * decay;
                *m += (g - *m) * (1.0 - s.beta1);
                *v = *v * s.beta2 + g * g * (1.0 - s.beta2);
                let denom = v.sqrt() / bias_correction2_sqrt + s.eps;
                *p -= step_size * *m / denom;
            }
        }
    }
}

/// Scales the gradient down so its global L2 norm is at most `max_norm` (as
/// `torch.nn.utils.clip_grad_norm_`), and returns the norm before clipping.
pub fn clip_grad_norm(grad: &mut Gpt2Params, max_norm: f32) -> f32 {
    let total = grad
        .tensors()
        .iter()
        .flat_map(|(_, _, v)| v.iter())
        .map(|&g| (g as f64) * (g as f64))
        .sum::<f64>()
        .sqrt() as f32;
    let coef = max_norm / (total + 1e-6);
    if coef < 1.0 {
        for (_, _, values) in grad.tensors_mut() {
            values.iter_mut().for_each(|g| *g *= coef);
        }
    }
    total
}

/// The learning rate at `step` (0-based) of `total`: a linear warm-up over `warmup` steps to
/// `max`, then a cosine decay to `min` at the last step.
pub fn learning_rate_at(step: usize, total: usize, warmup: usize, max: f32, min: f32) -> f32 {
    if step < warmup {
        return max * (step + 1) as f32 / warmup as f32;
    }
    let span = total.saturating_sub(warmup).max(1);
    let progress = ((step - warmup) as f32 / span as f32).min(1.0);
    min + 0.5 * (max - min) * (1.0 + (std::f32::consts::PI * progress).cos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_warms_up_then_decays_to_the_minimum() {
        let lr = |s| learning_rate_at(s, 100, 10, 1e-3, 1e-4);
        assert!((lr(0) - 1e-4).abs() < 1e-9);
        assert!((lr(9) - 1e-3).abs() < 1e-9);
        assert!((lr(10) - 1e-3).abs() < 1e-9);
        assert!(lr(50) < lr(20) && lr(50) > lr(90));
        assert!((lr(100) - 1e-4).abs() < 1e-9);
    }
}
