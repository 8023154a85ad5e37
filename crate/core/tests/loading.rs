//! Loading model files from bytes: F32/F16/BF16, prefixed and bare names, and every bad
//! file or input giving a named error instead of a panic.

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use tokenscope_core::bundle::{convert_safetensors, BundleDtype};
use tokenscope_core::{Error, Model, Precision};

fn fixture(model: &str, file: &str) -> Vec<u8> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/reference/fixtures")
        .join(model)
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Files {
    config: Vec<u8>,
    weights: Vec<u8>,
    tokenizer: Vec<u8>,
}

fn files(model: &str) -> Files {
    Files {
        config: fixture(model, "config.json"),
        weights: fixture(model, "model.safetensors"),
        tokenizer: fixture(model, "tokenizer.json"),
    }
}

fn load(f: &Files) -> Result<Model, Error> {
    Model::from_bytes(&f.config, &f.weights, &f.tokenizer)
}

fn edit_config(f: &mut Files, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value = serde_json::from_slice(&f.config).expect("json");
    edit(&mut value);
    f.config = serde_json::to_vec(&value).expect("json");
}

fn err(result: Result<Model, Error>) -> Error {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn truncated_safetensors_is_named() {
    for model in ["tiny-bert", "tiny-gpt2"] {
        let mut f = files(model);
        f.weights.truncate(f.weights.len() / 2);
        let e = err(load(&f));
        assert!(matches!(e, Error::Safetensors(_)), "{model}: {e}");
        assert!(e.to_string().contains("model.safetensors"), "{e}");
        f.weights.truncate(5);
        assert!(matches!(err(load(&f)), Error::Safetensors(_)));
        f.weights.clear();
        assert!(matches!(err(load(&f)), Error::Safetensors(_)));
    }
}

#[test]
fn unknown_model_type_is_named() {
    let mut f = files("tiny-bert");
    edit_config(&mut f, |v| v["model_type"] = "mamba".into());
    assert_eq!(err(load(&f)), Error::UnsupportedModelType("mamba".into()));
    assert!(err(load(&f))
        .to_string()
        .contains("\"mamba\" is not supported"));
}

#[test]
fn bad_config_json_is_named() {
    let mut f = files("tiny-gpt2");
    f.config = vec![0xff, 0xfe, b'{'];
    assert!(matches!(err(load(&f)), Error::Config(_)));
    f.config = b"{\"model_type\": \"gpt2\"".to_vec();
    assert!(matches!(err(load(&f)), Error::Config(_)));
    f.config = b"{\"model_type\": \"gpt2\", \"n_embd\": 64}".to_vec();
    assert!(matches!(err(load(&f)), Error::Config(_)));
    f.config = b"[]".to_vec();
    assert!(matches!(err(load(&f)), Error::Config(_)));
}

#[test]
fn tokenizer_from_another_model_is_named() {
    let mut f = files("tiny-bert");
    f.tokenizer = fixture("tiny-gpt2", "tokenizer.json");
    let e = err(load(&f));
    assert!(matches!(e, Error::VocabMismatch { .. }), "{e}");
    f.tokenizer = b"not json".to_vec();
    assert!(matches!(err(load(&f)), Error::Tokenizer(_)));
}

/// `tokenizers` 0.23 panics on these (found by `fuzz/`); they must be errors, because a panic
/// in the page's worker kills it.
#[test]
fn tokenizers_that_would_panic_the_tokenizers_crate_are_named() {
    let mut f = files("tiny-gpt2");
    let good = String::from_utf8(f.tokenizer.clone()).expect("UTF-8");
    // A byte that is not UTF-8 inside "decoder" (the crate `expect`s the decoder to parse).
    let mut bytes = good.clone().into_bytes();
    let at = good.find("\"decoder\"").expect("a decoder") + 12;
    bytes.insert(at, 0x99);
    f.tokenizer = bytes;
    let e = err(load(&f));
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    // A Precompiled normalizer with a bad charsmap (the crate `expect`s it to parse).
    let mut value: serde_json::Value = serde_json::from_str(&good).expect("JSON");
    value["normalizer"] = serde_json::json!({"type": "Precompiled", "precompiled_charsmap": 7});
    f.tokenizer = value.to_string().into_bytes();
    let e = err(load(&f));
    assert!(e.to_string().contains("Precompiled"), "{e}");
    // A template naming a special token it does not define (the crate indexes its map).
    let bert = files("tiny-bert");
    let mut value: serde_json::Value = serde_json::from_slice(&bert.tokenizer).expect("JSON");
    value["post_processor"]["pair"][4]["SpecialToken"]["id"] = "[dSEP]".into();
    let mut f = bert;
    f.tokenizer = value.to_string().into_bytes();
    let e = err(load(&f));
    assert!(e.to_string().contains("\"[dSEP]\""), "{e}");
}

#[test]
fn wrong_shapes_are_named() {
    let mut f = files("tiny-bert");
    edit_config(&mut f, |v| v["intermediate_size"] = 96.into());
    match err(load(&f)) {
        Error::ShapeMismatch {
            name,
            expected,
            found,
        } => {
            assert_eq!(name, "encoder.layer.0.intermediate.dense.weight");
            assert_eq!(expected, [96, 64]);
            assert_eq!(found, [128, 64]);
        }
        e => panic!("unexpected {e}"),
    }
    let mut g = files("tiny-gpt2");
    edit_config(&mut g, |v| v["n_layer"] = 3.into());
    assert_eq!(
        err(load(&g)),
        Error::MissingTensor("transformer.h.2.ln_1.weight".into())
    );
    edit_config(&mut g, |v| v["n_head"] = 5.into());
    assert!(matches!(err(load(&g)), Error::Config(_)));
}

#[test]
fn checkpoint_of_the_other_architecture_is_named() {
    let mut f = files("tiny-gpt2");
    f.weights = fixture("tiny-bert", "model.safetensors");
    assert_eq!(err(load(&f)), Error::MissingTensor("wte.weight".into()));
}

#[test]
fn f16_and_f32_bundles_load_and_agree() {
    let f = files("tiny-gpt2");
    let reference = load(&f)
        .expect("f32 loads")
        .trace("Hello, world!", None)
        .expect("runs");
    for dtype in [BundleDtype::F16, BundleDtype::F32] {
        let weights = convert_safetensors(&f.weights, dtype).expect("converts");
        let model = Model::from_bytes(&f.config, &weights, &f.tokenizer).expect("bundle loads");
        let trace = model.trace("Hello, world!", None).expect("runs");
        let limit = if dtype == BundleDtype::F16 { 5e-3 } else { 0.0 };
        // zip stops at the shorter list: a bundle that lost layers must fail here instead.
        assert_eq!(
            reference.layers.len(),
            trace.layers.len(),
            "{dtype:?}: the bundle traces every layer"
        );
        for (a, b) in reference.layers.iter().zip(&trace.layers) {
            assert_eq!(
                a.attention.dim(),
                b.attention.dim(),
                "{dtype:?}: attention of the same shape"
            );
            let diff = a
                .attention
                .iter()
                .zip(b.attention.iter())
                .map(|(x, y)| (x - y).abs())
                .fold(0.0f32, f32::max);
            assert!(diff <= limit, "{dtype:?}: attention differs by {diff}");
        }
    }
}

/// Holding f32 weights in f16 is the same model as an f32 file whose large matrices were
/// rounded to f16 (biases, LayerNorm and position tables stay f32), at about half the bytes.
#[test]
fn weights_held_in_f16_equal_a_file_rounded_the_same_way() {
    for name in ["tiny-gpt2", "tiny-bert"] {
        let f = files(name);
        let held = Model::from_bytes_with(&f.config, &f.weights, &f.tokenizer, Precision::F16)
            .expect("loads in f16");
        let rounded_file = Files {
            weights: round_large_matrices(&f.weights),
            config: f.config.clone(),
            tokenizer: f.tokenizer.clone(),
        };
        let rounded = load(&rounded_file).expect("loads");
        let full = load(&f).expect("loads");
        assert_eq!(held.info().precision, "F16");
        assert_eq!(full.info().precision, "F32");
        assert!(
            held.weight_bytes() < full.weight_bytes() * 6 / 10,
            "{name}: {} bytes in f16 vs {} in f32",
            held.weight_bytes(),
            full.weight_bytes()
        );
        let a = held.trace("Hello, world! The party", None).expect("runs");
        let b = rounded
            .trace("Hello, world! The party", None)
            .expect("runs");
        let mut largest = 0.0f32;
        for (x, y) in a.hidden_states.iter().zip(&b.hidden_states) {
            for (p, q) in x.iter().zip(y.iter()) {
                largest = largest.max((p - q).abs());
            }
        }
        for (x, y) in a.layers.iter().zip(&b.layers) {
            for (p, q) in x.attention.iter().zip(y.attention.iter()) {
                largest = largest.max((p - q).abs());
            }
        }
        println!("{name}: f16-held vs rounded f32 file: largest difference {largest:.2e}");
        assert!(largest <= 1e-5, "{name}: differs by {largest}");
        assert_eq!(
            held.embedding_of(5).expect("row").to_vec(),
            rounded.embedding_of(5).expect("row").to_vec()
        );
    }
}

/// The f32 checkpoint with every 2-D weight except the position and token-type tables
/// rounded to the nearest f16: what `Precision::F16` keeps in memory.
fn round_large_matrices(bytes: &[u8]) -> Vec<u8> {
    let st = safetensors::SafeTensors::deserialize(bytes).expect("parses");
    let mut owned = Vec::new();
    for (name, view) in st.tensors() {
        let small_table = ["wpe", "position_embeddings", "token_type_embeddings"]
            .iter()
            .any(|t| name.contains(t));
        let round = view.shape().len() == 2 && !small_table;
        let data: Vec<u8> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .map(|v| {
                if round {
                    half::f16::from_f32(v).to_f32()
                } else {
                    v
                }
            })
            .flat_map(f32::to_le_bytes)
            .collect();
        owned.push((name.to_string(), view.shape().to_vec(), data));
    }
    let views: Vec<_> = owned
        .iter()
        .map(|(n, shape, data)| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data)
                    .expect("view"),
            )
        })
        .collect();
    safetensors::serialize(views, None).expect("serialises")
}

