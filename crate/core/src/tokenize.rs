//! Wraps a Hugging Face `tokenizer.json`: text (or a text pair) to tokens, ids, offsets and
//! token types, truncated to the model's positions with the count of dropped tokens.

use tokenizers::{
    EncodeInput, Encoding, Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy,
};

use crate::error::{Error, Result};

/// Which input text a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Segment {
    /// A token the tokenizer added itself (`[CLS]`, `[SEP]`).
    Special,
    /// The first text (A).
    First,
    /// The second text of a pair (B).
    Second,
}

/// A tokenized input, ready for the forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Tokens {
    pub tokens: Vec<String>,
    pub ids: Vec<u32>,
    /// Character (Unicode scalar) offsets of each token in the text it came from.
    pub offsets: Vec<(usize, usize)>,
    /// BERT token types: 0 for the first text and its specials, 1 for the second.
    pub type_ids: Vec<u32>,
    pub segments: Vec<Segment>,
    /// How many tokens were dropped to fit the model's maximum positions.
    pub truncated: usize,
}

impl Tokens {
    /// The ids as table indices, after checking that every id has an embedding row and the
    /// sequence fits the position table (a tokenizer from another model could break both).
    pub fn checked_indices(&self, vocab_size: usize, max_positions: usize) -> Result<Vec<usize>> {
        if let Some(&bad) = self.ids.iter().find(|&&i| i as usize >= vocab_size) {
            return Err(Error::Input(format!(
                "token id {bad} is outside the vocabulary of {vocab_size}"
            )));
        }
        if self.ids.len() > max_positions {
            return Err(Error::Input(format!(
                "{} tokens exceed the model's {max_positions} positions",
                self.ids.len()
            )));
        }
        Ok(self.ids.iter().map(|&i| i as usize).collect())
    }
}

pub struct TextTokenizer {
    inner: Tokenizer,
    max_positions: usize,
    /// [`TextTokenizer::byte_bpe`], worked out on first use: every Tokenizers row asks,
    /// and working it out serializes the whole tokenizer.
    byte_bpe: std::sync::OnceLock<Option<crate::byte_bpe::ByteBpe>>,
}

/// Refuses what `tokenizers` 0.23 would panic on instead of returning an error (found by
/// fuzzing, `fuzz/`): bytes that are not UTF-8 or not JSON inside `"decoder"` (it `expect`s
/// them), any problem in a `Precompiled` normalizer (SentencePiece's; no supported model uses
/// it), and a `TemplateProcessing` template naming a special token it does not define (it
/// indexes its map when encoding). In wasm a panic kills the worker, so these must be errors
/// before the crate sees them.
pub(crate) fn screen(bytes: &[u8]) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Parts {
        #[serde(default)]
        normalizer: Option<serde_json::Value>,
        #[serde(default)]
        decoder: Option<serde_json::Value>,
        #[serde(default)]
        post_processor: Option<serde_json::Value>,
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::Tokenizer(format!("the file is not UTF-8 text ({e})")))?;
    let parts: Parts =
        serde_json::from_str(text).map_err(|e| Error::Tokenizer(format!("not valid JSON: {e}")))?;
    fn precompiled(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(map) => {
                map.get("type").and_then(|t| t.as_str()) == Some("Precompiled")
                    || map.values().any(precompiled)
            }
            serde_json::Value::Array(items) => items.iter().any(precompiled),
            _ => false,
        }
    }
    if parts.normalizer.as_ref().is_some_and(precompiled) {
        return Err(Error::Tokenizer(
            "the Precompiled (SentencePiece) normalizer is not supported".into(),
        ));
    }
    let _ = parts.decoder;
    if let Some(processor) = &parts.post_processor {
        check_templates(processor)?;
    }
    Ok(())
}

