//! The page model's rules, natively: selection, links and views here; models and
//! generation in `models.rs`; the Train panel in `train.rs`. Driven by messages as the
//! shell sends them and answered by the worker's own code on the embedded models.

use super::*;
use crate::protocol::{
    LossPoint, SentenceKey, TrainCommand, TrainFacts, TrainPhase, TrainSnapshot, TrainingUpdate,
};
use crate::testing::Harness;

mod models;
mod train;

pub(super) fn analyses(h: &Harness) -> Vec<(u64, String)> {
    h.sent
        .iter()
        .filter_map(|r| match r {
            Request::Analyze { seq, a, .. } => Some((*seq, a.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn url(effects: &[Effect]) -> Option<Vec<(&'static str, String)>> {
    effects.iter().rev().find_map(|e| match e {
        Effect::SyncUrl(q) => Some(q.clone()),
        _ => None,
    })
}

pub(super) fn param(query: &[(&'static str, String)], key: &str) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
}

#[test]
fn a_fresh_page_loads_the_embedded_model_and_selects_party() {
    let mut h = Harness::opened(&[]);
    assert!(h.page.busy(), "busy until the first analysis is drawn");
    assert!(!h.page.model_ready());
    h.send(Msg::Reply(Reply::Started));
    assert!(
        matches!(&h.sent[0], Request::Load { folder, .. } if folder == "models/all-MiniLM-L6-v2")
    );
    assert!(h.sent.contains(&Request::Positions));
    let ids: Vec<u32> = h.page.chips.iter().map(|c| c.id).collect();
    assert_eq!(
        &ids[..10],
        [101, 2493, 8439, 1996, 7665, 2007, 1037, 2502, 2283, 102]
    );
    assert_eq!(ids.len(), 20, "A and B, ten tokens each");
    let selected = h.page.selected_chip().expect("a selection");
    assert_eq!((selected.token.as_str(), selected.index), ("party", 8));
    assert!(h.page.model_ready() && !h.page.busy());
    assert_eq!(h.page.status.text, "Model ready.");
    assert!(h.page.positions.is_some());
}

#[test]
fn a_links_view_layer_head_and_token_survive_loading_and_are_kept_inside_the_model() {
    let h = Harness::ready(&[
        ("view", "head"),
        ("layer", "11"),
        ("head", "3"),
        ("token", "2"),
    ]);
    assert_eq!(h.page.state.view, "head");
    assert_eq!(h.page.state.layer, 5, "MiniLM has 6 layers");
    assert_eq!(h.page.state.head, 3);
    assert_eq!(h.page.selected(), Some(2));
}

#[test]
fn arrow_keys_move_the_selection_and_stop_at_the_ends() {
    let mut h = Harness::ready(&[]);
    let effects = h.send(Msg::MoveSelection(-1));
    assert_eq!(h.page.selected(), Some(7));
    assert!(effects.contains(&Effect::FocusChip(7)));
    assert_eq!(
        param(&url(&effects).expect("the link follows"), "token"),
        Some("7".into())
    );
    for _ in 0..30 {
        h.send(Msg::MoveSelection(-1));
    }
    assert_eq!(h.page.selected(), Some(0));
    for _ in 0..30 {
        h.send(Msg::MoveSelection(1));
    }
    assert_eq!(h.page.selected(), Some(h.page.chips.len() - 1));
    // A chip that does not exist selects nothing.
    assert!(h.send(Msg::SelectToken(999)).is_empty());
    assert_eq!(h.page.selected(), Some(19));
}

#[test]
fn hovering_previews_a_chip_and_redraws_only_the_pointer_parts() {
    let mut h = Harness::ready(&[("view", "head")]);
    assert_eq!(h.send(Msg::Hover(Some(2))), [Effect::RenderPointer]);
    assert_eq!(h.page.focus_in(SentenceKey::A), Some(2));
    assert!(
        h.send(Msg::Hover(Some(2))).is_empty(),
        "the same chip again: nothing to redraw"
    );
    h.send(Msg::Hover(None));
    assert_eq!(
        h.page.focus_in(SentenceKey::A),
        Some(8),
        "back to the selection"
    );
    // B follows A on the same word: both "party"s.
    assert_eq!(h.page.focus_in(SentenceKey::B), Some(8));
    h.send(Msg::AllLines(true));
    assert_eq!(h.page.focus_in(SentenceKey::A), None, "every token's lines");
}

#[test]
fn pair_mode_shows_the_pairs_tokens_split_by_sentence() {
    let mut h = Harness::ready(&[("token", "3")]);
    h.send(Msg::Pair(true));
    assert!(matches!(
        h.sent.last(),
        Some(Request::Analyze { pair: true, .. })
    ));
    assert_eq!(
        h.page.state.token, None,
        "a new sequence starts from the default token"
    );
    assert!(h.page.chips.iter().all(|c| c.source == SentenceKey::Pair));
    let pair = h.page.sentence(SentenceKey::Pair).expect("the pair ran");
    assert_eq!(h.page.chips.len(), pair.ids.len());
    assert_eq!(h.page.chips.iter().filter(|c| c.side == Side::B).count(), 9);
    assert_eq!(h.page.attention_keys(), [SentenceKey::Pair]);
    // B's "party" in the pair is B's own index 8 when B runs alone.
    let b_party = h
        .page
        .chips
        .iter()
        .rposition(|c| c.token == "party")
        .expect("party");
    h.send(Msg::SelectToken(b_party));
    assert_eq!(h.page.selected_separate(), Some((Side::B, 8)));
}

#[test]
fn a_filter_turns_pair_mode_on_and_leaving_pair_mode_clears_it() {
    let mut h = Harness::ready(&[("view", "head")]);
    let before = analyses(&h).len();
    h.send(Msg::Filter(PairFilter::AToB));
    assert!(h.page.state.pair);
    assert_eq!(analyses(&h).len(), before + 1, "the pair is run");
    let (rows, cols) = h
        .page
        .filtered_indices(h.page.sentence(SentenceKey::Pair).expect("pair"));
    assert_eq!((rows.len(), cols.len()), (10, 9));
    assert_eq!(
        h.page.pair_filter(SentenceKey::A),
        PairFilter::All,
        "only the pair filters"
    );
    let count = analyses(&h).len();
    h.send(Msg::Filter(PairFilter::BToB));
    assert_eq!(analyses(&h).len(), count, "already a pair: no new run");
    h.send(Msg::Pair(false));
    assert_eq!(h.page.state.filter, PairFilter::All);
}

#[test]
fn an_edit_redraws_the_charts_only_when_its_answer_arrives() {
    let mut h = Harness::opened(&[]);
    let before_model = h.send(Msg::SentenceA("a dog".into()));
    assert!(before_model.contains(&Effect::Render), "{before_model:?}");
    let mut h = Harness::ready(&[]);
    h.hold = true;
    let edited = h.send(Msg::SentenceA("a dog".into()));
    assert!(edited.contains(&Effect::RenderControls), "{edited:?}");
    assert!(!edited.contains(&Effect::Render), "{edited:?}");
    let again = h.send(Msg::SentenceB("a cat".into()));
    assert!(again.contains(&Effect::RenderControls), "{again:?}");
    assert!(
        !again.contains(&Effect::Render),
        "in flight: only the controls"
    );
    h.release();
    assert_eq!(h.page.chips[2].token, "dog", "the answer is in");
}

#[test]
fn keystrokes_during_an_analysis_merge_into_one_request_with_the_newest_text() {
    let mut h = Harness::ready(&[]);
    h.hold = true;
    h.send(Msg::SentenceA("a".into()));
    h.send(Msg::SentenceA("a c".into()));
    h.send(Msg::SentenceA("a cat".into()));
    assert!(h.page.busy());
    let asked: Vec<String> = analyses(&h).into_iter().map(|(_, a)| a).collect();
    assert_eq!(
        asked.last().map(String::as_str),
        Some("a"),
        "one in flight, the rest wait"
    );
    h.release();
    let asked: Vec<String> = analyses(&h).into_iter().map(|(_, a)| a).collect();
    assert_eq!(
        &asked[asked.len() - 2..],
        ["a", "a cat"],
        "the two middle texts never run"
    );
    assert!(!h.page.busy());
    let tokens: Vec<&str> = h
        .page
        .chips
        .iter()
        .take(4)
        .map(|c| c.token.as_str())
        .collect();
    assert_eq!(tokens, ["[CLS]", "a", "cat", "[SEP]"]);
}

#[test]
fn an_answer_to_replaced_text_is_dropped() {
    let mut h = Harness::ready(&[]);
    let seq = h.page.requests.seq;
    let (stale, _) = crate::worker::compute::analyze(
        h.model(),
        seq - 1,
        "old text",
        "",
        false,
        &tokenscope_core::Ablation::none(),
    )
    .expect("runs");
    let chips = h.page.chips.clone();
    h.send(Msg::Reply(Reply::Analysis(stale)));
    assert_eq!(h.page.chips, chips);
}

#[test]
fn every_link_parameter_round_trips_through_the_address_bar() {
    let mut h = Harness::ready(&[]);
    let mut last = Vec::new();
    for msg in [
        Msg::SentenceA("Tim chased clouds".into()),
        Msg::SentenceB("clouds chased Tim".into()),
        Msg::Filter(PairFilter::BToA),
        Msg::Layer(3),
        Msg::Head(7),
        Msg::Depth(4),
        Msg::SelectToken(2),
        Msg::Lang(Lang::Zh),
        Msg::ToggleTheme,
        Msg::ShowView("generate".into()),
        Msg::Decoding(DecodingField::Temperature, 0.5),
        Msg::Decoding(DecodingField::TopK, 7.0),
        Msg::Decoding(DecodingField::TopP, 0.9),
        Msg::Decoding(DecodingField::Seed, 42.0),
    ] {
        if let Some(query) = url(&h.send(msg)) {
            last = query;
        }
    }
    let pairs: Vec<(&str, &str)> = last.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let names: Vec<&str> = h.page.views.iter().map(|v| v.name).collect();
    let read = PageState::from_query(pairs, Lang::En, false, &names);
    assert_eq!(read, h.page.state, "the link reproduces the page");
    assert_eq!(read.layer, 3);
    assert_eq!(read.filter, PairFilter::BToA);
    assert!(read.pair && read.dark && read.lang == Lang::Zh);
    assert_eq!((read.top_k, read.seed), (7, 42));
}

#[test]
fn the_link_changes_only_when_what_it_carries_changes() {
    let mut h = Harness::ready(&[("view", "head")]);
    assert!(url(&h.send(Msg::Hover(Some(1)))).is_none());
    assert!(url(&h.send(Msg::ToggleHead(2))).is_none());
    let query = url(&h.send(Msg::Layer(1))).expect("the layer is in the link");
    assert_eq!(param(&query, "layer"), Some("1".into()));
    assert_eq!(
        param(&query, "temp"),
        None,
        "decoding only in the generate view"
    );
    let query = url(&h.send(Msg::ShowView("generate".into()))).expect("a new view");
    assert_eq!(param(&query, "temp"), Some("0.8".into()));
}

#[test]
fn the_qkv_view_asks_for_its_detail_once_and_again_when_the_target_changes() {
    let mut h = Harness::ready(&[]);
    let qkv_requests = |h: &Harness| {
        h.sent
            .iter()
            .filter(|r| matches!(r, Request::Qkv { .. }))
            .count()
    };
    assert_eq!(qkv_requests(&h), 0, "not while another view is shown");
    h.send(Msg::ShowView("neuron".into()));
    assert_eq!(qkv_requests(&h), 1);
    let detail = h.page.current_qkv().expect("answered");
    assert_eq!((detail.token, detail.layer, detail.head), (8, 0, 0));
    h.send(Msg::ShowView("neuron".into()));
    h.send(Msg::AllLines(true));
    assert_eq!(qkv_requests(&h), 1, "nothing new to ask");
    h.send(Msg::Head(4));
    assert_eq!(qkv_requests(&h), 2);
    assert_eq!(h.page.current_qkv().map(|d| d.head), Some(4));
    h.send(Msg::SentenceA("a dog".into()));
    assert_eq!(qkv_requests(&h), 3, "a new analysis, a new detail");
    assert_eq!(
        h.page.current_qkv().map(|d| d.seq),
        Some(h.page.requests.seq)
    );
}

#[test]
fn the_qkv_detail_waits_for_the_analysis_in_flight() {
    let mut h = Harness::ready(&[("view", "neuron")]);
    h.hold = true;
    h.send(Msg::SentenceA("a dog barks".into()));
    let last = h.sent.last().expect("sent");
    assert!(
        matches!(last, Request::Analyze { .. }),
        "no q/k/v for tokens that are being replaced"
    );
    h.release();
    assert!(matches!(h.sent.last(), Some(Request::Qkv { .. })));
    assert!(h.page.current_qkv().is_some());
}

#[test]
fn an_unknown_view_name_changes_nothing() {
    let mut h = Harness::ready(&[("view", "similarity")]);
    assert!(h.send(Msg::ShowView("nonsense".into())).is_empty());
    assert_eq!(h.page.state.view, "similarity");
    let opened = Harness::opened(&[("view", "nonsense")]);
    assert_eq!(opened.page.state.view, "tokens");
}

#[test]
fn the_learning_view_fetches_its_models_record_once_per_folder() {
    let mut h = Harness::ready(&[("model", "models/tokenscope-gpt")]);
    let fetches = |h: &Harness| {
        h.effects
            .iter()
            .filter(|e| matches!(e, Effect::FetchTrainingRecord(_)))
            .count()
    };
    assert_eq!(fetches(&h), 0);
    h.send(Msg::ShowView("learn".into()));
    assert!(h
        .effects
        .contains(&Effect::FetchTrainingRecord("models/tokenscope-gpt".into())));
    h.send(Msg::ShowView("learn".into()));
    assert_eq!(fetches(&h), 1);
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/models/tokenscope-gpt/training.json"),
    )
    .expect("the record");
    let record = TrainingRecord::parse(&bytes).expect("parses");
    // An answer for another folder (a model that arrived meanwhile) is ignored.
    h.send(Msg::TrainingRecord {
        folder: "models/other".into(),
        result: Ok(record.clone()),
    });
    assert!(h.page.training_record.is_none());
    h.send(Msg::TrainingRecord {
        folder: "models/tokenscope-gpt".into(),
        result: Ok(record.clone()),
    });
    assert_eq!(h.page.training_record.as_ref(), Some(&record));
}
