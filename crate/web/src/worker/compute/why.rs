//! The worker's side of the "why" tools: the logit lens of a sentence from the last
//! analysis's trace.

use ndarray::{Array1, Axis};
use tokenscope_core::analysis::pca;
use tokenscope_core::lens::{lens_at, logit_lens};
use tokenscope_core::neighbours::{token_for_word, VocabularyIndex};
use tokenscope_core::Model;

use super::{Session, TOP_PREDICTIONS};
use crate::protocol::{
    LensCell, LensData, Neighbour, NeighboursAsk, NeighboursData, SentenceKey, TokenProb,
};

/// How many neighbours the view lists, and how many tokens the head reading keeps per layer.
const NEIGHBOURS: usize = 10;
const HEAD_READING: usize = 5;

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

    /// The neighbours view's numbers (see [`NeighboursData`]). The table's row lengths are
    /// computed once per model and kept across analyses.
    pub fn neighbours(
        &mut self,
        model: &Model,
        ask: NeighboursAsk,
    ) -> Result<NeighboursData, String> {
        let table = model.word_embeddings();
        let index = self
            .vocab
            .get_or_insert_with(|| VocabularyIndex::new(model));
        let spelled = |id: u32| model.tokenizer.id_to_token(id).unwrap_or_default();
        let token = match (&ask.word, ask.id) {
            (Some(word), _) => token_for_word(model, word).map_err(|e| e.to_string()),
            (None, Some(id)) if (id as usize) < table.nrows() => Ok(id),
            _ => Err("no token selected".to_string()),
        };
        let nearest = match &token {
            Ok(id) => table
                .row(*id as usize)
                .map(|v| index.nearest(table, v.view(), NEIGHBOURS, &[*id]))
                .unwrap_or_default()
                .into_iter()
                .map(|(id, cosine)| Neighbour {
                    id,
                    token: spelled(id),
                    cosine,
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        // The word map: each word's static row, two principal axes of them all.
        let mut map_ids = Vec::new();
        let mut map_missing = Vec::new();
        for word in ask.words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            match token_for_word(model, word) {
                Ok(id) if !map_ids.iter().any(|(_, i)| *i == id) => {
                    map_ids.push((word.to_string(), id))
                }
                Ok(_) => {}
                Err(e) => map_missing.push((word.to_string(), e.to_string())),
            }
        }
        let ids: Vec<usize> = map_ids.iter().map(|(_, id)| *id as usize).collect();
        let rows = table.select_rows(&ids); // (n, H)
        let (mut map_words, mut explained, mut path) = (Vec::new(), Vec::new(), Vec::new());
        if rows.nrows() >= 2 {
            let found = pca(rows.view(), 2);
            let mean = rows
                .mean_axis(Axis(0))
                .unwrap_or_else(|| Array1::zeros(rows.ncols()));
            let project = |v: ndarray::ArrayView1<f32>| -> [f32; 2] {
                let centred = &v - &mean;
                let at = |c: usize| found.components.row(c).dot(&centred);
                [
                    at(0),
                    if found.components.nrows() > 1 {
                        at(1)
                    } else {
                        0.0
                    },
                ]
            };
            map_words = map_ids
                .iter()
                .zip(rows.rows())
                .map(|((word, id), row)| (word.clone(), spelled(*id), project(row)))
                .collect();
            explained = found.explained_variance_ratio.clone();
            if let Ok(trace) = self.trace(ask.sentence) {
                if ask.token < trace.len() {
                    path.push(project(trace.embeddings.word.row(ask.token)));
                    for hidden in &trace.hidden_states {
                        path.push(project(hidden.row(ask.token)));
                    }
                }
            }
        }
        let head_reading = self.head_reading(model, ask.sentence, ask.token);
        Ok(NeighboursData {
            token: token.map(|id| (id, spelled(id))),
            nearest,
            map_words,
            map_missing,
            explained,
            path,
            head_reading,
            ask,
        })
    }

    /// GPT models: the output head's five most probable tokens from the selected token's
    /// vector after each layer (the logit lens of that position); empty for BERT.
    fn head_reading(
        &self,
        model: &Model,
        sentence: SentenceKey,
        token: usize,
    ) -> Vec<Vec<TokenProb>> {
        let Ok(trace) = self.trace(sentence) else {
            return Vec::new();
        };
        let spelled = |(id, prob): (u32, f32)| TokenProb {
            id,
            token: model.tokenizer.id_to_token(id).unwrap_or_default(),
            prob,
        };
        lens_at(model, trace, token, HEAD_READING)
            .map(|layers| {
                layers
                    .into_iter()
                    .map(|top| top.into_iter().map(spelled).collect())
                    .collect()
            })
            .unwrap_or_default()
    }
}
