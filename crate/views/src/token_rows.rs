//! One text cut several ways, one band per tokenizer, every token a box over the characters
//! it covers so boundaries line up across bands; its id under it. A byte-level token that
//! ends inside a character ends at that fraction of the character. Boundaries some
//! tokenizers draw and others do not are marked in red; long text wraps onto more lines.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart_frame::{draw_title, widest_label};
use crate::palette::Theme;
use crate::text::measure;
use crate::ViewError;

/// One token: its label, id, `[start, end)` byte span (None for a marker such as [CLS]),
/// and whether it is unknown to its vocabulary.
pub struct RowToken {
    pub label: String,
    pub id: Option<u32>,
    pub span: Option<(usize, usize)>,
    pub unknown: bool,
}

/// One tokenizer's band.
pub struct TokenRow {
    pub name: String,
    pub tokens: Vec<RowToken>,
    /// Whether its boundaries count when looking for disagreement (words and the
    /// tokenizers, not single characters or bytes).
    pub compared: bool,
}

pub struct TokenRows<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub rows: &'a [TokenRow],
    /// (row, token) outlined: the token whose building steps are shown.
    pub selected: Option<(usize, usize)>,
    pub theme: Theme,
}

/// Where each token was drawn, for the pointer: (row, token, x0, y0, x1, y1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenRowsLayout {
    pub boxes: Vec<(usize, usize, i32, i32, i32, i32)>,
}

impl TokenRowsLayout {
    pub fn token_at(&self, x: i32, y: i32) -> Option<(usize, usize)> {
        self.boxes
            .iter()
            .find(|b| x >= b.2 && x < b.4 && y >= b.3 && y < b.5)
            .map(|b| (b.0, b.1))
    }
}

const FONT: &str = "sans-serif";
const BAND: i32 = 44;
const MIN_CELL: f64 = 16.0;
/// Markers ([CLS], [SEP], <|endoftext|>) sit in gutters left and right of the text.
const GUTTER: i32 = 64;

/// The x of a byte offset, in characters: a byte inside a character is that far into it.
fn char_position(text: &str, byte: usize) -> f64 {
    let mut chars = 0.0;
    for (i, c) in text.char_indices() {
        let len = c.len_utf8();
        if byte < i + len {
            return chars + (byte - i) as f64 / len as f64;
        }
        chars += 1.0;
    }
    chars
}

/// Token ends drawn by some compared rows and not by others, as character positions.
fn disagreements(text: &str, rows: &[TokenRow]) -> Vec<f64> {
    let ends = |row: &TokenRow| -> Vec<usize> {
        row.tokens
            .iter()
            .filter_map(|t| t.span)
            .flat_map(|(a, b)| [a, b])
            .collect()
    };
    let compared: Vec<Vec<usize>> = rows.iter().filter(|r| r.compared).map(ends).collect();
    let mut all: Vec<usize> = compared.iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    // A boundary next to a space is the same cut whichever side the space went to.
    let near = |ends: &Vec<usize>, b: usize| {
        ends.iter().any(|&e| {
            e == b
                || (e.abs_diff(b) == 1
                    && text
                        .as_bytes()
                        .get(e.min(b))
                        .is_some_and(u8::is_ascii_whitespace))
        })
    };
    all.into_iter()
        .filter(|&b| b > 0 && b < text.len() && !compared.iter().all(|e| near(e, b)))
        .map(|b| char_position(text, b))
        .collect()
}

