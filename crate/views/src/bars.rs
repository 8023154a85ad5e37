//! Labelled horizontal bars, longest first as given: a model's most probable next tokens.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::head_view::head_color;
use crate::palette::Theme;
use crate::ViewError;

const FONT: &str = "sans-serif";

pub struct Bars<'a> {
    pub title: &'a str,
    pub labels: &'a [String],
    /// One per label, in 0..=1 (probabilities); bars are scaled to the largest.
    pub values: &'a [f32],
    /// A bar to draw in the accent colour (the token that really came next).
    pub highlight: Option<usize>,
    pub theme: Theme,
}

/// Where row `i` is: `top + i·pitch` .. `+pitch`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarsLayout {
    pub top: i32,
    pub pitch: i32,
    pub rows: usize,
}

impl BarsLayout {
    pub fn row_at(&self, y: i32) -> Option<usize> {
        if y < self.top || self.pitch <= 0 {
            return None;
        }
        let row = ((y - self.top) / self.pitch) as usize;
        (row < self.rows).then_some(row)
    }
}

pub fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: &Bars,
) -> Result<BarsLayout, ViewError> {
    if bars.labels.len() != bars.values.len() {
        return Err(ViewError(format!(
            "{} labels for {} values",
            bars.labels.len(),
            bars.values.len()
        )));
    }
    let text = bars.theme.text();
    area.fill(&bars.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_font = (FONT, 15.0).into_font().color(&text);
    let widest = crate::chart_frame::widest_label(bars.labels, &label_font);
    let title_height = if bars.title.is_empty() { 4 } else { 30 };
    if !bars.title.is_empty() {
        area.draw(&Text::new(
            bars.title.to_string(),
            (4, 4),
            (FONT, 17.0).into_font().color(&text),
        ))?;
    }
    let rows = bars.labels.len();
    let pitch = ((height as i32 - title_height - 4) / rows.max(1) as i32).clamp(14, 34);
    let left = widest + 14;
    let room = (width as i32 - left - 80).max(10) as f64;
    let largest = bars
        .values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max)
        .max(f32::MIN_POSITIVE);
    for (i, (label, &value)) in bars.labels.iter().zip(bars.values).enumerate() {
        let y0 = title_height + i as i32 * pitch;
        let centre = y0 + pitch / 2;
        area.draw(&Text::new(
            label.clone(),
            (left - 8, centre),
            label_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        let length = if value.is_finite() {
            (f64::from(value / largest) * room).round() as i32
        } else {
            0
        };
        let color = if bars.highlight == Some(i) {
            head_color(1)
        } else {
            head_color(0)
        };
        area.draw(&Rectangle::new(
            [(left, y0 + 3), (left + length.max(1), y0 + pitch - 3)],
            color.filled(),
        ))?;
        area.draw(&Text::new(
            format!("{value:.4}"),
            (left + length.max(1) + 6, centre),
            (FONT, 14.0)
                .into_font()
                .color(&text)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    area.present()?;
    Ok(BarsLayout {
        top: title_height,
        pitch,
        rows,
    })
}
