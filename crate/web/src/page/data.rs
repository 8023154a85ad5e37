//! The page's reading of an analysis: which chips to show, slices of attention and
//! similarity, the strongest keys, tokens as a person reads them.

use ndarray::{ArrayView2, ArrayView3, ArrayView4};

use super::url::PairFilter;
use crate::named_enum;
use crate::protocol::{SentenceData, SentenceKey, Similarity};

named_enum! {
    /// Which box a chip's token came from; the names are the chips' `data-sentence`.
    pub enum Side {
        A = "a",
        B = "b",
    }
}

/// One token chip on the page. `source` and `index` say where its numbers live: sentence A
/// or B encoded alone, or the pair sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    pub side: Side,
    pub source: SentenceKey,
    pub index: usize,
    pub token: String,
    pub id: u32,
    pub special: bool,
}

/// The chips in page order: A's then B's. In pair mode they are the pair's tokens, split
/// by token type, so together they are exactly the pair's ids.
pub fn chips(sentences: &[SentenceData], pair: bool) -> Vec<Chip> {
    let find = |key| sentences.iter().find(|s| s.key == key);
    let from = |s: &SentenceData, side: Side| -> Vec<Chip> {
        (0..s.ids.len())
            .map(|i| Chip {
                side,
                source: s.key,
                index: i,
                token: s.tokens[i].clone(),
                id: s.ids[i],
                special: s.special.get(i).copied().unwrap_or(false),
            })
            .collect()
    };
    if pair {
        if let Some(p) = find(SentenceKey::Pair) {
            return (0..p.ids.len())
                .map(|i| Chip {
                    side: if p.type_ids.get(i) == Some(&1) {
                        Side::B
                    } else {
                        Side::A
                    },
                    source: SentenceKey::Pair,
                    index: i,
                    token: p.tokens[i].clone(),
                    id: p.ids[i],
                    special: p.special.get(i).copied().unwrap_or(false),
                })
                .collect();
        }
    }
    let mut out = find(SentenceKey::A)
        .map(|s| from(s, Side::A))
        .unwrap_or_default();
    if let Some(b) = find(SentenceKey::B) {
        out.extend(from(b, Side::B));
    }
    out
}

/// Without a choice in the link, the last real word of A: in the seed's sentence that is
/// "party", the word the whole lesson is about.
pub fn default_token(chips: &[Chip]) -> Option<usize> {
    chips
        .iter()
        .rposition(|c| c.side == Side::A && !c.special)
        .or_else(|| (!chips.is_empty()).then_some(0))
}

/// A sentence's attention as (layers, heads, S, S), if it was sent.
pub fn attention<'a>(
    sentence: &'a SentenceData,
    layers: usize,
    heads: usize,
) -> Option<ArrayView4<'a, f32>> {
    let s = sentence.ids.len();
    ArrayView4::from_shape((layers, heads, s, s), &sentence.attention).ok()
}

/// One layer: (heads, S, S).
pub fn layer_attention<'a>(
    sentence: &'a SentenceData,
    layers: usize,
    heads: usize,
    layer: usize,
) -> Option<ArrayView3<'a, f32>> {
    let all = attention(sentence, layers, heads)?;
    (layer < layers).then(|| all.index_axis_move(ndarray::Axis(0), layer))
}

/// The query rows and key columns of a pair that a filter keeps.
pub fn filter_indices(type_ids: &[u32], filter: PairFilter) -> (Vec<usize>, Vec<usize>) {
    let (rows, cols) = filter.sides();
    let keep = |side: Option<u32>| -> Vec<usize> {
        (0..type_ids.len())
            .filter(|&i| side.is_none_or(|t| type_ids[i] == t))
            .collect()
    };
    (keep(rows), keep(cols))
}

/// The similarity matrix at one depth. (rows, cols)
pub fn similarity_at(
    similarity: &Similarity,
    rows: usize,
    cols: usize,
    depth: usize,
) -> Option<ArrayView2<'_, f32>> {
    if depth >= similarity.depths {
        return None;
    }
    let size = rows * cols;
    let slice = similarity.values.get(depth * size..(depth + 1) * size)?;
    ArrayView2::from_shape((rows, cols), slice).ok()
}

