//! The worker's computing job against real traces of the embedded and tiny models.

use super::*;
use std::path::Path;

fn minilm() -> Model {
    Model::from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/models/all-MiniLM-L6-v2"),
    )
    .expect("embedded model loads")
}

const CELEBRATION: &str = "students celebrate the graduation with a big party";
const POLITICS: &str = "deputy leader is highly respected in the party";

#[test]
fn analysis_carries_every_sentence_and_the_party_similarity() {
    let model = minilm();
    let (reply, session) = analyze(
        &model,
        4,
        CELEBRATION,
        POLITICS,
        true,
        &tokenscope_core::Ablation::none(),
    )
    .expect("runs");
    let Analysis {
        seq,
        num_layers,
        num_heads,
        sentences,
        similarity,
        ..
    } = reply;
    assert_eq!(seq, 4);
    let keys: Vec<_> = sentences.iter().map(|s| s.key).collect();
    assert_eq!(keys, [SentenceKey::A, SentenceKey::B, SentenceKey::Pair]);
    let a = &sentences[0];
    assert_eq!(
        a.ids,
        [101, 2493, 8439, 1996, 7665, 2007, 1037, 2502, 2283, 102]
    );
    assert_eq!(a.attention.len(), num_layers * num_heads * 10 * 10);
    assert_eq!(a.embeddings.len(), 10 * 384);
    let pair = &sentences[2];
    assert_eq!(pair.ids.len(), 10 + 9);
    assert_eq!(pair.type_ids.iter().filter(|&&t| t == 1).count(), 9);
    // Every attention row is a probability distribution.
    for row in a.attention.chunks(10) {
        let sum: f32 = row.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "{sum}");
    }
    let similarity = similarity.expect("both short");
    assert_eq!(
        (similarity.rows, similarity.cols),
        (SentenceKey::A, SentenceKey::B)
    );
    assert_eq!(similarity.depths, num_layers + 2);
    let (rows, cols) = (10, 10);
    let party = |depth: usize| similarity.values[depth * rows * cols + 8 * cols + 8];
    assert!(
        (party(0) - 1.0).abs() < 1e-6,
        "static party·party = {}",
        party(0)
    );
    assert!(
        party(num_layers + 1) < 0.8,
        "contextual party·party = {}",
        party(num_layers + 1)
    );

    // The neuron view's numbers are the trace's: probabilities sum to 1 and the context
    // is their weighted sum of values.
    let QkvDetail {
        probs,
        values,
        context,
        head_dim,
        masked_from,
        ..
    } = session
        .qkv(&model, 5, SentenceKey::A, 0, 3, 8)
        .expect("a q/k/v detail");
    assert_eq!(masked_from, None);
    assert!((probs.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    for k in 0..head_dim {
        let want: f32 = (0..10).map(|j| probs[j] * values[j * head_dim + k]).sum();
        assert!((context[k] - want).abs() < 1e-5);
    }
    assert!(session.qkv(&model, 5, SentenceKey::A, 9, 0, 0).is_err());
    assert!(session.qkv(&model, 5, SentenceKey::A, 0, 12, 0).is_err());
    assert!(session.qkv(&model, 5, SentenceKey::A, 0, 0, 10).is_err());
}

#[test]
fn one_sentence_compares_with_itself_and_has_no_pair() {
    let model = minilm();
    let (reply, session) = analyze(
        &model,
        1,
        CELEBRATION,
        "   ",
        true,
        &tokenscope_core::Ablation::none(),
    )
    .expect("runs");
    let Analysis {
        sentences,
        similarity,
        ..
    } = reply;
    assert_eq!(sentences.len(), 1);
    let similarity = similarity.expect("short");
    assert_eq!(
        (similarity.rows, similarity.cols),
        (SentenceKey::A, SentenceKey::A)
    );
    assert!(session.qkv(&model, 2, SentenceKey::Pair, 0, 0, 0).is_err());
}

#[test]
fn a_gpt_model_sends_its_predictions_and_runs_no_pair() {
    let model = Model::from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/fixtures/tiny-gpt2"),
    )
    .expect("tiny GPT-2 loads");
    let (reply, session) = analyze(
        &model,
        1,
        "the party",
        "a party",
        true,
        &tokenscope_core::Ablation::none(),
    )
    .expect("runs");
    let Analysis { sentences, .. } = reply;
    let keys: Vec<_> = sentences.iter().map(|s| s.key).collect();
    assert_eq!(keys, [SentenceKey::A, SentenceKey::B], "no pair for GPT");
    let a = &sentences[0];
    assert_eq!(a.predictions.len(), a.ids.len());
    for (i, p) in a.predictions.iter().enumerate() {
        assert_eq!(p.top.len(), TOP_PREDICTIONS);
        assert!(p.top.windows(2).all(|w| w[0].prob >= w[1].prob));
        match (&p.actual, a.ids.get(i + 1)) {
            (Some(actual), Some(&next)) => assert_eq!(actual.id, next),
            (None, None) => {}
            other => panic!("position {i}: {other:?}"),
        }
    }
    // Causal attention: nothing above the diagonal.
    let s = a.ids.len();
    for (n, p) in a.attention.iter().enumerate() {
        let (row, col) = ((n / s) % s, n % s);
        if col > row {
            assert_eq!(*p, 0.0);
        }
    }
    let QkvDetail { masked_from, .. } = session
        .qkv(&model, 2, SentenceKey::A, 0, 0, 0)
        .expect("a q/k/v detail");
    assert_eq!(masked_from, Some(1));
}