#[test]
fn bad_input_is_named_not_panicked() {
    let bert = load(&files("tiny-bert")).expect("loads");
    let gpt2 = load(&files("tiny-gpt2")).expect("loads");
    assert!(matches!(gpt2.trace("a", Some("b")), Err(Error::Input(_))));
    assert!(matches!(gpt2.trace("", None), Err(Error::Input(_))));
    // BERT still has [CLS] [SEP] for empty text.
    assert_eq!(bert.trace("", None).expect("runs").len(), 2);
    for text in [
        "   ",
        "🎉🎉 派对 حفلة \u{200b}\u{0007}",
        "<script>alert(1)</script>",
        "\u{202e}reversed",
    ] {
        bert.trace(text, None).expect("bert runs any text");
        gpt2.trace(text, None).expect("gpt2 runs any text");
    }
}

#[test]
fn long_text_is_truncated_with_a_count() {
    let bert = load(&files("tiny-bert")).expect("loads"); // 64 positions
    let gpt2 = load(&files("tiny-gpt2")).expect("loads"); // 64 positions
    let long = "party ".repeat(100);
    let t = bert.trace(&long, None).expect("runs");
    assert_eq!(t.len(), 64);
    assert_eq!(t.input.truncated, 102 - 64);
    assert_eq!(t.input.tokens.last().map(String::as_str), Some("[SEP]"));
    let t = bert.trace(&long, Some("the cat")).expect("pair runs");
    assert_eq!(t.len(), 64);
    assert!(t.input.truncated > 0);
    assert!(
        t.input.type_ids.contains(&1),
        "the second text survives truncation"
    );
    let t = gpt2.trace(&long, None).expect("runs");
    assert_eq!(t.len(), 64);
    assert!(t.input.truncated > 0);
    let short = gpt2.trace("party", None).expect("runs");
    assert_eq!(short.input.truncated, 0);
}

