//! Tokenizers side by side against transformers (tests/reference/generate_tokenizers.py):
//! GPT-2's byte-level BPE gives GPT2TokenizerFast's ids and tokens, and replaying each
//! token's merges from its bytes rebuilds it; the model's WordPiece ids are the
//! tokenizer's, and each greedy step took the longest prefix in the vocabulary; every row's
//! spans cover the text once, in order.

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokenscope_core::byte_bpe::ByteBpe;
use tokenscope_core::token_rows::{byte_level, bytes, chars, model_row, words, Replay, Row};
use tokenscope_core::Model;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Deserialize)]
struct Case {
    text: String,
    gpt2_ids: Vec<u32>,
    gpt2_tokens: Vec<String>,
    wordpiece_ids: Vec<u32>,
}

#[derive(Deserialize)]
struct Cases {
    gpt2_vocab_size: usize,
    cases: Vec<Case>,
}

fn fixtures() -> Cases {
    let bytes =
        std::fs::read(root().join("tests/reference/fixtures/tokenizers.json")).expect("fixture");
    serde_json::from_slice(&bytes).expect("parses")
}

fn gpt2() -> ByteBpe {
    let dir = root().join("assets/tokenizers/gpt2");
    ByteBpe::from_files(
        &std::fs::read(dir.join("encoder.json")).expect("encoder.json"),
        &std::fs::read_to_string(dir.join("vocab.bpe")).expect("vocab.bpe"),
    )
    .expect("loads")
}

/// Spans in order, never overlapping, inside the text; the bytes no token covers are
/// whitespace, or format characters BERT's cleaning drops (variation selectors, joiners),
/// and, when `every_byte`, there are none.
fn assert_covers(row: &Row, text: &str, every_byte: bool, what: &str) {
    let mut at = 0;
    let mut uncovered = Vec::new();
    for span in row.spans.iter().flatten() {
        assert!(
            span.0 >= at && span.1 > span.0 && span.1 <= text.len(),
            "{what}: {span:?} after {at}"
        );
        uncovered.extend_from_slice(&text.as_bytes()[at..span.0]);
        at = span.1;
    }
    uncovered.extend_from_slice(&text.as_bytes()[at..]);
    if every_byte {
        assert!(
            uncovered.is_empty(),
            "{what}: {uncovered:?} not covered in {text:?}"
        );
        return;
    }
    let dropped = String::from_utf8(uncovered).expect("whole characters");
    let droppable = |c: char| {
        c.is_whitespace()
            || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}')
    };
    assert!(
        dropped.chars().all(droppable),
        "{what}: {dropped:?} not covered in {text:?}"
    );
}

#[test]
fn gpt2_ids_equal_transformers_and_every_merge_replays_to_the_token() {
    let fixtures = fixtures();
    let bpe = gpt2();
    assert_eq!(bpe.vocab_size(), fixtures.gpt2_vocab_size);
    assert_eq!(bpe.vocab_size(), 50_257);
    for case in &fixtures.cases {
        let row = byte_level(&bpe, &case.text).expect("encodes");
        let ids: Vec<u32> = row.ids.iter().map(|id| id.expect("an id")).collect();
        assert_eq!(ids, case.gpt2_ids, "{:?}", case.text);
        assert_eq!(row.tokens, case.gpt2_tokens, "{:?}", case.text);
        assert_covers(&row, &case.text, true, "gpt2");
        for (token, replay) in row.tokens.iter().zip(&row.replays) {
            let Some(Replay::Bpe { bytes, merges }) = replay else {
                panic!("{token}: no merges");
            };
            // From the one-byte symbols, apply each merge to the first adjacent pair it names.
            let mut symbols = bytes.clone();
            for merge in merges {
                let at = symbols
                    .windows(2)
                    .position(|w| w[0] == merge.left && w[1] == merge.right)
                    .unwrap_or_else(|| panic!("{token}: {merge:?} not in {symbols:?}"));
                let right = symbols.remove(at + 1);
                symbols[at].push_str(&right);
            }
            assert_eq!(symbols, vec![token.clone()], "{token} rebuilt");
            // Ranks rise: a merge is learned after the pieces it joins.
            assert!(merges.iter().all(|m| m.rank < 50_000));
        }
    }
    // "Hello world" → [15496, 995], as every GPT-2 tutorial shows.
    let hello = byte_level(&bpe, "Hello world").expect("encodes");
    assert_eq!(hello.ids, vec![Some(15496), Some(995)]);
}