pub fn draw_token_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &TokenRows,
) -> Result<TokenRowsLayout, ViewError> {
    let ink = chart.theme.text();
    area.fill(&chart.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let top = draw_title(area, chart.title, &ink)?;
    let label_font = (FONT, 14.0).into_font().color(&ink);
    let names: Vec<String> = chart.rows.iter().map(|r| r.name.clone()).collect();
    let left = widest_label(&names, &label_font) + 12;
    let chars: Vec<char> = chart.text.chars().collect();
    let n = chars.len().max(1);
    let usable = (width as i32 - left - 2 * GUTTER - 8).max(80) as f64;
    let block = 24 + BAND * chart.rows.len() as i32 + 12;
    // As many characters per line as fit at a readable width, but never more lines than
    // the canvas holds: then the cells get narrower instead.
    let fit_lines = ((height as i32 - top) / block).max(1) as usize;
    let per_line = ((usable / MIN_CELL).floor() as usize)
        .max(n.div_ceil(fit_lines))
        .clamp(1, n);
    let lines = n.div_ceil(per_line);
    let cell = usable / per_line as f64;
    let red = RGBColor(200, 40, 40);
    let tones = match chart.theme {
        Theme::Light => [RGBColor(222, 232, 252), RGBColor(252, 236, 214)],
        Theme::Dark => [RGBColor(40, 56, 96), RGBColor(86, 64, 36)],
    };
    let unknown = RGBColor(230, 120, 120);
    let cuts = disagreements(chart.text, chart.rows);
    let mut layout = TokenRowsLayout::default();
    let x0 = left + GUTTER;
    for line in 0..lines {
        let (first, last) = (line * per_line, ((line + 1) * per_line).min(n));
        let y_text = top + block * line as i32;
        let x_of = |pos: f64| x0 + ((pos - first as f64) * cell).round() as i32;
        // The text itself, one character per cell.
        for (k, c) in chars[first..last].iter().enumerate() {
            let shown = if c.is_whitespace() { '·' } else { *c };
            let style = (FONT, 15.0)
                .into_font()
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center));
            area.draw(&Text::new(
                shown.to_string(),
                (
                    (x_of((first + k) as f64) + x_of((first + k + 1) as f64)) / 2,
                    y_text + 10,
                ),
                style,
            ))?;
        }
        let y_rows = y_text + 24;
        for &cut in cuts
            .iter()
            .filter(|&&c| c > first as f64 && c < last as f64)
        {
            let x = x_of(cut);
            area.draw(&PathElement::new(
                vec![(x, y_text), (x, y_rows + BAND * chart.rows.len() as i32)],
                red.stroke_width(2),
            ))?;
        }
        for (r, row) in chart.rows.iter().enumerate() {
            let y = y_rows + BAND * r as i32;
            area.draw(&Text::new(
                row.name.clone(),
                (left - 8, y + BAND / 2),
                label_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            let spanned = row.tokens.iter().position(|t| t.span.is_some());
            for (t, token) in row.tokens.iter().enumerate() {
                let (bx0, bx1) = match token.span {
                    Some((a, b)) => {
                        let (pa, pb) = (char_position(chart.text, a), char_position(chart.text, b));
                        if pb <= first as f64 || pa >= last as f64 {
                            continue;
                        }
                        (x_of(pa.max(first as f64)), x_of(pb.min(last as f64)))
                    }
                    // A marker: in the left gutter before the text, the right one after it.
                    None if line == 0 && spanned.is_none_or(|s| t < s) => (left + 2, x0 - 4),
                    None if line + 1 == lines && spanned.is_some_and(|s| t > s) => {
                        (x_of(last as f64) + 4, x_of(last as f64) + GUTTER - 2)
                    }
                    None => continue,
                };
                let fill = if token.unknown { unknown } else { tones[t % 2] };
                let (y0, y1) = (y + 2, y + BAND - 2);
                area.draw(&Rectangle::new(
                    [(bx0, y0), (bx1.max(bx0 + 2), y1)],
                    fill.filled(),
                ))?;
                area.draw(&Rectangle::new(
                    [(bx0, y0), (bx1.max(bx0 + 2), y1)],
                    ink.mix(0.35).stroke_width(1),
                ))?;
                if chart.selected == Some((r, t)) {
                    area.draw(&Rectangle::new(
                        [(bx0 - 1, y0 - 1), (bx1 + 1, y1 + 1)],
                        RGBColor(230, 120, 20).stroke_width(3),
                    ))?;
                }
                let room = (bx1 - bx0 - 4).max(0) as u32;
                let style = (FONT, 13.0)
                    .into_font()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                if let Some(label) = fit(&token.label, room, &style) {
                    area.draw(&Text::new(label, ((bx0 + bx1) / 2, y + 15), style))?;
                }
                if let Some(id) = token.id {
                    let small = (FONT, 10.0)
                        .into_font()
                        .color(&ink.mix(0.75))
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    if let Some(id) = fit(&id.to_string(), room, &small) {
                        area.draw(&Text::new(id, ((bx0 + bx1) / 2, y + 32), small))?;
                    }
                }
                layout.boxes.push((r, t, bx0, y0, bx1.max(bx0 + 2), y1));
            }
        }
    }
    area.present()?;
    Ok(layout)
}

/// The label if it fits `room` pixels, else cut with "…", else nothing.
fn fit(label: &str, room: u32, style: &TextStyle) -> Option<String> {
    let wide = |s: &str| measure(s, style).map_or(u32::MAX, |(w, _)| w);
    if wide(label) <= room {
        return Some(label.to_string());
    }
    let mut chars: Vec<char> = label.chars().collect();
    while chars.len() > 1 {
        chars.pop();
        let cut = format!("{}…", chars.iter().collect::<String>());
        if wide(&cut) <= room {
            return Some(cut);
        }
    }
    None
}

/// The canvas height the chart needs at `width` pixels.
pub fn token_rows_height(text: &str, rows: usize, width: u32, names: &[String]) -> u32 {
    let label_font: TextStyle = (FONT, 14.0).into_font().into();
    let left = widest_label(names, &label_font) + 12;
    let usable = (width as i32 - left - 2 * GUTTER - 8).max(80) as f64;
    let n = text.chars().count().max(1);
    let per_line = ((usable / MIN_CELL).floor() as usize).clamp(1, n);
    let lines = n.div_ceil(per_line) as u32;
    28 + lines * (24 + BAND as u32 * rows as u32 + 12) + 8
}
