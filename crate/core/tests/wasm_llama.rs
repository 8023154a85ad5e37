//! The llama-family golden cases (llama, mistral, qwen2, qwen3, a sharded checkpoint) and
//! cached generation, compiled to wasm32: the page's modern decoders match PyTorch in the
//! same WebAssembly the browser runs, with packed weights and the split-regex tokenizers.

#![cfg(target_arch = "wasm32")]

mod common;

use tokenscope_core::checkpoint::Checkpoint;
use tokenscope_core::generate::{generate, next_token_logits, Sampling};
use tokenscope_core::{Model, Precision};
use wasm_bindgen_test::wasm_bindgen_test;

macro_rules! model_files {
    ($dir:literal) => {
        (
            include_bytes!(concat!(
                "../../../tests/reference/fixtures/",
                $dir,
                "/config.json"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../../tests/reference/fixtures/",
                $dir,
                "/model.safetensors"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../../tests/reference/fixtures/",
                $dir,
                "/tokenizer.json"
            ))
            .as_slice(),
        )
    };
}

/// The ten shards of tiny-llama-sharded, by name.
const SHARDS: [(&str, &[u8]); 10] = [
    (
        "model-00001-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00001-of-00010.safetensors"
        )
        .as_slice(),
    ),
    (
        "model-00002-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00002-of-00010.safetensors"
        )
        .as_slice(),
    ),
    (
        "model-00003-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00003-of-00010.safetensors"
        )
        .as_slice(),
    ),
    (
        "model-00004-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00004-of-00010.safetensors"
        )
        .as_slice(),
    ),
    (
        "model-00005-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00005-of-00010.safetensors"
        )
        .as_slice(),
    ),
    (
        "model-00006-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00006-of-00010.safetensors"
        )
        .as_slice(),
    ),
    (
        "model-00007-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00007-of-00010.safetensors"
        )
        .as_slice(),
    ),
    (
        "model-00008-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00008-of-00010.safetensors"
        )
        .as_slice(),
    ),
    (
        "model-00009-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00009-of-00010.safetensors"
        )
        .as_slice(),
    ),
    (
        "model-00010-of-00010.safetensors",
        include_bytes!(
            "../../../tests/reference/fixtures/tiny-llama-sharded/model-00010-of-00010.safetensors"
        )
        .as_slice(),
    ),
];

fn load(dir: &str) -> Model {
    let (config, weights, tokenizer) = match dir.rsplit('/').next().unwrap_or(dir) {
        "tiny-llama" => model_files!("tiny-llama"),
        "tiny-mistral" => model_files!("tiny-mistral"),
        "tiny-qwen2" => model_files!("tiny-qwen2"),
        "tiny-qwen3" => model_files!("tiny-qwen3"),
        "tiny-gpt2" => model_files!("tiny-gpt2"),
        "tiny-llama-sharded" => {
            let index = include_bytes!(
                "../../../tests/reference/fixtures/tiny-llama-sharded/model.safetensors.index.json"
            );
            let checkpoint = Checkpoint::sharded(index, &SHARDS).expect("every shard is embedded");
            return Model::from_checkpoint(
                include_bytes!("../../../tests/reference/fixtures/tiny-llama-sharded/config.json"),
                &checkpoint,
                include_bytes!(
                    "../../../tests/reference/fixtures/tiny-llama-sharded/tokenizer.json"
                ),
                Precision::F32,
            )
            .expect("the sharded model loads in wasm");
        }
        other => panic!("no embedded model {other}"),
    };
    Model::from_bytes(config, weights, tokenizer).expect("model loads in wasm")
}

fn fixture(name: &str) -> &'static [u8] {
    match name {
        "tiny-llama-0" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-llama-0.safetensors")
        }
        "tiny-llama-1" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-llama-1.safetensors")
        }
        "tiny-llama-2" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-llama-2.safetensors")
        }
        "tiny-mistral-0" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-mistral-0.safetensors")
        }
        "tiny-mistral-1" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-mistral-1.safetensors")
        }
        "tiny-mistral-2" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-mistral-2.safetensors")
        }
        "tiny-qwen2-0" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-qwen2-0.safetensors")
        }
        "tiny-qwen2-1" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-qwen2-1.safetensors")
        }
        "tiny-qwen2-2" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-qwen2-2.safetensors")
        }
        "tiny-qwen3-0" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-qwen3-0.safetensors")
        }
        "tiny-qwen3-1" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-qwen3-1.safetensors")
        }
        "tiny-qwen3-2" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-qwen3-2.safetensors")
        }
        "tiny-llama-sharded-0" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-llama-sharded-0.safetensors")
        }
        other => panic!("no embedded fixture {other}; rerun the generator and update this list"),
    }
}

#[wasm_bindgen_test]
fn every_llama_family_case_matches_pytorch_in_wasm() {
    let cases = common::parse_cases(include_bytes!(
        "../../../tests/reference/fixtures/llama_cases.json"
    ));
    assert_eq!(cases.len(), 13);
    let mut failures = Vec::new();
    let mut current: Option<(String, Model)> = None;
    for case in &cases {
        if current
            .as_ref()
            .map(|(dir, _)| dir != &case.model)
            .unwrap_or(true)
        {
            current = Some((case.model.clone(), load(&case.model)));
        }
        if let Some((_, model)) = &current {
            let (fails, _) = common::check_case(model, case, fixture(&case.name));
            failures.extend(fails);
        }
    }
    assert!(
        failures.is_empty(),
        "disagreements with PyTorch:\n{}",
        failures.join("\n")
    );
}

#[wasm_bindgen_test]
fn the_cache_gives_the_logits_of_a_full_recompute_in_wasm() {
    for name in ["tiny-llama", "tiny-mistral", "tiny-qwen3", "tiny-gpt2"] {
        let model = load(name);
        let run =
            generate(&model, "Hello, the party", 8, &Sampling::greedy(), 0).expect("generates");
        let mut ids = run.prompt_ids.clone();
        for step in &run.steps {
            let full = next_token_logits(&model, &ids).expect("recompute");
            let best = full
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
                .map(|(i, _)| i as u32);
            assert_eq!(Some(step.id), best, "{name}");
            ids.push(step.id);
        }
    }
}
