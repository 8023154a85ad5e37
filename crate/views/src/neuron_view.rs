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

impl NeuronView<'_> {
    /// Causal models: a key at or after `masked_from` is a future token the query never sees.
    fn is_masked(&self, j: usize) -> bool {
        self.masked_from.is_some_and(|m| j >= m)
    }
}

/// Draws `view` filling `area`; returns where the key rows are.
pub fn draw_neuron_view<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &NeuronView,
) -> Result<NeuronLayout, ViewError> {
    let (rows, dim) = check_shapes(view)?;
    let text = view.theme.text();
    area.fill(&view.theme.background())?;
    let header_font = (FONT, 14.0, FontStyle::Bold).into_font().color(&text);
    let grid = Grid::fit(area.dim_in_pixel(), view, (rows, dim), &header_font)?;
    let painter = Painter {
        area,
        view,
        text,
        label_font: (FONT, grid.label_size).into_font().color(&text),
        header_font,
        scales: Scales::of(view),
        grid,
    };
    painter.draw_title_and_headers()?;
    painter.draw_query_row()?;
    painter.draw_rules()?;
    for j in 0..rows {
        painter.draw_key_row(j)?;
    }
    painter.draw_context_row()?;
    area.present()?;
    Ok(NeuronLayout {
        left: 8,
        right: grid.value_right,
        top: grid.top,
        row_height: grid.row_height,
        rows,
    })
}

/// (keys, dimensions) when every input agrees on them, else what disagrees.
fn check_shapes(view: &NeuronView) -> Result<(usize, usize), ViewError> {
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
    Ok((rows, dim))
}

/// Where every column and row goes, worked out once from the canvas size and the labels.
#[derive(Debug, Clone, Copy)]
struct Grid {
    dim: usize,
    title_height: i32,
    row_height: f64,
    label_size: f64,
    label_right: i32,
    band_width: i32,
    k_left: i32,
    product_left: i32,
    score_right: i32,
    bar_left: i32,
    prob_left: i32,
    value_left: i32,
    value_right: i32,
    headers_y: i32,
    query_top: i32,
    /// Top of the first key row.
    top: i32,
    context_top: i32,
}

impl Grid {
    fn fit(
        (width, height): (u32, u32),
        view: &NeuronView,
        (rows, dim): (usize, usize),
        header_font: &TextStyle,
    ) -> Result<Grid, ViewError> {
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
        // The labels column is as wide as the widest label, headers included.
        let widest = view
            .key_labels
            .iter()
            .map(String::as_str)
            .chain([view.query_label, view.headers.context, view.headers.key])
            .filter_map(|l| crate::text::measure(l, header_font).ok())
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
        let query_top = title_height + header_height + 4;
        let top = query_top + row_height.round() as i32 + 10;
        let mut grid = Grid {
            dim,
            title_height,
            row_height,
            label_size,
            label_right,
            band_width,
            k_left,
            product_left,
            score_right,
            bar_left,
            prob_left,
            value_left,
            value_right: value_left + band_width,
            headers_y: title_height + header_height / 2,
            query_top,
            top,
            context_top: 0,
        };
        grid.context_top = grid.y_of(rows) + 10;
        Ok(grid)
    }

    /// Top of key row `j` (or bottom of row `j - 1`).
    fn y_of(&self, j: usize) -> i32 {
        self.top + (j as f64 * self.row_height).round() as i32
    }
}

/// One shared scale per kind of band, so rows compare by colour. Masked keys are left out:
/// they are not drawn, so they must not set the scale.
struct Scales {
    qk: f32,
    product: f32,
    value: f32,
}

impl Scales {
    fn of(view: &NeuronView) -> Scales {
        let rows = view.keys.nrows();
        let visible = || (0..rows).filter(|&j| !view.is_masked(j));
        let qk = symmetric_scale(
            view.query
                .iter()
                .copied()
                .chain(visible().flat_map(|j| view.keys.row(j).to_vec())),
        );
        let product = symmetric_scale(visible().flat_map(|j| {
            view.keys
                .row(j)
                .iter()
                .zip(view.query)
                .map(|(k, q)| k * q)
                .collect::<Vec<_>>()
        }));
        let value = symmetric_scale(
            view.context
                .iter()
                .copied()
                .chain(visible().flat_map(|j| view.values.row(j).to_vec())),
        );
        Scales { qk, product, value }
    }
}