#[test]
fn generation_packs_steps_and_each_steps_attention_row() {
    let model = Model::from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/fixtures/tiny-gpt2"),
    )
    .expect("tiny GPT-2 loads");
    let sampling = Sampling {
        temperature: 0.8,
        top_k: 5,
        top_p: 1.0,
        seed: 2,
    };
    let Generation {
        prompt_ids,
        steps,
        attention,
        ..
    } = generation(&model, 1, "the party", 4, &sampling, 1, 2).expect("a generation");
    // Same ids as the Python reference's "the party", T=0.8, k=5, seed 2 (first 4).
    assert_eq!(
        steps.iter().map(|s| s.id).collect::<Vec<_>>(),
        [12, 77, 77, 137]
    );
    let width = prompt_ids.len() + steps.len() - 1;
    assert_eq!(attention.len(), steps.len() * width);
    for (i, row) in attention.chunks(width).enumerate() {
        let visible = prompt_ids.len() + i;
        assert!((row[..visible].iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(
            row[visible..].iter().all(|&p| p == 0.0),
            "step {i} looks ahead"
        );
    }
    assert!(steps
        .iter()
        .all(|s| s.top.len() == TOP_PREDICTIONS && s.kept == 5));
    let bert = minilm();
    assert!(generation(&bert, 1, "x", 2, &sampling, 0, 0).is_err());
}

#[test]
fn long_text_keeps_its_tokens_but_sends_no_attention() {
    let model = minilm();
    let long = "word ".repeat(MAX_VIEW_TOKENS + 5);
    let (reply, _) = analyze(
        &model,
        1,
        &long,
        "",
        false,
        &tokenscope_core::Ablation::none(),
    )
    .expect("runs");
    let Analysis {
        sentences,
        similarity,
        ..
    } = reply;
    assert!(sentences[0].too_long);
    assert!(sentences[0].attention.is_empty());
    assert_eq!(sentences[0].ids.len(), MAX_VIEW_TOKENS + 7);
    assert!(similarity.is_none());
}

fn fixture(name: &str) -> Model {
    Model::from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/reference/fixtures")
            .join(name),
    )
    .expect("fixture model loads")
}

