//! View 8, next token (GPT models): the most probable next tokens after the selected
//! position as bars and a table, and at every position the model's first guess against
//! what really came.

use plotters::prelude::DrawingBackend;
use tokenscope_views::bars::{draw_bars, Bars};

use super::kit::{
    bert_says_no, four, loaded, message, theme, top_tokens_table, Area, CanvasPlan, Hit,
    PaintResult, Panel,
};
use super::out::{Out, Table};
use crate::page::{readable, PageModel};
use crate::protocol::{Prediction, SentenceData};

pub struct Next;

impl Panel for Next {
    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![CanvasPlan::fixed("next")]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        let Some((sentence, index)) = selected_position(model) else {
            return message(area, model, "—");
        };
        let Some(prediction) = sentence.predictions.get(index) else {
            return message(area, model, model.t("next-bert"));
        };
        let mut labels: Vec<String> = prediction.top.iter().map(|t| readable(&t.token)).collect();
        let mut values: Vec<f32> = prediction.top.iter().map(|t| t.prob).collect();
        // The token that really came next, marked, and added below when outside the top.
        let mut highlight = None;
        if let Some(actual) = &prediction.actual {
            match prediction.top.iter().position(|t| t.id == actual.id) {
                Some(rank) => highlight = Some(rank),
                None => {
                    labels.push(format!(
                        "{} ({})",
                        readable(&actual.token),
                        model.t("next-actual")
                    ));
                    values.push(actual.prob);
                    highlight = Some(labels.len() - 1);
                }
            }
        }
        let context: String = sentence.tokens[..=index.min(sentence.tokens.len() - 1)]
            .iter()
            .map(|t| readable(t))
            .collect();
        let title = format!("{} “{}”", model.t("next-title"), context.trim());
        draw_bars(
            area,
            &Bars {
                title: &title,
                labels: &labels,
                values: &values,
                highlight,
                theme: theme(model),
            },
        )?;
        Ok(Hit::None.into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        if model.facts.is_some() && !model.causal() {
            out.children("next-table", bert_says_no(model));
            out.children("predictions-table", Vec::new());
            return;
        }
        let selected = selected_position(model);
        out.table(
            "next-table",
            selected.and_then(|(s, i)| next_table(model, s, i)),
        );
        out.table(
            "predictions-table",
            selected.and_then(|(s, i)| predictions_table(model, s, i)),
        );
    }
}

/// The selected token's sentence and its index there.
fn selected_position(model: &PageModel) -> Option<(&SentenceData, usize)> {
    let chip = model.selected_chip()?;
    Some((model.sentence(chip.source)?, chip.index))
}

/// The candidates after the selected position, the real next token highlighted.
fn next_table(model: &PageModel, sentence: &SentenceData, index: usize) -> Option<Table> {
    let prediction: &Prediction = sentence.predictions.get(index)?;
    let caption = format!(
        "{} “{}”",
        model.t("next-title"),
        readable(&sentence.tokens[index])
    );
    let actual = prediction.actual.as_ref().map(|a| a.id);
    let table = top_tokens_table(model, "next-token-table", caption, &prediction.top, actual)
        .attr("data-position", index.to_string());
    Some(table)
}

/// Every position's first guess and the probability of what really came.
fn predictions_table(model: &PageModel, sentence: &SentenceData, index: usize) -> Option<Table> {
    if sentence.predictions.is_empty() {
        return None;
    }
    let rows = sentence
        .tokens
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{i} {}", readable(t)))
        .collect();
    let cols = vec![
        model.t("guess").to_string(),
        model.t("probability").to_string(),
        model.t("next-actual").to_string(),
        model.t("probability").to_string(),
    ];
    let table = Table::new(
        "predictions-table",
        model.t("predictions-caption"),
        cols,
        rows,
        |r, c| {
            let p = &sentence.predictions[r];
            let first = p.top.first();
            match c {
                0 => first.map(|t| readable(&t.token)),
                1 => first.map(|t| four(t.prob)),
                2 => p.actual.as_ref().map(|t| readable(&t.token)),
                _ => p.actual.as_ref().map(|t| four(t.prob)),
            }
            .unwrap_or_default()
        },
    )
    .corner(model.t("position"))
    .highlight(Some(index));
    Some(table)
}
