//! The "why" tools against PyTorch and numpy (tests/reference/generate_why.py): head ablation
//! and the logit lens on BERT, GPT-2 and every llama-family fixture within 1e-5; rollout, the
//! query/key map and vocabulary neighbours against numpy in float64.

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};
use safetensors::SafeTensors;
use serde::Deserialize;
use tokenscope_core::lens::{lens_at, logit_lens};
use tokenscope_core::neighbours::VocabularyIndex;
use tokenscope_core::qk_map::qk_map;
use tokenscope_core::rollout::attention_rollout;
use tokenscope_core::scan::{AblationScan, ScanMeasure};
use tokenscope_core::{Ablation, Model, Trace};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Deserialize)]
struct Neighbours {
    token: u32,
    ids: Vec<u32>,
    cosines: Vec<f32>,
}

#[derive(Deserialize)]
struct ScanCase {
    position: usize,
    top: Option<u32>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    model: String,
    text: String,
    ids: Vec<u32>,
    ablate: Vec<(usize, usize)>,
    qk: (usize, usize),
    neighbours: Neighbours,
    scan: ScanCase,
}

#[derive(Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

fn cases() -> Vec<Case> {
    let path = root().join("tests/reference/fixtures/why_cases.json");
    serde_json::from_slice::<Cases>(&std::fs::read(path).expect("why_cases.json"))
        .expect("why_cases.json parses")
        .cases
}

fn tensor(tensors: &SafeTensors, name: &str) -> ArrayD<f32> {
    let view = tensors
        .tensor(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let values = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    ArrayD::from_shape_vec(IxDyn(view.shape()), values).expect("shape fits")
}

/// Largest absolute difference, after checking the shapes agree.
fn largest(ours: &ArrayD<f32>, reference: &ArrayD<f32>, what: &str) -> f32 {
    assert_eq!(ours.shape(), reference.shape(), "{what}: shapes");
    ours.iter()
        .zip(reference.iter())
        .map(|(a, b)| {
            if (a - b).is_nan() {
                f32::INFINITY
            } else {
                (a - b).abs()
            }
        })
        .fold(0.0, f32::max)
}

fn stacked<'a>(items: impl Iterator<Item = &'a ndarray::Array2<f32>>) -> ArrayD<f32> {
    let views: Vec<_> = items.map(|a| a.view()).collect();
    ndarray::stack(ndarray::Axis(0), &views)
        .expect("equal shapes")
        .into_dyn()
}

fn attentions(trace: &Trace) -> ArrayD<f32> {
    let views: Vec<_> = trace.layers.iter().map(|l| l.attention.view()).collect();
    ndarray::stack(ndarray::Axis(0), &views)
        .expect("equal shapes")
        .into_dyn()
}

/// Reports every figure, then fails on the first one over its limit.
fn check(report: &mut Vec<String>, case: &str, what: &str, diff: f32, limit: f32) {
    let flag = if diff <= limit { "ok" } else { "FAIL" };
    report.push(format!(
        "{case}: {what} largest difference {diff:.2e} ({flag}, limit {limit:.0e})"
    ));
}

