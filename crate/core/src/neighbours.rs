//! Vocabulary neighbours, as the Embedding Projector shows them: the tokens whose rows of the
//! static embedding table point most nearly the same way as a given vector (cosine).

use ndarray::{ArrayView1, Axis};

use crate::error::{Error, Result};
use crate::model::Model;
use crate::weights::Matrix;

/// The lengths of every row of an embedding table, computed once per model so each search
/// is one pass of dot products.
#[derive(Debug, Clone)]
pub struct VocabularyIndex {
    norms: Vec<f32>,
    /// Rows that are tokens; a table padded past its tokenizer (Qwen) has more rows.
    tokens: usize,
}

impl VocabularyIndex {
    pub fn new(model: &Model) -> Self {
        let table = model.word_embeddings();
        let norms = (0..table.nrows())
            .map(|i| table.row(i).map_or(0.0, |r| r.dot(&r).sqrt()))
            .collect();
        VocabularyIndex {
            norms,
            tokens: model.tokenizer.vocab_size().min(table.nrows()),
        }
    }

    /// The `k` tokens nearest `vector` by cosine, nearest first (ties by lower id), leaving
    /// out `skip` and rows of length zero. `vector` must have the table's width.
    pub fn nearest(
        &self,
        table: &Matrix,
        vector: ArrayView1<f32>,
        k: usize,
        skip: &[u32],
    ) -> Vec<(u32, f32)> {
        let length = vector.dot(&vector).sqrt();
        if length == 0.0 || vector.len() != table.ncols() {
            return Vec::new();
        }
        let dots = table.mul_transposed(&vector.insert_axis(Axis(0))); // (1, V)
        let mut scored: Vec<(u32, f32)> = dots
            .row(0)
            .iter()
            .zip(&self.norms)
            .enumerate()
            .take(self.tokens)
            .filter(|&(id, (_, &norm))| norm > 0.0 && !skip.contains(&(id as u32)))
            .map(|(id, (&dot, &norm))| (id as u32, dot / (norm * length)))
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        scored.select_nth_unstable_by(k - 1, order);
        scored.truncate(k);
        scored.sort_by(order);
        scored
    }
}

/// Finds the one token a typed word stands for: the word as it starts a word in running text
/// (" party", which GPT-2 spells "Ġparty"), else the vocabulary entry spelled exactly so
/// ("##ation", "Ġparty"), else the word alone as one token. A word that is several tokens
/// gets an error naming them.
pub fn token_for_word(model: &Model, word: &str) -> Result<u32> {
    let word = word.trim();
    if word.is_empty() {
        return Err(Error::Input("no token given: type a word".into()));
    }
    let pieces = |text: &str| -> Result<Vec<(u32, String)>> {
        let tokens = model.tokenizer.encode(text, None)?;
        Ok(tokens
            .ids
            .iter()
            .zip(&tokens.tokens)
            .zip(&tokens.segments)
            .filter(|(_, s)| **s != crate::tokenize::Segment::Special)
            .map(|((&id, t), _)| (id, t.clone()))
            .collect())
    };
    if let [(id, _)] = pieces(&format!(" {word}"))?[..] {
        return Ok(id);
    }
    if let Some(id) = model.tokenizer.token_to_id(word) {
        return Ok(id);
    }
    let alone = pieces(word)?;
    match &alone[..] {
        [(id, _)] => Ok(*id),
        _ => Err(Error::Input(format!(
            "\"{word}\" is {} tokens in this vocabulary ({}): give one of them",
            alone.len(),
            alone
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
