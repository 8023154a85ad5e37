//! The worker's side of the Tokenizers view: GPT-2's tokenizer and the MiniLM's WordPiece
//! (fetched from the site once, or read from disk natively), and the rows for a text.

use tokenscope_core::byte_bpe::ByteBpe;
use tokenscope_core::token_rows::{byte_level, bytes, chars, model_row, tokenizer_row, words};
use tokenscope_core::tokenize::TextTokenizer;
use tokenscope_core::Model;

use crate::protocol::{Level, TokenizerRow, TokenizersAsk, TokenizersData};

/// Where the page serves the two tokenizers the view always shows.
pub const GPT2_ENCODER: &str = "tokenizers/gpt2/encoder.json";
pub const GPT2_MERGES: &str = "tokenizers/gpt2/vocab.bpe";
pub const WORDPIECE: &str = "models/all-MiniLM-L6-v2/tokenizer.json";

/// GPT-2's byte-level BPE and bert-base-uncased's WordPiece, loaded once per worker.
pub struct TokenizerAssets {
    gpt2: ByteBpe,
    wordpiece: TextTokenizer,
}

impl TokenizerAssets {
    /// From the three files' bytes, in the order of the constants above.
    pub fn from_bytes(encoder: &[u8], merges: &[u8], wordpiece: &[u8]) -> Result<Self, String> {
        let merges =
            std::str::from_utf8(merges).map_err(|_| format!("{GPT2_MERGES}: not UTF-8"))?;
        Ok(TokenizerAssets {
            gpt2: ByteBpe::from_files(encoder, merges)
                .map_err(|e| format!("{GPT2_ENCODER}: {e}"))?,
            wordpiece: TextTokenizer::from_bytes(wordpiece, usize::MAX)
                .map_err(|e| format!("{WORDPIECE}: {e}"))?,
        })
    }
}

/// Whether the loaded model's own tokenizer is one of the two the view always shows.
fn own_is_shown(model: &Model) -> bool {
    let info = model.info();
    let vocab = model.tokenizer.vocab_size();
    (info.model_type == "bert" && vocab == 30_522) || (info.model_type == "gpt2" && vocab == 50_257)
}

fn count(row: Result<tokenscope_core::token_rows::Row, tokenscope_core::Error>) -> usize {
    row.map_or(0, |r| r.tokens.len())
}

/// Sentence A through every tokenizer, with each one's token count for B.
pub fn tokenizer_rows(
    model: &Model,
    assets: &TokenizerAssets,
    ask: TokenizersAsk,
) -> TokenizersData {
    let (a, b) = (ask.a.as_str(), ask.b.as_str());
    let mut rows = Vec::new();
    let mut push = |level: Level, row: Result<_, tokenscope_core::Error>, b_tokens: usize| match row
    {
        Ok(row) => {
            rows.push(TokenizerRow {
                level,
                row,
                b_tokens,
            });
            Ok(())
        }
        Err(e) => Err(format!("{}: {e}", level.name())),
    };
    let result = (|| {
        push(Level::Chars, Ok(chars(a)), b.chars().count())?;
        push(Level::Bytes, Ok(bytes(a)), b.len())?;
        push(Level::Words, Ok(words(a)), words(b).tokens.len())?;
        push(
            Level::WordPiece,
            tokenizer_row(&assets.wordpiece, a),
            count(tokenizer_row(&assets.wordpiece, b)),
        )?;
        push(
            Level::Gpt2,
            byte_level(&assets.gpt2, a),
            count(byte_level(&assets.gpt2, b)),
        )?;
        if !own_is_shown(model) {
            push(
                Level::Model,
                model_row(model, a),
                count(model_row(model, b)),
            )?;
        }
        Ok::<(), String>(())
    })();
    TokenizersData {
        ask,
        rows,
        error: result.err(),
    }
}

/// The shipped files, read from the source tree (the native harness and tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn assets_from_disk() -> Result<TokenizerAssets, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let read = |path: &str| {
        let path = root.join(path);
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    TokenizerAssets::from_bytes(&read(GPT2_ENCODER)?, &read(GPT2_MERGES)?, &read(WORDPIECE)?)
}
