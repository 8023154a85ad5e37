//! The modern decoders (llama, mistral, qwen2, qwen3) against PyTorch: every traced tensor of
//! every case in tests/reference/fixtures/llama_cases.json (`generate_llama.py`), a sharded
//! checkpoint, greedy generation as `model.generate` chose it, and the key/value cache
//! against a full recompute.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokenscope_core::generate::{generate, next_token_logits, Sampling};
use tokenscope_core::Model;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    root().join("tests/reference/fixtures")
}

#[derive(Deserialize)]
struct Greedy {
    prompt: String,
    prompt_ids: Vec<u32>,
    generated_ids: Vec<u32>,
    probs: Vec<f64>,
}

#[derive(Deserialize)]
struct LlamaCases {
    greedy: HashMap<String, Greedy>,
}

fn cases() -> Vec<common::Case> {
    common::parse_cases(
        &std::fs::read(fixtures().join("llama_cases.json")).expect("llama_cases.json"),
    )
}

fn model(name: &str) -> Model {
    Model::from_dir(&fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_llama_family_case_matches_pytorch() {
    let cases = cases();
    for family in [
        "tiny-llama",
        "tiny-mistral",
        "tiny-qwen2",
        "tiny-qwen3",
        "tiny-llama-sharded",
    ] {
        assert!(
            cases.iter().any(|c| c.model.ends_with(family)),
            "no case for {family}"
        );
    }
    let mut models: HashMap<String, Model> = HashMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let model = models
            .entry(case.model.clone())
            .or_insert_with(|| Model::from_dir(&root().join(&case.model)).expect("loads"));
        let fixture = std::fs::read(fixtures().join(format!("{}.safetensors", case.name)))
            .expect("fixture file exists");
        let (fails, report) = common::check_case(model, case, &fixture);
        for line in report {
            println!("{line}");
        }
        failures.extend(fails);
    }
    assert!(
        failures.is_empty(),
        "disagreements with PyTorch:\n{}",
        failures.join("\n")
    );
}

/// The tokens `model.generate(do_sample=False)` chose, with their probabilities, come out of
/// the cached generation too.
#[test]
fn greedy_generation_chooses_what_pytorch_chose() {
    let all: LlamaCases =
        serde_json::from_slice(&std::fs::read(fixtures().join("llama_cases.json")).expect("read"))
            .expect("parses");
    assert_eq!(all.greedy.len(), 4);
    for (name, reference) in &all.greedy {
        let model = model(name);
        // Generation stops at an end-of-text token; PyTorch was told not to, so the
        // comparison covers as many tokens as ours produced.
        let run = generate(
            &model,
            &reference.prompt,
            reference.generated_ids.len(),
            &Sampling::greedy(),
            1,
        )
        .expect("generates");
        assert_eq!(run.prompt_ids, reference.prompt_ids, "{name}");
        let n = run.generated_ids.len();
        assert!(n > 0, "{name}");
        assert_eq!(run.generated_ids, reference.generated_ids[..n], "{name}");
        for (step, &p) in run.steps.iter().zip(&reference.probs) {
            assert!((step.prob - p).abs() < 1e-5, "{name}: {} vs {p}", step.prob);
        }
    }
}

/// Generating with the key/value cache gives every step the logits of running the whole
/// text again, for every decoder: GPT-2, a sliding window, grouped queries, q/k norms.
#[test]
fn the_cache_gives_the_logits_of_a_full_recompute() {
    for name in [
        "tiny-llama",
        "tiny-mistral",
        "tiny-qwen2",
        "tiny-qwen3",
        "tiny-gpt2",
    ] {
        let model = model(name);
        let sampling = Sampling {
            temperature: 0.9,
            top_k: 0,
            top_p: 1.0,
            seed: 3,
        };
        let run = generate(&model, "Hello, the party", 12, &sampling, 0).expect("generates");
        assert_eq!(run.steps.len(), 12, "{name}: no early stop on this seed");
        let mut ids = run.prompt_ids.clone();
        let mut cache = model.new_cache();
        let mut fresh = ids.clone();
        let mut worst = 0.0f32;
        for step in &run.steps {
            let cached = model.decode_step(&fresh, &mut cache).expect("step");
            let full = next_token_logits(&model, &ids).expect("recompute");
            let to_probs = |logits: &[f32]| {
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let exps: Vec<f64> = logits.iter().map(|l| ((l - max) as f64).exp()).collect();
                let sum: f64 = exps.iter().sum();
                exps.into_iter().map(move |e| (e / sum) as f32)
            };
            for (a, b) in to_probs(&cached).zip(to_probs(&full)) {
                worst = worst.max((a - b).abs());
            }
            ids.push(step.id);
            fresh = vec![step.id];
        }
        println!("{name}: cached vs recomputed probabilities differ by at most {worst:.2e}");
        assert!(worst < 1e-5, "{name}: {worst}");
        assert!(
            cache.len() == ids.len() - 1,
            "{name}: the cache holds every read token"
        );
    }
}

#[test]
fn a_sharded_checkpoint_loads_like_the_single_file() {
    let single = model("tiny-llama");
    let sharded = model("tiny-llama-sharded");
    assert_eq!(single.info(), sharded.info());
    let a = single.trace("the party", None).expect("runs");
    let b = sharded.trace("the party", None).expect("runs");
    assert_eq!(a.next_token_probs, b.next_token_probs);
}

#[test]
fn the_model_line_names_grouped_heads_and_rotary_positions() {
    let info = model("tiny-llama").info();
    assert_eq!(
        (info.model_type, info.num_heads, info.num_kv_heads),
        ("llama", 8, 2)
    );
    assert!(info.causal);
    let qwen3 = model("tiny-qwen3").info();
    assert_eq!((qwen3.head_dim, qwen3.hidden_size), (32, 64));
    assert!(model("tiny-qwen3").position_embeddings().is_none());
    assert_eq!(
        model("tiny-qwen3").rotary_frequencies().map(|f| f.len()),
        Some(16)
    );
}

/// The architecture panel's parameter counts, from the config's shapes, add up to the
/// numbers the checkpoint holds, for every architecture.
#[test]
fn each_parts_parameters_add_up_to_the_checkpoint() {
    use tokenscope_core::checkpoint::{read_dir, Checkpoint};
    for name in [
        "tiny-llama",
        "tiny-llama-sharded",
        "tiny-mistral",
        "tiny-qwen2",
        "tiny-qwen3",
        "tiny-gpt2",
        "tiny-bert",
    ] {
        let files = read_dir(&fixtures().join(name)).expect("reads");
        let named: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let stored = Checkpoint::from_files(&named)
            .and_then(|c| c.parameter_count())
            .expect("counts");
        let anatomy = model(name).config.anatomy();
        assert_eq!(
            anatomy.total_parameters(),
            stored as u64,
            "{name}: {:?}",
            anatomy.parts
        );
    }
    let llama = model("tiny-llama").config.anatomy();
    assert!(
        llama.parts.iter().any(|p| p.name == "head"),
        "untied head counted"
    );
    assert_eq!((llama.heads, llama.kv_heads), (8, 2));
    assert_eq!(
        model("tiny-mistral").config.anatomy().sliding_window,
        Some(4)
    );
}
