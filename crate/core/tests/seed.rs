//! The seed article's facts, checked on the embedded MiniLM and GPT-2's real tokenizer.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::{Path, PathBuf};

use tokenscope_core::analysis::cosine;
use tokenscope_core::tokenize::TextTokenizer;
use tokenscope_core::{Model, Trace};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn minilm() -> Model {
    Model::from_dir(&root().join("assets/models/all-MiniLM-L6-v2")).expect("embedded model loads")
}

const CELEBRATION: &str = "students celebrate the graduation with a big party";
const POLITICS: &str = "deputy leader is highly respected in the party";

#[test]
fn seed_sentence_gives_the_seed_token_ids() {
    let tokens = minilm().tokenize(CELEBRATION, None).expect("tokenizes");
    assert_eq!(
        tokens.ids,
        [101, 2493, 8439, 1996, 7665, 2007, 1037, 2502, 2283, 102]
    );
    assert_eq!(
        tokens.tokens,
        [
            "[CLS]",
            "students",
            "celebrate",
            "the",
            "graduation",
            "with",
            "a",
            "big",
            "party",
            "[SEP]"
        ]
    );
    // Character offsets point back into the text.
    let (start, end) = tokens.offsets[8];
    assert_eq!(&CELEBRATION[start..end], "party");
}

#[test]
fn party_attends_to_celebrate_and_to_deputy_in_layer_0() {
    let model = minilm();
    assert_eq!(
        common::strongest_partner_of_party(&model, CELEBRATION),
        "celebrate"
    );
    assert_eq!(
        common::strongest_partner_of_party(&model, POLITICS),
        "deputy"
    );
}

/// Both seed sentences traced, with the position of "party" in each.
fn both_parties() -> (Trace, usize, Trace, usize) {
    let model = minilm();
    let party = |text: &str| {
        let trace = model.trace(text, None).expect("runs");
        let index = trace.input.tokens.iter().position(|t| t == "party");
        (index.expect("party is a token"), trace)
    };
    let (ia, a) = party(CELEBRATION);
    let (ib, b) = party(POLITICS);
    (a, ia, b, ib)
}

#[test]
fn static_party_is_identical_and_contextual_party_drifts_apart() {
    let (a, ia, b, ib) = both_parties();
    let static_cos = cosine(a.embeddings.word.row(ia), b.embeddings.word.row(ib));
    assert!(
        (static_cos - 1.0).abs() < 1e-6,
        "static cosine {static_cos}"
    );
    let last = a.hidden_states.len() - 1;
    let contextual = cosine(a.hidden_states[last].row(ia), b.hidden_states[last].row(ib));
    assert!(
        contextual < 0.9,
        "contextual cosine after the last layer {contextual}"
    );
}

#[test]
fn one_hot_facts_of_party() {
    let facts = minilm().one_hot_facts(2283);
    assert_eq!(facts.vocab_size, 30522);
    assert_eq!(facts.index, 2283);
    assert_eq!(facts.one_hot_table_bytes, 30522u64 * 30522 * 4);
    assert_eq!(facts.embedding_table_bytes, 30522u64 * 384 * 4);
}

#[test]
fn gpt2_tokenizer_gives_known_gpt2_ids() {
    let bytes = std::fs::read(root().join("tests/reference/fixtures/gpt2-tokenizer.json"))
        .expect("gpt2 tokenizer fixture");
    let tokenizer = TextTokenizer::from_bytes(&bytes, 1024).expect("parses");
    assert_eq!(tokenizer.vocab_size(), 50257);
    let ids = |t: &str| tokenizer.encode(t, None).expect("encodes").ids;
    assert_eq!(ids("Hello world"), [15496, 995]);
    assert_eq!(ids("Hello, world!"), [15496, 11, 995, 0]);
    assert_eq!(ids(" the"), [262]);
    assert_eq!(ids("<|endoftext|>"), [50256]);
    let tokens = tokenizer
        .encode("Hello world", None)
        .expect("encodes")
        .tokens;
    assert_eq!(tokens, ["Hello", "Ġworld"]);
}

#[test]
fn party_drifts_apart_layer_by_layer() {
    use tokenscope_core::analysis::layerwise_cosine;
    let (a, ia, b, ib) = both_parties();
    let series = layerwise_cosine(&a, ia, &b, ib).expect("same model");
    assert_eq!(
        series.len(),
        1 + 1 + 6,
        "static, embedding output, six layers"
    );
    assert!(
        (series[0] - 1.0).abs() < 1e-6,
        "static embeddings are identical"
    );
    let last = *series.last().expect("layers");
    assert!(
        last < series[1],
        "context pulls the two senses apart: {series:?}"
    );
    println!("cos(party, party) by depth: {series:?}");
}

#[test]
fn head_context_is_the_attention_weighted_sum_of_values() {
    use tokenscope_core::analysis::head_context;
    let trace = minilm().trace(CELEBRATION, None).expect("runs");
    let mut largest = 0.0f32;
    for layer in &trace.layers {
        let (heads, seq, d) = layer.value.dim();
        for head in 0..heads {
            for query in 0..seq {
                let got = head_context(layer, head, query).expect("in range");
                assert_eq!(got.len(), d);
                for k in 0..d {
                    let want: f32 = (0..seq)
                        .map(|j| layer.attention[[head, query, j]] * layer.value[[head, j, k]])
                        .sum();
                    largest = largest.max((got[k] - want).abs());
                }
            }
        }
        assert!(head_context(layer, heads, 0).is_none());
        assert!(head_context(layer, 0, seq).is_none());
    }
    println!("largest difference from a recomputed Σ p·v: {largest:e}");
    assert!(largest < 1e-5, "{largest}");
}
