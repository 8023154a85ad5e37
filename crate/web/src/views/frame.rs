//! The page around the views: the model line and status, the sentences and their token
//! chips, the tabs, and the layer and head choice. Shown whatever the view.

use super::kit::{mlp_name, norm_name, Control, LayerBar, Target, UiEvent, UiInput};
use super::out::{El, Node, Out};
use crate::format::{grouped, human_bytes};
use crate::page::{readable, Example, Lang, LessonMsg, Msg, PageModel, PairFilter, Side};
use tokenscope_core::anatomy::Positions;

pub const CONTROLS: &[Control] = &[
    Control::on("sentence-a", UiEvent::Input, |i| {
        Some(Msg::SentenceA(i.value.clone()))
    }),
    Control::on("sentence-b", UiEvent::Input, |i| {
        Some(Msg::SentenceB(i.value.clone()))
    }),
    Control::on("pair", UiEvent::Change, |i| Some(Msg::Pair(i.checked))),
    Control::on("examples", UiEvent::Change, |i| {
        Example::from_name(&i.value).map(Msg::Example)
    }),
    Control::on("lang", UiEvent::Change, |i| {
        Some(Msg::Lang(Lang::from_code(&i.value).unwrap_or(Lang::En)))
    }),
    Control::on("theme", UiEvent::Click, |_| Some(Msg::ToggleTheme)),
    Control::on("share", UiEvent::Click, |_| Some(Msg::CopyLink)),
    Control::within("tabs", UiEvent::Click, "view", |i| {
        i.data.clone().map(Msg::ShowView)
    }),
    Control::on("layer", UiEvent::Change, |i| i.whole().map(Msg::Layer)),
    Control::on("head", UiEvent::Change, |i| i.whole().map(Msg::Head)),
    Control::on("pair-filter", UiEvent::Change, |i| {
        Some(Msg::Filter(
            PairFilter::from_name(&i.value).unwrap_or(PairFilter::All),
        ))
    }),
    // Arrow keys move the selection (or, in the lesson, the step), except while typing or
    // choosing in a control; PageUp / PageDown (a presentation clicker) move the lesson.
    Control {
        target: Target::Document,
        event: UiEvent::KeyDown,
        data: None,
        to_msg: |i| match (i.in_control, i.key.as_str()) {
            (false, "ArrowLeft") => Some(Msg::Arrow(-1)),
            (false, "ArrowRight") => Some(Msg::Arrow(1)),
            (_, "PageUp") if i.in_lesson => Some(Msg::Lesson(LessonMsg::Move(-1))),
            (_, "PageDown") if i.in_lesson => Some(Msg::Lesson(LessonMsg::Move(1))),
            _ => None,
        },
    },
    // The "use the embedded GPT" buttons are drawn inside views: one listener above them.
    Control {
        target: Target::Document,
        event: UiEvent::Click,
        data: Some("action"),
        to_msg: |i| (i.data.as_deref() == Some("use-gpt")).then_some(Msg::UseGpt),
    },
    Control::on("ablate-head", UiEvent::Click, |_| {
        Some(Msg::ToggleShownHead)
    }),
    Control::on("ablation-clear", UiEvent::Click, |_| {
        Some(Msg::ClearAblation)
    }),
    Control::on("model-pick", UiEvent::Change, |i| {
        Some(Msg::PickModel(i.value.clone()))
    }),
    Control::on("open-model", UiEvent::Click, |_| Some(Msg::OpenFilePicker)),
    Control::on("model-url", UiEvent::Input, |i| {
        Some(Msg::FolderTyped(i.value.clone()))
    }),
    Control::on("model-url-form", UiEvent::Submit, |_| {
        Some(Msg::LoadTypedFolder)
    }),
    chip_control("tokens-a", UiEvent::Click, select_chip),
    chip_control("tokens-b", UiEvent::Click, select_chip),
    chip_control("tokens-a", UiEvent::KeyDown, press_chip),
    chip_control("tokens-b", UiEvent::KeyDown, press_chip),
    // mouseover bubbles from the chips; over the gaps between them it clears the hover.
    chip_control("tokens-a", UiEvent::MouseOver, hover_chip),
    chip_control("tokens-b", UiEvent::MouseOver, hover_chip),
    chip_control("tokens-a", UiEvent::MouseLeave, |_| Some(Msg::Hover(None))),
    chip_control("tokens-b", UiEvent::MouseLeave, |_| Some(Msg::Hover(None))),
];

const fn chip_control(
    id: &'static str,
    event: UiEvent,
    to_msg: fn(&UiInput) -> Option<Msg>,
) -> Control {
    Control::within(id, event, "index", to_msg)
}

fn select_chip(i: &UiInput) -> Option<Msg> {
    i.data_index().map(Msg::SelectToken)
}

