//! The views, natively: the registry agrees with index.html, every view's tables and texts
//! are the numbers of a real trace of the embedded models, every canvas paints to SVG, and
//! the pointer and the controls mean what they should.

use plotters::prelude::*;

use super::kit::{Control, Hit, Pointer, Target, UiEvent, UiInput};
use super::out::{Node, Out, Patch, Table};
use super::*;
use crate::page::{Lang, Msg};
use crate::protocol::SentenceKey;
use crate::testing::Harness;

mod lesson;
mod rotary;
mod tables;

pub(super) const HTML: &str = include_str!("../../../../../www/index.html");
pub(super) const CELEBRATION: &str = "students celebrate the graduation with a big party";
pub(super) const POLITICS: &str = "deputy leader is highly respected in the party";

pub(super) fn shown(h: &Harness) -> Out {
    render(&h.page)
}

/// Every cell of `table` shows `expected` to four decimals.
pub(super) fn assert_cells(table: &Table, expected: impl Fn(usize, usize) -> f32, what: &str) {
    assert!(!table.cells.is_empty(), "{what}: empty");
    for (r, row) in table.cells.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            assert_eq!(
                *cell,
                format!("{:.4}", expected(r, c)),
                "{what}: cell ({r}, {c})"
            );
        }
    }
}

