//! View 8, position: how the model knows where a token is. Learned positions (BERT, GPT-2):
//! the position table and the selected token's word + position vectors. Rotary positions
//! (llama, qwen, mistral; `rotary.rs`): the angle each dimension pair turns by per position,
//! and the score of one query and key by distance. For both, words shared by A and B
//! drifting apart by depth ("Tim chased clouds").

mod rotary;

use ndarray::ArrayView2;
use plotters::prelude::DrawingBackend;
use tokenscope_views::strips::{draw_strips, Strip, Strips};
use tokenscope_views::{draw_dense_map, draw_line_chart, head_color, DenseMap, LineChart, Series};

use super::kit::{
    four, loaded, message, theme, Area, CanvasPlan, Hit, LayerBar, PaintResult, Panel,
};
use super::out::{Out, Table};
use crate::page::{series, shared_words, PageModel, ViewNeeds};

pub struct Position;

impl Panel for Position {
    const NEEDS: ViewNeeds = ViewNeeds {
        rotary_qkv: true,
        ..ViewNeeds::NONE
    };

    /// The distance curves are the chosen layer's and head's; the position table is the
    /// model's alone.
    fn layer_bar(model: &PageModel) -> LayerBar {
        if model.rotary() {
            LayerBar::Used
        } else {
            LayerBar::Dim
        }
    }

    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![
            CanvasPlan::fixed("position"),
            CanvasPlan::fixed("sum"),
            CanvasPlan::fixed("order"),
        ]
    }

    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        match (name, model.rotary()) {
            ("position", true) => rotary::paint_angles(model, area),
            ("sum", true) => rotary::paint_distance(model, area),
            ("position", false) => paint_table(model, area),
            ("sum", false) => paint_sum(model, area),
            _ => paint_order(model, area),
        }
    }

    fn render(model: &PageModel, out: &mut Out) {
        let rotary = model.rotary();
        // Each kind of position has its own headings in index.html; one set shows.
        for id in ["position-heading", "position-lead", "sum-heading"] {
            out.hidden(format!("{id}-learned"), rotary);
            out.hidden(format!("{id}-rotary"), !rotary);
        }
        out.text("order-text", order_text(model).unwrap_or_default());
        if rotary {
            rotary::render(model, out);
            return;
        }
        out.text("sum-text", sum_facts(model).unwrap_or_default());
        let used = model.focus_sentence().map_or(0, |s| s.ids.len());
        if let Some(table) = &model.positions {
            out.text(
                "position-text",
                format!(
                    "{} × {}. {} {}.",
                    table.rows,
                    table.cols,
                    model.t("position-uses"),
                    used.saturating_sub(1)
                ),
            );
        }
        out.table("position-table", position_table(model, used));
        out.table("sum-table", sum_table(model));
    }
}

fn paint_table<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let Some(positions) = &model.positions else {
        return message(area, model, model.t("loading"));
    };
    let (rows, cols) = (positions.rows, positions.cols);
    let Ok(table) = ArrayView2::from_shape((rows, cols), &positions.values) else {
        return message(area, model, "—");
    };
    let used = model.focus_sentence().map_or(0, |s| s.ids.len());
    // A 10-token sentence is 10 rows of 512: show the first 64 positions (or twice what
    // the sentence uses) so its rows are big enough to see.
    let shown = (used * 2).max(64).min(rows);
    let table = table.slice(ndarray::s![..shown, ..]);
    let highlight: Vec<usize> = (0..used.min(shown)).collect();
    let title = format!(
        "{} ({rows} × {cols}) · {} 0–{}",
        model.t("position-title"),
        model.t("position-zoom"),
        shown.saturating_sub(1)
    );
    let layout = draw_dense_map(
        area,
        &DenseMap {
            title: &title,
            values: table,
            row_axis: model.t("position-axis"),
            col_axis: model.t("dimension-axis"),
            highlight_rows: &highlight,
            theme: theme(model),
        },
    )?;
    Ok(Hit::Dense(layout).into())
}

fn paint_sum<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let Some(rows) = model.word_position_rows() else {
        return message(area, model, model.t("loading"));
    };
    let Some(chip) = model.selected_chip() else {
        return message(area, model, "—");
    };
    let labels = [
        format!("{} “{}”", model.t("word-row"), chip.token),
        format!("+ {} {}", model.t("position-axis"), chip.index),
        format!("= {}", model.t("sum-row")),
    ];
    let strips: Vec<Strip> = labels
        .iter()
        .zip(&rows)
        .map(|(label, values)| Strip { label, values })
        .collect();
    let title = format!("“{}” {}", chip.token, model.t("sum-title"));
    draw_strips(
        area,
        &Strips {
            title: &title,
            strips: &strips,
            theme: theme(model),
        },
    )?;
    Ok(Hit::None.into())
}

