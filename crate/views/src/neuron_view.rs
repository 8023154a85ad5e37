//! BertViz's neuron view plus the value side: for one query in one head, each key's k, the
//! element-wise q × k, the score q·k/√d, its softmax, the value v, and the weighted sum of
//! values that is the head's output.

use ndarray::ArrayView2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::{Palette, Theme};
use crate::ViewError;

const FONT: &str = "sans-serif";
const MAX_ROW_HEIGHT: f64 = 28.0;
const GAP: i32 = 12;
const SCORE_WIDTH: i32 = 64;
const BAR_WIDTH: i32 = 72;
const PROB_WIDTH: i32 = 52;

/// The column headers, so the page can pass them in its own language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeuronHeaders<'a> {
    pub key: &'a str,
    pub k: &'a str,
    pub product: &'a str,
    pub score: &'a str,
    pub softmax: &'a str,
    pub value: &'a str,
    /// Captions the top row's band (the query vector).
    pub query: &'a str,
    /// Labels the bottom row (the head's output for the query).
    pub context: &'a str,
}

impl NeuronHeaders<'static> {
    pub fn english() -> Self {
        NeuronHeaders {
            key: "key",
            k: "k",
            product: "q × k",
            score: "q·k/√d",
            softmax: "softmax",
            value: "value v",
            query: "query q",
            context: "Σ softmax·v",
        }
    }
}

/// What to draw: one query of one head, against every key.
pub struct NeuronView<'a> {
    pub title: &'a str,
    pub headers: NeuronHeaders<'a>,
    pub query_label: &'a str,
    pub key_labels: &'a [String],
    pub query: &'a [f32],            // (d)
    pub keys: ArrayView2<'a, f32>,   // (S, d)
    pub values: ArrayView2<'a, f32>, // (S, d)
    /// q·k/√d as the model computed it, before the mask. (S)
    pub scores: &'a [f32],
    /// The softmax of the scores: the attention row. (S)
    pub probs: &'a [f32],
    /// Σ probs_j · v_j: this head's output for the query. (d)
    pub context: &'a [f32],
    /// Causal models: keys at this index and after are future tokens, drawn grey, no numbers.
    pub masked_from: Option<usize>,
    pub theme: Theme,
}

/// Where the key rows landed, so a pointer position can be turned back into a key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeuronLayout {
    pub left: i32,
    pub right: i32,
    /// Top of the first key row.
    pub top: i32,
    pub row_height: f64,
    pub rows: usize,
}

impl NeuronLayout {
    /// The key row under pixel (x, y), if any.
    pub fn row_at(&self, x: i32, y: i32) -> Option<usize> {
        if x < self.left || x >= self.right || y < self.top || self.row_height <= 0.0 {
            return None;
        }
        let row = ((y - self.top) as f64 / self.row_height) as usize;
        (row < self.rows).then_some(row)
    }
}

/// max |x| over finite values, 1 when there are none (so an all-zero band stays blank).
fn symmetric_scale(values: impl Iterator<Item = f32>) -> f32 {
    let max = values
        .filter(|v| v.is_finite())
        .fold(0.0f32, |m, v| m.max(v.abs()));
    if max > 0.0 {
        max
    } else {
        1.0
    }
}