/// What every part of the drawing needs: the canvas, the view, its grid, inks and fonts.
struct Painter<'p, 'a, DB: DrawingBackend> {
    area: &'p DrawingArea<DB, Shift>,
    view: &'p NeuronView<'a>,
    grid: Grid,
    text: RGBColor,
    label_font: TextStyle<'static>,
    header_font: TextStyle<'static>,
    scales: Scales,
}

impl<DB: DrawingBackend> Painter<'_, '_, DB> {
    fn draw_title_and_headers(&self) -> Result<(), ViewError> {
        let (view, g) = (self.view, &self.grid);
        if g.title_height > 0 {
            self.area.draw(&Text::new(
                view.title.to_string(),
                (4, 4),
                (FONT, 18.0).into_font().color(&self.text),
            ))?;
        }
        let headers = [
            (view.headers.key, g.label_right, HPos::Right),
            (view.headers.k, g.k_left + g.band_width / 2, HPos::Center),
            (
                view.headers.product,
                g.product_left + g.band_width / 2,
                HPos::Center,
            ),
            (view.headers.score, g.score_right, HPos::Right),
            (view.headers.softmax, g.bar_left, HPos::Left),
            (
                view.headers.value,
                g.value_left + g.band_width / 2,
                HPos::Center,
            ),
        ];
        for (header, x, anchor) in headers {
            self.area.draw(&Text::new(
                header.to_string(),
                (x, g.headers_y),
                self.header_font.clone().pos(Pos::new(anchor, VPos::Center)),
            ))?;
        }
        Ok(())
    }

    /// One vector as a row of cells from `x0`, coloured by value over `scale`, outlined.
    fn draw_band(
        &self,
        x0: i32,
        y0: i32,
        y1: i32,
        values: impl Iterator<Item = f32>,
        scale: f32,
    ) -> Result<(), ViewError> {
        let g = &self.grid;
        let cell = g.band_width as f64 / g.dim as f64;
        for (i, v) in values.enumerate() {
            let cx0 = x0 + (i as f64 * cell).round() as i32;
            let cx1 = (x0 + ((i + 1) as f64 * cell).round() as i32).max(cx0 + 1);
            self.area.draw(&Rectangle::new(
                [(cx0, y0), (cx1, y1)],
                Palette::Diverging
                    .color(v / scale, self.view.theme)
                    .filled(),
            ))?;
        }
        self.area.draw(&Rectangle::new(
            [(x0, y0), (x0 + g.band_width, y1)],
            self.text.mix(0.3).stroke_width(1),
        ))?;
        Ok(())
    }