/// Whom to compare the selected token with: the same word on the other side when there is
/// one (the seed's two "party"s), else the most similar token in context.
pub fn partner(
    similarity: &Similarity,
    rows: usize,
    cols: usize,
    row_tokens: &[String],
    col_tokens: &[String],
    selected: (Side, usize),
) -> Option<(usize, usize)> {
    let (side, index) = selected;
    let last = similarity_at(similarity, rows, cols, similarity.depths.checked_sub(1)?)?;
    let same_sentence = similarity.rows == similarity.cols;
    // Position in the matrix of the selected token, and the tokens on the other axis.
    let (pos, own, others, selected_is_row) = match (side, same_sentence) {
        (Side::A, _) | (Side::B, true) => (index, row_tokens, col_tokens, true),
        (Side::B, false) => (index, col_tokens, row_tokens, false),
    };
    let word = own.get(pos)?;
    let candidates = (0..others.len()).filter(|&j| !(same_sentence && j == pos));
    let same_word = candidates
        .clone()
        .find(|&j| &others[j] == word && !word.starts_with('['));
    let best = same_word.or_else(|| {
        candidates
            .filter(|&j| !others[j].starts_with('['))
            .max_by(|&x, &y| {
                let at = |j: usize| {
                    if selected_is_row {
                        last[[pos, j]]
                    } else {
                        last[[j, pos]]
                    }
                };
                at(x).total_cmp(&at(y))
            })
    })?;
    Some(if selected_is_row {
        (pos, best)
    } else {
        (best, pos)
    })
}

/// The cosine of one (row, col) cell at every depth.
pub fn series(similarity: &Similarity, rows: usize, cols: usize, cell: (usize, usize)) -> Vec<f32> {
    (0..similarity.depths)
        .filter_map(|d| similarity_at(similarity, rows, cols, d).map(|m| m[[cell.0, cell.1]]))
        .collect()
}

/// The keys a query attends to most in one layer, averaged over the visible heads, leaving
/// out special tokens and the query itself (they soak up attention in every sentence and
/// hide the words a class is looking for). (key index, mean weight), strongest first.
pub fn strongest_keys(
    layer: ArrayView3<f32>, // (heads, S, S)
    visible_heads: &[bool],
    query: usize,
    special: &[bool],
    count: usize,
) -> Vec<(usize, f32)> {
    let (heads, seq, _) = layer.dim();
    let shown: Vec<usize> = (0..heads)
        .filter(|&h| visible_heads.get(h).copied().unwrap_or(false))
        .collect();
    if shown.is_empty() || query >= seq {
        return Vec::new();
    }
    let mut keys: Vec<(usize, f32)> = (0..seq)
        .filter(|&k| k != query && !special.get(k).copied().unwrap_or(false))
        .map(|k| {
            let sum: f32 = shown.iter().map(|&h| layer[[h, query, k]]).sum();
            (k, sum / shown.len() as f32)
        })
        .collect();
    keys.sort_by(|x, y| y.1.total_cmp(&x.1));
    keys.truncate(count);
    keys
}

/// A byte-level BPE token as a person reads it: GPT-2 writes a leading space as `Ġ` and a
/// newline as `Ċ`; they become `␣` and `↵`. Other tokens are unchanged.
pub fn readable(token: &str) -> String {
    token.replace('Ġ', "␣").replace('Ċ', "↵").replace('ĉ', "⇥")
}

