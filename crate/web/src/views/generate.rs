//! View 9, generate (GPT models): step by step or all at once, with temperature, top-k,
//! top-p and a seed; each step's candidates and the chosen token's attention row.

use plotters::prelude::DrawingBackend;
use tokenscope_views::{draw_heatmap, Heatmap, Palette};

use super::kit::{
    bert_says_no, loaded, message, theme, Area, CanvasPlan, Control, Hit, LayerBar, PaintResult,
    Panel, UiEvent,
};
use super::out::{El, Node, Out, Table};
use crate::page::{readable, DecodingField, Msg, PageModel, ViewNeeds};
use crate::protocol::Generation;

pub struct Generate;

impl Panel for Generate {
    const NEEDS: ViewNeeds = ViewNeeds {
        decoding: true,
        ..ViewNeeds::NONE
    };
    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Used
    }
    const CONTROLS: &'static [Control] = &[
        Control::on("gen-temperature", UiEvent::Change, |i| {
            Some(Msg::Decoding(DecodingField::Temperature, i.number()))
        }),
        Control::on("gen-top-k", UiEvent::Change, |i| {
            Some(Msg::Decoding(DecodingField::TopK, i.number()))
        }),
        Control::on("gen-top-p", UiEvent::Change, |i| {
            Some(Msg::Decoding(DecodingField::TopP, i.number()))
        }),
        Control::on("gen-seed", UiEvent::Change, |i| {
            Some(Msg::Decoding(DecodingField::Seed, i.number()))
        }),
        Control::on("gen-max", UiEvent::Input, |i| Some(Msg::GenMax(i.number()))),
        Control::on("gen-step", UiEvent::Click, |_| Some(Msg::GenStep)),
        Control::on("gen-run", UiEvent::Click, |_| Some(Msg::GenRun)),
        Control::on("gen-reset", UiEvent::Click, |_| Some(Msg::GenReset)),
    ];

    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![CanvasPlan::fixed("generate")]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        match model.generation.as_ref().filter(|g| !g.steps.is_empty()) {
            Some(generation) => paint_rows(model, generation, area),
            None => message(area, model, model.t("gen-empty")),
        }
    }

    fn render(model: &PageModel, out: &mut Out) {
        let state = &model.state;
        out.value("gen-temperature", state.temperature.to_string());
        out.value("gen-top-k", state.top_k.to_string());
        out.value("gen-top-p", state.top_p.to_string());
        out.value("gen-seed", state.seed.to_string());
        out.value("gen-max", model.gen_max.to_string());
        out.children("gen-output", output(model));
        speed_line(model, out);
        let mut nodes = if model.facts.is_some() && !model.causal() {
            bert_says_no(model)
        } else {
            Vec::new()
        };
        nodes.extend(steps_table(model).map(Node::Table));
        out.children("generation-table", nodes);
    }
}

/// Each generated token's attention row over the text before it.
fn paint_rows<DB: DrawingBackend>(
    model: &PageModel,
    generation: &Generation,
    area: &Area<DB>,
) -> PaintResult {
    let steps = generation.steps.len();
    let prompt = generation.prompt_ids.len();
    let width = prompt + steps - 1;
    let mut cols: Vec<String> = generation
        .prompt_tokens
        .iter()
        .map(|t| readable(t))
        .collect();
    cols.extend(
        generation.steps[..steps - 1]
            .iter()
            .map(|s| readable(&s.token)),
    );
    let rows: Vec<String> = generation
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{} {}", i + 1, readable(&s.token)))
        .collect();
    // Keys after the step's own position did not exist yet: drawn as masked.
    let values = ndarray::Array2::from_shape_fn((steps, width), |(i, j)| {
        if j < prompt + i {
            generation
                .attention
                .get(i * width + j)
                .copied()
                .unwrap_or(f32::NAN)
        } else {
            f32::NAN
        }
    });
    let title = format!(
        "{} · {} {} · {} {}",
        model.t("gen-title"),
        model.t("layer"),
        generation.layer,
        model.t("head"),
        generation.head
    );
    let layout = draw_heatmap(
        area,
        &Heatmap {
            title: &title,
            row_labels: &rows,
            col_labels: &cols,
            values: &values,
            palette: Palette::Sequential { max: 1.0 },
            mask_upper: false,
            highlight_row: None,
            theme: theme(model),
        },
    )?;
    Ok(Hit::Heatmap(layout).into())
}

/// The text with its continuation, each generated token marked with its probability.
fn output(model: &PageModel) -> Vec<Node> {
    let mut nodes: Vec<Node> = vec![El::new("span")
        .class("prompt")
        .text(model.state.a.clone())
        .into()];
    match &model.generation {
        Some(generation) => {
            for step in &generation.steps {
                let shown = step.token.replace('Ġ', " ").replace('Ċ', "\n");
                nodes.push(
                    El::new("span")
                        .class("generated")
                        .text(shown)
                        .attr("title", format!("{} ({:.4})", step.token, step.prob))
                        .into(),
                );
            }
            nodes.push(
                El::new("span")
                    .class("visually-hidden")
                    .text(generation.text.clone())
                    .attr("data-testid", "gen-text")
                    .into(),
            );
        }
        None => nodes.push(
            El::new("span")
                .class("hint")
                .text(format!("  — {}", model.t("gen-empty")))
                .into(),
        ),
    }
    nodes
}

/// How fast the worker wrote the run, from its own clock: the prompt's pass, then the rate
/// of the later tokens. Hidden for a single step or before any run.
fn speed_line(model: &PageModel, out: &mut Out) {
    let speed = model.generation.as_ref().and_then(|generation| {
        let later = generation.steps.len().checked_sub(1).filter(|&n| n > 0)?;
        (generation.decode_ms > 0.0)
            .then(|| (generation.prompt_ms, generation.decode_ms / later as f64))
    });
    out.hidden("gen-speed", speed.is_none());
    let Some((first, each)) = speed else {
        return;
    };
    let text = model
        .t("gen-speed")
        .replace("{first}", &format!("{first:.0}"))
        .replace("{each}", &format!("{each:.1}"))
        .replace("{rate}", &format!("{:.1}", 1000.0 / each));
    out.text("gen-speed", text);
    out.attr("gen-speed", "data-prompt-ms", format!("{first:.1}"));
    out.attr(
        "gen-speed",
        "data-tokens-per-second",
        format!("{:.2}", 1000.0 / each),
    );
}

/// Every step: the chosen token, its probability, how many candidates were kept, and the
/// most probable candidates (✗ = dropped by top-k / top-p).
fn steps_table(model: &PageModel) -> Option<Table> {
    let generation = model.generation.as_ref().filter(|g| !g.steps.is_empty())?;
    let rows = (1..=generation.steps.len())
        .map(|i| i.to_string())
        .collect();
    let cols = vec![
        model.t("token").to_string(),
        "id".to_string(),
        model.t("probability").to_string(),
        model.t("kept").to_string(),
        model.t("candidates").to_string(),
    ];
    let table = Table::new(
        "generation-table",
        model.t("gen-caption"),
        cols,
        rows,
        |r, c| {
            let step = &generation.steps[r];
            match c {
                0 => readable(&step.token),
                1 => step.id.to_string(),
                2 => format!("{:.4}", step.prob),
                3 => step.kept.to_string(),
                _ => step
                    .top
                    .iter()
                    .take(6)
                    .map(|(_, token, prob, kept)| {
                        format!(
                            "{} {prob:.3}{}",
                            readable(token),
                            if *kept { "" } else { " ✗" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" · "),
            }
        },
    );
    Some(table.corner(model.t("step")))
}
