//! Several vectors of one length as labelled colour strips on one shared scale, so they can
//! be compared cell by cell: a word vector, a position vector, and their sum.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::{Palette, Theme};
use crate::ViewError;

const FONT: &str = "sans-serif";

pub struct Strip<'a> {
    pub label: &'a str,
    pub values: &'a [f32], // (d)
}

pub struct Strips<'a> {
    pub title: &'a str,
    pub strips: &'a [Strip<'a>],
    pub theme: Theme,
}

/// Where the strips landed: row `i` spans `top + i·pitch` to that plus `height`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StripsLayout {
    pub left: i32,
    pub top: i32,
    pub pitch: i32,
    pub height: i32,
    pub cell_width: f64,
    pub len: usize,
    /// |value| that gets the full colour.
    pub scale: f32,
}

impl StripsLayout {
    /// (strip, dimension) under pixel (x, y), if any.
    pub fn cell_at(&self, x: i32, y: i32, strips: usize) -> Option<(usize, usize)> {
        if x < self.left || y < self.top || self.pitch <= 0 || self.cell_width <= 0.0 {
            return None;
        }
        let row = ((y - self.top) / self.pitch) as usize;
        let inside = (y - self.top) % self.pitch < self.height;
        let col = ((x - self.left) as f64 / self.cell_width) as usize;
        (row < strips && inside && col < self.len).then_some((row, col))
    }
}

pub fn draw_strips<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &Strips,
) -> Result<StripsLayout, ViewError> {
    let len = view.strips.first().map(|s| s.values.len()).unwrap_or(0);
    if len == 0 {
        return Err(ViewError("no vectors to draw".into()));
    }
    if let Some(bad) = view.strips.iter().find(|s| s.values.len() != len) {
        return Err(ViewError(format!(
            "“{}” has {} numbers, the first strip {len}",
            bad.label,
            bad.values.len()
        )));
    }
    let text = view.theme.text();
    area.fill(&view.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_font = (FONT, 14.0).into_font().color(&text);
    let widest = view
        .strips
        .iter()
        .filter_map(|s| crate::text::measure(s.label, &label_font).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0);
    let title_height = if view.title.is_empty() { 4 } else { 30 };
    let left = widest + 14;
    let right = width as i32 - 8;
    let cell_width = (right - left).max(1) as f64 / len as f64;
    let axis_room = 22;
    let pitch = ((height as i32 - title_height - axis_room) / view.strips.len().max(1) as i32)
        .clamp(12, 60);
    let strip_height = (pitch - 10).max(8);
    // One scale for all strips, so the same colour means the same number in each.
    let scale = view
        .strips
        .iter()
        .flat_map(|s| s.values.iter())
        .filter(|v| v.is_finite())
        .fold(0.0f32, |m, v| m.max(v.abs()))
        .max(f32::MIN_POSITIVE);
    if !view.title.is_empty() {
        area.draw(&Text::new(
            view.title.to_string(),
            (4, 4),
            (FONT, 17.0).into_font().color(&text),
        ))?;
    }
    let x_of = |i: usize| left + (i as f64 * cell_width).round() as i32;
    for (row, strip) in view.strips.iter().enumerate() {
        let y0 = title_height + row as i32 * pitch;
        area.draw(&Text::new(
            strip.label.to_string(),
            (left - 8, y0 + strip_height / 2),
            label_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for (i, value) in strip.values.iter().enumerate() {
            let color = Palette::Diverging.color(value / scale, view.theme);
            area.draw(&Rectangle::new(
                [
                    (x_of(i), y0),
                    (x_of(i + 1).max(x_of(i) + 1), y0 + strip_height),
                ],
                color.filled(),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(left, y0), (x_of(len), y0 + strip_height)],
            text.mix(0.35).stroke_width(1),
        ))?;
    }
    // Dimension ticks under the last strip.
    let bottom = title_height + view.strips.len() as i32 * pitch;
    let step = crate::ticks::index_step(len, (right - left) as f64, 40.0);
    let tick_font = (FONT, 13.0)
        .into_font()
        .color(&text)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let mut i = 0;
    while i < len {
        area.draw(&Text::new(
            i.to_string(),
            (x_of(i), bottom - 6),
            tick_font.clone(),
        ))?;
        i += step;
    }
    area.present()?;
    Ok(StripsLayout {
        left,
        top: title_height,
        pitch,
        height: strip_height,
        cell_width,
        len,
        scale,
    })
}
