//! The worker's side of the query/key map: one head's queries and keys of A, B and any extra
//! texts, normalised and projected together, and proof from the real numbers that the
//! normalisation left every attention row as it was.

use ndarray::{concatenate, s, Array2, ArrayView2, Axis};
use tokenscope_core::qk_map::qk_map;
use tokenscope_core::{Model, Trace};

use super::Session;
use crate::protocol::{QkMapAsk, QkMapData, QkToken, SentenceKey};

/// One text's rows of the head: (sentence, tokens, queries (S, d), keys (S, d)).
type HeadRows = (Option<SentenceKey>, Vec<String>, Array2<f32>, Array2<f32>);

fn head_rows(
    trace: &Trace,
    layer: usize,
    head: usize,
) -> Result<(Array2<f32>, Array2<f32>), String> {
    let layer_trace = trace
        .layers
        .get(layer)
        .ok_or_else(|| format!("the model has no layer {layer}"))?;
    if head >= layer_trace.query.dim().0 {
        return Err(format!("the model has no head {head}"));
    }
    Ok((
        layer_trace.query.index_axis(Axis(0), head).to_owned(),
        layer_trace.key.index_axis(Axis(0), head).to_owned(),
    ))
}

/// The largest difference between `attention` (S, S) and the softmax of `scale · q·kᵀ` over
/// the keys the model let each query see (those with a probability above 0, and itself).
fn largest_change(
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    scale: f32,
    attention: ArrayView2<f32>,
) -> f32 {
    let mut worst = 0.0f32;
    for (i, row) in attention.rows().into_iter().enumerate() {
        let visible: Vec<usize> = (0..row.len()).filter(|&j| row[j] > 0.0 || j == i).collect();
        let logits: Vec<f32> = visible
            .iter()
            .map(|&j| scale * q.row(i).dot(&k.row(j)))
            .collect();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exps.iter().sum();
        for (&j, e) in visible.iter().zip(&exps) {
            worst = worst.max((e / sum - row[j]).abs());
        }
    }
    worst
}

impl Session {
    /// The query/key map of one head (see [`QkMapData`]).
    pub fn qk_map(&self, model: &Model, ask: QkMapAsk) -> Result<QkMapData, String> {
        let (layer, head) = (ask.layer, ask.head);
        let mut texts: Vec<HeadRows> = Vec::new();
        for (key, trace) in self.traces.iter().filter(|(k, _)| *k != SentenceKey::Pair) {
            let (q, k) = head_rows(trace, layer, head)?;
            texts.push((Some(*key), trace.input.tokens.clone(), q, k));
        }
        for text in &ask.extra {
            let trace = model.trace(text, None).map_err(|e| e.to_string())?;
            let (q, k) = head_rows(&trace, layer, head)?;
            texts.push((None, trace.input.tokens.clone(), q, k));
        }
        let dim = texts.first().map_or(0, |t| t.2.ncols());
        let stack = |pick: fn(&HeadRows) -> ArrayView2<f32>| {
            let views: Vec<ArrayView2<f32>> = texts.iter().map(pick).collect();
            concatenate(Axis(0), &views).unwrap_or_else(|_| Array2::zeros((0, dim)))
        };
        let queries = stack(|t| t.2.view()); // (n, d)
        let keys = stack(|t| t.3.view()); // (n, d)
        let map = qk_map(queries.view(), keys.view());
        // The normalisation must keep every row of A's and B's attention.
        let scale = model.attention_scale(layer);
        let mut worst = 0.0f32;
        let mut start = 0;
        let mut tokens = Vec::new();
        for (sentence, words, q, _) in &texts {
            let n = q.nrows();
            let rows = start..start + n;
            if let Some(key) = sentence {
                if let Some((_, trace)) = self.traces.iter().find(|(k, _)| k == key) {
                    let attention = trace.layers[layer].attention.index_axis(Axis(0), head);
                    worst = worst.max(largest_change(
                        map.queries.slice(s![rows.clone(), ..]),
                        map.keys.slice(s![rows.clone(), ..]),
                        scale,
                        attention,
                    ));
                }
            }
            for (i, word) in words.iter().enumerate() {
                let (qp, kp) = (
                    map.query_points.row(start + i),
                    map.key_points.row(start + i),
                );
                tokens.push(QkToken {
                    sentence: *sentence,
                    index: i,
                    token: word.clone(),
                    query: [qp[0], qp[1]],
                    key: [kp[0], kp[1]],
                });
            }
            start += n;
        }
        Ok(QkMapData {
            ask,
            tokens,
            explained: map.explained,
            scale: map.scale,
            largest_change: worst,
        })
    }
}
