//! BertViz's head view: the tokens in two columns, queries left and keys right, joined by one
//! line per (head, query, key) in the head's colour, as opaque as the attention weight.

use ndarray::ArrayView3;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::Theme;
use crate::ViewError;

const FONT: &str = "sans-serif";
/// Lines this faint are invisible anyway; skipping them keeps 12 heads × S² lines fast.
const MIN_WEIGHT: f32 = 0.01;
/// BertViz's row pitch: a 10-token sentence fills about 300 px, not the whole page.
const MAX_ROW_HEIGHT: f64 = 28.0;
/// Room right of the key labels for the focused query's per-head bars. Reserved even
/// without a focus so the labels do not jump when a token is clicked.
const BAR_SPACE: i32 = 60;
const BAR_LENGTH: f64 = 48.0;

/// Tableau's categorical hues, darkened or lightened until each stands 3:1 against both
/// themes' backgrounds (the WCAG bar for graphics) and no two are alike.
const HEAD_COLORS: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(230, 110, 0),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(210, 90, 170),
    RGBColor(0, 128, 128),
    RGBColor(150, 150, 20),
    RGBColor(0, 150, 190),
    RGBColor(120, 120, 230),
    RGBColor(180, 130, 0),
];

/// The colour of a head's lines, the same in every view; heads beyond 12 reuse the cycle.
pub fn head_color(head: usize) -> RGBColor {
    HEAD_COLORS[head % HEAD_COLORS.len()]
}

/// Which column a token label is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Query,
    Key,
}

/// What to draw.
pub struct HeadView<'a> {
    pub title: &'a str,
    /// Left column, one per query row.
    pub query_labels: &'a [String],
    /// Right column, one per key column.
    pub key_labels: &'a [String],
    /// One layer, or the A→B block of it when the page filters sentence pairs.
    pub attention: ArrayView3<'a, f32>, // (heads, queries, keys)
    /// One per head; hidden heads draw no lines.
    pub visible_heads: &'a [bool],
    /// A query row: only its lines are drawn and its label is highlighted. None → every row.
    pub focus: Option<usize>,
    pub theme: Theme,
}

/// Where the labels landed, so a pointer position can be turned back into a token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadViewLayout {
    /// Horizontal span [left, right) of the query labels; their lines start at `query_right`.
    pub query_left: i32,
    pub query_right: i32,
    /// Horizontal span [left, right) of the key labels; their lines end at `key_left`.
    pub key_left: i32,
    pub key_right: i32,
    /// The top of the first row of each column: a shorter column is centred on the longer.
    pub query_top: i32,
    pub key_top: i32,
    pub row_height: f64,
    pub queries: usize,
    pub keys: usize,
}

impl HeadViewLayout {
    /// The token label under pixel (x, y), if any.
    pub fn token_at(&self, x: i32, y: i32) -> Option<(Column, usize)> {
        let row = |top: i32, count: usize| {
            if y < top || self.row_height <= 0.0 {
                return None;
            }
            let r = ((y - top) as f64 / self.row_height) as usize;
            (r < count).then_some(r)
        };
        if (self.query_left..self.query_right).contains(&x) {
            row(self.query_top, self.queries).map(|r| (Column::Query, r))
        } else if (self.key_left..self.key_right).contains(&x) {
            row(self.key_top, self.keys).map(|r| (Column::Key, r))
        } else {
            None
        }
    }

    /// The vertical centre of row `row` in the column starting at `top`.
    fn row_centre(&self, top: i32, row: usize) -> i32 {
        top + ((row as f64 + 0.5) * self.row_height).round() as i32
    }

    fn row_span(&self, top: i32, row: usize) -> (i32, i32) {
        let y = |r: usize| top + (r as f64 * self.row_height).round() as i32;
        (y(row), y(row + 1))
    }
}