fn press_chip(i: &UiInput) -> Option<Msg> {
    matches!(i.key.as_str(), "Enter" | " ")
        .then(|| select_chip(i))
        .flatten()
}

fn hover_chip(i: &UiInput) -> Option<Msg> {
    Some(Msg::Hover(i.data_index()))
}

/// A view's tab, as the registry describes it.
pub struct Tab {
    /// The view's name (`tab-<name>` and `view-<name>` on the page).
    pub name: &'static str,
    pub badge: Option<String>,
    pub shown: bool,
}

/// The frame: everything outside the views' sections.
pub fn render(model: &PageModel, tabs: &[Tab], bar: LayerBar, out: &mut Out) {
    page_state(model, out);
    model_line(model, out);
    sentences(model, out);
    tabs_and_sections(model, tabs, out);
    layer_bar(model, bar, out);
}

/// The page's own attributes: language, theme and what scripts wait for.
fn page_state(model: &PageModel, out: &mut Out) {
    out.attr("html", "lang", model.state.lang.html_lang());
    let theme = if model.state.dark { "dark" } else { "light" };
    out.attr("html", "data-theme", theme);
    out.class("body", "dark", model.state.dark);
    out.attr("theme", "aria-pressed", model.state.dark.to_string());
    out.value("lang", model.state.lang.name());
    out.attr(
        "body",
        "data-state",
        if model.busy() { "busy" } else { "ready" },
    );
    // data-model-ready is 0 while a model is being replaced, so a script waits for the new
    // one instead of seeing the old one's 1.
    out.attr(
        "body",
        "data-model-ready",
        if model.model_ready() { "1" } else { "0" },
    );
    // Both wasm memories, for the soak test (and anyone curious); the shell adds its own.
    out.attr(
        "body",
        "data-worker-memory",
        model.worker_memory.to_string(),
    );
}

/// "tiny-llama · llama · 2 layers × 8 heads (2 key/value heads) · hidden 64 · vocabulary
/// 320 · RoPE · RMSNorm · SwiGLU": the model's sizes and, for a modern decoder, its build.
fn model_facts_line(model: &PageModel, facts: &crate::protocol::ModelFacts) -> String {
    let mut line = format!(
        "{} · {} · {} {} × {} {}",
        facts.name,
        facts.model_type,
        facts.num_layers,
        model.t("layers"),
        facts.num_heads,
        model.t("heads-count"),
    );
    if facts.num_kv_heads != facts.num_heads {
        line.push_str(&format!(
            " ({} {})",
            facts.num_kv_heads,
            model.t("kv-heads-count")
        ));
    }
    line.push_str(&format!(
        " · {} {} · {} {}",
        model.t("hidden"),
        facts.hidden_size,
        model.t("vocabulary"),
        grouped(facts.vocab_size as u64),
    ));
    let anatomy = &facts.anatomy;
    if matches!(anatomy.positions, Positions::Rotary { .. }) {
        line.push_str(&format!(
            " · RoPE · {} · {}",
            norm_name(anatomy.norm),
            mlp_name(anatomy.mlp)
        ));
        if let Some(window) = anatomy.sliding_window {
            line.push_str(&format!(" · {} {window}", model.t("sliding-window")));
        }
    }
    line
}

fn model_line(model: &PageModel, out: &mut Out) {
    if let Some(facts) = &model.facts {
        out.text("model-info", model_facts_line(model, facts));
        let mut memory = format!(
            "{} {} ({})",
            model.t("weights-in-memory"),
            human_bytes(facts.weight_bytes),
            facts.precision,
        );
        if facts.memory_bytes > 0 {
            memory.push_str(&format!(
                " · {} {}",
                model.t("worker-memory"),
                human_bytes(facts.memory_bytes)
            ));
        }
        let kernel = match (facts.kernel.as_str(), facts.threads) {
            ("relaxed-simd", _) => Some("kernel-relaxed-simd"),
            ("simd128", _) => Some("kernel-simd128"),
            ("relaxed-simd-threads", 2..) => Some("kernel-threads-relaxed"),
            ("simd128-threads", 2..) => Some("kernel-threads"),
            ("simd128-threads" | "relaxed-simd-threads", _) => Some("kernel-threads-one"),
            _ => None,
        };
        if let Some(key) = kernel {
            let text = model.t(key).replace("{n}", &facts.threads.to_string());
            memory.push_str(&format!(" · {text}"));
        }
        out.text("model-memory", memory);
        out.attr("model-memory", "title", model.t("memory-title"));
    }
    out.text("status", model.status.text.clone());
    out.class("status", "error", model.status.error);
    match model.load.progress {
        Some(fraction) => {
            out.hidden("load-progress", false);
            out.attr("load-progress", "value", fraction.to_string());
        }
        None => out.hidden("load-progress", true),
    }
    let (options, chosen) = model.model_choices();
    out.options("model-pick", options, chosen);
    out.value("model-url", model.folder_text.clone());
}