    /// The query row: q sits over the k column, dimension above dimension.
    fn draw_query_row(&self) -> Result<(), ViewError> {
        let g = &self.grid;
        let query_bottom = g.query_top + g.row_height.round() as i32;
        let query_middle = (g.query_top + query_bottom) / 2;
        self.area.draw(&Text::new(
            self.view.query_label.to_string(),
            (g.label_right, query_middle),
            self.header_font
                .clone()
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        self.draw_band(
            g.k_left,
            g.query_top + 1,
            query_bottom - 1,
            self.view.query.iter().copied(),
            self.scales.qk,
        )?;
        self.area.draw(&Text::new(
            self.view.headers.query.to_string(),
            (g.product_left, query_middle),
            self.label_font
                .clone()
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        Ok(())
    }

    /// Rules that set the key rows apart from the query row above and the output row below.
    fn draw_rules(&self) -> Result<(), ViewError> {
        let g = &self.grid;
        for y in [g.top - 5, g.context_top - 5] {
            self.area.draw(&PathElement::new(
                vec![(8, y), (g.value_right, y)],
                self.text.mix(0.25).stroke_width(1),
            ))?;
        }
        Ok(())
    }

    /// Key row `j`: its label, then its bands, score and softmax, or grey if it is masked.
    fn draw_key_row(&self, j: usize) -> Result<(), ViewError> {
        let g = &self.grid;
        let (y0, y1) = (g.y_of(j) + 1, g.y_of(j + 1) - 1);
        let middle = (y0 + y1) / 2;
        let masked = self.view.is_masked(j);
        let label_ink = if masked {
            self.text.mix(0.45)
        } else {
            self.text.mix(1.0)
        };
        self.area.draw(&Text::new(
            self.view.key_labels[j].clone(),
            (g.label_right, middle),
            (FONT, g.label_size)
                .into_font()
                .color(&label_ink)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        if masked {
            return self.draw_masked_row(y0, y1);
        }
        let key = self.view.keys.row(j);
        self.draw_band(g.k_left, y0, y1, key.iter().copied(), self.scales.qk)?;
        self.draw_band(
            g.product_left,
            y0,
            y1,
            key.iter().zip(self.view.query).map(|(k, q)| k * q),
            self.scales.product,
        )?;
        self.draw_band(
            g.value_left,
            y0,
            y1,
            self.view.values.row(j).iter().copied(),
            self.scales.value,
        )?;
        self.draw_score_and_softmax(j, (y0, y1), middle)
    }

    /// A future token: nothing of it reaches the query, so nothing of it is shown.
    fn draw_masked_row(&self, y0: i32, y1: i32) -> Result<(), ViewError> {
        let g = &self.grid;
        let grey = self.view.theme.masked().filled();
        for x0 in [g.k_left, g.product_left, g.value_left] {
            self.area
                .draw(&Rectangle::new([(x0, y0), (x0 + g.band_width, y1)], grey))?;
        }
        self.area.draw(&Rectangle::new(
            [(g.bar_left, y0), (g.bar_left + BAR_WIDTH, y1)],
            grey,
        ))?;
        Ok(())
    }

    /// Key `j`'s score as a number, and its softmax as a bar and a number.
    fn draw_score_and_softmax(
        &self,
        j: usize,
        (y0, y1): (i32, i32),
        middle: i32,
    ) -> Result<(), ViewError> {
        let g = &self.grid;
        let right_font = self
            .label_font
            .clone()
            .pos(Pos::new(HPos::Right, VPos::Center));
        self.area.draw(&Text::new(
            format!("{:.2}", self.view.scores[j]),
            (g.score_right, middle),
            right_font,
        ))?;
        let p = self.view.probs[j];
        self.area.draw(&Rectangle::new(
            [(g.bar_left, y0 + 2), (g.bar_left + BAR_WIDTH, y1 - 2)],
            self.text.mix(0.08).filled(),
        ))?;
        let length = (p.clamp(0.0, 1.0) as f64 * BAR_WIDTH as f64).round() as i32;
        if length >= 1 {
            let hot = Palette::Sequential { max: 1.0 }.color(1.0, self.view.theme);
            self.area.draw(&Rectangle::new(
                [(g.bar_left, y0 + 2), (g.bar_left + length, y1 - 2)],
                hot.filled(),
            ))?;
        }
        self.area.draw(&Text::new(
            format!("{p:.3}"),
            (g.prob_left, middle),
            self.label_font
                .clone()
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        Ok(())
    }

    /// The bottom row: the head's output, Σ softmax · v, under the value column.
    fn draw_context_row(&self) -> Result<(), ViewError> {
        let g = &self.grid;
        let context_bottom = g.context_top + g.row_height.round() as i32;
        let context_middle = (g.context_top + context_bottom) / 2;
        self.area.draw(&Text::new(
            self.view.headers.context.to_string(),
            (g.label_right, context_middle),
            self.header_font
                .clone()
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        self.draw_band(
            g.value_left,
            g.context_top + 1,
            context_bottom - 1,
            self.view.context.iter().copied(),
            self.scales.value,
        )
    }
}
