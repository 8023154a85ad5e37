//! A heatmap for matrices too big to label cell by cell (the 512 × 384 position-embedding
//! table): colour only, index ticks on both axes, and the rows in use marked.

use ndarray::{s, ArrayView2};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::{Palette, Theme};
use crate::ticks::index_step;
use crate::ViewError;

const FONT: &str = "sans-serif";
/// Enough rectangles to fill an 800 × 600 canvas at 2 × 2 px, few enough that a canvas
/// (or an SVG file) draws them in a blink.
const MAX_BLOCKS: usize = 49_152;
/// The colour scale ends at this percentile of |value|: a handful of outlier dimensions
/// (BERT's position table has some) would otherwise wash every other cell out to white.
const SCALE_PERCENTILE: f64 = 0.99;

/// What to draw.
pub struct DenseMap<'a> {
    pub title: &'a str,
    pub values: ArrayView2<'a, f32>, // (rows, cols)
    /// What a row is ("position") and what a column is ("dimension").
    pub row_axis: &'a str,
    pub col_axis: &'a str,
    /// Rows to mark (the positions the current sentence uses).
    pub highlight_rows: &'a [usize],
    pub theme: Theme,
}

/// Where the matrix landed, so a pointer position can be turned back into a cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DenseLayout {
    pub left: i32,
    pub top: i32,
    /// Pixels per matrix column and row: often below 1, since cells share pixels.
    pub cell_width: f64,
    pub cell_height: f64,
    pub rows: usize,
    pub cols: usize,
    /// The colour scale's end: |value| at or above this is full colour.
    pub scale: f32,
}

impl DenseLayout {
    /// The matrix (row, column) under pixel (x, y), if any.
    pub fn cell_at(&self, x: i32, y: i32) -> Option<(usize, usize)> {
        if x < self.left || y < self.top || self.cell_width <= 0.0 || self.cell_height <= 0.0 {
            return None;
        }
        let col = ((x - self.left) as f64 / self.cell_width) as usize;
        let row = ((y - self.top) as f64 / self.cell_height) as usize;
        (row < self.rows && col < self.cols).then_some((row, col))
    }
}

/// The `SCALE_PERCENTILE` of |value| over finite values; max |value| if that is 0, and 1
/// for a matrix of zeros.
fn robust_scale(values: ArrayView2<f32>) -> f32 {
    let mut magnitudes: Vec<f32> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| v.abs())
        .collect();
    if magnitudes.is_empty() {
        return 1.0;
    }
    let rank = ((magnitudes.len() - 1) as f64 * SCALE_PERCENTILE).round() as usize;
    let (_, &mut at_rank, _) = magnitudes.select_nth_unstable_by(rank, f32::total_cmp);
    if at_rank > 0.0 {
        return at_rank;
    }
    let max = magnitudes.iter().fold(0.0f32, |m, &v| m.max(v));
    if max > 0.0 {
        max
    } else {
        1.0
    }
}

/// Rows and columns per drawn block: at least what shares a pixel, and grown (the denser
/// side first) until the block count is within `MAX_BLOCKS`.
fn block_shape(rows: usize, cols: usize, pixels: (f64, f64)) -> (usize, usize) {
    let mut per_row = ((rows as f64 / pixels.1.max(1.0)).ceil() as usize).max(1);
    let mut per_col = ((cols as f64 / pixels.0.max(1.0)).ceil() as usize).max(1);
    while rows.div_ceil(per_row) * cols.div_ceil(per_col) > MAX_BLOCKS {
        if rows.div_ceil(per_row) >= cols.div_ceil(per_col) {
            per_row += 1;
        } else {
            per_col += 1;
        }
    }
    (per_row, per_col)
}

