//! The backward pass and optimiser against PyTorch autograd and torch.optim.AdamW on the tiny
//! GPT-2 (fixtures from tests/reference/generate_training.py), and against finite differences.

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use safetensors::SafeTensors;
use serde_json::Value;
use tokenscope_core::config::ModelConfig;
use tokenscope_core::train::{Batch, Gpt2Params};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/fixtures")
}

struct Reference {
    tensors: Vec<u8>,
    meta: Value,
}

impl Reference {
    fn load() -> Self {
        Reference {
            tensors: std::fs::read(fixtures().join("training.safetensors")).expect("fixture"),
            meta: serde_json::from_slice(
                &std::fs::read(fixtures().join("training.json")).expect("meta"),
            )
            .expect("json"),
        }
    }

    fn f32s(&self, name: &str) -> Vec<f32> {
        let st = SafeTensors::deserialize(&self.tensors).expect("parses");
        let view = st
            .tensor(name)
            .unwrap_or_else(|_| panic!("fixture has {name}"));
        view.data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    fn ids(&self, name: &str) -> Vec<u32> {
        let st = SafeTensors::deserialize(&self.tensors).expect("parses");
        let view = st
            .tensor(name)
            .unwrap_or_else(|_| panic!("fixture has {name}"));
        view.data()
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")) as u32)
            .collect()
    }

    fn batch(&self, step: usize) -> Batch {
        Batch {
            batch: self.meta["batch"].as_u64().expect("batch") as usize,
            seq: self.meta["seq"].as_u64().expect("seq") as usize,
            inputs: self.ids(&format!("inputs.{step}")),
            targets: self.ids(&format!("targets.{step}")),
        }
    }
}

fn tiny_gpt2() -> Gpt2Params {
    let dir = fixtures().join("tiny-gpt2");
    let config =
        match ModelConfig::from_json(&std::fs::read(dir.join("config.json")).expect("config"))
            .expect("parses")
        {
            ModelConfig::Gpt2(c) => c,
            other => panic!("not GPT-2: {other:?}"),
        };
    Gpt2Params::from_safetensors(
        &config,
        &std::fs::read(dir.join("model.safetensors")).expect("weights"),
    )
    .expect("loads")
}

/// Largest |ours − theirs| relative to the largest |theirs| of the tensor.
fn relative_difference(ours: &[f32], theirs: &[f32]) -> f32 {
    assert_eq!(ours.len(), theirs.len());
    let scale = theirs.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max)
        / scale
}

