//! The position view for rotary models (RoPE): there is no position vector to add, so it
//! shows the angle each dimension pair turns by at each position, and what the turn makes of
//! one query and key placed t tokens apart: the same score wherever the pair sits.

use ndarray::Array2;
use plotters::prelude::DrawingBackend;
use tokenscope_core::anatomy::Positions;
use tokenscope_core::rope::angles;
use tokenscope_views::{draw_dense_map, draw_line_chart, head_color, DenseMap, LineChart, Series};

use crate::format::grouped;
use crate::page::PageModel;
use crate::protocol::RotaryDetail;
use crate::views::kit::{four, message, theme, Area, Hit, PaintResult};
use crate::views::out::{Out, Table};

/// How many positions the angle map shows: twice what the sentence uses, at least 64, at
/// most the model's context.
fn shown_positions(model: &PageModel) -> usize {
    let used = model.focus_sentence().map_or(0, |s| s.ids.len());
    let context = model.facts.as_ref().map_or(64, |f| f.max_positions);
    (used * 2).max(64).min(context)
}

/// The angles of positions 0..shown, each pair's column. (shown, d/2)
fn angle_table(model: &PageModel) -> Option<Array2<f32>> {
    let inv_freq = model.facts.as_ref()?.rotary_frequencies.as_ref()?;
    Some(angles(inv_freq, shown_positions(model)))
}

pub fn paint_angles<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let Some(table) = angle_table(model) else {
        return message(area, model, model.t("loading"));
    };
    let used = model.focus_sentence().map_or(0, |s| s.ids.len());
    let highlight: Vec<usize> = (0..used.min(table.nrows())).collect();
    let title = format!(
        "{} · {} 0–{}",
        model.t("angle-title"),
        model.t("position-zoom"),
        table.nrows().saturating_sub(1)
    );
    let layout = draw_dense_map(
        area,
        &DenseMap {
            title: &title,
            values: table.view(),
            row_axis: model.t("position-axis"),
            col_axis: model.t("pair-axis"),
            highlight_rows: &highlight,
            theme: theme(model),
        },
    )?;
    Ok(Hit::Dense(layout).into())
}

/// The distance curves of the selected head, once the worker has sent them.
fn curves(model: &PageModel) -> Option<&RotaryDetail> {
    model.current_qkv()?.rotary.as_ref()
}

/// The largest gap between the curves at any distance: how far from "distance only".
fn largest_gap(rotary: &RotaryDetail) -> f32 {
    let Some(first) = rotary.scores_by_distance.first() else {
        return 0.0;
    };
    rotary.scores_by_distance[1..]
        .iter()
        .flat_map(|curve| curve.iter().zip(first).map(|(a, b)| (a - b).abs()))
        .fold(0.0, f32::max)
}

pub fn paint_distance<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let Some(rotary) = curves(model) else {
        return message(area, model, model.t("running"));
    };
    let distances = rotary.scores_by_distance.first().map_or(0, Vec::len);
    let x_labels: Vec<String> = (0..distances).map(|t| t.to_string()).collect();
    let labels: Vec<String> = rotary
        .query_positions
        .iter()
        .map(|p| format!("{} {p}", model.t("query-at")))
        .collect();
    let lines: Vec<Series> = rotary
        .scores_by_distance
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(n, (values, label))| Series {
            label,
            values,
            color: head_color(n),
        })
        .collect();
    let all = rotary.scores_by_distance.iter().flatten().copied();
    let (low, high) = all.fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    let pad = ((high - low) * 0.08).max(1e-3);
    draw_line_chart(
        area,
        &LineChart {
            title: &distance_title(model),
            x_labels: &x_labels,
            y_label: "q·k/√d",
            y_range: (low - pad, high + pad),
            series: &lines,
            highlight_x: None,
            theme: theme(model),
        },
    )?;
    Ok(Hit::None.into())
}

/// "“party” · layer 0 · head 3: score by distance t (key t tokens before the query)".
fn distance_title(model: &PageModel) -> String {
    let token = model
        .selected_chip()
        .map_or_else(String::new, |c| c.token.clone());
    format!(
        "“{token}” · {} {} · {} {} · {}",
        model.t("layer"),
        model.state.layer,
        model.t("head"),
        model.state.head,
        model.t("distance-title")
    )
}

pub fn render(model: &PageModel, out: &mut Out) {
    let used = model.focus_sentence().map_or(0, |s| s.ids.len());
    out.text("position-text", angle_text(model, used).unwrap_or_default());
    out.table("position-table", angle_numbers(model, used));
    out.text("sum-text", distance_text(model).unwrap_or_default());
    out.table("sum-table", distance_numbers(model));
}

/// "64 positions × 32 pairs. θ_0 = 1 … θ_31 = 0.0001 (base 10,000, llama3 scaling). This
/// sentence uses positions 0 to 9."
fn angle_text(model: &PageModel, used: usize) -> Option<String> {
    let facts = model.facts.as_ref()?;
    let inv_freq = facts.rotary_frequencies.as_ref()?;
    let (first, last) = (inv_freq.first()?, inv_freq.last()?);
    let (base, scaling) = match &facts.anatomy.positions {
        Positions::Rotary { theta, scaling } => (*theta, scaling.as_str()),
        Positions::Learned { .. } => return None,
    };
    Some(format!(
        "{} {} × {} {}. θ₀ = {first:.4} … θ{} = {last:.3e} ({} {}, {scaling}). {} {}.",
        shown_positions(model),
        model.t("positions-count"),
        inv_freq.len(),
        model.t("pairs-count"),
        subscript(inv_freq.len() - 1),
        model.t("rope-base"),
        grouped(base as u64),
        model.t("position-uses"),
        used.saturating_sub(1)
    ))
}

/// Digits as subscripts, for θ's index.
fn subscript(n: usize) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
        .collect()
}

/// The angles of the positions this sentence uses: the top rows of the map.
fn angle_numbers(model: &PageModel, used: usize) -> Option<Table> {
    let table = angle_table(model)?;
    let rows = used.min(table.nrows());
    let table = Table::new(
        "position-table",
        model.t("angle-title"),
        (0..table.ncols())
            .map(|i| format!("θ{}", subscript(i)))
            .collect(),
        (0..rows).map(|r| r.to_string()).collect(),
        |r, c| four(table[[r, c]]),
    );
    Some(table.corner(model.t("position-axis")))
}

fn distance_text(model: &PageModel) -> Option<String> {
    let rotary = curves(model)?;
    let places: Vec<String> = rotary
        .query_positions
        .iter()
        .map(|p| p.to_string())
        .collect();
    Some(format!(
        "{} {}. {} {:.1e}: {}",
        model.t("distance-placed"),
        places.join(", "),
        model.t("distance-gap"),
        largest_gap(rotary),
        model.t("distance-only"),
    ))
}

fn distance_numbers(model: &PageModel) -> Option<Table> {
    let rotary = curves(model)?;
    let distances = rotary.scores_by_distance.first().map_or(0, Vec::len);
    let table = Table::new(
        "sum-table",
        distance_title(model),
        (0..distances).map(|t| t.to_string()).collect(),
        rotary
            .query_positions
            .iter()
            .map(|p| format!("{} {p}", model.t("query-at")))
            .collect(),
        |r, c| four(rotary.scores_by_distance[r][c]),
    );
    Some(table.corner(model.t("distance-axis")))
}
