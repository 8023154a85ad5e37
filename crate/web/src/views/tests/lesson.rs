//! The lesson, natively: every step says its point in both languages with claims equal to
//! the core's numbers, edits keep the text true (or say plainly what broke), and the step
//! follows the keys and the link.

use super::*;
use crate::page::{LessonMsg, PageState, Step};
use crate::views::out::El;
use tokenscope_core::Trace;

/// A claim as the page marks it: (kind, sentence, token, value).
type Claim = (String, Option<String>, Option<String>, String);

fn collect(el: &El, into: &mut Vec<Claim>) {
    if let Some(kind) = el.get("data-claim") {
        into.push((
            kind.to_string(),
            el.get("data-sentence").map(String::from),
            el.get("data-token").map(String::from),
            el.get("data-value").unwrap_or_default().to_string(),
        ));
    }
    for child in &el.children {
        if let Node::El(c) = child {
            collect(c, into);
        }
    }
}

fn claims(out: &Out) -> Vec<Claim> {
    let mut all = Vec::new();
    for id in ["lesson-body", "lesson-notice"] {
        for node in out.children_of(id).unwrap_or_default() {
            if let Node::El(el) = node {
                collect(el, &mut all);
            }
        }
    }
    all
}

fn body_text(out: &Out) -> String {
    out.children_of("lesson-body")
        .unwrap_or_default()
        .iter()
        .map(|n| match n {
            Node::El(el) => el.all_text(),
            Node::Table(_) => String::new(),
        })
        .collect()
}

fn record() -> tokenscope_core::train::record::TrainingRecord {
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/models/tokenscope-gpt/training.json"),
    )
    .expect("the record");
    tokenscope_core::train::record::TrainingRecord::parse(&bytes).expect("parses")
}

fn go(h: &mut Harness, step: usize) {
    h.send(Msg::Lesson(LessonMsg::Go(step)));
    if Step::at(step) == Some(Step::Learning) && h.page.training_record.is_none() {
        h.send(Msg::TrainingRecord {
            folder: "models/tokenscope-gpt".into(),
            result: Ok(record()),
        });
    }
}

#[test]
fn every_step_says_its_point_with_live_numbers_in_both_languages() {
    let mut h = Harness::ready(&[]);
    h.send(Msg::Lesson(LessonMsg::Start));
    for step in Step::ALL {
        let n = step.number();
        go(&mut h, n);
        let setup = step.setup();
        assert_eq!(h.page.state.view, setup.view, "step {n}");
        assert_eq!(h.page.causal(), setup.gpt, "step {n}: the model");
        for lang in [Lang::En, Lang::Zh] {
            h.send(Msg::Lang(lang));
            let out = shown(&h);
            assert_eq!(out.attr_of("lesson", "data-step"), Some(n.to_string()));
            let text = body_text(&out);
            assert!(
                !text.contains('{') && !text.contains(crate::i18n::MISSING),
                "step {n}: {text}"
            );
            let found = claims(&out);
            assert!(
                !found.is_empty(),
                "step {n} ({lang:?}) states no number: {text}"
            );
            for key in ["title", "body", "notice", "try"] {
                let key = format!("lesson-{}-{key}", step.name());
                assert!(crate::i18n::has(&key), "{key}");
                assert_ne!(
                    crate::i18n::text(Lang::En, &key),
                    crate::i18n::text(Lang::Zh, &key),
                    "{key} is not translated"
                );
            }
        }
        h.send(Msg::Lang(Lang::En));
    }
}