/// Every `TemplateProcessing` in a post-processor (also inside a `Sequence`): each special
/// token its templates use is defined with as many ids as tokens, and the single-text
/// template uses no second sequence.
fn check_templates(processor: &serde_json::Value) -> Result<()> {
    use serde_json::Value;
    let bad = |why: String| Err(Error::Tokenizer(format!("post_processor: {why}")));
    match processor.get("type").and_then(Value::as_str) {
        Some("Sequence") => {
            for inner in processor
                .get("processors")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                check_templates(inner)?;
            }
            Ok(())
        }
        Some("TemplateProcessing") => {
            let special = processor.get("special_tokens").and_then(Value::as_object);
            for (name, token) in special.into_iter().flatten() {
                let count = |field: &str| token.get(field).and_then(Value::as_array).map(Vec::len);
                if count("ids") != count("tokens") {
                    return bad(format!(
                        "special token {name:?} has a different number of ids and tokens"
                    ));
                }
            }
            for (template, single) in [("single", true), ("pair", false)] {
                let pieces = processor.get(template).and_then(Value::as_array);
                for piece in pieces.into_iter().flatten() {
                    if let Some(id) = piece.pointer("/SpecialToken/id").and_then(Value::as_str) {
                        if !special.is_some_and(|s| s.contains_key(id)) {
                            return bad(format!(
                                "the {template} template uses {id:?}, which is not among its special tokens"
                            ));
                        }
                    }
                    if single && piece.pointer("/Sequence/id").and_then(Value::as_str) == Some("B")
                    {
                        return bad("the single template uses a second sequence".into());
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

impl TextTokenizer {
    /// Parses `tokenizer.json`; padding and the file's own truncation are switched off
    /// because the trace must show exactly the tokens of the text and nothing else.
    pub fn from_bytes(bytes: &[u8], max_positions: usize) -> Result<Self> {
        screen(bytes)?;
        let mut inner =
            Tokenizer::from_bytes(bytes).map_err(|e| Error::Tokenizer(e.to_string()))?;
        inner.with_padding(None);
        inner
            .with_truncation(None)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(TextTokenizer {
            inner,
            max_positions,
            byte_bpe: std::sync::OnceLock::new(),
        })
    }

    /// This tokenizer as a step-by-step byte-level BPE, when it is GPT-2's kind
    /// ([`ByteBpe::from_tokenizer_json`]), so each token can show its merges.
    pub fn byte_bpe(&self) -> Option<&crate::byte_bpe::ByteBpe> {
        self.byte_bpe
            .get_or_init(|| {
                let json = self.inner.to_string(false).ok()?;
                crate::byte_bpe::ByteBpe::from_tokenizer_json(json.as_bytes())
            })
            .as_ref()
    }

    /// Vocabulary size including added tokens, comparable to config `vocab_size`.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The token string for an id, as `convert_ids_to_tokens` prints it.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// The id of a vocabulary entry spelled exactly `token` (e.g. "##ation", "Ġparty").
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Text for a list of ids, as `decode` joins them (used for readable GPT-2 tokens).
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, false)
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    pub fn encode(&self, text: &str, pair: Option<&str>) -> Result<Tokens> {
        let input = || -> EncodeInput {
            match pair {
                Some(b) => (text, b).into(),
                None => text.into(),
            }
        };
        let full = self
            .inner
            .encode_char_offsets(input(), true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        if full.len() <= self.max_positions {
            return Ok(Self::collect(&full, 0));
        }
        let mut truncating = self.inner.clone();
        truncating
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: self.max_positions,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let kept = truncating
            .encode_char_offsets(input(), true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(Self::collect(&kept, full.len() - kept.len()))
    }

    fn collect(enc: &Encoding, truncated: usize) -> Tokens {
        let special = enc.get_special_tokens_mask();
        let segments = enc
            .get_sequence_ids()
            .iter()
            .zip(special)
            .map(|(seq, &sp)| match (sp, seq) {
                (1, _) | (_, None) => Segment::Special,
                (_, Some(0)) => Segment::First,
                _ => Segment::Second,
            })
            .collect();
        Tokens {
            tokens: enc.get_tokens().to_vec(),
            ids: enc.get_ids().to_vec(),
            offsets: enc.get_offsets().to_vec(),
            type_ids: enc.get_type_ids().to_vec(),
            segments,
            truncated,
        }
    }
}
