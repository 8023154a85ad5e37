//! Shared by the native and wasm golden tests: compare a Rust trace with a fixture that
//! PyTorch wrote, tensor by tensor, reporting the tensor, position and largest difference.

#![allow(dead_code)]

use ndarray::{Array, Array2, Dimension};
use safetensors::SafeTensors;
use serde::Deserialize;
use tokenscope_core::{Model, Trace};

#[derive(Deserialize, Debug, Clone)]
pub struct Case {
    pub name: String,
    pub model: String,
    pub text: String,
    pub pair: Option<String>,
    pub tolerance: f32,
    pub ids: Vec<u32>,
    pub tokens: Vec<String>,
    #[serde(default)]
    pub type_ids: Option<Vec<u32>>,
}

#[derive(Deserialize)]
pub struct Cases {
    pub cases: Vec<Case>,
}

pub fn parse_cases(json: &[u8]) -> Vec<Case> {
    serde_json::from_slice::<Cases>(json)
        .expect("cases.json parses")
        .cases
}

/// The largest absolute difference between two equally long sequences, and where.
fn largest_difference(ours: &[f32], reference: &[f32]) -> (f32, usize) {
    ours.iter()
        .zip(reference)
        .enumerate()
        .map(|(i, (a, b))| {
            let d = (a - b).abs();
            (if d.is_nan() { f32::INFINITY } else { d }, i)
        })
        .fold(
            (0.0, 0),
            |best, cur| if cur.0 > best.0 { cur } else { best },
        )
}

fn unravel(mut index: usize, shape: &[usize]) -> Vec<usize> {
    let mut pos = vec![0; shape.len()];
    for (axis, &len) in shape.iter().enumerate().rev() {
        pos[axis] = index % len.max(1);
        index /= len.max(1);
    }
    pos
}

/// Stacks equally shaped arrays along a new first axis, flattened.
fn stack<'a, D: Dimension + 'a>(
    items: impl Iterator<Item = &'a Array<f32, D>>,
) -> (Vec<usize>, Vec<f32>) {
    let items: Vec<&Array<f32, D>> = items.collect();
    let mut shape = vec![items.len()];
    shape.extend(
        items
            .first()
            .map(|a| a.shape().to_vec())
            .unwrap_or_default(),
    );
    (
        shape,
        items.iter().flat_map(|a| a.iter().copied()).collect(),
    )
}

fn one(a: &Array2<f32>) -> (Vec<usize>, Vec<f32>) {
    (a.shape().to_vec(), a.iter().copied().collect())
}

/// The Rust side of every tensor name the generator writes.
pub fn ours(trace: &Trace, name: &str) -> Option<(Vec<usize>, Vec<f32>)> {
    let e = &trace.embeddings;
    Some(match name {
        "embeddings.word" => one(&e.word),
        "embeddings.position" => one(e.position.as_ref()?),
        "embeddings.token_type" => one(e.token_type.as_ref()?),
        "embeddings.output" => one(&e.output),
        "hidden_states" => stack(trace.hidden_states.iter()),
        "attentions" => stack(trace.layers.iter().map(|l| &l.attention)),
        "scores" => stack(trace.layers.iter().map(|l| &l.scores)),
        "qkv.query" => stack(trace.layers.iter().map(|l| &l.query)),
        "qkv.key" => stack(trace.layers.iter().map(|l| &l.key)),
        "qkv.value" => stack(trace.layers.iter().map(|l| &l.value)),
        "qkv.query_unrotated" => {
            let layers: Option<Vec<_>> = trace
                .layers
                .iter()
                .map(|l| l.query_unrotated.as_ref())
                .collect();
            stack(layers?.into_iter())
        }
        "qkv.key_unrotated" => {
            let layers: Option<Vec<_>> = trace
                .layers
                .iter()
                .map(|l| l.key_unrotated.as_ref())
                .collect();
            stack(layers?.into_iter())
        }
        "next_token_probs" => one(trace.next_token_probs.as_ref()?),
        _ => return None,
    })
}

/// Runs one case and returns a line per disagreement (empty when the case passes), plus a
/// summary line per tensor with its largest difference.
pub fn check_case(model: &Model, case: &Case, fixture: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut failures = Vec::new();
    let mut report = Vec::new();
    let trace = match model.trace(&case.text, case.pair.as_deref()) {
        Ok(t) => t,
        Err(e) => return (vec![format!("{}: trace failed: {e}", case.name)], report),
    };
    if trace.input.ids != case.ids {
        failures.push(format!(
            "{}: ids {:?} != reference {:?}",
            case.name, trace.input.ids, case.ids
        ));
        return (failures, report);
    }
    if trace.input.tokens != case.tokens {
        failures.push(format!(
            "{}: tokens {:?} != reference {:?}",
            case.name, trace.input.tokens, case.tokens
        ));
    }
    if let Some(types) = &case.type_ids {
        if &trace.input.type_ids != types {
            failures.push(format!(
                "{}: type ids {:?} != reference {:?}",
                case.name, trace.input.type_ids, types
            ));
        }
    }
    let tensors = SafeTensors::deserialize(fixture).expect("fixture parses");
    let mut names: Vec<String> = tensors.names().into_iter().map(|n| n.to_string()).collect();
    names.sort();
    for name in names {
        let view = tensors.tensor(&name).expect("tensor listed");
        let reference: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let Some((shape, values)) = ours(&trace, &name) else {
            failures.push(format!("{}: the Rust trace has no {name}", case.name));
            continue;
        };
        if shape != view.shape() {
            failures.push(format!(
                "{}: {name} has shape {shape:?}, reference {:?}",
                case.name,
                view.shape()
            ));
            continue;
        }
        let (diff, at) = largest_difference(&values, &reference);
        let line = format!(
            "{}: {name} {:?} largest difference {diff:.2e} at {:?} (ours {}, torch {})",
            case.name,
            shape,
            unravel(at, &shape),
            values.get(at).copied().unwrap_or(f32::NAN),
            reference.get(at).copied().unwrap_or(f32::NAN),
        );
        if diff > case.tolerance {
            failures.push(format!("{line} > tolerance {:.0e}", case.tolerance));
        }
        report.push(line);
    }
    (failures, report)
}

/// Mean over heads of layer `layer`'s attention row for `query`, as the seed describes it.
pub fn mean_attention_row(trace: &Trace, layer: usize, query: usize) -> Vec<f32> {
    let att = &trace.layers[layer].attention; // (heads, S, S)
    let heads = att.shape()[0] as f32;
    (0..att.shape()[2])
        .map(|k| (0..att.shape()[0]).map(|h| att[[h, query, k]]).sum::<f32>() / heads)
        .collect()
}

/// The token "party" attends to most in layer 0, ignoring [CLS], [SEP] and itself.
pub fn strongest_partner_of_party(model: &Model, text: &str) -> String {
    let trace = model.trace(text, None).expect("seed sentence runs");
    let tokens = &trace.input.tokens;
    let party = tokens
        .iter()
        .position(|t| t == "party")
        .expect("party is a token");
    let row = mean_attention_row(&trace, 0, party);
    let best = (0..tokens.len())
        .filter(|&k| k != party && tokens[k] != "[CLS]" && tokens[k] != "[SEP]")
        .max_by(|&a, &b| row[a].total_cmp(&row[b]))
        .expect("other tokens exist");
    tokens[best].clone()
}