#[test]
fn ablation_lens_rollout_map_and_neighbours_match_the_references() {
    let cases = cases();
    assert_eq!(cases.len(), 6, "BERT, GPT-2 and four llama-family models");
    let mut report = Vec::new();
    for case in &cases {
        let model = Model::from_dir(&root().join(&case.model)).expect("fixture loads");
        let bytes = std::fs::read(
            root()
                .join("tests/reference/fixtures")
                .join(format!("{}.safetensors", case.name)),
        )
        .expect("fixture file");
        let tensors = SafeTensors::deserialize(&bytes).expect("fixture parses");
        let input = model.tokenize(&case.text, None).expect("tokenizes");
        assert_eq!(input.ids, case.ids, "{}: ids", case.name);
        let clean = model.trace_tokens(input.clone()).expect("runs");
        let ablation = Ablation::new(case.ablate.iter().copied());
        let ablated = model.trace_ablated(input, &ablation).expect("runs ablated");

        // Ablation: everything downstream as PyTorch computes it with the heads zeroed.
        let name = &case.name;
        let d = largest(
            &attentions(&ablated),
            &tensor(&tensors, "ablated.attentions"),
            name,
        );
        check(&mut report, name, "ablated attentions", d, 1e-5);
        let d = largest(
            &stacked(ablated.hidden_states.iter()),
            &tensor(&tensors, "ablated.hidden_states"),
            name,
        );
        check(&mut report, name, "ablated hidden states", d, 1e-5);
        // The ablation did something: the last hidden state moved.
        let moved = largest(
            &stacked(ablated.hidden_states.iter()),
            &stacked(clean.hidden_states.iter()),
            name,
        );
        assert!(
            moved > 1e-3,
            "{name}: ablation changed nothing ({moved:.1e})"
        );
        if let Some(probs) = &ablated.next_token_probs {
            let d = largest(
                &probs.clone().into_dyn(),
                &tensor(&tensors, "ablated.next_token_probs"),
                name,
            );
            check(
                &mut report,
                name,
                "ablated next-token probabilities",
                d,
                1e-5,
            );
            // The lens, every probability of every cell: top-k with k = V is the whole row.
            let reference = tensor(&tensors, "lens"); // (L+1, S, V)
            let vocab = reference.shape()[2];
            let lens = logit_lens(&model, &clean, vocab).expect("a decoder's lens");
            let mut ours = ArrayD::<f32>::zeros(reference.shape());
            for (l, row) in lens.cells.iter().enumerate() {
                for (i, cell) in row.iter().enumerate() {
                    for &(id, p) in &cell.top {
                        ours[[l, i, id as usize]] = p;
                    }
                }
            }
            check(
                &mut report,
                name,
                "logit lens",
                largest(&ours, &reference, name),
                1e-5,
            );
            // One position's lens (the neighbours view's head reading) is that column.
            let column = lens_at(&model, &clean, case.scan.position, 5).expect("a column");
            for (l, top) in column.iter().enumerate() {
                let cell = &lens.cells[l][case.scan.position];
                for (&(id, p), &(cell_id, cell_p)) in top.iter().zip(&cell.top) {
                    assert_eq!(id, cell_id, "{name}: layer {l}");
                    assert!(
                        (p - cell_p).abs() <= 1e-6,
                        "{name}: layer {l}: {p} vs {cell_p}"
                    );
                }
            }
        } else {
            assert!(logit_lens(&model, &clean, 5).is_err(), "BERT has no lens");
            assert!(lens_at(&model, &clean, 0, 5).is_err(), "BERT has no lens");
        }

        // Rollout against numpy.
        let rollout = attention_rollout(&clean.layers);
        let d = largest(&stacked(rollout.iter()), &tensor(&tensors, "rollout"), name);
        check(&mut report, name, "rollout", d, 1e-5);

        // The query/key map against numpy's eigh.
        let (layer, head) = case.qk;
        let trace_layer = &clean.layers[layer];
        let map = qk_map(
            trace_layer.query.index_axis(ndarray::Axis(0), head),
            trace_layer.key.index_axis(ndarray::Axis(0), head),
        );
        let d = largest(
            &map.query_points.into_dyn(),
            &tensor(&tensors, "qk.query_points"),
            name,
        )
        .max(largest(
            &map.key_points.into_dyn(),
            &tensor(&tensors, "qk.key_points"),
            name,
        ));
        check(&mut report, name, "query/key map", d, 1e-5);

        // Neighbours against numpy.
        let index = VocabularyIndex::new(&model);
        let table = model.word_embeddings();
        let vector = table.row(case.neighbours.token as usize).expect("a row");
        let near = index.nearest(table, vector.view(), 10, &[case.neighbours.token]);
        let ids: Vec<u32> = near.iter().map(|n| n.0).collect();
        assert_eq!(ids, case.neighbours.ids, "{name}: neighbour ranking");
        let d = near
            .iter()
            .zip(&case.neighbours.cosines)
            .map(|(n, c)| (n.1 - c).abs())
            .fold(0.0, f32::max);
        check(&mut report, name, "neighbour cosines", d, 1e-5);

        // The ablation scan: every head removed alone, against PyTorch with one hook each.
        let input = model.tokenize(&case.text, None).expect("tokenizes");
        let scan = AblationScan::run(&model, input, case.scan.position).expect("scans");
        let top = match scan.measure {
            ScanMeasure::TopToken { id, .. } => Some(id),
            ScanMeasure::FinalVector(_) => None,
        };
        assert_eq!(top, case.scan.top, "{name}: the scanned token");
        let effects: Vec<f32> = scan.cells.iter().map(|c| c.effect).collect();
        let ours = ArrayD::from_shape_vec(IxDyn(&[scan.layers, scan.heads]), effects)
            .expect("layers × heads");
        let reference = tensor(&tensors, "scan");
        check(
            &mut report,
            name,
            "ablation scan",
            largest(&ours, &reference, name),
            1e-5,
        );
        assert!(
            reference.iter().any(|e| e.abs() > 1e-3),
            "{name}: some head matters at the scanned position"
        );
    }
    println!("{}", report.join("\n"));
    let failures: Vec<_> = report.iter().filter(|l| l.contains("FAIL")).collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn out_of_range_heads_are_refused_by_name() {
    let model = Model::from_dir(&root().join("tests/reference/fixtures/tiny-gpt2")).expect("loads");
    let input = model.tokenize("the party", None).expect("tokenizes");
    let err = model
        .trace_ablated(input, &Ablation::new([(2, 0)]))
        .expect_err("layer 2 of 2")
        .to_string();
    assert!(err.contains("head 2.0 does not exist"), "{err}");
}

#[test]
fn a_scan_goes_one_head_per_step_and_refuses_a_position_past_the_text() {
    let model = Model::from_dir(&root().join("tests/reference/fixtures/tiny-gpt2")).expect("loads");
    let input = model.tokenize("the party", None).expect("tokenizes");
    let err = AblationScan::new(&model, input.clone(), 9)
        .expect_err("two tokens")
        .to_string();
    assert!(err.contains("position 9"), "{err}");
    let mut scan = AblationScan::new(&model, input.clone(), 1).expect("scans");
    assert_eq!((scan.total(), scan.cells.len()), (8, 0));
    assert!(scan.step(&model).expect("steps"));
    assert_eq!(scan.cells.len(), 1);
    while scan.step(&model).expect("steps") {}
    assert!(scan.is_done() && !scan.step(&model).expect("done"));
    let all = AblationScan::run(&model, input, 1).expect("scans");
    assert_eq!(scan.cells, all.cells);
}