/// Draws `map` filling `area`: a diverging scale ending at the 99th percentile of |value|,
/// each drawn block the mean of the cells it covers.
pub fn draw_dense_map<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    map: &DenseMap,
) -> Result<DenseLayout, ViewError> {
    let (rows, cols) = map.values.dim();
    if rows == 0 || cols == 0 {
        return Err(ViewError(format!(
            "a {rows}×{cols} matrix has nothing to draw"
        )));
    }
    if let Some(&row) = map.highlight_rows.iter().find(|&&r| r >= rows) {
        return Err(ViewError(format!("highlighted row {row} of {rows}")));
    }
    let text = map.theme.text();
    area.fill(&map.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_font = (FONT, 14.0).into_font().color(&text);
    let tick_font = (FONT, 13.0).into_font().color(&text);

    let title_height = if map.title.is_empty() { 0 } else { 28 };
    if title_height > 0 {
        area.draw(&Text::new(
            map.title.to_string(),
            (4, 4),
            (FONT, 18.0).into_font().color(&text),
        ))?;
    }
    let widest_tick = crate::text::measure(&(rows - 1).to_string(), &tick_font)
        .map(|(w, _)| w as i32)
        .unwrap_or(30);
    let axis_room = if map.row_axis.is_empty() { 0 } else { 24 };
    // Tick labels, then room for the highlight bracket, then the matrix.
    let left = 6 + axis_room + widest_tick + 16;
    let top = title_height + 6;
    let right = width as i32 - 10;
    let bottom = height as i32 - if map.col_axis.is_empty() { 26 } else { 48 };
    if right - left < 8 || bottom - top < 8 {
        return Err(ViewError(format!(
            "{width}×{height} px is too small for a {rows}×{cols} map"
        )));
    }
    let (plot_width, plot_height) = ((right - left) as f64, (bottom - top) as f64);
    let scale = robust_scale(map.values);
    let layout = DenseLayout {
        left,
        top,
        cell_width: plot_width / cols as f64,
        cell_height: plot_height / rows as f64,
        rows,
        cols,
        scale,
    };
    let x_of = |c: usize| left + (c as f64 * layout.cell_width).round() as i32;
    let y_of = |r: usize| top + (r as f64 * layout.cell_height).round() as i32;

    let (per_row, per_col) = block_shape(rows, cols, (plot_width, plot_height));
    for r in (0..rows).step_by(per_row) {
        for c in (0..cols).step_by(per_col) {
            let (r1, c1) = ((r + per_row).min(rows), (c + per_col).min(cols));
            let block = map.values.slice(s![r..r1, c..c1]);
            let (sum, count) = block
                .iter()
                .filter(|v| v.is_finite())
                .fold((0.0f64, 0usize), |(s, n), &v| (s + v as f64, n + 1));
            let mean = if count > 0 {
                (sum / count as f64) as f32
            } else {
                f32::NAN
            };
            let (x0, y0) = (x_of(c), y_of(r));
            let (x1, y1) = (x_of(c1).max(x0 + 1), y_of(r1).max(y0 + 1));
            area.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                Palette::Diverging.color(mean / scale, map.theme).filled(),
            ))?;
        }
    }

    let row_step = index_step(rows, plot_height, 18.0);
    for r in (0..rows).step_by(row_step) {
        let y = ((y_of(r) + y_of(r + 1)) / 2).max(top);
        area.draw(&Text::new(
            r.to_string(),
            (left - 14, y),
            tick_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    let col_step = index_step(cols, plot_width, 40.0);
    for c in (0..cols).step_by(col_step) {
        let x = ((x_of(c) + x_of(c + 1)) / 2).max(left);
        area.draw(&PathElement::new(
            vec![(x, bottom), (x, bottom + 4)],
            text.mix(0.6).stroke_width(1),
        ))?;
        area.draw(&Text::new(
            c.to_string(),
            (x, bottom + 6),
            tick_font.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    if axis_room > 0 {
        area.draw(&Text::new(
            map.row_axis.to_string(),
            (8, (top + bottom) / 2),
            label_font
                .clone()
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    if !map.col_axis.is_empty() {
        area.draw(&Text::new(
            map.col_axis.to_string(),
            ((left + right) / 2, bottom + 26),
            label_font.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }

    // Each run of consecutive highlighted rows gets one bracket and one outline, at least
    // a few pixels tall even where a row is thinner than a pixel.
    let mut marked: Vec<usize> = map.highlight_rows.to_vec();
    marked.sort_unstable();
    marked.dedup();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for r in marked {
        match runs.last_mut() {
            Some((_, end)) if *end == r => *end = r + 1,
            _ => runs.push((r, r + 1)),
        }
    }
    for (start, end) in runs {
        let y0 = y_of(start);
        let y1 = y_of(end).max(y0 + 3);
        area.draw(&PathElement::new(
            vec![
                (left - 3, y0),
                (left - 9, y0),
                (left - 9, y1),
                (left - 3, y1),
            ],
            text.stroke_width(2),
        ))?;
        area.draw(&Rectangle::new(
            [(left, y0), (right, y1)],
            text.mix(0.8).stroke_width(1),
        ))?;
    }
    area.present()?;
    Ok(layout)
}
