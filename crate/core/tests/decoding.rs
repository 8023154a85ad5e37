//! Generation matches the Python reference (tests/reference/generate_decoding.py): greedy ids
//! equal Hugging Face's greedy search, and seeded sampling draws the same tokens from the
//! same procedure on PyTorch's logits.

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use serde_json::Value;
use tokenscope_core::generate::{generate, Sampling};
use tokenscope_core::Model;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn greedy_and_seeded_sampling_reproduce_the_python_reference() {
    let text = std::fs::read_to_string(root().join("tests/reference/fixtures/decoding.json"))
        .expect("fixture exists");
    let fixture: Value = serde_json::from_str(&text).expect("valid JSON");
    let model_dir = root().join(fixture["model"].as_str().expect("model path"));
    let model = Model::from_dir(&model_dir).expect("tiny GPT-2 loads");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 10);
    let mut largest = 0.0f64;
    for case in cases {
        let ids = |v: &Value| -> Vec<u32> {
            v.as_array()
                .expect("ids")
                .iter()
                .map(|x| x.as_u64().expect("id") as u32)
                .collect()
        };
        let sampling = Sampling {
            temperature: case["temperature"].as_f64().expect("temperature"),
            top_k: case["top_k"].as_u64().expect("top_k") as usize,
            top_p: case["top_p"].as_f64().expect("top_p"),
            seed: case["seed"].as_u64().expect("seed"),
        };
        let prompt = case["prompt"].as_str().expect("prompt");
        let max_tokens = case["max_tokens"].as_u64().expect("max") as usize;
        let run = generate(&model, prompt, max_tokens, &sampling, 5).expect("generates");
        assert_eq!(run.prompt_ids, ids(&case["prompt_ids"]), "{prompt}");
        assert_eq!(
            run.generated_ids,
            ids(&case["generated_ids"]),
            "{prompt} {sampling:?}"
        );
        let steps = case["steps"].as_array().expect("steps");
        assert_eq!(run.steps.len(), steps.len());
        for (ours, theirs) in run.steps.iter().zip(steps) {
            assert_eq!(
                ours.kept as u64,
                theirs["kept"].as_u64().expect("kept"),
                "{sampling:?}"
            );
            let diff = (ours.prob - theirs["prob"].as_f64().expect("prob")).abs();
            largest = largest.max(diff);
        }
    }
    println!("largest difference of a chosen token's probability: {largest:e}");
    assert!(largest < 1e-5, "{largest}");
}

#[test]
fn generation_refuses_bert_and_bad_settings() {
    let bert = Model::from_dir(&root().join("assets/models/all-MiniLM-L6-v2")).expect("loads");
    let err = generate(&bert, "the party", 3, &Sampling::greedy(), 3).expect_err("BERT");
    assert!(err.to_string().contains("GPT"), "{err}");
    let gpt = Model::from_dir(&root().join("tests/reference/fixtures/tiny-gpt2")).expect("loads");
    let bad = Sampling {
        temperature: 1.0,
        top_k: 0,
        top_p: 0.0,
        seed: 1,
    };
    assert!(generate(&gpt, "the party", 3, &bad, 3).is_err());
    // The model's 64 positions cap the continuation.
    let long = generate(&gpt, "the party", 500, &Sampling::greedy(), 0).expect("runs");
    assert!(long.prompt_ids.len() + long.generated_ids.len() <= 64);
}