#[test]
fn loss_and_every_gradient_match_pytorch_autograd() {
    let reference = Reference::load();
    let params = tiny_gpt2();
    for (name, _, values) in params.tensors() {
        assert_eq!(
            values,
            &reference.f32s(&format!("before.{name}")),
            "{name} loads as PyTorch has it"
        );
    }
    let pass = params.forward(&reference.batch(0)).expect("runs");
    let torch_loss = reference.meta["losses"][0].as_f64().expect("loss") as f32;
    println!("loss {} (torch {torch_loss})", pass.loss);
    assert!(
        (pass.loss - torch_loss).abs() <= 1e-5,
        "loss {} vs {torch_loss}",
        pass.loss
    );
    let grad = params.backward(&pass);
    let mut failures = Vec::new();
    for (name, _, values) in grad.tensors() {
        let diff = relative_difference(values, &reference.f32s(&format!("grad.{name}")));
        println!("grad {name}: largest relative difference {diff:.2e}");
        if diff > 1e-4 {
            failures.push(format!("{name}: {diff:.2e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "gradients differ from autograd: {failures:?}"
    );
}

#[test]
fn gradients_agree_with_finite_differences() {
    let reference = Reference::load();
    let params = tiny_gpt2();
    let batch = reference.batch(1);
    let grad = params.backward(&params.forward(&batch).expect("runs"));
    // A few entries of different kinds of parameter, nudged both ways; f64 would be exact,
    // f32 central differences with h = 1e-2 agree to a few parts in a thousand.
    let used = batch.inputs[0] as usize;
    let probes: [(&str, usize); 6] = [
        ("wte.weight", used * 64 + 3),
        ("wpe.weight", 2 * 64 + 10),
        ("h.0.attn.c_attn.weight", 5 * 192 + 70),
        ("h.1.mlp.c_fc.bias", 17),
        ("h.1.ln_2.weight", 9),
        ("ln_f.bias", 33),
    ];
    for (name, index) in probes {
        let analytic = grad
            .tensors()
            .into_iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, v)| v[index])
            .expect("parameter");
        let loss_at = |delta: f32| {
            let mut nudged = params.clone();
            for (n, _, values) in nudged.tensors_mut() {
                if n == name {
                    values[index] += delta;
                }
            }
            nudged.forward(&batch).expect("runs").loss as f64
        };
        let h = 1e-2f32;
        let numeric = (loss_at(h) - loss_at(-h)) / (2.0 * h as f64);
        println!("{name}[{index}]: analytic {analytic:.6}, finite difference {numeric:.6}");
        // Relative error, with no absolute margin: a gradient that is wrongly zero, or off
        // by a few percent, fails however small the true one is. So each probe must be a
        // parameter with a clear gradient (the smallest here is about 0.018).
        assert!(
            numeric.abs() >= 1e-3,
            "{name}[{index}]: probe a parameter with a clear gradient, not {numeric}"
        );
        assert!(
            analytic != 0.0,
            "{name}[{index}]: the gradient is zero; the finite difference is {numeric}"
        );
        let relative = (analytic as f64 - numeric).abs() / numeric.abs();
        assert!(
            relative <= 2e-2,
            "{name}[{index}]: analytic {analytic} vs finite difference {numeric} \
             ({relative:.1e} apart)"
        );
    }
}

fn optimiser(reference: &Reference, params: &Gpt2Params) -> tokenscope_core::optim::AdamW {
    use tokenscope_core::optim::{AdamW, AdamWSettings};
    let settings = &reference.meta["settings"];
    let get = |key: &str| settings[key].as_f64().expect(key) as f32;
    AdamW::new(
        params,
        AdamWSettings {
            beta1: get("beta1"),
            beta2: get("beta2"),
            eps: get("eps"),
            weight_decay: get("weight_decay"),
        },
    )
}

fn setting(reference: &Reference, key: &str) -> f32 {
    reference.meta["settings"][key].as_f64().expect(key) as f32
}

/// The optimiser alone: clipping and one AdamW step on PyTorch's own gradients must give
/// PyTorch's parameters. (On our gradients the step differs where a gradient is near 0:
/// AdamW's first step moves each weight by about lr · g / (|g| + eps), so a 1e-9 change of
/// a 1e-8 gradient moves the weight by 1e-3 · lr.)
#[test]
fn clipping_and_one_adamw_step_on_torchs_gradients_equal_torch() {
    use tokenscope_core::optim::clip_grad_norm;
    let reference = Reference::load();
    let mut params = tiny_gpt2();
    let mut grad = params.zeros_like();
    for (name, _, values) in grad.tensors_mut() {
        *values = reference.f32s(&format!("grad.{name}"));
    }
    let norm = clip_grad_norm(&mut grad, setting(&reference, "max_grad_norm"));
    let torch_norm = reference.meta["grad_norms"][0].as_f64().expect("norm") as f32;
    assert!(
        (norm - torch_norm).abs() <= 1e-5 * torch_norm,
        "norm {norm} vs {torch_norm}"
    );
    let mut adamw = optimiser(&reference, &params);
    adamw.update(&mut params, &grad, setting(&reference, "learning_rate"));
    let mut largest = 0.0f32;
    for (name, _, values) in params.tensors() {
        let theirs = reference.f32s(&format!("after1.{name}"));
        let diff = values
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        largest = largest.max(diff);
        assert!(diff <= 1e-6, "{name}: parameters differ by {diff:.2e}");
    }
    println!("one AdamW step: largest parameter difference {largest:.2e}");
}

/// The whole loop on our own gradients: three steps of forward, backward, clipping and AdamW
/// give PyTorch's losses and gradient norms at every step.
#[test]
fn three_training_steps_follow_torchs_losses() {
    use tokenscope_core::optim::clip_grad_norm;
    let reference = Reference::load();
    let mut params = tiny_gpt2();
    let mut adamw = optimiser(&reference, &params);
    let steps = reference.meta["settings"]["steps"].as_u64().expect("steps") as usize;
    for step in 0..steps {
        let pass = params.forward(&reference.batch(step)).expect("runs");
        let torch_loss = reference.meta["losses"][step].as_f64().expect("loss") as f32;
        println!("step {step}: loss {} (torch {torch_loss})", pass.loss);
        assert!(
            (pass.loss - torch_loss).abs() <= 1e-4,
            "step {step}: loss {} vs torch {torch_loss}",
            pass.loss
        );
        let mut grad = params.backward(&pass);
        let norm = clip_grad_norm(&mut grad, setting(&reference, "max_grad_norm"));
        let torch_norm = reference.meta["grad_norms"][step].as_f64().expect("norm") as f32;
        assert!(
            (norm - torch_norm).abs() <= 1e-4 * torch_norm,
            "step {step}: gradient norm {norm} vs torch {torch_norm}"
        );
        adamw.update(&mut params, &grad, setting(&reference, "learning_rate"));
    }
}

#[test]
fn a_saved_model_loads_back_and_predicts_what_training_saw() {
    use tokenscope_core::Model;
    let params = tiny_gpt2();
    let dir = fixtures().join("tiny-gpt2");
    let config_json = params.config.to_json();
    let parsed = match ModelConfig::from_json(config_json.as_bytes()).expect("parses") {
        ModelConfig::Gpt2(c) => c,
        other => panic!("not GPT-2: {other:?}"),
    };
    assert_eq!(parsed, params.config, "config.json round-trips");
    let model = Model::from_bytes(
        config_json.as_bytes(),
        &params.to_safetensors().expect("serialises"),
        &std::fs::read(dir.join("tokenizer.json")).expect("tokenizer"),
    )
    .expect("loads");
    let ids = vec![5u32, 77, 3, 250, 18, 9];
    let pass = params
        .forward(&Batch {
            batch: 1,
            seq: ids.len(),
            inputs: ids.clone(),
            targets: ids.clone(),
        })
        .expect("runs");
    let trace = model
        .trace_tokens(model.tokens_from_ids(&ids))
        .expect("runs");
    let probs = trace
        .next_token_probs
        .expect("a GPT-2 trace has next-token probabilities");
    let largest = probs
        .iter()
        .zip(pass.probs())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!("inference vs training forward: largest probability difference {largest:.2e}");
    // Training computes gelu in f32 (as PyTorch does, and faster); inference in f64. Both
    // stay within the project's 1e-5 of PyTorch, so they agree within that.
    assert!(largest <= 1e-5, "differ by {largest}");
}

#[test]
fn initialisation_is_seeded_and_scaled_like_gpt2() {
    let config = tiny_gpt2().config;
    let a = Gpt2Params::init(&config, 1).expect("inits");
    assert_eq!(
        a,
        Gpt2Params::init(&config, 1).expect("inits"),
        "same seed, same model"
    );
    assert_ne!(a.wte, Gpt2Params::init(&config, 2).expect("inits").wte);
    let std = |v: &[f32]| {
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt()
    };
    let qkv = std(&a.blocks[0].qkv_weight);
    assert!((qkv - 0.02).abs() < 0.001, "qkv std {qkv}");
    let proj = std(&a.blocks[0].proj_weight);
    let expected = 0.02 / (2.0 * config.n_layer as f64).sqrt();
    assert!(
        (proj - expected).abs() < 0.1 * expected,
        "projection std {proj} vs {expected}"
    );
    assert!(a.blocks[0].ln_1_weight.iter().all(|&g| g == 1.0));
    // An untrained model guesses: its loss is close to ln(vocabulary).
    let batch = Reference::load().batch(0);
    let loss = a.forward(&batch).expect("runs").loss;
    let uniform = (config.vocab_size as f32).ln();
    assert!(
        (loss - uniform).abs() < 0.1,
        "initial loss {loss} vs ln V = {uniform}"
    );
}
