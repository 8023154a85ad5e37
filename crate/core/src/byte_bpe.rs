//! GPT-2's byte-level BPE, run step by step so every token can show the merges that built
//! it: the text is split as GPT-2 splits it (tokenizers' ByteLevel pre-tokenizer), each
//! piece becomes one symbol per UTF-8 byte, and the adjacent pair with the best (lowest)
//! rank in `vocab.bpe` is merged, again and again, until no pair of the piece has a rank.

use std::collections::HashMap;

use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer};

use crate::error::{Error, Result};

/// One merge: two adjacent symbols joined, with the merge's rank (0 = the first learned).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Merge {
    pub left: String,
    pub right: String,
    pub rank: usize,
}

/// A token of the text: its spelling in GPT-2's byte alphabet (`Ġparty`), its id, the
/// `[start, end)` byte offsets in the text, and how it was built: the one-byte symbols it
/// started from and the merges, in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BpeToken {
    pub token: String,
    pub id: u32,
    pub span: (usize, usize),
    pub bytes: Vec<String>,
    pub merges: Vec<Merge>,
}

/// GPT-2's tokenizer from its two published files.
pub struct ByteBpe {
    vocab: HashMap<String, u32>,
    ranks: HashMap<(String, String), usize>,
}

/// A symbol of a piece while merging: its text and the piece's symbol positions it covers.
struct Symbol {
    text: String,
    from: usize,
    to: usize,
}

impl ByteBpe {
    /// `encoder.json` (token → id) and `vocab.bpe` (one merge per line, after a version line).
    pub fn from_files(encoder_json: &[u8], vocab_bpe: &str) -> Result<Self> {
        let vocab: HashMap<String, u32> = serde_json::from_slice(encoder_json)
            .map_err(|e| Error::Input(format!("encoder.json: {e}")))?;
        let mut ranks = HashMap::new();
        for (rank, line) in vocab_bpe
            .lines()
            .filter(|l| !l.starts_with("#version") && !l.trim().is_empty())
            .enumerate()
        {
            let (left, right) = line
                .split_once(' ')
                .ok_or_else(|| Error::Input(format!("vocab.bpe line {}: not a pair", rank + 2)))?;
            ranks.insert((left.to_string(), right.to_string()), rank);
        }
        Ok(ByteBpe { vocab, ranks })
    }

    /// A `tokenizer.json` that is GPT-2's kind of tokenizer: a BPE model behind a plain
    /// ByteLevel pre-tokenizer with no prefix space and no normalizer (GPT-2's own, and the
    /// models `tokenscope train` writes). None for any other kind (WordPiece, or Llama-3's
    /// and Qwen's own splitting rules), which this step-by-step BPE would not reproduce.
    pub fn from_tokenizer_json(bytes: &[u8]) -> Option<Self> {
        let json: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let pre = &json["pre_tokenizer"];
        let gpt2_kind = json["model"]["type"] == "BPE"
            && pre["type"] == "ByteLevel"
            && pre["add_prefix_space"] != true
            && pre["use_regex"] != false
            && json["normalizer"].is_null();
        if !gpt2_kind {
            return None;
        }
        let vocab: HashMap<String, u32> =
            serde_json::from_value(json["model"]["vocab"].clone()).ok()?;
        let mut ranks = HashMap::new();
        for (rank, merge) in json["model"]["merges"].as_array()?.iter().enumerate() {
            // Either "a b" (older files) or ["a", "b"].
            let pair = match merge {
                serde_json::Value::String(s) => s
                    .split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))?,
                serde_json::Value::Array(p) => (
                    p.first()?.as_str()?.to_string(),
                    p.get(1)?.as_str()?.to_string(),
                ),
                _ => return None,
            };
            ranks.insert(pair, rank);
        }
        Some(ByteBpe { vocab, ranks })
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The text's tokens, each with its merges.
    pub fn encode(&self, text: &str) -> Result<Vec<BpeToken>> {
        let mut pre = PreTokenizedString::from(text);
        ByteLevel::new(false, false, true)
            .pre_tokenize(&mut pre)
            .map_err(|e| Error::Input(format!("splitting the text: {e}")))?;
        let mut out = Vec::new();
        for (piece, (start, _), _) in pre.get_splits(OffsetReferential::Original, OffsetType::Byte)
        {
            self.encode_piece(piece, start, &mut out)?;
        }
        Ok(out)
    }

    fn encode_piece(&self, piece: &str, start: usize, out: &mut Vec<BpeToken>) -> Result<()> {
        let chars: Vec<char> = piece.chars().collect();
        let mut symbols: Vec<Symbol> = chars
            .iter()
            .enumerate()
            .map(|(i, c)| Symbol {
                text: c.to_string(),
                from: i,
                to: i + 1,
            })
            .collect();
        // (merge, the piece positions the new symbol covers), in the order they happened.
        let mut steps: Vec<(Merge, usize, usize)> = Vec::new();
        loop {
            let best = symbols
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| {
                    let rank = *self.ranks.get(&(w[0].text.clone(), w[1].text.clone()))?;
                    Some((rank, i))
                })
                .min();
            let Some((rank, _)) = best else {
                break;
            };
            // Every occurrence of the best pair, left to right, as GPT-2's encoder does.
            let mut i = 0;
            while i + 1 < symbols.len() {
                let is_pair = self
                    .ranks
                    .get(&(symbols[i].text.clone(), symbols[i + 1].text.clone()))
                    == Some(&rank);
                if is_pair {
                    let right = symbols.remove(i + 1);
                    let left = &mut symbols[i];
                    steps.push((
                        Merge {
                            left: left.text.clone(),
                            right: right.text.clone(),
                            rank,
                        },
                        left.from,
                        right.to,
                    ));
                    left.text.push_str(&right.text);
                    left.to = right.to;
                }
                i += 1;
            }
        }
        for symbol in symbols {
            let id = *self.vocab.get(&symbol.text).ok_or_else(|| {
                Error::Input(format!("GPT-2's vocabulary has no token {:?}", symbol.text))
            })?;
            out.push(BpeToken {
                id,
                span: (start + symbol.from, start + symbol.to),
                bytes: chars[symbol.from..symbol.to]
                    .iter()
                    .map(char::to_string)
                    .collect(),
                merges: steps
                    .iter()
                    .filter(|(_, from, to)| *from >= symbol.from && *to <= symbol.to)
                    .map(|(m, _, _)| m.clone())
                    .collect(),
                token: symbol.text,
            });
        }
        Ok(())
    }
}