/// Draws `view` filling `area`; returns where the key rows are.
pub fn draw_neuron_view<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &NeuronView,
) -> Result<NeuronLayout, ViewError> {
    let (rows, dim) = view.keys.dim();
    if view.values.dim() != (rows, dim) {
        return Err(ViewError(format!(
            "values are {:?} but keys are {rows}×{dim}",
            view.values.dim()
        )));
    }
    if view.query.len() != dim || view.context.len() != dim {
        return Err(ViewError(format!(
            "query of {} and context of {} for {dim}-d keys",
            view.query.len(),
            view.context.len()
        )));
    }
    let per_key = [view.key_labels.len(), view.scores.len(), view.probs.len()];
    if per_key.iter().any(|&n| n != rows) {
        return Err(ViewError(format!(
            "labels, scores and probabilities are {per_key:?} long for {rows} keys"
        )));
    }
    if rows == 0 || dim == 0 {
        return Err(ViewError("no keys to draw".into()));
    }
    let masked = |j: usize| view.masked_from.is_some_and(|m| j >= m);
    let visible = || (0..rows).filter(|&j| !masked(j));

    let text = view.theme.text();
    area.fill(&view.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let title_height = if view.title.is_empty() { 0 } else { 28 };
    let header_height = 24;
    // Key rows plus the query row above and the context row below, with a gap each side.
    let available = (height as i32 - title_height - header_height - 2 * 10 - 8).max(1) as f64;
    let row_height = (available / (rows + 2) as f64).min(MAX_ROW_HEIGHT);
    let label_size = if row_height >= 16.0 {
        14.0
    } else {
        (row_height * 0.85).max(4.0)
    };
    let label_font = (FONT, label_size).into_font().color(&text);
    let header_font = (FONT, 14.0, FontStyle::Bold).into_font().color(&text);

    let widest = view
        .key_labels
        .iter()
        .map(String::as_str)
        .chain([view.query_label, view.headers.context, view.headers.key])
        .filter_map(|l| crate::text::measure(l, &header_font).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0);
    let label_right = 8 + widest;
    let fixed = label_right + SCORE_WIDTH + BAR_WIDTH + 6 + PROB_WIDTH + 6 * GAP + 8;
    let band_width = (width as i32 - fixed) / 3;
    if band_width < dim.min(24) as i32 || row_height < 3.0 {
        return Err(ViewError(format!(
            "{width}×{height} px is too small for {rows} keys of {dim} dimensions"
        )));
    }
    let k_left = label_right + GAP;
    let product_left = k_left + band_width + GAP;
    let score_right = product_left + band_width + GAP + SCORE_WIDTH;
    let bar_left = score_right + GAP;
    let prob_left = bar_left + BAR_WIDTH + 6;
    let value_left = prob_left + PROB_WIDTH + GAP;
    let value_right = value_left + band_width;

    let headers_y = title_height + header_height / 2;
    let query_top = title_height + header_height + 4;
    let top = query_top + row_height.round() as i32 + 10;
    let y_of = |j: usize| top + (j as f64 * row_height).round() as i32;
    let context_top = y_of(rows) + 10;
    let layout = NeuronLayout {
        left: 8,
        right: value_right,
        top,
        row_height,
        rows,
    };

    if title_height > 0 {
        area.draw(&Text::new(
            view.title.to_string(),
            (4, 4),
            (FONT, 18.0).into_font().color(&text),
        ))?;
    }
    let headers = [
        (view.headers.key, label_right, HPos::Right),
        (view.headers.k, k_left + band_width / 2, HPos::Center),
        (
            view.headers.product,
            product_left + band_width / 2,
            HPos::Center,
        ),
        (view.headers.score, score_right, HPos::Right),
        (view.headers.softmax, bar_left, HPos::Left),
        (
            view.headers.value,
            value_left + band_width / 2,
            HPos::Center,
        ),
    ];
    for (header, x, anchor) in headers {
        area.draw(&Text::new(
            header.to_string(),
            (x, headers_y),
            header_font.clone().pos(Pos::new(anchor, VPos::Center)),
        ))?;
    }

    // One shared scale per kind of band, so rows compare by colour.
    let qk_scale = symmetric_scale(
        view.query
            .iter()
            .copied()
            .chain(visible().flat_map(|j| view.keys.row(j).to_vec())),
    );
    let product_scale = symmetric_scale(visible().flat_map(|j| {
        view.keys
            .row(j)
            .iter()
            .zip(view.query)
            .map(|(k, q)| k * q)
            .collect::<Vec<_>>()
    }));
    let value_scale = symmetric_scale(
        view.context
            .iter()
            .copied()
            .chain(visible().flat_map(|j| view.values.row(j).to_vec())),
    );
    let band = |x0: i32, y0: i32, y1: i32, values: &mut dyn Iterator<Item = f32>, scale: f32| {
        let cell = band_width as f64 / dim as f64;
        for (i, v) in values.enumerate() {
            let cx0 = x0 + (i as f64 * cell).round() as i32;
            let cx1 = (x0 + ((i + 1) as f64 * cell).round() as i32).max(cx0 + 1);
            area.draw(&Rectangle::new(
                [(cx0, y0), (cx1, y1)],
                Palette::Diverging.color(v / scale, view.theme).filled(),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(x0, y0), (x0 + band_width, y1)],
            text.mix(0.3).stroke_width(1),
        ))
    };

    // The query row: q sits over the k column, dimension above dimension.
    let query_bottom = query_top + row_height.round() as i32;
    let query_middle = (query_top + query_bottom) / 2;
    area.draw(&Text::new(
        view.query_label.to_string(),
        (label_right, query_middle),
        header_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
    ))?;
    band(
        k_left,
        query_top + 1,
        query_bottom - 1,
        &mut view.query.iter().copied(),
        qk_scale,
    )?;
    area.draw(&Text::new(
        view.headers.query.to_string(),
        (product_left, query_middle),
        label_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    for y in [top - 5, context_top - 5] {
        area.draw(&PathElement::new(
            vec![(8, y), (value_right, y)],
            text.mix(0.25).stroke_width(1),
        ))?;
    }

    let hot = Palette::Sequential { max: 1.0 }.color(1.0, view.theme);
    for j in 0..rows {
        let (y0, y1) = (y_of(j) + 1, y_of(j + 1) - 1);
        let middle = (y0 + y1) / 2;
        let label_ink = if masked(j) {
            text.mix(0.45)
        } else {
            text.mix(1.0)
        };
        area.draw(&Text::new(
            view.key_labels[j].clone(),
            (label_right, middle),
            (FONT, label_size)
                .into_font()
                .color(&label_ink)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        if masked(j) {
            // A future token: nothing of it reaches the query, so nothing of it is shown.
            for x0 in [k_left, product_left, value_left] {
                area.draw(&Rectangle::new(
                    [(x0, y0), (x0 + band_width, y1)],
                    view.theme.masked().filled(),
                ))?;
            }
            area.draw(&Rectangle::new(
                [(bar_left, y0), (bar_left + BAR_WIDTH, y1)],
                view.theme.masked().filled(),
            ))?;
            continue;
        }
        let key = view.keys.row(j);
        band(k_left, y0, y1, &mut key.iter().copied(), qk_scale)?;
        band(
            product_left,
            y0,
            y1,
            &mut key.iter().zip(view.query).map(|(k, q)| k * q),
            product_scale,
        )?;
        band(
            value_left,
            y0,
            y1,
            &mut view.values.row(j).iter().copied(),
            value_scale,
        )?;
        area.draw(&Text::new(
            format!("{:.2}", view.scores[j]),
            (score_right, middle),
            label_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        let p = view.probs[j];
        area.draw(&Rectangle::new(
            [(bar_left, y0 + 2), (bar_left + BAR_WIDTH, y1 - 2)],
            text.mix(0.08).filled(),
        ))?;
        let length = (p.clamp(0.0, 1.0) as f64 * BAR_WIDTH as f64).round() as i32;
        if length >= 1 {
            area.draw(&Rectangle::new(
                [(bar_left, y0 + 2), (bar_left + length, y1 - 2)],
                hot.filled(),
            ))?;
        }
        area.draw(&Text::new(
            format!("{p:.3}"),
            (prob_left, middle),
            label_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }

    let context_bottom = context_top + row_height.round() as i32;
    let context_middle = (context_top + context_bottom) / 2;
    area.draw(&Text::new(
        view.headers.context.to_string(),
        (label_right, context_middle),
        header_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
    ))?;
    band(
        value_left,
        context_top + 1,
        context_bottom - 1,
        &mut view.context.iter().copied(),
        value_scale,
    )?;
    area.present()?;
    Ok(layout)
}