/// Draws `view` filling `area`; returns where the labels are.
pub fn draw_head_view<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &HeadView,
) -> Result<HeadViewLayout, ViewError> {
    check_shapes(view)?;
    let text = view.theme.text();
    area.fill(&view.theme.background())?;
    let (layout, label_size) = fit_layout(area.dim_in_pixel(), view);
    if !view.title.is_empty() {
        area.draw(&Text::new(
            view.title.to_string(),
            (4, 4),
            (FONT, 18.0).into_font().color(&text),
        ))?;
    }
    // Lines first, so the labels stay legible on top of them.
    draw_lines(area, view, &layout)?;
    draw_labels(area, view, &layout, label_size)?;
    if let Some(q) = view.focus {
        draw_focus_bars(area, view, &layout, q)?;
    }
    area.present()?;
    Ok(layout)
}

/// The labels, head switches and focus must fit the attention's (heads, queries, keys).
fn check_shapes(view: &HeadView) -> Result<(), ViewError> {
    let (heads, queries, keys) = view.attention.dim();
    if view.query_labels.len() != queries || view.key_labels.len() != keys {
        return Err(ViewError(format!(
            "{} query and {} key labels for attention of {queries} queries × {keys} keys",
            view.query_labels.len(),
            view.key_labels.len()
        )));
    }
    if view.visible_heads.len() != heads {
        return Err(ViewError(format!(
            "{} head switches for {heads} heads",
            view.visible_heads.len()
        )));
    }
    if let Some(focus) = view.focus.filter(|&q| q >= queries) {
        return Err(ViewError(format!("focus on query {focus} of {queries}")));
    }
    Ok(())
}

/// Where the two columns go on a canvas of `(width, height)`, and the labels' font size.
fn fit_layout((width, height): (u32, u32), view: &HeadView) -> (HeadViewLayout, f64) {
    let (_, queries, keys) = view.attention.dim();
    let title_height = if view.title.is_empty() { 0 } else { 28 };
    let available = (height as i32 - title_height - 8).max(1) as f64;
    let row_height = (available / queries.max(keys).max(1) as f64).min(MAX_ROW_HEIGHT);
    // Projector-size text unless the rows are too thin to hold it (hundreds of tokens).
    let label_size = if row_height >= 16.0 {
        14.0
    } else {
        (row_height * 0.85).max(4.0)
    };
    let label_font = (FONT, label_size).into_font().color(&view.theme.text());
    let widest = view
        .query_labels
        .iter()
        .chain(view.key_labels)
        .filter_map(|l| crate::text::measure(l, &label_font).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0);
    let label_width = widest.max(32) + 12;
    let free = width as i32 - 2 * label_width - BAR_SPACE - 16;
    let gap = free.clamp(40, 240);
    let left = ((width as i32 - (2 * label_width + gap + BAR_SPACE)) / 2).max(4);
    let column_top = |count: usize| {
        title_height + 4 + ((available - count as f64 * row_height) / 2.0).round() as i32
    };
    let layout = HeadViewLayout {
        query_left: left,
        query_right: left + label_width,
        key_left: left + label_width + gap,
        key_right: left + 2 * label_width + gap,
        query_top: column_top(queries),
        key_top: column_top(keys),
        row_height,
        queries,
        keys,
    };
    (layout, label_size)
}

/// One line per visible head, query row (only the focused one, if any) and key, in the
/// head's colour and as opaque as the weight; faint weights draw nothing.
fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &HeadView,
    layout: &HeadViewLayout,
) -> Result<(), ViewError> {
    let (heads, queries, keys) = view.attention.dim();
    let rows: Vec<usize> = match view.focus {
        Some(q) => vec![q],
        None => (0..queries).collect(),
    };
    for head in (0..heads).filter(|&h| view.visible_heads[h]) {
        let color = head_color(head);
        for &q in &rows {
            let from = (layout.query_right, layout.row_centre(layout.query_top, q));
            for k in 0..keys {
                let weight = view.attention[[head, q, k]];
                if weight.is_nan() || weight < MIN_WEIGHT {
                    continue;
                }
                let to = (layout.key_left, layout.row_centre(layout.key_top, k));
                area.draw(&PathElement::new(
                    vec![from, to],
                    color.mix(weight.min(1.0) as f64).stroke_width(2),
                ))?;
            }
        }
    }
    Ok(())
}

