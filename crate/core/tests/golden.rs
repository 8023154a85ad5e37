//! Every fixture case of tests/reference: the Rust trace must equal PyTorch's within the
//! case's tolerance (1e-5 on the same f32 weights, 5e-3 for the F16 bundle vs f32 source).

#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tokenscope_core::{Model, Precision};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    root().join("tests/reference/fixtures")
}

#[test]
fn every_case_matches_pytorch() {
    let cases = common::parse_cases(
        &std::fs::read(fixtures().join("cases.json")).expect("cases.json exists"),
    );
    assert!(
        cases.len() >= 15,
        "expected all generator cases, found {}",
        cases.len()
    );
    let mut models: HashMap<String, Model> = HashMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        if !models.contains_key(&case.model) {
            let model = Model::from_dir(&root().join(&case.model))
                .unwrap_or_else(|e| panic!("{}: {e}", case.model));
            models.insert(case.model.clone(), model);
        }
        let fixture = std::fs::read(fixtures().join(format!("{}.safetensors", case.name)))
            .expect("fixture file exists");
        let (fails, report) = common::check_case(&models[&case.model], case, &fixture);
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

/// Large models are kept in f16 on the page; the same cases must hold to the F16 standard.
#[test]
fn every_case_matches_pytorch_with_weights_held_in_f16() {
    let cases = common::parse_cases(&std::fs::read(fixtures().join("cases.json")).expect("cases"));
    let mut models: HashMap<String, Model> = HashMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        if !models.contains_key(&case.model) {
            let dir = root().join(&case.model);
            let read = |name: &str| std::fs::read(dir.join(name)).expect("model file");
            let model = Model::from_bytes_with(
                &read("config.json"),
                &read("model.safetensors"),
                &read("tokenizer.json"),
                Precision::F16,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", case.model));
            assert_eq!(model.info().precision, "F16");
            models.insert(case.model.clone(), model);
        }
        let fixture = std::fs::read(fixtures().join(format!("{}.safetensors", case.name)))
            .expect("fixture file exists");
        let mut case = case.clone();
        case.tolerance = case.tolerance.max(5e-3);
        let (fails, report) = common::check_case(&models[&case.model], &case, &fixture);
        for line in report {
            println!("f16 {line}");
        }
        failures.extend(fails);
    }
    assert!(
        failures.is_empty(),
        "weights held in f16 disagree with PyTorch beyond 5e-3:\n{}",
        failures.join("\n")
    );
}

#[test]
fn cases_cover_both_architectures_pairs_and_the_seed() {
    let cases = common::parse_cases(&std::fs::read(fixtures().join("cases.json")).expect("cases"));
    let has = |f: &dyn Fn(&common::Case) -> bool| cases.iter().any(f);
    assert!(has(&|c| c.model.ends_with("tiny-bert") && c.pair.is_some()));
    assert!(has(&|c| c.model.ends_with("tiny-gpt2")));
    assert!(has(
        &|c| c.model.ends_with("all-MiniLM-L6-v2") && c.pair.is_some()
    ));
    for seed in [
        "students celebrate the graduation with a big party",
        "deputy leader is highly respected in the party",
        "Tim chased clouds all his life",
        "clouds chased Tim all his life",
    ] {
        assert!(
            has(&|c| c.model.ends_with("all-MiniLM-L6-v2") && c.text == seed),
            "{seed}"
        );
    }
}
