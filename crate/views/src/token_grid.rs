//! A grid of words in coloured cells: the logit lens (layers × positions), each cell the
//! token a layer would predict there, its colour that token's probability; or the ablation
//! scan (layers × heads), each cell what removing that head did.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::heatmap::HeatmapLayout;
use crate::palette::{Palette, Theme};
use crate::text::measure;
use crate::ViewError;

/// What to draw: `words[r][c]` written in a cell coloured by `values[r][c]` through
/// `palette` (a value that is not finite gets the theme's masked grey).
pub struct TokenGrid<'a> {
    pub title: &'a str,
    pub row_labels: &'a [String],
    pub col_labels: &'a [String],
    pub words: &'a [Vec<String>],
    pub values: &'a [Vec<f32>],
    /// A cell to outline (the one whose table is shown).
    pub selected: Option<(usize, usize)>,
    /// Cells to mark with a dot (where the word is the token that really came next).
    pub marked: &'a [(usize, usize)],
    pub palette: Palette,
    pub theme: Theme,
}

const FONT: &str = "sans-serif";

/// Draws the grid filling `area`; returns the cell layout for the pointer.
pub fn draw_token_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &TokenGrid,
) -> Result<HeatmapLayout, ViewError> {
    let rows = grid.row_labels.len();
    let cols = grid.col_labels.len();
    let fits = |m: &[Vec<_>]| m.len() == rows && m.iter().all(|r: &Vec<_>| r.len() == cols);
    if !fits(grid.values) || grid.words.len() != rows || grid.words.iter().any(|r| r.len() != cols)
    {
        return Err(ViewError(format!(
            "a {rows}×{cols} token grid needs as many words and values"
        )));
    }
    let text = grid.theme.text();
    area.fill(&grid.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_font = (FONT, 14.0).into_font().color(&text);
    let widest = |labels: &[String]| {
        labels
            .iter()
            .filter_map(|l| measure(l, &label_font).ok())
            .map(|(w, _)| w as i32)
            .max()
            .unwrap_or(0)
    };
    let title_height = if grid.title.is_empty() { 0 } else { 28 };
    let left = widest(grid.row_labels) + 10;
    let top = title_height + widest(grid.col_labels) + 10;
    let layout = HeatmapLayout {
        left,
        top,
        cell_width: (width as i32 - left - 4).max(1) as f64 / cols.max(1) as f64,
        cell_height: (height as i32 - top - 4).max(1) as f64 / rows.max(1) as f64,
        rows,
        cols,
    };
    if title_height > 0 {
        area.draw(&Text::new(
            grid.title.to_string(),
            (4, 4),
            (FONT, 18.0).into_font().color(&text),
        ))?;
    }
    let x_of = |c: usize| left + (c as f64 * layout.cell_width).round() as i32;
    let y_of = |r: usize| top + (r as f64 * layout.cell_height).round() as i32;
    let palette = grid.palette;
    // White ink on the deep end of the scale, the theme's own on the pale middle.
    let deep = |value: f32| match palette {
        Palette::Sequential { max } => value > 0.55 * max,
        Palette::Diverging => value.abs() > 0.55,
    };
    let size = (layout.cell_height * 0.42).clamp(8.0, 14.0);
    for r in 0..rows {
        for c in 0..cols {
            let value = grid.values[r][c];
            let (x0, y0, x1, y1) = (x_of(c), y_of(r), x_of(c + 1), y_of(r + 1));
            area.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                palette.color(value, grid.theme).filled(),
            ))?;
            area.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                grid.theme.background().stroke_width(1),
            ))?;
            let ink = if deep(value) { WHITE } else { text };
            let style = (FONT, size)
                .into_font()
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center));
            let word = fit(&grid.words[r][c], (x1 - x0 - 4).max(4) as u32, &style);
            area.draw(&Text::new(word, ((x0 + x1) / 2, (y0 + y1) / 2), style))?;
            if grid.marked.contains(&(r, c)) {
                area.draw(&Circle::new((x1 - 5, y0 + 5), 3, ink.filled()))?;
            }
        }
    }
    for (r, label) in grid.row_labels.iter().enumerate() {
        let style = label_font.clone().pos(Pos::new(HPos::Right, VPos::Center));
        area.draw(&Text::new(
            label.clone(),
            (left - 6, (y_of(r) + y_of(r + 1)) / 2),
            style,
        ))?;
    }
    for (c, label) in grid.col_labels.iter().enumerate() {
        let style = label_font
            .clone()
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(
            label.clone(),
            ((x_of(c) + x_of(c + 1)) / 2, top - 6),
            style,
        ))?;
    }
    if let Some((r, c)) = grid.selected.filter(|&(r, c)| r < rows && c < cols) {
        area.draw(&Rectangle::new(
            [
                (x_of(c) - 1, y_of(r) - 1),
                (x_of(c + 1) + 1, y_of(r + 1) + 1),
            ],
            RGBColor(230, 120, 20).stroke_width(3),
        ))?;
    }
    area.present()?;
    Ok(layout)
}

/// The word cut with "…" until it fits `width` pixels.
fn fit(word: &str, width: u32, style: &TextStyle) -> String {
    let wide = |w: &str| measure(w, style).map_or(0, |(x, _)| x);
    if wide(word) <= width {
        return word.to_string();
    }
    let mut chars: Vec<char> = word.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>() + "…";
        if wide(&cut) <= width {
            return cut;
        }
    }
    String::new()
}
