//! View 2, one-hot vs embedding: the selected token's vocabulary-long one-hot vector, its
//! real embedding numbers, and what the two tables cost in memory.

use plotters::prelude::DrawingBackend;
use tokenscope_views::vector::{draw_one_hot, draw_vector, OneHot as OneHotChart, VectorStrip};

use super::kit::{four, loaded, message, theme, Area, CanvasPlan, Hit, PaintResult, Panel};
use super::out::{El, Node, Out, Table};
use crate::format::{grouped, human_bytes};
use crate::page::PageModel;

pub struct OneHot;

impl Panel for OneHot {
    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![CanvasPlan::fixed("onehot"), CanvasPlan::fixed("embedding")]
    }

    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        let Some(facts) = loaded(model) else {
            return message(area, model, model.t("loading"));
        };
        let Some(chip) = model.selected_chip() else {
            return message(area, model, "—");
        };
        if name == "onehot" {
            let title = format!(
                "{} “{}” (id {})",
                model.t("onehot-title"),
                chip.token,
                chip.id
            );
            draw_one_hot(
                area,
                &OneHotChart {
                    title: &title,
                    vocab_size: facts.vocab_size,
                    index: chip.id as usize,
                    token: &chip.token,
                    theme: theme(model),
                },
            )?;
            return Ok(Hit::None.into());
        }
        let Some(values) = model.selected_embedding() else {
            return message(area, model, "—");
        };
        let title = format!(
            "{} “{}” — {} {}",
            model.t("embedding-title"),
            chip.token,
            values.len(),
            model.t("dimensions"),
        );
        draw_vector(
            area,
            &VectorStrip {
                title: &title,
                values,
                theme: theme(model),
            },
        )?;
        Ok(Hit::None.into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        out.children("onehot-facts", facts(model));
        out.table("embedding-table", embedding_table(model));
    }
}

/// Where the single 1 is, what the two tables cost, and the cost as bars.
fn facts(model: &PageModel) -> Vec<Node> {
    let (Some(facts), Some(chip)) = (&model.facts, model.selected_chip()) else {
        return Vec::new();
    };
    let vocab = grouped(facts.vocab_size as u64);
    let lines = [
        format!(
            "“{}”: {} {} — {}: 1 {} {vocab}",
            chip.token,
            model.t("one-in"),
            chip.id,
            model.t("nonzero"),
            model.t("of"),
        ),
        format!(
            "{}: {vocab} × {vocab} = {} ({} B)",
            model.t("memory-onehot"),
            human_bytes(facts.one_hot_table_bytes),
            grouped(facts.one_hot_table_bytes)
        ),
        format!(
            "{}: {vocab} × {} = {} ({} B)",
            model.t("memory-embedding"),
            facts.hidden_size,
            human_bytes(facts.embedding_table_bytes),
            grouped(facts.embedding_table_bytes)
        ),
        format!(
            "{}: {}",
            model.t("memory"),
            model.t("memory-ratio").replace(
                "{n}",
                &format!(
                    "{:.0}",
                    facts.one_hot_table_bytes as f64 / facts.embedding_table_bytes.max(1) as f64
                )
            )
        ),
    ];
    let mut nodes: Vec<Node> = lines
        .into_iter()
        .map(|line| El::new("p").text(line).into())
        .collect();
    let ratio = facts.embedding_table_bytes as f64 / facts.one_hot_table_bytes.max(1) as f64;
    let mut bars = El::new("div").class("memory-bars");
    for (label, share, class) in [
        (model.t("memory-onehot"), 1.0, "bar onehot"),
        (model.t("memory-embedding"), ratio, "bar embedding"),
    ] {
        let width = (share * 100.0).max(0.4);
        bars = bars.child(
            El::new("div")
                .class("bar-row")
                .child(El::new("span").class("bar-label").text(label))
                .child(
                    El::new("div")
                        .class(class)
                        .css("--share", format!("{width:.2}%")),
                ),
        );
    }
    nodes.push(bars.into());
    nodes
}

/// The selected token's embedding, eight numbers per row.
fn embedding_table(model: &PageModel) -> Option<Table> {
    let values = model.selected_embedding()?;
    let per_row = 8;
    let rows: Vec<String> = (0..values.len().div_ceil(per_row))
        .map(|r| {
            format!(
                "{}–{}",
                r * per_row,
                (r * per_row + per_row - 1).min(values.len() - 1)
            )
        })
        .collect();
    let cols: Vec<String> = (0..per_row).map(|c| format!("+{c}")).collect();
    let table = Table::new(
        "embedding-table",
        model.t("embedding-title"),
        cols,
        rows,
        |r, c| {
            values
                .get(r * per_row + c)
                .map(|v| four(*v))
                .unwrap_or_default()
        },
    );
    Some(table.corner(model.t("dimension")))
}