/// A word shared by A and B, its first place in each, and the cosine of A's copy against
/// B's at every depth.
type SharedWord = (String, usize, usize, Vec<f32>);

/// Every word shared by A and B, or why there are none.
fn shared_series(model: &PageModel) -> Result<Vec<SharedWord>, String> {
    let Some((sim, rows, cols)) = model.similarity() else {
        return Err(model.too_long_message());
    };
    if sim.rows == sim.cols {
        return Err(model.t("no-b").to_string());
    }
    let shared = shared_words(rows, cols);
    if shared.is_empty() {
        return Err(model.t("order-none").to_string());
    }
    Ok(shared
        .iter()
        .map(|(word, i, j)| {
            let values = series(sim, rows.len(), cols.len(), (*i, *j));
            (word.clone(), *i, *j, values)
        })
        .collect())
}

fn paint_order<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let all = match shared_series(model) {
        Ok(all) => all,
        Err(why) => return message(area, model, &why),
    };
    let shown = &all[..all.len().min(12)];
    let labels: Vec<String> = shown
        .iter()
        .map(|(word, i, j, _)| format!("{word} (A{i}, B{j})"))
        .collect();
    let lines: Vec<Series> = shown
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(n, ((_, _, _, values), label))| Series {
            label,
            values,
            color: head_color(n),
        })
        .collect();
    let depths = shown.first().map_or(0, |(_, _, _, v)| v.len());
    let low = shown
        .iter()
        .flat_map(|(_, _, _, v)| v.iter().copied())
        .fold(0.0f32, f32::min);
    draw_line_chart(
        area,
        &LineChart {
            title: model.t("order-title"),
            x_labels: &model.depth_labels(depths),
            y_label: "cos",
            y_range: (low, 1.0),
            series: &lines,
            highlight_x: None,
            theme: theme(model),
        },
    )?;
    Ok(Hit::None.into())
}

/// "tim: 1.0000 → 0.8123 · chased: …", from the static vectors to the last layer.
fn order_text(model: &PageModel) -> Option<String> {
    model.similarity()?;
    Some(match shared_series(model) {
        Ok(all) => all
            .iter()
            .map(|(word, _, _, s)| {
                let first = s.first().copied().unwrap_or(0.0);
                let last = s.last().copied().unwrap_or(0.0);
                format!("{word}: {first:.4} → {last:.4}")
            })
            .collect::<Vec<_>>()
            .join(" · "),
        Err(why) => why,
    })
}

/// The position rows this sentence uses: what the top of the position map draws.
fn position_table(model: &PageModel, used: usize) -> Option<Table> {
    let positions = model.positions.as_ref()?;
    let used = used.min(positions.rows);
    let rows = (0..used).map(|r| r.to_string()).collect();
    let cols = (0..positions.cols).map(|c| c.to_string()).collect();
    let table = Table::new(
        "position-table",
        model.t("position-title"),
        cols,
        rows,
        |r, c| {
            positions
                .values
                .get(r * positions.cols + c)
                .map(|v| four(*v))
                .unwrap_or_default()
        },
    );
    Some(table.corner(model.t("position-axis")))
}

/// "“party” at position 8: its word row plus the position row is what the first layer
/// receives, 384 numbers each."
fn sum_facts(model: &PageModel) -> Option<String> {
    let chip = model.selected_chip()?;
    let width = model.word_position_rows()?.first()?.len();
    Some(
        model
            .t("sum-facts")
            .replace("{token}", &format!("“{}”", chip.token))
            .replace("{p}", &chip.index.to_string())
            .replace("{n}", &width.to_string()),
    )
}

/// Word + position for the selected token.
fn sum_table(model: &PageModel) -> Option<Table> {
    let rows = model.word_position_rows()?;
    let labels = vec![
        model.t("word-row").to_string(),
        model.t("position-axis").to_string(),
        model.t("sum-row").to_string(),
    ];
    let cols = (0..rows[0].len()).map(|c| c.to_string()).collect();
    Some(Table::new(
        "sum-table",
        model.t("sum-title"),
        cols,
        labels,
        |r, c| four(rows[r][c]),
    ))
}