/// The token layer 0 attends most from `word`, averaged over heads, leaving out the
/// markers and the word itself, as the core computes it.
fn core_partner(trace: &Trace, word: &str) -> (String, f32) {
    let tokens = &trace.input.tokens;
    let i = tokens.iter().position(|t| t == word).expect("the word");
    let attention = &trace.layers[0].attention; // (heads, S, S)
    let heads = attention.dim().0;
    (0..tokens.len())
        .filter(|&j| j != i && tokens[j] != "[CLS]" && tokens[j] != "[SEP]")
        .map(|j| {
            let w = (0..heads).map(|h| attention[[h, i, j]]).sum::<f32>() / heads as f32;
            (tokens[j].clone(), w)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("a partner")
}

#[test]
fn the_attention_step_names_the_cores_partners_and_follows_an_edit() {
    let mut h = Harness::ready(&[("lesson", "1"), ("step", "8")]);
    let check = |h: &Harness, sentence: &str, text: &str| {
        let (token, weight) = core_partner(&h.trace(text), "party");
        let found = claims(&shown(h));
        let claim = found
            .iter()
            .find(|c| c.0 == "attention-partner" && c.1.as_deref() == Some(sentence))
            .unwrap_or_else(|| panic!("a partner in {sentence}: {found:?}"));
        assert_eq!(claim.2.as_deref(), Some(token.as_str()), "{sentence}");
        assert_eq!(claim.3, format!("{weight:.4}"), "{sentence}");
        token
    };
    assert_eq!(
        check(&h, "a", CELEBRATION),
        "celebrate",
        "the article's partner"
    );
    assert_eq!(check(&h, "b", POLITICS), "deputy", "the article's partner");
    assert!(shown(&h).text_of("lesson-edited").is_none_or(str::is_empty));
    // An edit: the partner is recomputed, and the page says the text is the student's.
    let edited = "students enjoy the graduation with a big party";
    h.send(Msg::SentenceA(edited.into()));
    check(&h, "a", edited);
    assert!(shown(&h)
        .text_of("lesson-edited")
        .is_some_and(|t| !t.is_empty()));
    // The word gone: said plainly, no numbers.
    h.send(Msg::SentenceA("students celebrate the graduation".into()));
    let out = shown(&h);
    assert!(claims(&out).is_empty());
    assert!(
        body_text(&out).contains("“party” is no longer in sentence A"),
        "{}",
        body_text(&out)
    );
    // Setting the step up again brings the sentence back.
    h.send(Msg::Lesson(LessonMsg::Restart));
    assert_eq!(h.page.state.a, CELEBRATION);
}

#[test]
fn the_static_and_position_steps_state_the_cores_cosines() {
    let h = Harness::ready(&[("lesson", "1"), ("step", "10")]);
    let (a, b) = (h.trace(crate::page::TIM_A), h.trace(crate::page::TIM_B));
    let tim = |t: &Trace| t.input.tokens.iter().position(|x| x == "tim").expect("tim");
    let at = |depth: usize| {
        let row = |t: &Trace| match depth {
            0 => t.embeddings.word.row(tim(t)).to_owned(),
            d => t.hidden_states[d - 1].row(tim(t)).to_owned(),
        };
        tokenscope_core::analysis::cosine(row(&a).view(), row(&b).view())
    };
    let found = claims(&shown(&h));
    let value = |kind: &str| {
        found
            .iter()
            .find(|c| c.0 == kind)
            .map(|c| c.3.clone())
            .unwrap_or_else(|| panic!("{kind}: {found:?}"))
    };
    assert_eq!(value("static-cosine"), format!("{:.4}", at(0)));
    assert_eq!(value("static-cosine"), "1.0000", "one table row");
    assert_eq!(value("position-cosine"), format!("{:.4}", at(1)));
    assert_eq!(
        value("contextual-cosine"),
        format!("{:.4}", at(a.hidden_states.len()))
    );
    assert!(at(1) < 0.9999, "positions make them differ");
}

#[test]
fn keys_move_through_steps_and_the_link_opens_the_step() {
    let mut h = Harness::ready(&[]);
    // Outside the lesson the arrows move the selected token.
    let before = h.page.selected();
    h.send(Msg::Arrow(-1));
    assert_ne!(h.page.selected(), before);
    h.send(Msg::Lesson(LessonMsg::Start));
    assert_eq!(h.page.state.lesson, Some(1));
    h.send(Msg::Arrow(-1));
    assert_eq!(h.page.state.lesson, Some(1), "no step before the first");
    h.send(Msg::Arrow(1));
    h.send(Msg::Lesson(LessonMsg::Move(1)));
    assert_eq!(h.page.state.lesson, Some(3));
    let query = h.page.query();
    assert!(query.contains(&("lesson", "1".into())) && query.contains(&("step", "3".into())));
    // The step's token is selected: "party" in sentence A.
    let chip = h.page.selected_chip().expect("a token");
    assert_eq!(chip.token, "party");
    // A link to step 11 opens the embedded GPT with "big" selected.
    let link: Vec<(&str, String)> = vec![("lesson", "1".into()), ("step", "11".into())];
    let pairs: Vec<(&str, &str)> = link.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let h = Harness::ready(&pairs);
    assert_eq!(h.page.state.model.as_deref(), Some("models/tokenscope-gpt"));
    assert_eq!(
        h.page.selected_chip().map(|c| c.token.as_str()),
        Some("Ġbig")
    );
    let state = PageState::from_query(pairs.iter().copied(), Lang::En, false, &["tokens"]);
    assert_eq!(state.lesson, Some(11));
    // Leaving the lesson drops it from the link.
    let mut h = h;
    h.send(Msg::Lesson(LessonMsg::Exit));
    assert!(!h.page.query().iter().any(|(k, _)| *k == "lesson"));
}

#[test]
fn the_handout_takes_every_step_with_its_numbers_and_figure_then_prints() {
    let mut h = Harness::ready(&[("lesson", "1"), ("step", "5")]);
    h.send(Msg::Lesson(LessonMsg::Handout));
    for _ in 0..Step::ALL.len() * 3 {
        if h.page.state.lesson == Some(Step::Learning.number()) && h.page.training_record.is_none()
        {
            h.send(Msg::TrainingRecord {
                folder: "models/tokenscope-gpt".into(),
                result: Ok(record()),
            });
        }
        match crate::views::lesson::handout_page(&h.page) {
            Some(page) => {
                h.send(Msg::HandoutPage(Box::new(page)));
            }
            None => break,
        }
    }
    let handout = h.page.handout.as_ref().expect("a handout");
    assert!(handout.done, "gathered {} pages", handout.pages.len());
    assert_eq!(handout.pages.len(), Step::ALL.len());
    for page in &handout.pages {
        assert!(
            page.body.iter().any(|(_, claim)| *claim),
            "step {} has numbers",
            page.step
        );
        let figure = page.figure.as_deref().expect("a figure");
        assert!(
            figure.starts_with("<svg") && figure.len() > 500,
            "step {}",
            page.step
        );
    }
    assert_eq!(h.page.state.lesson, Some(5), "back where the teacher was");
    assert!(h.effects.contains(&crate::page::Effect::Print));
    let out = shown(&h);
    let pages = out.children_of("handout").expect("the handout");
    assert_eq!(pages.len(), Step::ALL.len());
    let Node::El(first) = &pages[0] else {
        panic!("an article")
    };
    assert_eq!(first.get("data-step"), Some("1"));
    assert!(first.all_text().contains("Step 1 of 13"));
}
