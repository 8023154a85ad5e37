//! The golden and seed tests again, compiled to wasm32 and run by wasm-bindgen-test, so the
//! page's numbers are proven in the same WebAssembly the browser runs.

#![cfg(target_arch = "wasm32")]

mod common;

use tokenscope_core::Model;
use wasm_bindgen_test::wasm_bindgen_test;

macro_rules! model_files {
    ($dir:literal) => {
        (
            include_bytes!(concat!("../../../", $dir, "/config.json")).as_slice(),
            include_bytes!(concat!("../../../", $dir, "/model.safetensors")).as_slice(),
            include_bytes!(concat!("../../../", $dir, "/tokenizer.json")).as_slice(),
        )
    };
}

fn load(dir: &str) -> Model {
    let (config, weights, tokenizer) = match dir {
        "tests/reference/fixtures/tiny-bert" => model_files!("tests/reference/fixtures/tiny-bert"),
        "tests/reference/fixtures/tiny-gpt2" => model_files!("tests/reference/fixtures/tiny-gpt2"),
        "assets/models/all-MiniLM-L6-v2" => model_files!("assets/models/all-MiniLM-L6-v2"),
        other => panic!("no embedded model {other}"),
    };
    Model::from_bytes(config, weights, tokenizer).expect("model loads in wasm")
}

fn fixture(name: &str) -> &'static [u8] {
    match name {
        "tiny-bert-0" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-bert-0.safetensors")
        }
        "tiny-bert-1" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-bert-1.safetensors")
        }
        "tiny-bert-pair" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-bert-pair.safetensors")
        }
        "tiny-gpt2-0" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-gpt2-0.safetensors")
        }
        "tiny-gpt2-1" => {
            include_bytes!("../../../tests/reference/fixtures/tiny-gpt2-1.safetensors")
        }
        "minilm-0" => include_bytes!("../../../tests/reference/fixtures/minilm-0.safetensors"),
        "minilm-f32-0" => {
            include_bytes!("../../../tests/reference/fixtures/minilm-f32-0.safetensors")
        }
        "minilm-1" => include_bytes!("../../../tests/reference/fixtures/minilm-1.safetensors"),
        "minilm-f32-1" => {
            include_bytes!("../../../tests/reference/fixtures/minilm-f32-1.safetensors")
        }
        "minilm-2" => include_bytes!("../../../tests/reference/fixtures/minilm-2.safetensors"),
        "minilm-f32-2" => {
            include_bytes!("../../../tests/reference/fixtures/minilm-f32-2.safetensors")
        }
        "minilm-3" => include_bytes!("../../../tests/reference/fixtures/minilm-3.safetensors"),
        "minilm-f32-3" => {
            include_bytes!("../../../tests/reference/fixtures/minilm-f32-3.safetensors")
        }
        "minilm-pair" => {
            include_bytes!("../../../tests/reference/fixtures/minilm-pair.safetensors")
        }
        "minilm-f32-pair" => {
            include_bytes!("../../../tests/reference/fixtures/minilm-f32-pair.safetensors")
        }
        other => panic!("no embedded fixture {other}; rerun the generator and update this list"),
    }
}

/// The tests below prove whichever product kernel this build has: run once as the plain
/// SIMD build and once with `--features relaxed-simd` (fused multiply-add).
#[wasm_bindgen_test]
fn the_kernel_is_the_one_this_build_asked_for() {
    let expected = if cfg!(feature = "relaxed-simd") {
        "relaxed-simd"
    } else {
        "simd128"
    };
    assert_eq!(tokenscope_core::gemm::Kernel::current().name(), expected);
}