#[test]
fn wordpiece_ids_are_the_models_and_each_step_took_the_longest_piece() {
    let model = Model::from_dir(&root().join("assets/models/all-MiniLM-L6-v2")).expect("MiniLM");
    for case in fixtures().cases {
        let row = model_row(&model, &case.text).expect("tokenizes");
        let ids: Vec<u32> = row.ids.iter().map(|id| id.expect("an id")).collect();
        assert_eq!(ids, case.wordpiece_ids, "{:?}", case.text);
        assert_eq!(row.spans.first(), Some(&None), "[CLS] stands for no text");
        assert_covers(&row, &case.text, false, "wordpiece");
        for (token, replay) in row.tokens.iter().zip(&row.replays) {
            let Some(Replay::WordPiece(step)) = replay else {
                continue;
            };
            assert_eq!(&step.piece, token);
            assert!(
                step.rest.starts_with(token.trim_start_matches("##")),
                "{step:?}"
            );
            // Every longer candidate was tried and is not in the vocabulary.
            let prefix = if token.starts_with("##") { "##" } else { "" };
            let rest: Vec<char> = step.rest.chars().collect();
            let found = token.trim_start_matches("##").chars().count();
            assert_eq!(step.tried, rest.len() - found + 1);
            for len in found + 1..=rest.len() {
                let longer = format!("{prefix}{}", rest[..len].iter().collect::<String>());
                assert!(
                    model.tokenizer.token_to_id(&longer).is_none(),
                    "{longer} is in the vocabulary"
                );
            }
        }
    }
}

#[test]
fn characters_bytes_and_words_cover_the_text() {
    for case in fixtures().cases {
        let text = &case.text;
        let c = chars(text);
        assert_eq!(c.tokens.len(), text.chars().count());
        assert_covers(&c, text, true, "chars");
        let b = bytes(text);
        assert_eq!(b.tokens.len(), text.len());
        assert_covers(&b, text, true, "bytes");
        assert_covers(&words(text), text, false, "words");
    }
    let w = words("it's a big party, isn't it?");
    assert_eq!(
        w.tokens,
        ["it's", "a", "big", "party", ",", "isn't", "it", "?"]
    );
    assert_eq!(words("学生们").tokens, ["学", "生", "们"]);
    assert_eq!(
        bytes("é").tokens,
        ["0xC3", "0xA9"],
        "a byte that is not a whole character"
    );
}

#[test]
fn a_gpt2_kind_model_tokenizer_runs_step_by_step_with_the_tokenizers_ids() {
    // The embedded GPT's own byte-level BPE (8,192 tokens, trained by `tokenscope train`).
    let model = Model::from_dir(&root().join("assets/models/tokenscope-gpt")).expect("loads");
    assert!(model.tokenizer.byte_bpe().is_some(), "GPT-2's kind");
    for case in fixtures().cases {
        let row = model_row(&model, &case.text).expect("tokenizes");
        let expected = model.tokenize(&case.text, None).expect("tokenizes");
        let ids: Vec<u32> = row.ids.iter().map(|id| id.expect("an id")).collect();
        assert_eq!(ids, expected.ids, "{:?}", case.text);
        assert_eq!(row.tokens, expected.tokens, "{:?}", case.text);
        assert_covers(&row, &case.text, true, "tokenscope-gpt");
        assert!(row
            .replays
            .iter()
            .all(|r| matches!(r, Some(Replay::Bpe { .. }))));
    }
    assert_eq!(
        model_row(&model, "a party").expect("row").vocab_size,
        Some(8192)
    );
    // WordPiece is not GPT-2's kind.
    let minilm = Model::from_dir(&root().join("assets/models/all-MiniLM-L6-v2")).expect("MiniLM");
    assert!(minilm.tokenizer.byte_bpe().is_none());
}
