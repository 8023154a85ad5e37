//! Measures what int8 weights with one scale per row would do to MiniLM's numbers: every
//! matrix of the embedded bundle is rounded to int8 (symmetric, scale = max |row| / 127) and
//! back, and the attentions are compared with PyTorch's F32 fixtures and with the F16 bundle.
//! A measurement for `bench/README.md`, not a test:
//!
//!     cargo run --release -p tokenscope-core --example int8_error

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use tokenscope_core::tensors::decode;
use tokenscope_core::{Model, Precision};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bundle's tensors as f32, every 2-d one that `int8` selects rounded through int8, as an
/// F32 safetensors file; and the bytes that file would take with those matrices as int8 plus
/// an f32 scale per row, the other matrices as F16 and vectors as f32.
fn requantized(bundle: &[u8], int8: impl Fn(&str) -> bool) -> (Vec<u8>, usize) {
    let tensors = SafeTensors::deserialize(bundle).expect("the bundle parses");
    let mut values: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut int8_bytes = 0;
    for (name, view) in tensors.tensors() {
        if !matches!(view.dtype(), Dtype::F32 | Dtype::F16 | Dtype::BF16) {
            continue; // position_ids: integers the model does not read
        }
        let shape = view.shape().to_vec();
        let mut data = decode(&name, view.dtype(), view.data()).expect("float tensor");
        if shape.len() == 2 && !int8(&name) {
            int8_bytes += data.len() * 2;
        } else if shape.len() == 2 {
            int8_bytes += shape[0] * shape[1] + shape[0] * 4;
            for row in data.chunks_mut(shape[1]) {
                let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
                for v in row.iter_mut() {
                    *v = (*v / scale).round().clamp(-127.0, 127.0) * scale;
                }
            }
        } else {
            int8_bytes += data.len() * 4;
        }
        let bytes = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        values.push((name, shape, bytes));
    }
    let views: HashMap<String, TensorView> = values
        .iter()
        .map(|(name, shape, bytes)| {
            let view = TensorView::new(Dtype::F32, shape.clone(), bytes).expect("view");
            (name.clone(), view)
        })
        .collect();
    (
        safetensors::serialize(&views, None).expect("serializes"),
        int8_bytes,
    )
}

fn main() {
    let dir = root().join("assets/models/all-MiniLM-L6-v2");
    let config = read(&dir.join("config.json"));
    let tokenizer = read(&dir.join("tokenizer.json"));
    let bundle = read(&dir.join("model.safetensors"));
    let load = |weights: &[u8]| {
        Model::from_bytes_with(&config, weights, &tokenizer, Precision::F32).expect("loads")
    };
    let f16 = load(&bundle);
    let (all_weights, all_bytes) = requantized(&bundle, |_| true);
    let int8 = load(&all_weights);
    let (layer_weights, layer_bytes) =
        requantized(&bundle, |name| !name.contains("word_embeddings"));
    let layers_int8 = load(&layer_weights);
    let cases: serde_json::Value =
        serde_json::from_slice(&read(&root().join("tests/reference/fixtures/cases.json")))
            .expect("cases.json");
    let largest = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
    };
    let flat = |model: &Model, text: &str, pair: Option<&str>| -> Vec<f32> {
        let trace = model.trace(text, pair).expect("runs");
        trace
            .layers
            .iter()
            .flat_map(|l| l.attention.iter().copied())
            .collect()
    };
    println!("case | all matrices int8 | layers int8, word embeddings F16 | F16 bundle (shipped)");
    println!("largest attention difference from PyTorch on the original F32 weights:");
    let cases = cases["cases"].as_array().cloned().unwrap_or_default();
    for case in cases.iter().filter(|c| {
        c["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("minilm-f32-"))
    }) {
        let name = case["name"].as_str().unwrap_or_default();
        let text = case["text"].as_str().unwrap_or_default();
        let pair = case["pair"].as_str();
        let fixture = read(
            &root()
                .join("tests/reference/fixtures")
                .join(format!("{name}.safetensors")),
        );
        let fixture = SafeTensors::deserialize(&fixture).expect("fixture");
        let reference = fixture.tensor("attentions").expect("attentions");
        let reference = decode("attentions", reference.dtype(), reference.data()).expect("f32");
        println!(
            "{name} ({text}{}) | {:.2e} | {:.2e} | {:.2e}",
            pair.map(|p| format!(" + {p}")).unwrap_or_default(),
            largest(&flat(&int8, text, pair), &reference),
            largest(&flat(&layers_int8, text, pair), &reference),
            largest(&flat(&f16, text, pair), &reference),
        );
    }
    println!(
        "bytes: all int8 {all_bytes} · layers int8 {layer_bytes} · F16 bundle {}",
        bundle.len()
    );
}
