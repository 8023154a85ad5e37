//! `tokenscope tokenize`: each tokenizer's JSON (tokens, ids, byte spans, vocabulary size,
//! merges) and the one-line exit 2 for a bad tokenizer or a missing --model.

mod common;

use common::{json, root, run};
use serde_json::json as j;

#[test]
fn gpt2_prints_ids_spans_and_merges_that_build_each_token() {
    let out = json(&run(&[
        "tokenize",
        "--tokenizer",
        "gpt2",
        "--text",
        "Hello world",
        "--merges",
    ]));
    assert_eq!(out["ids"], j!([15496, 995]));
    assert_eq!(out["tokens"], j!(["Hello", "Ġworld"]));
    assert_eq!(out["spans"], j!([[0, 5], [5, 11]]));
    assert_eq!(out["vocab_size"], j!(50257));
    let world = &out["merges"][1];
    assert_eq!(world["from"], j!(["Ġ", "w", "o", "r", "l", "d"]));
    let last = world["steps"]
        .as_array()
        .expect("steps")
        .last()
        .expect("a merge");
    assert_eq!(last["merged"], j!("Ġworld"));
    assert!(last["rank"].as_u64().expect("a rank") < 50_000);
}

#[test]
fn levels_without_a_vocabulary_print_null_ids_and_markers_no_span() {
    let text = "Café 学";
    let chars = json(&run(&["tokenize", "--tokenizer", "chars", "--text", text]));
    assert_eq!(chars["tokens"], j!(["C", "a", "f", "é", " ", "学"]));
    assert_eq!(chars["ids"], j!([null, null, null, null, null, null]));
    assert_eq!(chars["spans"][3], j!([3, 5]), "é is two bytes");
    let bytes = json(&run(&["tokenize", "--tokenizer", "bytes", "--text", "é"]));
    assert_eq!(bytes["tokens"], j!(["0xC3", "0xA9"]));
    let words = json(&run(&[
        "tokenize",
        "--tokenizer",
        "words",
        "--text",
        "a big party!",
    ]));
    assert_eq!(words["tokens"], j!(["a", "big", "party", "!"]));
    let wp = json(&run(&[
        "tokenize",
        "--tokenizer",
        "wordpiece",
        "--text",
        "graduationfest",
        "--merges",
    ]));
    assert_eq!(wp["tokens"], j!(["[CLS]", "graduation", "##fest", "[SEP]"]));
    assert_eq!(wp["spans"][0], j!(null), "[CLS] stands for no text");
    assert_eq!(wp["vocab_size"], j!(30522));
    assert_eq!(
        wp["merges"][2]["steps"][0]["longest_in_vocabulary"],
        j!("##fest")
    );
    let gpt = root().join("assets/models/tokenscope-gpt");
    let own = json(&run(&[
        "tokenize",
        "--tokenizer",
        "model",
        "--model",
        gpt.to_str().expect("a path"),
        "--text",
        "a big party",
    ]));
    assert_eq!(own["vocab_size"], j!(8192));
    assert_eq!(own["spans"][0], j!([0, 1]));
}

#[test]
fn a_bad_tokenizer_or_a_missing_model_exits_2_with_one_line() {
    for args in [
        vec!["tokenize", "--tokenizer", "sentencepiece", "--text", "x"],
        vec!["tokenize", "--tokenizer", "model", "--text", "x"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--tokenizer"), "{stderr}");
    }
}
