//! View 3, cosine similarity: every token of A against every token of B at a chosen depth,
//! the selected word against its partner layer by layer, and the article's editable toy
//! vectors.

use plotters::prelude::DrawingBackend;
use tokenscope_core::analysis::cosine;
use tokenscope_views::{
    draw_heatmap, draw_line_chart, head_color, Heatmap, LineChart, Palette, Series,
};

use super::kit::{
    four, loaded, message, theme, Area, CanvasPlan, Control, Hit, PaintResult, Panel, Pointer,
    UiEvent,
};
use super::out::{El, Node, Out, Table};
use crate::page::{partner, series, similarity_at, Msg, PageModel, Side};

pub struct Similarity;

impl Panel for Similarity {
    const CONTROLS: &'static [Control] = &[
        Control::on("depth", UiEvent::Change, |i| i.whole().map(Msg::Depth)),
        Control::within("toy-inputs", UiEvent::Input, "toy", |i| {
            let (row, col) = i.data.as_deref()?.split_once(',')?;
            Some(Msg::Toy {
                row: row.parse().ok()?,
                col: col.parse().ok()?,
                value: i.number() as f32,
            })
        }),
    ];

    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![CanvasPlan::fixed("similarity"), CanvasPlan::fixed("drift")]
    }

    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        match name {
            "similarity" => paint_matrix(model, area),
            _ => paint_drift(model, area),
        }
    }

    fn render(model: &PageModel, out: &mut Out) {
        let depths = model.facts.as_ref().map_or(0, |facts| facts.num_layers + 2);
        let options = (0..depths)
            .map(|d| (d.to_string(), model.depth_name(d)))
            .collect();
        out.options("depth", options, model.state.depth.to_string());
        out.table("similarity-table-box", matrix_table(model));
        out.text("drift-text", drift_text(model).unwrap_or_default());
        out.children("toy-inputs", toy_inputs(model));
        for (row, (_, values)) in model.toy.iter().enumerate() {
            for (col, value) in values.iter().enumerate() {
                out.value(format!("toy-{row}-{col}"), value.to_string());
            }
        }
        out.table("toy-result", Some(toy_table(model)));
    }

    /// A click on a row of the matrix selects that token of A.
    fn on_pointer(_name: &str, hit: &Hit, pointer: Pointer, model: &PageModel) -> Vec<Msg> {
        let (Hit::Heatmap(layout), Pointer::Click(x, y)) = (hit, pointer) else {
            return Vec::new();
        };
        let Some((row, _)) = layout.cell_at(x, y) else {
            return Vec::new();
        };
        // Rows are A's tokens, each encoded alone: find the matching chip.
        model
            .chips
            .iter()
            .position(|c| c.side == Side::A && c.index == row)
            .map(Msg::SelectToken)
            .into_iter()
            .collect()
    }
}

/// The depth shown: the chosen one, inside what the similarity has.
fn depth(model: &PageModel, depths: usize) -> usize {
    model.state.depth.min(depths.saturating_sub(1))
}

fn paint_matrix<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let Some((sim, rows, cols)) = model.similarity() else {
        return message(area, model, &model.too_long_message());
    };
    let depth = depth(model, sim.depths);
    let Some(values) = similarity_at(sim, rows.len(), cols.len(), depth) else {
        return message(area, model, "—");
    };
    let title = format!(
        "{} · {}",
        model.t("similarity-title"),
        model.depth_name(depth)
    );
    let highlight_row = model
        .selected_separate()
        .and_then(|(side, i)| (side == Side::A).then_some(i));
    let layout = draw_heatmap(
        area,
        &Heatmap {
            title: &title,
            row_labels: rows,
            col_labels: cols,
            values: &values.to_owned(),
            palette: Palette::Diverging,
            mask_upper: false,
            highlight_row,
            theme: theme(model),
        },
    )?;
    Ok(Hit::Heatmap(layout).into())
}

