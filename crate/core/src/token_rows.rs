//! One text cut several ways, row by row, for the Tokenizers view and `tokenscope tokenize`:
//! Unicode characters, UTF-8 bytes, words, BERT's WordPiece, GPT-2's byte-level BPE and a
//! loaded model's own tokenizer. Every token carries its `[start, end)` byte offsets in the
//! text (None for markers such as [CLS] that stand for no text), so rows line up.

use crate::byte_bpe::{ByteBpe, Merge};
use crate::error::Result;
use crate::model::Model;
use crate::tokenize::{Segment, TextTokenizer};

/// How a token of the WordPiece row was found: the word's rest at that point, and the
/// longest prefix of it in the vocabulary (`##` marking a continuation), after `tried`
/// candidates, longest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WordPieceStep {
    pub rest: String,
    pub piece: String,
    pub tried: usize,
}

/// How one token was built.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Replay {
    /// Byte-level BPE: the one-byte symbols, then the merges in order.
    Bpe {
        bytes: Vec<String>,
        merges: Vec<Merge>,
    },
    /// WordPiece: the greedy longest-match step that chose this token.
    WordPiece(WordPieceStep),
}

/// One way of cutting the text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub tokens: Vec<String>,
    /// None where the level has no vocabulary (characters, bytes, words).
    pub ids: Vec<Option<u32>>,
    pub spans: Vec<Option<(usize, usize)>>,
    pub vocab_size: Option<usize>,
    /// Per token, when the level builds tokens step by step.
    pub replays: Vec<Option<Replay>>,
}

impl Row {
    fn plain(pieces: Vec<(String, (usize, usize))>) -> Row {
        let n = pieces.len();
        Row {
            spans: pieces.iter().map(|p| Some(p.1)).collect(),
            tokens: pieces.into_iter().map(|p| p.0).collect(),
            ids: vec![None; n],
            vocab_size: None,
            replays: vec![None; n],
        }
    }
}

/// Unicode scalar values.
pub fn chars(text: &str) -> Row {
    Row::plain(
        text.char_indices()
            .map(|(i, c)| (c.to_string(), (i, i + c.len_utf8())))
            .collect(),
    )
}

/// UTF-8 bytes: a byte that is a whole character is shown as it, the others in hex.
pub fn bytes(text: &str) -> Row {
    Row::plain(
        text.bytes()
            .enumerate()
            .map(|(i, b)| {
                let shown = if b.is_ascii_graphic() || b == b' ' {
                    (b as char).to_string()
                } else {
                    format!("0x{b:02X}")
                };
                (shown, (i, i + 1))
            })
            .collect(),
    )
}

/// A CJK ideograph is a word on its own: Chinese puts no spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Words as the article means them: runs of letters and digits (an apostrophe inside one
/// keeps it whole), each punctuation mark and each CJK character alone, spaces dropped.
pub fn words(text: &str) -> Row {
    let mut pieces: Vec<(String, (usize, usize))> = Vec::new();
    let mut current: Option<usize> = None;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let close = |from: Option<usize>, to: usize, pieces: &mut Vec<(String, (usize, usize))>| {
        if let Some(from) = from {
            pieces.push((text[from..to].to_string(), (from, to)));
        }
    };
    for (k, &(i, c)) in chars.iter().enumerate() {
        let next_is_word = chars
            .get(k + 1)
            .is_some_and(|(_, n)| n.is_alphanumeric() && !is_cjk(*n));
        let inside = c == '\'' && current.is_some() && next_is_word;
        if (c.is_alphanumeric() && !is_cjk(c)) || inside {
            current.get_or_insert(i);
            continue;
        }
        close(current.take(), i, &mut pieces);
        if !c.is_whitespace() {
            pieces.push((c.to_string(), (i, i + c.len_utf8())));
        }
    }
    close(current, text.len(), &mut pieces);
    Row::plain(pieces)
}