#[wasm_bindgen_test]
fn every_case_matches_pytorch_in_wasm() {
    let cases = common::parse_cases(include_bytes!(
        "../../../tests/reference/fixtures/cases.json"
    ));
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
fn seed_facts_hold_in_wasm() {
    let model = load("assets/models/all-MiniLM-L6-v2");
    let tokens = model
        .tokenize("students celebrate the graduation with a big party", None)
        .expect("tokenizes");
    assert_eq!(
        tokens.ids,
        [101, 2493, 8439, 1996, 7665, 2007, 1037, 2502, 2283, 102]
    );
    assert_eq!(
        common::strongest_partner_of_party(
            &model,
            "students celebrate the graduation with a big party"
        ),
        "celebrate"
    );
    assert_eq!(
        common::strongest_partner_of_party(
            &model,
            "deputy leader is highly respected in the party"
        ),
        "deputy"
    );
}

#[wasm_bindgen_test]
fn seeded_generation_matches_the_python_reference_in_wasm() {
    use tokenscope_core::generate::{generate, Sampling};
    let model = load("tests/reference/fixtures/tiny-gpt2");
    let fixture: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../../../tests/reference/fixtures/decoding.json"
    ))
    .expect("JSON");
    for case in fixture["cases"].as_array().expect("cases") {
        let sampling = Sampling {
            temperature: case["temperature"].as_f64().expect("temperature"),
            top_k: case["top_k"].as_u64().expect("top_k") as usize,
            top_p: case["top_p"].as_f64().expect("top_p"),
            seed: case["seed"].as_u64().expect("seed"),
        };
        let prompt = case["prompt"].as_str().expect("prompt");
        let run = generate(&model, prompt, 12, &sampling, 0).expect("generates");
        let want: Vec<u32> = case["generated_ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_u64().expect("id") as u32)
            .collect();
        assert_eq!(run.generated_ids, want, "{prompt} {sampling:?}");
    }
}

/// The page trains in a wasm worker: the same three steps as PyTorch's (the native test's
/// fixture), and a tokenizer learned by the `tokenizers` BPE trainer compiled to wasm32.
#[wasm_bindgen_test]
fn training_steps_follow_pytorch_in_wasm() {
    use safetensors::SafeTensors;
    use tokenscope_core::config::ModelConfig;
    use tokenscope_core::optim::{clip_grad_norm, AdamW, AdamWSettings};
    use tokenscope_core::train::{Batch, Gpt2Params};
    let meta: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../../../tests/reference/fixtures/training.json"
    ))
    .expect("JSON");
    let tensors = SafeTensors::deserialize(include_bytes!(
        "../../../tests/reference/fixtures/training.safetensors"
    ))
    .expect("parses");
    let ids = |name: &str| -> Vec<u32> {
        tensors
            .tensor(name)
            .expect("fixture tensor")
            .data()
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")) as u32)
            .collect()
    };
    let config = match ModelConfig::from_json(include_bytes!(
        "../../../tests/reference/fixtures/tiny-gpt2/config.json"
    ))
    .expect("config")
    {
        ModelConfig::Gpt2(c) => c,
        other => panic!("not GPT-2: {other:?}"),
    };
    let mut params = Gpt2Params::from_safetensors(
        &config,
        include_bytes!("../../../tests/reference/fixtures/tiny-gpt2/model.safetensors"),
    )
    .expect("loads");
    let setting = |key: &str| meta["settings"][key].as_f64().expect(key) as f32;
    let mut adamw = AdamW::new(
        &params,
        AdamWSettings {
            beta1: setting("beta1"),
            beta2: setting("beta2"),
            eps: setting("eps"),
            weight_decay: setting("weight_decay"),
        },
    );
    for step in 0..3 {
        let batch = Batch {
            batch: meta["batch"].as_u64().expect("batch") as usize,
            seq: meta["seq"].as_u64().expect("seq") as usize,
            inputs: ids(&format!("inputs.{step}")),
            targets: ids(&format!("targets.{step}")),
        };
        let pass = params.forward(&batch).expect("runs");
        let torch_loss = meta["losses"][step].as_f64().expect("loss") as f32;
        assert!(
            (pass.loss - torch_loss).abs() <= 1e-4,
            "step {step}: loss {} vs torch {torch_loss}",
            pass.loss
        );
        let mut grad = params.backward(&pass);
        clip_grad_norm(&mut grad, setting("max_grad_norm"));
        adamw.update(&mut params, &grad, setting("learning_rate"));
    }

    use tokenscope_core::corpus::{encode_lines, train_tokenizer, vocab_size};
    let lines: Vec<String> = (0..40)
        .map(|i| format!("students celebrate the graduation number {i} with a big party"))
        .collect();
    let tokenizer = train_tokenizer(&lines, 300).expect("trains in wasm");
    let size = vocab_size(&tokenizer).expect("vocab");
    assert!(size > 257 && size <= 300, "{size} tokens");
    let encoded = encode_lines(&tokenizer, &lines[..1]).expect("encodes");
    assert!(
        encoded.len() < lines[0].len() / 2,
        "merges learned: {encoded:?}"
    );
}
