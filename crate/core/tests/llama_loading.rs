//! Broken llama-family folders get named errors, never a panic: heads that the key/value
//! heads do not divide, a head_dim the projections do not fit, a missing norm, projection or
//! output head, an index naming a missing shard, an unknown rope type.

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use tokenscope_core::checkpoint::{shard_names, Checkpoint};
use tokenscope_core::{Error, Model, Precision};

fn folder(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/reference/fixtures")
        .join(name)
}

fn read(name: &str, file: &str) -> Vec<u8> {
    std::fs::read(folder(name).join(file)).expect("fixture file")
}

/// Loads tiny-llama with its config edited and its weights passed through `weights`.
fn load_edited(
    edit: impl FnOnce(&mut serde_json::Value),
    weights: impl FnOnce(Vec<u8>) -> Vec<u8>,
) -> Result<Model, Error> {
    let mut config: serde_json::Value =
        serde_json::from_slice(&read("tiny-llama", "config.json")).expect("json");
    edit(&mut config);
    Model::from_bytes(
        &serde_json::to_vec(&config).expect("json"),
        &weights(read("tiny-llama", "model.safetensors")),
        &read("tiny-llama", "tokenizer.json"),
    )
}

/// The checkpoint re-written without the tensor `dropped`, every other tensor as it was.
fn without(bytes: Vec<u8>, dropped: &str) -> Vec<u8> {
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("parses");
    let kept: Vec<_> = st
        .tensors()
        .into_iter()
        .filter(|(name, _)| name != dropped)
        .collect();
    assert!(kept.len() < st.len(), "{dropped} was in the checkpoint");
    safetensors::serialize(kept, None).expect("serialises")
}

