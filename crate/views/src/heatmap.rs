//! A labelled matrix of coloured cells: attention (query rows × key columns) or cosine
//! similarity (tokens of A × tokens of B), with values printed where cells are big enough.

use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::{Palette, Theme};
use crate::ViewError;

/// What to draw.
pub struct Heatmap<'a> {
    pub title: &'a str,
    pub row_labels: &'a [String],
    pub col_labels: &'a [String],
    pub values: &'a Array2<f32>, // (rows, cols)
    pub palette: Palette,
    /// Cells above the diagonal have no value (a causal model's future tokens).
    pub mask_upper: bool,
    /// A row to outline (the selected token).
    pub highlight_row: Option<usize>,
    pub theme: Theme,
}

/// Where the cells landed, so a pointer position can be turned back into a cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatmapLayout {
    pub left: i32,
    pub top: i32,
    pub cell_width: f64,
    pub cell_height: f64,
    pub rows: usize,
    pub cols: usize,
}

impl HeatmapLayout {
    /// The (row, column) under pixel (x, y), if any.
    pub fn cell_at(&self, x: i32, y: i32) -> Option<(usize, usize)> {
        if x < self.left || y < self.top || self.cell_width <= 0.0 || self.cell_height <= 0.0 {
            return None;
        }
        let col = ((x - self.left) as f64 / self.cell_width) as usize;
        let row = ((y - self.top) as f64 / self.cell_height) as usize;
        (row < self.rows && col < self.cols).then_some((row, col))
    }
}

const FONT: &str = "sans-serif";

/// Draws `map` filling `area`; returns the cell layout.
pub fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    map: &Heatmap,
) -> Result<HeatmapLayout, ViewError> {
    let (rows, cols) = map.values.dim();
    if map.row_labels.len() != rows || map.col_labels.len() != cols {
        return Err(ViewError(format!(
            "{} row and {} column labels for a {rows}×{cols} matrix",
            map.row_labels.len(),
            map.col_labels.len()
        )));
    }
    let text = map.theme.text();
    area.fill(&map.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_size = 14.0;
    let label_font = (FONT, label_size).into_font().color(&text);
    let widest = |labels: &[String]| {
        labels
            .iter()
            .filter_map(|l| crate::text::measure(l, &label_font).ok())
            .map(|(w, _)| w as i32)
            .max()
            .unwrap_or(0)
    };
    let title_height = if map.title.is_empty() { 0 } else { 28 };
    let left = widest(map.row_labels) + 10;
    let top = title_height + widest(map.col_labels) + 10;
    let cell_width = (width as i32 - left - 4).max(1) as f64 / cols.max(1) as f64;
    let cell_height = (height as i32 - top - 4).max(1) as f64 / rows.max(1) as f64;
    let layout = HeatmapLayout {
        left,
        top,
        cell_width,
        cell_height,
        rows,
        cols,
    };

    if title_height > 0 {
        area.draw(&Text::new(
            map.title.to_string(),
            (4, 4),
            (FONT, 18.0).into_font().color(&text),
        ))?;
    }
    let x_of = |c: usize| left + (c as f64 * cell_width).round() as i32;
    let y_of = |r: usize| top + (r as f64 * cell_height).round() as i32;
    let show_values = cell_width >= 34.0 && cell_height >= 18.0;
    for r in 0..rows {
        for c in 0..cols {
            let masked = map.mask_upper && c > r;
            let value = map.values[[r, c]];
            let fill = if masked {
                map.theme.masked()
            } else {
                map.palette.color(value, map.theme)
            };
            let (x0, y0, x1, y1) = (x_of(c), y_of(r), x_of(c + 1), y_of(r + 1));
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))?;
            if show_values && !masked && value.is_finite() {
                let strong = match map.palette {
                    Palette::Sequential { max } => value > 0.55 * max.max(f32::MIN_POSITIVE),
                    Palette::Diverging => value.abs() > 0.55,
                };
                let ink = if strong { WHITE } else { text };
                let style = (FONT, (cell_height * 0.45).min(13.0))
                    .into_font()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                area.draw(&Text::new(
                    format!("{value:.2}"),
                    ((x0 + x1) / 2, (y0 + y1) / 2),
                    style,
                ))?;
            }
        }
    }
    for (r, label) in map.row_labels.iter().enumerate() {
        let style = label_font.clone().pos(Pos::new(HPos::Right, VPos::Center));
        let y = (y_of(r) + y_of(r + 1)) / 2;
        area.draw(&Text::new(label.clone(), (left - 6, y), style))?;
    }
    for (c, label) in map.col_labels.iter().enumerate() {
        let style = label_font
            .clone()
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let x = (x_of(c) + x_of(c + 1)) / 2;
        area.draw(&Text::new(label.clone(), (x, top - 6), style))?;
    }
    if let Some(r) = map.highlight_row.filter(|&r| r < rows) {
        area.draw(&Rectangle::new(
            [(left - 1, y_of(r) - 1), (x_of(cols) + 1, y_of(r + 1) + 1)],
            text.stroke_width(2),
        ))?;
    }
    area.present()?;
    Ok(layout)
}
