//! The "why" tools' messages: the logit lens of one sentence, computed in the worker only
//! while its view is shown (it runs the output head once per layer).

use serde::{Deserialize, Serialize};

use super::{SentenceKey, TokenProb};

/// One layer's reading after one position.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LensCell {
    /// The most probable next tokens, most probable first.
    pub top: Vec<TokenProb>,
    /// Entropy of the whole distribution, in bits.
    pub entropy_bits: f32,
    /// The token that really came next, with its rank (0 = first) in this layer's reading;
    /// None after the last position.
    pub actual: Option<(TokenProb, usize)>,
}

/// The logit lens of one sentence (GPT models): `cells[l][i]` is what the model would
/// predict after position i if it stopped after layer l: row 0 reads the embeddings, the
/// last row is the model's own output. (L + 1) × S
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LensData {
    pub seq: u64,
    pub sentence: SentenceKey,
    pub cells: Vec<Vec<LensCell>>,
}

impl LensData {
    pub(super) fn is_finite(&self) -> bool {
        self.cells.iter().flatten().all(|c| {
            c.entropy_bits.is_finite()
                && c.top.iter().all(|t| t.prob.is_finite())
                && c.actual.iter().all(|(t, _)| t.prob.is_finite())
        })
    }
}
