//! The worker's side of the "why" tools: the logit lens of a sentence from the last
//! analysis's trace.

use tokenscope_core::lens::logit_lens;
use tokenscope_core::Model;

use super::{Session, TOP_PREDICTIONS};
use crate::protocol::{LensCell, LensData, SentenceKey, TokenProb};

impl Session {
    /// The logit lens of `sentence`: every layer read through the final norm and the head.
    pub fn lens(&self, model: &Model, seq: u64, sentence: SentenceKey) -> Result<LensData, String> {
        let trace = self.trace(sentence)?;
        let lens = logit_lens(model, trace, TOP_PREDICTIONS).map_err(|e| e.to_string())?;
        let token = |id: u32, prob: f32| TokenProb {
            id,
            token: model.tokenizer.id_to_token(id).unwrap_or_default(),
            prob,
        };
        let cells = lens
            .cells
            .iter()
            .map(|row| {
                row.iter()
                    .map(|cell| LensCell {
                        top: cell.top.iter().map(|&(id, p)| token(id, p)).collect(),
                        entropy_bits: cell.entropy_bits,
                        actual: cell.actual.map(|a| (token(a.id, a.prob), a.rank)),
                    })
                    .collect()
            })
            .collect();
        Ok(LensData {
            seq,
            sentence,
            cells,
        })
    }
}