fn message(result: Result<Model, Error>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn config_problems_are_named() {
    let cases: [(&str, serde_json::Value, &str); 4] = [
        (
            "num_key_value_heads",
            3.into(),
            "num_key_value_heads 3 does not divide num_attention_heads 8",
        ),
        (
            "rope_parameters",
            serde_json::json!({"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0}),
            "rope type \"yarn\" is not supported (supported: default, linear, llama3, dynamic)",
        ),
        (
            "head_dim",
            16.into(),
            "self_attn.q_proj.weight\" has shape [64, 64], config.json implies [128, 64]",
        ),
        (
            "hidden_act",
            "gelu".into(),
            "hidden_act \"gelu\" is not supported",
        ),
    ];
    for (key, value, words) in cases {
        let text = message(load_edited(|c| c[key] = value, |w| w));
        assert!(text.contains(words), "{key}: {text}");
        assert!(
            text.starts_with("config.json") || text.starts_with("model.safetensors"),
            "{text}"
        );
    }
}

#[test]
fn missing_tensors_are_named() {
    for (tensor, words) in [
        (
            "model.layers.1.input_layernorm.weight",
            "model.layers.1.input_layernorm.weight",
        ),
        (
            "model.layers.0.self_attn.k_proj.weight",
            "model.layers.0.self_attn.k_proj.weight",
        ),
        (
            "model.layers.0.self_attn.q_proj.bias",
            "model.layers.0.self_attn.q_proj.bias",
        ),
        ("model.norm.weight", "model.norm.weight"),
        (
            "lm_head.weight",
            "lm_head.weight (tie_word_embeddings is false",
        ),
    ] {
        let text = message(load_edited(|_| {}, |w| without(w, tensor)));
        assert!(text.contains(words), "{tensor}: {text}");
    }
    // Qwen3's per-head norms are needed too.
    let weights = without(
        read("tiny-qwen3", "model.safetensors"),
        "model.layers.0.self_attn.k_norm.weight",
    );
    let text = message(Model::from_bytes(
        &read("tiny-qwen3", "config.json"),
        &weights,
        &read("tiny-qwen3", "tokenizer.json"),
    ));
    assert!(
        text.contains("model.layers.0.self_attn.k_norm.weight"),
        "{text}"
    );
}

#[test]
fn a_missing_shard_is_named_and_the_index_is_checked() {
    let index = read("tiny-llama-sharded", "model.safetensors.index.json");
    let names = shard_names(&index).expect("index reads");
    assert_eq!(names.len(), 10);
    let shards: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| (n.clone(), read("tiny-llama-sharded", n)))
        .collect();
    let all: Vec<(&str, &[u8])> = shards
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let config = read("tiny-llama-sharded", "config.json");
    let tokenizer = read("tiny-llama-sharded", "tokenizer.json");
    let checkpoint = Checkpoint::sharded(&index, &all).expect("every shard is here");
    let model = Model::from_checkpoint(&config, &checkpoint, &tokenizer, Precision::F32);
    assert!(model.is_ok());
    let missing = Checkpoint::sharded(&index, &all[1..])
        .err()
        .expect("refused");
    assert_eq!(missing, Error::MissingShard(names[0].clone()));
    assert!(missing.to_string().contains(&names[0]), "{missing}");
    // A shard that is there but damaged names the safetensors problem.
    let mut damaged = all.clone();
    let half = &shards[3].1[..shards[3].1.len() / 2];
    damaged[3].1 = half;
    let checkpoint = Checkpoint::sharded(&index, &damaged).expect("names match");
    let text = Model::from_checkpoint(&config, &checkpoint, &tokenizer, Precision::F32)
        .err()
        .expect("refused")
        .to_string();
    assert!(text.contains("truncated"), "{text}");
}

#[test]
fn a_tokenizer_larger_than_the_table_is_refused_and_a_padded_table_is_not() {
    // tiny-qwen2's table has 16 rows more than its tokenizer: that loads.
    assert!(Model::from_dir(&folder("tiny-qwen2")).is_ok());
    let text = message(load_edited(|c| c["vocab_size"] = 100.into(), |w| w));
    assert!(
        text.contains("tokenizer.json has 320 tokens but config.json says vocab_size = 100"),
        "{text}"
    );
}

#[test]
fn weights_held_in_f16_stay_within_the_f16_standard() {
    let precise = Model::from_dir(&folder("tiny-qwen2")).expect("loads");
    let half = Model::from_bytes_with(
        &read("tiny-qwen2", "config.json"),
        &read("tiny-qwen2", "model.safetensors"),
        &read("tiny-qwen2", "tokenizer.json"),
        Precision::F16,
    )
    .expect("loads");
    assert_eq!(half.info().precision, "F16");
    assert!(half.info().weight_bytes < precise.info().weight_bytes);
    let text = "students celebrate the graduation with a big party";
    let a = precise.trace(text, None).expect("runs");
    let b = half.trace(text, None).expect("runs");
    let worst = a
        .layers
        .iter()
        .zip(&b.layers)
        .flat_map(|(x, y)| x.attention.iter().zip(y.attention.iter()))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst > 0.0 && worst < 5e-3, "{worst}");
}

/// Most modern checkpoints are BF16. Held in half precision they stay BF16, the very numbers
/// of the file, so the trace equals the one with every weight widened to f32.
#[test]
fn a_bf16_checkpoint_held_in_half_precision_keeps_its_numbers() {
    let st_bytes = read("tiny-qwen2", "model.safetensors");
    let st = safetensors::SafeTensors::deserialize(&st_bytes).expect("parses");
    let converted: Vec<(String, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let data = view
                .data()
                .chunks_exact(4)
                .flat_map(|b| {
                    let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    half::bf16::from_f32(v).to_le_bytes()
                })
                .collect();
            (name, view.shape().to_vec(), data)
        })
        .collect();
    let views: Vec<_> = converted
        .iter()
        .map(|(n, shape, data)| {
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::BF16, shape.clone(), data)
                    .expect("view");
            (n.clone(), view)
        })
        .collect();
    let bf16_file = safetensors::serialize(views, None).expect("serialises");
    let load = |precision| {
        Model::from_bytes_with(
            &read("tiny-qwen2", "config.json"),
            &bf16_file,
            &read("tiny-qwen2", "tokenizer.json"),
            precision,
        )
        .expect("loads")
    };
    let (wide, half) = (load(Precision::F32), load(Precision::F16));
    assert_eq!(wide.info().precision, "F32");
    assert_eq!(half.info().precision, "BF16");
    // Matrices take half the bytes; norms and biases stay f32.
    assert!(half.info().weight_bytes * 10 < wide.info().weight_bytes * 6);
    let text = "the party";
    let a = wide.trace(text, None).expect("runs");
    let b = half.trace(text, None).expect("runs");
    let worst = a
        .next_token_probs
        .iter()
        .zip(b.next_token_probs.iter())
        .flat_map(|(x, y)| x.iter().zip(y.iter()))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "{worst}");
}