/// Paints `name` of the shown view into an SVG of `size`; returns what it remembered.
pub(super) fn paint_svg(
    h: &Harness,
    name: &str,
    size: (u32, u32),
) -> (String, super::kit::Painted) {
    let mut svg = String::new();
    let painted = {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        View::shown(&h.page)
            .paint(name, &h.page, &area)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    (svg, painted)
}

#[test]
fn the_registry_names_every_section_and_tab_of_the_page_and_nothing_else() {
    let sections = HTML.matches("<section id=\"view-").count();
    assert_eq!(sections, View::ALL.len(), "one section per view");
    for view in View::ALL {
        let name = view.name();
        assert!(
            HTML.contains(&format!("id=\"view-{name}\"")),
            "no section for {name}"
        );
        assert!(
            HTML.contains(&format!("id=\"tab-{name}\"")),
            "no tab for {name}"
        );
        assert!(HTML.contains(&format!("data-view=\"{name}\"")), "{name}");
        assert!(
            crate::i18n::has(&format!("tab-{name}")),
            "no tab text for {name}"
        );
        assert_eq!(View::from_name(name), Some(*view));
    }
    // The model view opens the head view by name.
    assert_eq!(View::from_name("head"), Some(View::Heads));
    let specs = View::specs();
    assert_eq!(specs.len(), View::ALL.len());
    assert!(specs.iter().any(|s| s.needs.qkv) && specs.iter().any(|s| s.needs.decoding));
}

#[test]
fn every_control_and_canvas_names_an_element_of_the_page() {
    for control in controls() {
        if let Target::Id(id) = control.target {
            assert!(
                HTML.contains(&format!("id=\"{id}\"")),
                "no element {id} for {control:?}"
            );
        }
    }
    let h = Harness::ready(&[("b", POLITICS)]);
    for view in View::ALL {
        for plan in view.canvases(&h.page) {
            let dynamic = plan.name.starts_with("head-");
            assert!(
                dynamic || HTML.contains(&format!("id=\"{}\"", plan.element_id())),
                "no canvas {}",
                plan.name
            );
        }
    }
}

#[test]
fn the_frame_shows_the_model_the_chips_and_numbered_tabs() {
    let h = Harness::ready(&[("view", "head")]);
    let out = shown(&h);
    assert_eq!(
        out.text_of("model-info"),
        Some("all-MiniLM-L6-v2 · bert · 6 layers × 12 heads · hidden 384 · vocabulary 30,522")
    );
    let chips = out.children_of("tokens-a").expect("A's chips");
    assert_eq!(chips.len(), 10);
    let Node::El(party) = &chips[8] else {
        panic!("a chip is an element");
    };
    assert_eq!(party.get("data-id"), Some("2283"));
    assert_eq!(party.text.as_deref(), Some("party"));
    assert!(out.patches.contains(&Patch::Class {
        id: "chip-8".into(),
        class: "selected",
        on: true
    }));
    assert_eq!(out.text_of("tab-tokens"), Some("1 · Tokens & IDs"));
    assert_eq!(out.text_of("tab-tokenizers"), Some("2 · Tokenizers"));
    assert_eq!(out.text_of("tab-head"), Some("5 · Attention: heads"));
    assert!(out.patches.contains(&Patch::Hidden {
        id: "view-head".into(),
        hidden: false
    }));
    assert!(out.patches.contains(&Patch::Hidden {
        id: "view-tokens".into(),
        hidden: true
    }));
    assert_eq!(
        out.text_of("selection"),
        Some("Selected: “party” (id 2283, Sentence A)")
    );
    let ready = Patch::Attr {
        id: "body".into(),
        name: "data-state",
        value: Some("ready".into()),
    };
    assert!(out.patches.contains(&ready));
}

#[test]
fn every_canvas_of_every_view_paints_in_both_themes_and_languages() {
    let mut bert = Harness::ready(&[("b", POLITICS)]);
    let mut gpt = Harness::ready(&[("model", "models/tokenscope-gpt"), ("b", "")]);
    gpt.send(Msg::GenStep);
    let mut llama = Harness::ready(&[("model", "models/tiny-llama"), ("b", "")]);
    for h in [&mut bert, &mut gpt, &mut llama] {
        for (dark, lang) in [(false, Lang::En), (true, Lang::Zh)] {
            h.page.state.dark = dark;
            h.page.state.lang = lang;
            for view in View::ALL {
                h.send(Msg::ShowView(view.name().into()));
                for plan in view.canvases(&h.page) {
                    let (svg, _) = paint_svg(h, plan.name, (900, plan.height.unwrap_or(400)));
                    assert!(
                        svg.starts_with("<svg") && svg.len() > 300,
                        "{}: {}",
                        view.name(),
                        plan.name
                    );
                }
            }
        }
    }
}

#[test]
fn the_head_view_says_what_it_drew_and_the_pointer_finds_its_tokens() {
    let mut h = Harness::ready(&[("view", "head"), ("layer", "1")]);
    h.send(Msg::ToggleHead(3));
    let plan = View::Heads.canvases(&h.page)[0];
    let (svg, painted) = paint_svg(&h, plan.name, (900, plan.height.unwrap_or(400)));
    assert!(svg.contains("celebrate"));
    let attr = |name: &str| {
        painted
            .attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        attr("data-heads").as_deref(),
        Some("0,1,2,4,5,6,7,8,9,10,11")
    );
    assert_eq!(attr("data-focus").as_deref(), Some("8"));
    assert_eq!(attr("data-queries").as_deref(), Some("10"));
    let Hit::Head(layout, _, _) = &painted.hit else {
        panic!("a head view remembers its layout");
    };
    // The middle of the third query row is "celebrate".
    let y = layout.query_top + (layout.row_height * 2.5) as i32;
    let x = (layout.query_left + layout.query_right) / 2;
    let msgs = View::Heads.on_pointer("head-a", &painted.hit, Pointer::Move(x, y), &h.page);
    assert_eq!(msgs, [Msg::Hover(Some(2))]);
    let msgs = View::Heads.on_pointer("head-a", &painted.hit, Pointer::Click(x, y), &h.page);
    assert_eq!(msgs, [Msg::SelectToken(2)]);
    let msgs = View::Heads.on_pointer("head-a", &painted.hit, Pointer::Leave, &h.page);
    assert_eq!(msgs, [Msg::Hover(None)]);
}

#[test]
fn a_click_in_the_model_view_opens_that_head_in_the_head_view() {
    let mut h = Harness::ready(&[("view", "model")]);
    let (_, painted) = paint_svg(&h, "model", (1100, 620));
    let Hit::Grid(layout) = &painted.hit else {
        panic!("a grid");
    };
    let x = layout.left + (layout.pitch * 3.5) as i32;
    let y = layout.top + (layout.pitch * 2.5) as i32;
    let msgs = View::AllHeads.on_pointer("model", &painted.hit, Pointer::Click(x, y), &h.page);
    assert_eq!(
        msgs,
        [
            Msg::OpenHead { layer: 2, head: 3 },
            Msg::ShowView("head".into())
        ]
    );
    for msg in msgs {
        h.send(msg);
    }
    assert_eq!(View::shown(&h.page), View::Heads);
    assert_eq!((h.page.state.layer, h.page.state.head), (2, 3));
}

fn control(id: &'static str, event: UiEvent) -> Control {
    controls()
        .into_iter()
        .find(|c| c.target == Target::Id(id) && c.event == event)
        .unwrap_or_else(|| panic!("no {} control on {id}", event.name()))
}

#[test]
fn controls_turn_events_into_messages() {
    let input = |value: &str| UiInput {
        value: value.into(),
        ..UiInput::default()
    };
    let to = |id: &'static str, event: UiEvent, i: UiInput| (control(id, event).to_msg)(&i);
    assert_eq!(
        to("sentence-a", UiEvent::Input, input("a cat")),
        Some(Msg::SentenceA("a cat".into()))
    );
    assert_eq!(
        to("layer", UiEvent::Change, input("3")),
        Some(Msg::Layer(3))
    );
    assert_eq!(to("layer", UiEvent::Change, input("x")), None);
    assert_eq!(
        to("gen-top-p", UiEvent::Change, input("0.9")),
        Some(Msg::Decoding(crate::page::DecodingField::TopP, 0.9))
    );
    let chip = |key: &str| UiInput {
        key: key.into(),
        data: Some("4".into()),
        ..UiInput::default()
    };
    assert_eq!(
        to("tokens-a", UiEvent::KeyDown, chip("Enter")),
        Some(Msg::SelectToken(4))
    );
    assert_eq!(to("tokens-a", UiEvent::KeyDown, chip("x")), None);
    let swatch = |detail: i32, data: &str| UiInput {
        detail,
        data: Some(data.into()),
        ..UiInput::default()
    };
    assert_eq!(
        to("head-swatches", UiEvent::Click, swatch(1, "3")),
        Some(Msg::ToggleHead(3))
    );
    assert_eq!(
        to("head-swatches", UiEvent::Click, swatch(2, "3")),
        None,
        "a double-click's second click"
    );
    assert_eq!(
        to("head-swatches", UiEvent::Click, swatch(1, "all")),
        Some(Msg::ShowAllHeads)
    );
    assert_eq!(
        to("head-swatches", UiEvent::DblClick, swatch(2, "3")),
        Some(Msg::SoloHead(3))
    );
    let keys = controls()
        .into_iter()
        .find(|c| c.target == Target::Document && c.event == UiEvent::KeyDown)
        .expect("arrow keys");
    let key = |key: &str, in_control: bool| UiInput {
        key: key.into(),
        in_control,
        ..UiInput::default()
    };
    assert_eq!(
        (keys.to_msg)(&key("ArrowLeft", false)),
        Some(Msg::Arrow(-1))
    );
    assert_eq!(
        (keys.to_msg)(&key("ArrowLeft", true)),
        None,
        "typing moves the caret"
    );
    // PageUp / PageDown (a presentation clicker) move the lesson, and only in the lesson:
    // elsewhere they scroll the page as always.
    let lesson_key = |k: &str, in_lesson: bool| UiInput {
        in_lesson,
        ..key(k, true)
    };
    assert_eq!(
        (keys.to_msg)(&lesson_key("PageDown", true)),
        Some(Msg::Lesson(crate::page::LessonMsg::Move(1)))
    );
    assert_eq!(
        (keys.to_msg)(&lesson_key("PageUp", true)),
        Some(Msg::Lesson(crate::page::LessonMsg::Move(-1)))
    );
    assert_eq!((keys.to_msg)(&lesson_key("PageDown", false)), None);
    let toy = UiInput {
        value: "-0.6".into(),
        data: Some("1,0".into()),
        ..UiInput::default()
    };
    assert_eq!(
        to("toy-inputs", UiEvent::Input, toy),
        Some(Msg::Toy {
            row: 1,
            col: 0,
            value: -0.6
        })
    );
    let field = UiInput {
        id: "train-width".into(),
        value: "48".into(),
        ..UiInput::default()
    };
    assert_eq!(
        to("train-setup", UiEvent::Input, field),
        Some(Msg::Train(crate::page::TrainMsg::Field(
            crate::page::TrainField::Width,
            "48".into()
        )))
    );
}
