//! The logit lens (nostalgebraist 2020; TransformerLens's `accumulated_resid`): what a decoder
//! would predict if it stopped after each layer, read by putting that layer's residual stream
//! through the final norm and the output head.

use ndarray::{Array2, ArrayView1, Axis};

use crate::analysis::top_tokens;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::trace::Trace;

/// One layer's reading at one position.
#[derive(Debug, Clone, PartialEq)]
pub struct LensCell {
    /// The most likely next tokens, most likely first, ties by id: (id, probability).
    pub top: Vec<(u32, f32)>,
    /// Entropy of the whole distribution, in bits: 0 when certain, log2(V) when uniform.
    pub entropy_bits: f32,
    /// The token that really comes next in the text (None at the last position): its id,
    /// rank (0 = the top token) and probability.
    pub actual: Option<ActualNext>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActualNext {
    pub id: u32,
    pub rank: usize,
    pub prob: f32,
}

/// `cells[l][i]`: layer l's reading after position i. Row 0 reads the embeddings, row l the
/// output of layer l, and the last row is the model's own next-token distribution, so
/// L + 1 rows of S cells.
#[derive(Debug, Clone, PartialEq)]
pub struct LogitLens {
    pub cells: Vec<Vec<LensCell>>,
}

/// Reads every layer of a decoder's trace through its final norm and head, keeping the top
/// `k` tokens per cell. For l < L it is softmax(head(final_norm(hidden_states[l]))); the
/// trace's last hidden state is already normed (transformers' convention), so the last row
/// is the trace's own next-token distribution.
pub fn logit_lens(model: &Model, trace: &Trace, k: usize) -> Result<LogitLens> {
    let Some(last) = trace.next_token_probs.as_ref() else {
        return Err(Error::Input(
            "the logit lens reads a GPT's next-token predictions; BERT makes none".into(),
        ));
    };
    let layers = trace.hidden_states.len().saturating_sub(1);
    let ids = &trace.input.ids;
    let mut cells = Vec::with_capacity(layers + 1);
    for hidden in &trace.hidden_states[..layers] {
        let probs = reading(model, hidden)?; // (S, V)
        cells.push(read_rows(probs.rows().into_iter(), ids, k));
    }
    cells.push(read_rows(last.rows().into_iter(), ids, k));
    Ok(LogitLens { cells })
}

/// What the output head reads from hidden states taken before the last layer's output:
/// softmax(head(final_norm(h))). (rows, V)
fn reading(model: &Model, hidden: &Array2<f32>) -> Result<Array2<f32>> {
    model
        .final_norm(hidden)
        .and_then(|normed| model.head_probs(&normed))
        .ok_or_else(|| Error::Input("this model has no output head".into()))
}

/// The logit lens of one position: for every layer l < L, then the model's own output, the
/// top `k` tokens read from that position's hidden state. L + 1 lists, the same numbers as
/// [`logit_lens`]'s column at `position`, without reading the other positions.
pub fn lens_at(
    model: &Model,
    trace: &Trace,
    position: usize,
    k: usize,
) -> Result<Vec<Vec<(u32, f32)>>> {
    let Some(last) = trace.next_token_probs.as_ref() else {
        return Err(Error::Input(
            "the logit lens reads a GPT's next-token predictions; BERT makes none".into(),
        ));
    };
    if position >= trace.len() {
        return Err(Error::Input(format!(
            "position {position} is past the text's {} tokens",
            trace.len()
        )));
    }
    let layers = trace.hidden_states.len().saturating_sub(1);
    let mut out = Vec::with_capacity(layers + 1);
    for hidden in &trace.hidden_states[..layers] {
        let row = hidden.row(position).insert_axis(Axis(0)).to_owned(); // (1, H)
        out.push(top_tokens(reading(model, &row)?.row(0), k));
    }
    out.push(top_tokens(last.row(position), k));
    Ok(out)
}

fn read_rows<'a>(
    rows: impl Iterator<Item = ArrayView1<'a, f32>>,
    ids: &[u32],
    k: usize,
) -> Vec<LensCell> {
    rows.enumerate()
        .map(|(i, probs)| read_cell(probs, ids.get(i + 1).copied(), k))
        .collect()
}

fn read_cell(probs: ArrayView1<f32>, actual: Option<u32>, k: usize) -> LensCell {
    let entropy_nats: f64 = probs
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| -(p as f64) * (p as f64).ln())
        .sum();
    let actual = actual.and_then(|id| {
        let prob = *probs.get(id as usize)?;
        // Rank as top_tokens orders: higher probability first, ties by lower id.
        let rank = probs
            .iter()
            .enumerate()
            .filter(|&(j, &p)| p > prob || (p == prob && (j as u32) < id))
            .count();
        Some(ActualNext { id, rank, prob })
    });
    LensCell {
        top: top_tokens(probs, k),
        entropy_bits: (entropy_nats / std::f64::consts::LN_2) as f32,
        actual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    #[test]
    fn a_cell_ranks_the_actual_token_and_measures_entropy() {
        let probs = arr1(&[0.5f32, 0.25, 0.25, 0.0]);
        let cell = read_cell(probs.view(), Some(2), 2);
        assert_eq!(cell.top, vec![(0, 0.5), (1, 0.25)]);
        assert!((cell.entropy_bits - 1.5).abs() < 1e-6);
        let actual = cell.actual.expect("a next token");
        assert_eq!((actual.rank, actual.prob), (2, 0.25));
        let uniform = arr1(&[0.25f32; 4]);
        assert!((read_cell(uniform.view(), None, 1).entropy_bits - 2.0).abs() < 1e-6);
    }
}