/// The selected token and its partner: (row, col) in the similarity, and their cosine at
/// every depth.
fn drift(model: &PageModel) -> Option<((usize, usize), Vec<f32>)> {
    let (sim, rows, cols) = model.similarity()?;
    let selected = model.selected_separate()?;
    let cell = partner(sim, rows.len(), cols.len(), rows, cols, selected)?;
    Some((cell, series(sim, rows.len(), cols.len(), cell)))
}

fn paint_drift<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let Some((sim, rows, cols)) = model.similarity() else {
        return message(area, model, &model.too_long_message());
    };
    let Some((cell, values)) = drift(model) else {
        return message(area, model, "—");
    };
    let labels = model.depth_labels(sim.depths);
    let b_side = if sim.rows == sim.cols { "A" } else { "B" };
    let name = format!("“{}” (A) · “{}” ({b_side})", rows[cell.0], cols[cell.1]);
    let title = format!("{name}: {}", model.t("drift-title"));
    draw_line_chart(
        area,
        &LineChart {
            title: &title,
            x_labels: &labels,
            y_label: "cos",
            y_range: (values.iter().copied().fold(0.0f32, f32::min).min(0.0), 1.0),
            series: &[Series {
                label: &name,
                values: &values,
                color: head_color(0),
            }],
            highlight_x: Some(model.state.depth.min(labels.len().saturating_sub(1))),
            theme: theme(model),
        },
    )?;
    Ok(Hit::None.into())
}

/// Cosine similarity at the chosen depth, A's tokens down, B's (or A's) across.
fn matrix_table(model: &PageModel) -> Option<Table> {
    let (sim, rows, cols) = model.similarity()?;
    let depth = depth(model, sim.depths);
    let values = similarity_at(sim, rows.len(), cols.len(), depth)?;
    let caption = format!(
        "{} · {} (A ↓, {} →)",
        model.t("similarity-caption"),
        model.depth_name(depth),
        if sim.rows == sim.cols { "A" } else { "B" }
    );
    let table = Table::new(
        "similarity-table",
        caption,
        cols.clone(),
        rows.clone(),
        |r, c| four(values[[r, c]]),
    );
    Some(table.attr("data-depth", depth.to_string()))
}

/// The drift in words, for whoever cannot see the chart.
fn drift_text(model: &PageModel) -> Option<String> {
    let (sim, rows, cols) = model.similarity()?;
    let (cell, values) = drift(model)?;
    let parts: Vec<String> = model
        .depth_labels(sim.depths)
        .iter()
        .zip(&values)
        .map(|(l, v)| format!("{l} {v:.4}"))
        .collect();
    Some(format!(
        "“{}” · “{}” ({}): {} {}",
        rows[cell.0],
        cols[cell.1],
        model.t("partner"),
        model.t("drift-says"),
        parts.join(", ")
    ))
}

/// The seed's 4-number vectors as inputs (their values come from the page model).
fn toy_inputs(model: &PageModel) -> Vec<Node> {
    model
        .toy
        .iter()
        .enumerate()
        .map(|(row, (name, values))| {
            let mut line = El::new("div")
                .class("toy-row")
                .child(El::new("span").class("toy-name").text(name.clone()));
            for col in 0..values.len() {
                line = line.child(
                    El::new("input")
                        .attr("id", format!("toy-{row}-{col}"))
                        .attr("type", "number")
                        .attr("step", "0.1")
                        .attr("aria-label", format!("{name} [{col}]"))
                        .attr("data-toy", format!("{row},{col}")),
                );
            }
            line.into()
        })
        .collect()
}

/// The toy vectors' cosine matrix, recomputed on every edit.
fn toy_table(model: &PageModel) -> Table {
    let names: Vec<String> = model.toy.iter().map(|(n, _)| n.clone()).collect();
    let vectors: Vec<ndarray::Array1<f32>> = model
        .toy
        .iter()
        .map(|(_, v)| ndarray::Array1::from(v.to_vec()))
        .collect();
    Table::new(
        "toy-table",
        model.t("similarity-caption"),
        names.clone(),
        names,
        |r, c| four(cosine(vectors[r].view(), vectors[c].view())),
    )
    .corner("cos")
}
