//! The Tokenizers view's messages: sentence A cut by every tokenizer the page knows, and how
//! many tokens A and B cost in each.

use serde::{Deserialize, Serialize};
use tokenscope_core::token_rows::Row;

use crate::named_enum;

named_enum! {
    /// The ways of cutting a text, in the view's order; the names are the CLI's.
    #[derive(Serialize, Deserialize)]
    pub enum Level {
        Chars = "chars",
        Bytes = "bytes",
        Words = "words",
        WordPiece = "wordpiece",
        Gpt2 = "gpt2",
        Model = "model",
    }
}

/// What the view asks: its two texts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenizersAsk {
    pub a: String,
    pub b: String,
}

/// One tokenizer's cut of A, and its token count for B.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenizerRow {
    pub level: Level,
    pub row: Row,
    pub b_tokens: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenizersData {
    pub ask: TokenizersAsk,
    pub rows: Vec<TokenizerRow>,
    /// Why the rows could not be made (a tokenizer file missing from the site).
    pub error: Option<String>,
}