#[test]
fn a_rotary_models_detail_shows_the_turn_and_the_distance_curves() {
    let model = fixture("tiny-llama");
    let facts = ready("tiny-llama", &model, 0);
    assert_eq!((facts.num_heads, facts.num_kv_heads), (8, 2));
    assert_eq!(facts.rotary_frequencies.as_ref().map(Vec::len), Some(4));
    assert_eq!(
        facts
            .anatomy
            .parts
            .iter()
            .map(|p| p.parameters)
            .sum::<u64>(),
        facts.anatomy.total_parameters()
    );
    // No learned position table to send.
    assert_eq!(positions(&model).rows, 0);
    let (_, session) = analyze(
        &model,
        1,
        CELEBRATION,
        "",
        false,
        &tokenscope_core::Ablation::none(),
    )
    .expect("runs");
    let detail = session
        .qkv(&model, 1, SentenceKey::A, 1, 5, 6)
        .expect("detail");
    assert_eq!(
        detail.kv_head, 1,
        "query head 5 reads key/value head 5 / 4 = 1"
    );
    let rotary = detail.rotary.expect("rotary detail");
    let d = detail.head_dim;
    // The key of the selected token before the turn differs from after; position 0 does not.
    assert_ne!(rotary.query, detail.query);
    assert_eq!(rotary.keys[..d], detail.keys[..d]);
    // Turning the unrotated query by its position gives the query the scores used.
    let inv = model.rotary_frequencies().expect("rotary");
    let (cos, sin) = tokenscope_core::rope::cos_sin(inv, 6, 1);
    let mut q = ndarray::Array3::from_shape_vec((1, 1, d), rotary.query.clone()).expect("shape");
    tokenscope_core::rope::rotate(&mut q, &cos, &sin);
    for (a, b) in q.iter().zip(&detail.query) {
        assert!((a - b).abs() < 1e-5);
    }
    // The curves coincide wherever the query sits: the score depends on distance only.
    assert_eq!(rotary.query_positions, vec![32, 47, 63]);
    let first = &rotary.scores_by_distance[0];
    assert_eq!(first.len(), 33);
    for curve in &rotary.scores_by_distance[1..] {
        for (a, b) in first.iter().zip(curve) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }
    // At distance 0 it is q·k/√d of the token with itself, as the trace scored it.
    assert!(
        (first[0] - detail.scores[6]).abs() < 1e-4,
        "{} vs {}",
        first[0],
        detail.scores[6]
    );
}

#[test]
fn a_sentence_asked_again_unchanged_reuses_its_trace_and_nothing_else_does() {
    let model = minilm();
    let none = tokenscope_core::Ablation::none();
    let (_, mut session) = analyze(&model, 1, CELEBRATION, POLITICS, true, &none).expect("runs");
    // Marks B's kept trace, so an answer that reuses it shows the mark.
    const MARK: f32 = 12345.0;
    session.traces[1].1.embeddings.word[[0, 0]] = MARK;
    let ask = |a: &str, ablate: Vec<(usize, usize)>| Request::Analyze {
        seq: 2,
        a: a.into(),
        b: POLITICS.into(),
        pair: true,
        ablate,
    };
    let first_b = |reply: Option<Reply>| match reply {
        Some(Reply::Analysis(analysis)) => analysis.sentences[1].embeddings[0],
        other => panic!("not an analysis: {other:?}"),
    };
    let edited = answer(&model, &mut session, ask("students party", vec![]));
    assert_eq!(first_b(edited), MARK, "B unchanged: its trace is reused");
    session.traces[1].1.embeddings.word[[0, 0]] = MARK;
    let ablated = answer(&model, &mut session, ask("students party", vec![(0, 1)]));
    let fresh = analyze(
        &model,
        2,
        "students party",
        POLITICS,
        true,
        &tokenscope_core::Ablation::new(vec![(0, 1)]),
    )
    .expect("runs")
    .0;
    assert_eq!(
        first_b(ablated),
        fresh.sentences[1].embeddings[0],
        "other heads switched off: B runs again"
    );
    let Some(Reply::Analysis(again)) =
        answer(&model, &mut session, ask("students party", vec![(0, 1)]))
    else {
        panic!("not an analysis");
    };
    assert_eq!(again, fresh, "reused traces give the fresh answer");
}
