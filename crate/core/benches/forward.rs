//! Criterion benchmark of the forward trace (every tensor the views draw) of the embedded
//! MiniLM at 10, 32, 128 and 512 tokens, on the texts `bench/inputs.json` gives every peer.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use tokenscope_core::{Model, Precision};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The page holds MiniLM in f32 (see `Precision::for_parameters`), so the benchmark does too.
fn minilm() -> Model {
    let dir = root().join("assets/models/all-MiniLM-L6-v2");
    let read = |name: &str| std::fs::read(dir.join(name)).expect("the embedded model is there");
    Model::from_bytes_with(
        &read("config.json"),
        &read("model.safetensors"),
        &read("tokenizer.json"),
        Precision::F32,
    )
    .expect("MiniLM loads")
}

fn inputs() -> Vec<(usize, String)> {
    let json = std::fs::read(root().join("bench/inputs.json")).expect("bench/inputs.json");
    let value: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    [10, 32, 128, 512]
        .into_iter()
        .map(|n| {
            let text = value["texts"][n.to_string()]
                .as_str()
                .expect("a text for each length")
                .to_string();
            (n, text)
        })
        .collect()
}

fn forward_trace(c: &mut Criterion) {
    let model = minilm();
    let mut group = c.benchmark_group("minilm_forward_trace");
    for (tokens, text) in inputs() {
        let trace = model.trace(&text, None).expect("runs");
        assert_eq!(
            trace.len(),
            tokens,
            "bench/inputs.json gives {tokens} tokens"
        );
        if tokens >= 128 {
            group.sample_size(20);
        }
        group.bench_with_input(BenchmarkId::from_parameter(tokens), &text, |b, text| {
            b.iter(|| model.trace(text, None).expect("runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, forward_trace);
criterion_main!(benches);