fn sentences(model: &PageModel, out: &mut Out) {
    out.value("sentence-a", model.state.a.clone());
    out.value("sentence-b", model.state.b.clone());
    out.checked("pair", model.state.pair);
    let causal = model.causal();
    out.disabled("pair", causal);
    out.attr(
        "pair",
        "title",
        if causal { model.t("no-pair-gpt") } else { "" },
    );
    // Above every view: a text longer than the model's positions was cut, and by how much.
    let notice = model.truncation_message();
    out.hidden("text-notice", notice.is_empty());
    out.text("text-notice", notice);
    for side in [Side::A, Side::B] {
        let chips: Vec<Node> = model
            .chips
            .iter()
            .enumerate()
            .filter(|(_, c)| c.side == side)
            .map(|(index, chip)| {
                let class = if chip.special {
                    "token-chip special"
                } else {
                    "token-chip"
                };
                El::new("li")
                    .class(class)
                    .text(readable(&chip.token))
                    .attr("id", format!("chip-{index}"))
                    .attr("data-token", chip.token.clone())
                    .attr("data-testid", "token")
                    .attr("data-sentence", side.name())
                    .attr("data-id", chip.id.to_string())
                    .attr("data-index", index.to_string())
                    .attr("tabindex", "0")
                    .attr("role", "button")
                    .attr("title", format!("{} → id {}", chip.token, chip.id))
                    .into()
            })
            .collect();
        out.children(format!("tokens-{}", side.name()), chips);
    }
    chip_states(model, out);
    let selection = model
        .selected_chip()
        .map(|c| {
            format!(
                "{} “{}” (id {}, {} {})",
                model.t("selected"),
                readable(&c.token),
                c.id,
                model.t("sentence"),
                c.side.name().to_uppercase()
            )
        })
        .unwrap_or_default();
    out.text("selection", selection);
}

/// The selected and the hovered chip.
pub fn chip_states(model: &PageModel, out: &mut Out) {
    let selected = model.selected();
    for index in 0..model.chips.len() {
        let id = format!("chip-{index}");
        let is_selected = Some(index) == selected;
        out.class(id.clone(), "selected", is_selected);
        out.class(id.clone(), "hovered", Some(index) == model.hover);
        out.attr(id, "aria-pressed", is_selected.to_string());
    }
}

/// The tabs (numbered in the registry's order) and which section shows.
fn tabs_and_sections(model: &PageModel, tabs: &[Tab], out: &mut Out) {
    for (number, tab) in tabs.iter().enumerate() {
        let id = format!("tab-{}", tab.name);
        let mut label = format!("{} · {}", number + 1, model.t(&id));
        if let Some(badge) = &tab.badge {
            label.push_str(" · ");
            label.push_str(badge);
        }
        out.text(id.clone(), label);
        out.attr(id.clone(), "aria-selected", tab.shown.to_string());
        out.class(id, "active", tab.shown);
        out.hidden(format!("view-{}", tab.name), !tab.shown);
    }
}

fn layer_bar(model: &PageModel, bar: LayerBar, out: &mut Out) {
    out.class("layer-head", "dim", bar != LayerBar::Used);
    out.hidden("layer-head", bar == LayerBar::Hidden);
    let numbers = |count: usize| -> Vec<(String, String)> {
        (0..count).map(|i| (i.to_string(), i.to_string())).collect()
    };
    if let Some(facts) = &model.facts {
        out.options(
            "layer",
            numbers(facts.num_layers),
            model.state.layer.to_string(),
        );
        out.options(
            "head",
            numbers(facts.num_heads),
            model.state.head.to_string(),
        );
    }
    out.hidden("filter-box", model.state.b.trim().is_empty());
    out.value("pair-filter", model.state.filter.name());
    let (layer, head) = (model.state.layer, model.state.head);
    let off = model.state.ablate.contains(layer, head);
    let key = if off { "ablate-on" } else { "ablate-off" };
    out.text(
        "ablate-head",
        model.t(key).replace("{head}", &format!("{layer}.{head}")),
    );
    out.attr("ablate-head", "aria-pressed", off.to_string());
    out.hidden("ablate-head", model.facts.is_none());
    ablation_banner(model, out);
}

/// Whenever heads are off, every view says so: its numbers are not the whole model's.
fn ablation_banner(model: &PageModel, out: &mut Out) {
    let ablation = &model.state.ablate;
    out.hidden("ablation-banner", ablation.is_empty());
    if !ablation.is_empty() {
        let heads: Vec<String> = ablation.heads().map(|(l, h)| format!("{l}.{h}")).collect();
        out.text(
            "ablation-text",
            model
                .t("ablation-banner")
                .replace("{heads}", &heads.join(", ")),
        );
    }
}