/// Words found in both A and B (special tokens left out), each with its first position
/// in A and in B, in A's order.
pub fn shared_words(a: &[String], b: &[String]) -> Vec<(String, usize, usize)> {
    let mut out: Vec<(String, usize, usize)> = Vec::new();
    for (i, word) in a.iter().enumerate() {
        if word.starts_with('[') || out.iter().any(|(w, _, _)| w == word) {
            continue;
        }
        if let Some(j) = b.iter().position(|w| w == word) {
            out.push((word.clone(), i, j));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(key: SentenceKey, tokens: &[&str], type_ids: &[u32]) -> SentenceData {
        SentenceData {
            key,
            tokens: tokens.iter().map(|s| s.to_string()).collect(),
            ids: (0..tokens.len() as u32).collect(),
            special: tokens.iter().map(|t| t.starts_with('[')).collect(),
            type_ids: type_ids.to_vec(),
            truncated: 0,
            too_long: false,
            attention: Vec::new(),
            embeddings: Vec::new(),
            predictions: Vec::new(),
            baseline: None,
        }
    }

    fn words(tokens: &[&str]) -> Vec<String> {
        tokens.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pair_chips_split_by_token_type() {
        let sentences = [
            sentence(SentenceKey::A, &["[CLS]", "big", "party", "[SEP]"], &[0; 4]),
            sentence(SentenceKey::B, &["[CLS]", "the", "party", "[SEP]"], &[0; 4]),
            sentence(
                SentenceKey::Pair,
                &["[CLS]", "big", "party", "[SEP]", "the", "party", "[SEP]"],
                &[0, 0, 0, 0, 1, 1, 1],
            ),
        ];
        let separate = chips(&sentences, false);
        assert_eq!(separate.len(), 8);
        assert_eq!(separate[4].side, Side::B);
        assert_eq!((separate[4].source, separate[4].index), (SentenceKey::B, 0));
        assert_eq!(default_token(&separate), Some(2));
        let paired = chips(&sentences, true);
        let sides: String = paired.iter().map(|c| c.side.name()).collect();
        assert_eq!(sides, "aaaabbb");
        assert!(paired.iter().all(|c| c.source == SentenceKey::Pair));
        assert_eq!(
            filter_indices(&sentences[2].type_ids, PairFilter::AToB),
            (vec![0, 1, 2, 3], vec![4, 5, 6])
        );
        assert_eq!(
            filter_indices(&sentences[2].type_ids, PairFilter::All)
                .0
                .len(),
            7
        );
        assert_eq!(default_token(&[]), None);
    }

    #[test]
    fn partner_is_the_same_word_or_the_most_similar() {
        let a = words(&["[CLS]", "big", "party", "[SEP]"]);
        let b = words(&["[CLS]", "the", "party", "[SEP]"]);
        // Two depths of a 4×4 matrix; the last depth makes "big" closest to "the".
        let mut values = vec![0.0f32; 32];
        values[16 + 4 + 1] = 0.9; // (big, the)
        values[16 + 4 + 2] = 0.2; // (big, party)
        values[16 + 2 * 4 + 2] = 0.7; // (party, party)
        let sim = Similarity {
            rows: SentenceKey::A,
            cols: SentenceKey::B,
            depths: 2,
            values,
        };
        assert_eq!(partner(&sim, 4, 4, &a, &b, (Side::A, 2)), Some((2, 2)));
        assert_eq!(partner(&sim, 4, 4, &a, &b, (Side::A, 1)), Some((1, 1)));
        assert_eq!(partner(&sim, 4, 4, &a, &b, (Side::B, 2)), Some((2, 2)));
        assert_eq!(series(&sim, 4, 4, (2, 2)), vec![0.0, 0.7]);
        assert!(similarity_at(&sim, 4, 4, 2).is_none());
    }

    #[test]
    fn strongest_keys_average_visible_heads_and_skip_specials() {
        // Two heads, three tokens: [CLS] word other.
        let layer = ndarray::Array3::from_shape_vec(
            (2, 3, 3),
            vec![
                0.5, 0.25, 0.25, 0.9, 0.05, 0.05, 0.1, 0.1, 0.8, //
                0.5, 0.25, 0.25, 0.1, 0.1, 0.8, 0.1, 0.1, 0.8,
            ],
        )
        .expect("shape");
        let special = [true, false, false];
        // Query 1 ("word"): only "other" remains; mean over both heads (0.05 + 0.8) / 2.
        let both = strongest_keys(layer.view(), &[true, true], 1, &special, 3);
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].0, 2);
        assert!((both[0].1 - 0.425).abs() < 1e-6);
        let first = strongest_keys(layer.view(), &[true, false], 1, &special, 3);
        assert!((first[0].1 - 0.05).abs() < 1e-6);
        assert!(strongest_keys(layer.view(), &[false, false], 1, &special, 3).is_empty());
        assert!(strongest_keys(layer.view(), &[true, true], 3, &special, 3).is_empty());
    }

    #[test]
    fn bpe_tokens_read_naturally() {
        assert_eq!(readable("Ġparty"), "␣party");
        assert_eq!(readable("ĊĊ"), "↵↵");
        assert_eq!(readable("##ing"), "##ing");
    }

    #[test]
    fn shared_words_skip_special_tokens_and_repeats() {
        let a = words(&["[CLS]", "tim", "chased", "clouds", "tim", "[SEP]"]);
        let b = words(&["[CLS]", "clouds", "chased", "tim", "[SEP]"]);
        assert_eq!(
            shared_words(&a, &b),
            vec![
                ("tim".into(), 1, 3),
                ("chased".into(), 2, 2),
                ("clouds".into(), 3, 1)
            ]
        );
    }
}