/// GPT-2's byte-level BPE, with each token's merges.
pub fn byte_level(bpe: &ByteBpe, text: &str) -> Result<Row> {
    let tokens = bpe.encode(text)?;
    Ok(Row {
        ids: tokens.iter().map(|t| Some(t.id)).collect(),
        spans: tokens.iter().map(|t| Some(t.span)).collect(),
        replays: tokens
            .iter()
            .map(|t| {
                Some(Replay::Bpe {
                    bytes: t.bytes.clone(),
                    merges: t.merges.clone(),
                })
            })
            .collect(),
        tokens: tokens.into_iter().map(|t| t.token).collect(),
        vocab_size: Some(bpe.vocab_size()),
    })
}

/// A model's own tokenizer (WordPiece for BERT; BPE for GPT-2 and the llama family). Markers
/// get no span. For WordPiece each token also gets its greedy longest-match step.
pub fn model_row(model: &Model, text: &str) -> Result<Row> {
    tokenizer_row(&model.tokenizer, text)
}

/// [`model_row`] from the tokenizer alone (`tokenizer.json`), with no weights loaded.
pub fn tokenizer_row(tokenizer: &TextTokenizer, text: &str) -> Result<Row> {
    // GPT-2's kind of tokenizer: run step by step, for exact byte spans and the merges.
    if let Some(bpe) = tokenizer.byte_bpe() {
        let mut row = byte_level(bpe, text)?;
        row.vocab_size = Some(tokenizer.vocab_size());
        return Ok(row);
    }
    let input = tokenizer.encode(text, None)?;
    // Character offsets → byte offsets.
    let mut byte_at: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    byte_at.push(text.len());
    let spans: Vec<Option<(usize, usize)>> = input
        .offsets
        .iter()
        .zip(&input.segments)
        .map(|(&(s, e), seg)| {
            (*seg != Segment::Special && e > s)
                .then(|| Some((*byte_at.get(s)?, *byte_at.get(e)?)))
                .flatten()
        })
        .collect();
    // WordPiece: a [CLS] marker and ## continuations in the vocabulary.
    let wordpiece =
        tokenizer.token_to_id("[CLS]").is_some() && tokenizer.token_to_id("##s").is_some();
    let replays = if wordpiece {
        wordpiece_steps(tokenizer, &input.tokens, &input.segments)
    } else {
        vec![None; input.tokens.len()]
    };
    Ok(Row {
        ids: input.ids.iter().map(|&id| Some(id)).collect(),
        tokens: input.tokens,
        spans,
        vocab_size: Some(tokenizer.vocab_size()),
        replays,
    })
}

/// Replays WordPiece's greedy longest-match-first on each word the tokenizer cut: at each
/// step, the longest prefix of the word's rest in the vocabulary wins.
fn wordpiece_steps(
    tokenizer: &TextTokenizer,
    tokens: &[String],
    segments: &[Segment],
) -> Vec<Option<Replay>> {
    let mut out = vec![None; tokens.len()];
    let mut i = 0;
    while i < tokens.len() {
        if segments[i] == Segment::Special || tokens[i] == "[UNK]" {
            i += 1;
            continue;
        }
        // The word: this token and the ## continuations after it.
        let mut end = i + 1;
        while end < tokens.len() && tokens[end].starts_with("##") {
            end += 1;
        }
        let word: String = tokens[i..end]
            .iter()
            .map(|t| t.trim_start_matches("##"))
            .collect();
        let mut at = 0; // chars of the word consumed
        let word_chars: Vec<char> = word.chars().collect();
        for (k, slot) in out.iter_mut().enumerate().take(end).skip(i) {
            let rest: String = word_chars[at..].iter().collect();
            let prefix = if k == i { "" } else { "##" };
            let mut tried = 0;
            let mut found = None;
            for len in (1..=word_chars.len() - at).rev() {
                tried += 1;
                let candidate: String = format!(
                    "{prefix}{}",
                    word_chars[at..at + len].iter().collect::<String>()
                );
                if tokenizer.token_to_id(&candidate).is_some() {
                    found = Some((candidate, len));
                    break;
                }
            }
            let Some((piece, len)) = found else {
                break;
            };
            *slot = Some(Replay::WordPiece(WordPieceStep { rest, piece, tried }));
            at += len;
        }
        i = end;
    }
    out
}