/// Both columns of token labels; the focused query is boxed and bold.
fn draw_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &HeadView,
    layout: &HeadViewLayout,
    label_size: f64,
) -> Result<(), ViewError> {
    let text = view.theme.text();
    let label_font = (FONT, label_size).into_font().color(&text);
    if let Some(q) = view.focus {
        let (y0, y1) = layout.row_span(layout.query_top, q);
        let corners = [
            (layout.query_left, y0 + 1),
            (layout.query_right - 2, y1 - 1),
        ];
        area.draw(&Rectangle::new(corners, view.theme.masked().filled()))?;
        area.draw(&Rectangle::new(corners, text.stroke_width(1)))?;
    }
    for (q, label) in view.query_labels.iter().enumerate() {
        let style = if view.focus == Some(q) {
            (FONT, label_size, FontStyle::Bold).into_font().color(&text)
        } else {
            label_font.clone()
        };
        let y = layout.row_centre(layout.query_top, q);
        area.draw(&Text::new(
            label.clone(),
            (layout.query_right - 8, y),
            style.pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    for (k, label) in view.key_labels.iter().enumerate() {
        let y = layout.row_centre(layout.key_top, k);
        area.draw(&Text::new(
            label.clone(),
            (layout.key_left + 8, y),
            label_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// The focused query's weights per head, stacked beside each key like BertViz's blocks.
fn draw_focus_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &HeadView,
    layout: &HeadViewLayout,
    q: usize,
) -> Result<(), ViewError> {
    let (heads, _, keys) = view.attention.dim();
    let shown: Vec<usize> = (0..heads).filter(|&h| view.visible_heads[h]).collect();
    let band = (layout.row_height - 4.0) / shown.len().max(1) as f64;
    for k in 0..keys {
        let (y0, _) = layout.row_span(layout.key_top, k);
        for (slot, &head) in shown.iter().enumerate() {
            let weight = view.attention[[head, q, k]];
            let length = (weight.clamp(0.0, 1.0) as f64 * BAR_LENGTH).round() as i32;
            if length < 1 {
                continue;
            }
            let top = y0 + 2 + (slot as f64 * band).round() as i32;
            let bottom = y0 + 2 + ((slot + 1) as f64 * band).round() as i32;
            area.draw(&Rectangle::new(
                [
                    (layout.key_right + 4, top),
                    (layout.key_right + 4 + length, bottom.max(top + 1)),
                ],
                head_color(head).filled(),
            ))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luminance(c: RGBColor) -> f64 {
        let channel = |v: u8| {
            let v = v as f64 / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.0) + 0.7152 * channel(c.1) + 0.0722 * channel(c.2)
    }

    fn contrast(a: RGBColor, b: RGBColor) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn head_colours_are_distinct_and_visible_on_both_themes() {
        for (i, &a) in HEAD_COLORS.iter().enumerate() {
            for theme in [Theme::Light, Theme::Dark] {
                let ratio = contrast(a, theme.background());
                assert!(ratio >= 3.0, "head {i} on {theme:?}: {ratio:.2}");
            }
            for &b in &HEAD_COLORS[i + 1..] {
                let distance = (a.0 as i32 - b.0 as i32).abs()
                    + (a.1 as i32 - b.1 as i32).abs()
                    + (a.2 as i32 - b.2 as i32).abs();
                assert!(distance >= 60, "{a:?} and {b:?} look alike");
            }
        }
        assert_eq!(head_color(12), head_color(0), "cycles");
    }
}
