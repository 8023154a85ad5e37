//! `tokenscope tokenize`: one text through one tokenizer — characters, bytes, words,
//! WordPiece (the embedded MiniLM's), GPT-2's byte-level BPE, or a model folder's own — as
//! one JSON object with tokens, ids, byte spans, the vocabulary size and, on request, how
//! each token was built.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tokenscope_core::byte_bpe::ByteBpe;
use tokenscope_core::token_rows::{byte_level, bytes, chars, tokenizer_row, words, Replay, Row};
use tokenscope_core::tokenize::TextTokenizer;

/// GPT-2's tokenizer files, found from the source tree like the embedded model.
const GPT2_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/tokenizers/gpt2");
const MINILM_TOKENIZER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/models/all-MiniLM-L6-v2/tokenizer.json"
);
pub const TOKENIZERS: &str = "chars, bytes, words, wordpiece, gpt2, model";

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn tokenizer_file(path: &Path) -> Result<TextTokenizer, String> {
    TextTokenizer::from_bytes(&read(path)?, usize::MAX)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The row for `name`; a bad name, or `model` without a folder, is the one-line error.
fn row(name: &str, model: Option<&PathBuf>, text: &str) -> Result<Row, String> {
    let failed = |e: tokenscope_core::Error| e.to_string();
    match name {
        "chars" => Ok(chars(text)),
        "bytes" => Ok(bytes(text)),
        "words" => Ok(words(text)),
        "wordpiece" => {
            tokenizer_row(&tokenizer_file(Path::new(MINILM_TOKENIZER))?, text).map_err(failed)
        }
        "gpt2" => {
            let dir = Path::new(GPT2_DIR);
            let vocab = String::from_utf8(read(&dir.join("vocab.bpe"))?)
                .map_err(|_| "vocab.bpe is not UTF-8".to_string())?;
            let bpe =
                ByteBpe::from_files(&read(&dir.join("encoder.json"))?, &vocab).map_err(failed)?;
            byte_level(&bpe, text).map_err(failed)
        }
        "model" => {
            let dir = model
                .ok_or("--tokenizer model needs --model DIR (a folder with tokenizer.json)")?;
            tokenizer_row(&tokenizer_file(&dir.join("tokenizer.json"))?, text).map_err(failed)
        }
        other => Err(format!(
            "--tokenizer: no tokenizer {other:?}; choose one of {TOKENIZERS}"
        )),
    }
}

fn replay_json(replay: &Option<Replay>) -> Value {
    match replay {
        Some(Replay::Bpe { bytes, merges }) => json!({
            "from": bytes,
            "steps": merges.iter().map(|m| json!({
                "pair": [m.left, m.right],
                "rank": m.rank,
                "merged": format!("{}{}", m.left, m.right),
            })).collect::<Vec<_>>(),
        }),
        Some(Replay::WordPiece(step)) => json!({
            "from": [step.rest],
            "steps": [{"longest_in_vocabulary": step.piece, "candidates_tried": step.tried}],
        }),
        None => Value::Null,
    }
}

pub fn tokenize(
    name: &str,
    model: Option<&PathBuf>,
    text: &str,
    merges: bool,
) -> Result<(), String> {
    let row = row(name, model, text)?;
    let mut value = json!({
        "tokenizer": name,
        "tokens": row.tokens,
        "ids": row.ids,
        "spans": row.spans.iter().map(|s| s.map(|(a, b)| [a, b])).collect::<Vec<_>>(),
        "vocab_size": row.vocab_size,
    });
    if merges {
        value["merges"] = row.replays.iter().map(replay_json).collect();
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    serde_json::to_writer(&mut out, &value)
        .map_err(std::io::Error::other)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing JSON: {e}"))
}
