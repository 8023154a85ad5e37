//! Properties that hold for any input (proptest): attention rows are probability
//! distributions, causal attention never looks ahead, cosine is symmetric and bounded, a BERT
//! pair's token types mark its two texts, and a result never depends on earlier calls.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use ndarray::Array1;
use proptest::prelude::*;
use proptest::test_runner::{contextualize_config, TestCaseError};
use tokenscope_core::analysis::cosine;
use tokenscope_core::Model;

fn fixture(name: &str) -> Model {
    Model::from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/reference/fixtures")
            .join(name),
    )
    .expect("fixture loads")
}

fn bert() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| fixture("tiny-bert"))
}

fn gpt() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| fixture("tiny-gpt2"))
}

/// Text a class might type, and worse: words, emoji, CJK, right-to-left, zero-width and
/// control characters, markup.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-z]{1,9}",
            Just(" ".to_string()),
            Just("party".to_string()),
            Just("🎉".to_string()),
            Just("派对".to_string()),
            Just("حفلة".to_string()),
            Just("\u{200b}".to_string()),
            Just("\u{0007}".to_string()),
            Just("<script>".to_string()),
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// Every attention row of every layer and head sums to 1; with `causal`, keys after the
/// query get exactly 0. Returns how many rows it checked.
fn check_attention(
    model: &Model,
    text: &str,
    pair: Option<&str>,
    causal: bool,
) -> Result<usize, TestCaseError> {
    // Empty or all-whitespace text is refused with a message; that is the answer, not a
    // panic. Such a case is rejected, so proptest draws another instead of passing it.
    let trace = model.trace(text, pair);
    prop_assume!(trace.is_ok(), "refused: {:?}", text);
    let trace = trace.map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut checked = 0;
    for (l, layer) in trace.layers.iter().enumerate() {
        let (heads, rows, cols) = layer.attention.dim();
        assert_eq!(rows, cols);
        for h in 0..heads {
            for q in 0..rows {
                let row = layer.attention.slice(ndarray::s![h, q, ..]);
                let sum: f32 = row.sum();
                assert!(
                    (sum - 1.0).abs() < 1e-5,
                    "layer {l} head {h} row {q} sums to {sum} for {text:?}"
                );
                assert!(row.iter().all(|p| (0.0..=1.0).contains(p)));
                if causal {
                    assert!(
                        row.iter().skip(q + 1).all(|&p| p == 0.0),
                        "layer {l} head {h} row {q} looks ahead for {text:?}"
                    );
                }
                checked += 1;
            }
        }
    }
    Ok(checked)
}

/// The cases a property over traced text runs (PROPTEST_CASES overrides it, as for any
/// proptest).
fn traced_config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    }
}

/// Rejected cases do not count towards proptest's cases, so every case it ran must have
/// checked attention rows: a path that skipped the checks would leave the count short.
fn assert_every_case_was_checked(checked: &AtomicUsize) {
    let cases = contextualize_config(traced_config()).cases as usize;
    let checked = checked.load(Ordering::Relaxed);
    assert!(
        checked >= cases,
        "only {checked} of {cases} cases reached their checks"
    );
}

#[test]
fn bert_attention_rows_are_distributions() {
    let checked = AtomicUsize::new(0);
    proptest!(traced_config(), |(text in text())| {
        if check_attention(bert(), &text, None, false)? > 0 {
            checked.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_every_case_was_checked(&checked);
}

#[test]
fn gpt_attention_rows_are_distributions_and_never_look_ahead() {
    let checked = AtomicUsize::new(0);
    proptest!(traced_config(), |(text in text())| {
        if check_attention(gpt(), &text, None, true)? > 0 {
            checked.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_every_case_was_checked(&checked);
}

#[test]
fn a_pairs_token_types_mark_its_two_texts() {
    let checked = AtomicUsize::new(0);
    proptest!(traced_config(), |(a in text(), b in text())| {
        let tokens = bert().tokenize(&a, Some(&b));
        prop_assume!(tokens.is_ok(), "refused: {:?}", (&a, &b));
        let tokens = tokens.map_err(|e| TestCaseError::fail(e.to_string()))?;
        let rows = check_attention(bert(), &a, Some(&b), false)?;
        // [CLS] A [SEP] are type 0, B [SEP] type 1: one switch, right after the first [SEP].
        let first_sep = tokens.tokens.iter().position(|t| t == "[SEP]");
        prop_assert!(first_sep.is_some(), "{:?}", tokens.tokens);
        let first_sep = first_sep.unwrap_or_default();
        for (i, &t) in tokens.type_ids.iter().enumerate() {
            prop_assert_eq!(t, u32::from(i > first_sep), "token {} of {:?}", i, tokens.tokens);
        }
        prop_assert_eq!(tokens.tokens.first().map(String::as_str), Some("[CLS]"));
        prop_assert_eq!(tokens.tokens.last().map(String::as_str), Some("[SEP]"));
        if rows > 0 {
            checked.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_every_case_was_checked(&checked);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_result_does_not_depend_on_earlier_calls(first in text(), second in text()) {
        for model in [bert(), gpt()] {
            let fresh = model.trace(&second, None).ok();
            let _ = model.trace(&first, None);
            let again = model.trace(&second, None).ok();
            match (fresh, again) {
                (Some(f), Some(a)) => {
                    prop_assert_eq!(&f.input.ids, &a.input.ids);
                    for (x, y) in f.layers.iter().zip(&a.layers) {
                        prop_assert_eq!(&x.attention, &y.attention);
                    }
                    prop_assert_eq!(f.hidden_states.last(), a.hidden_states.last());
                }
                (None, None) => {}
                (f, a) => prop_assert!(false, "one run failed: {} vs {}", f.is_some(), a.is_some()),
            }
        }
    }

    #[test]
    fn cosine_is_symmetric_and_within_minus_one_and_one(
        pairs in prop::collection::vec((-1e3f32..1e3, -1e3f32..1e3), 1..64)
    ) {
        let a: Array1<f32> = pairs.iter().map(|p| p.0).collect();
        let b: Array1<f32> = pairs.iter().map(|p| p.1).collect();
        let ab = cosine(a.view(), b.view());
        let ba = cosine(b.view(), a.view());
        prop_assert_eq!(ab, ba);
        prop_assert!((-1.0..=1.0).contains(&ab), "{}", ab);
        if a.iter().any(|&x| x != 0.0) {
            let aa = cosine(a.view(), a.view());
            prop_assert!((aa - 1.0).abs() < 1e-6, "cos(a, a) = {}", aa);
            let negative = a.mapv(|x| -x);
            prop_assert!((cosine(a.view(), negative.view()) + 1.0).abs() < 1e-6);
        }
    }
}