#[test]
fn pair_gets_token_types_and_segments() {
    use tokenscope_core::Segment;
    let bert = load(&files("tiny-bert")).expect("loads");
    let t = bert.trace("the cat", Some("a dog")).expect("runs");
    let first_sep = t
        .input
        .tokens
        .iter()
        .position(|s| s == "[SEP]")
        .expect("sep");
    for (i, &ty) in t.input.type_ids.iter().enumerate() {
        assert_eq!(ty, u32::from(i > first_sep), "token {i}");
    }
    assert_eq!(t.input.segments[0], Segment::Special);
    assert_eq!(t.input.segments[1], Segment::First);
    assert_eq!(t.input.segments[first_sep + 1], Segment::Second);
}

/// Re-serialises a checkpoint, renaming and re-encoding each tensor.
fn rewrite(
    bytes: &[u8],
    rename: impl Fn(&str) -> String,
    encode: impl Fn(&[f32]) -> (safetensors::Dtype, Vec<u8>),
) -> Vec<u8> {
    let st = safetensors::SafeTensors::deserialize(bytes).expect("parses");
    let mut owned = Vec::new();
    for (name, view) in st.tensors() {
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let (dtype, data) = encode(&values);
        owned.push((rename(&name), dtype, view.shape().to_vec(), data));
    }
    let views: Vec<_> = owned
        .iter()
        .map(|(n, dt, shape, data)| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(*dt, shape.clone(), data).expect("view"),
            )
        })
        .collect();
    safetensors::serialize(views, None).expect("serialises")
}

fn f32_bytes(values: &[f32]) -> (safetensors::Dtype, Vec<u8>) {
    (
        safetensors::Dtype::F32,
        values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    )
}

#[test]
fn gpt2_loads_with_and_without_the_transformer_prefix() {
    let f = files("tiny-gpt2");
    let prefixed = load(&f)
        .expect("loads")
        .trace("Hello, world!", None)
        .expect("runs");
    let bare = Files {
        weights: rewrite(
            &f.weights,
            |n| n.trim_start_matches("transformer.").to_string(),
            f32_bytes,
        ),
        config: f.config.clone(),
        tokenizer: f.tokenizer.clone(),
    };
    let trace = load(&bare)
        .expect("hub-style names load")
        .trace("Hello, world!", None)
        .expect("runs");
    assert_eq!(prefixed.layers[1].attention, trace.layers[1].attention);
    assert_eq!(prefixed.next_token_probs, trace.next_token_probs);
}

#[test]
fn bf16_weights_load_as_their_exact_values() {
    let f = files("tiny-bert");
    let to_bf16 = |values: &[f32]| {
        (
            safetensors::Dtype::BF16,
            values
                .iter()
                .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
                .collect(),
        )
    };
    // The same weights rounded to bf16 but stored as f32: both files hold identical numbers.
    let rounded = |values: &[f32]| {
        let r: Vec<f32> = values
            .iter()
            .map(|&v| half::bf16::from_f32(v).to_f32())
            .collect();
        f32_bytes(&r)
    };
    let as_bf16 = Files {
        weights: rewrite(&f.weights, str::to_string, to_bf16),
        config: f.config.clone(),
        tokenizer: f.tokenizer.clone(),
    };
    let as_f32 = Files {
        weights: rewrite(&f.weights, str::to_string, rounded),
        config: f.config.clone(),
        tokenizer: f.tokenizer.clone(),
    };
    let a = load(&as_bf16)
        .expect("bf16 loads")
        .trace("a big party", None)
        .expect("runs");
    let b = load(&as_f32)
        .expect("f32 loads")
        .trace("a big party", None)
        .expect("runs");
    assert_eq!(a.hidden_states, b.hidden_states);
    // And bf16 storage really changed the weights (the test would be vacuous otherwise).
    let original = load(&f)
        .expect("loads")
        .trace("a big party", None)
        .expect("runs");
    assert_ne!(original.hidden_states, a.hidden_states);
}

#[test]
fn unsupported_dtype_is_named() {
    let f = files("tiny-bert");
    let as_f64 = Files {
        weights: rewrite(&f.weights, str::to_string, |values| {
            (
                safetensors::Dtype::F64,
                values
                    .iter()
                    .flat_map(|&v| (v as f64).to_le_bytes())
                    .collect(),
            )
        }),
        config: f.config.clone(),
        tokenizer: f.tokenizer.clone(),
    };
    let e = err(load(&as_f64));
    assert!(matches!(e, Error::UnsupportedDtype { .. }), "{e}");
}

/// Files that are not UTF-8, nested deeper than any config, or tens of megabytes: a named
/// error or a model, never a panic or a stack overflow.
#[test]
fn non_utf8_deeply_nested_and_huge_json_are_handled() {
    let mut f = files("tiny-bert");
    f.config = vec![b'{', 0xff, 0xfe, b'}'];
    let e = err(load(&f));
    assert!(e.to_string().contains("not UTF-8"), "{e}");

    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut f = files("tiny-bert");
    f.config = deep.clone().into_bytes();
    let e = err(load(&f));
    assert!(matches!(e, Error::Config(_)), "{e}");
    let mut f = files("tiny-bert");
    f.tokenizer = deep.into_bytes();
    let e = err(load(&f));
    assert!(matches!(e, Error::Tokenizer(_)), "{e}");

    // 20 MB of valid JSON: an unknown field holding a long array. The config still reads.
    let mut f = files("tiny-bert");
    let mut config: serde_json::Value = serde_json::from_slice(&f.config).expect("JSON");
    config["padding_for_the_test"] = serde_json::Value::from(vec![0; 5_000_000]);
    f.config = config.to_string().into_bytes();
    assert!(f.config.len() > 10_000_000);
    assert!(load(&f).is_ok(), "a huge but valid config loads");
}
