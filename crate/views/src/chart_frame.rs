//! The parts charts share: title, legend row, the widest label, the bounds of a set of
//! points, and the y axis's ticks with their grid lines and rotated name.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::ticks::{decimals_for, value_ticks};
use crate::ViewError;

const FONT: &str = "sans-serif";
const TITLE_SIZE: f64 = 18.0;

/// Draws the title in the top-left corner; returns the height it takes (0 without one).
pub fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    color: &RGBColor,
) -> Result<i32, ViewError> {
    if title.is_empty() {
        return Ok(0);
    }
    area.draw(&Text::new(
        title.to_string(),
        (4, 4),
        (FONT, TITLE_SIZE).into_font().color(color),
    ))?;
    Ok(28)
}

/// The width in pixels of the widest of `labels` in `font` (0 for none).
pub fn widest_label(labels: &[String], font: &TextStyle) -> i32 {
    labels
        .iter()
        .filter_map(|l| crate::text::measure(l, font).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0)
}

/// The smallest box (x0, x1, y0, y1) holding every finite point; None when there is none.
pub fn bounds(points: impl Iterator<Item = (f32, f32)>) -> Option<(f32, f32, f32, f32)> {
    points
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .fold(None, |b, (x, y)| {
            let (x0, x1, y0, y1) = b.unwrap_or((x, x, y, y));
            Some((x0.min(x), x1.max(x), y0.min(y), y1.max(y)))
        })
}

/// One legend entry: a line in the series' colour (with a dot when its points are marked)
/// and its name.
pub struct LegendEntry<'a> {
    pub label: &'a str,
    pub color: RGBColor,
    pub marker: bool,
}

/// Draws the entries in a row centred on `y`, from the left edge.
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    y: i32,
    font: &TextStyle,
) -> Result<(), ViewError> {
    let mut x = 8;
    for entry in entries {
        area.draw(&PathElement::new(
            vec![(x, y), (x + 22, y)],
            entry.color.stroke_width(3),
        ))?;
        if entry.marker {
            area.draw(&Circle::new((x + 11, y), 4, entry.color.filled()))?;
        }
        area.draw(&Text::new(
            entry.label.to_string(),
            (x + 28, y),
            font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        let label_width = crate::text::measure(entry.label, font)
            .map(|(w, _)| w as i32)
            .unwrap_or(60);
        x += 28 + label_width + 18;
    }
    Ok(())
}

/// Round values between `lo` and `hi` for the y axis, printed with as many decimals as
/// they need, and the width of the widest label (to place the plot's left edge).
pub struct YTicks {
    pub values: Vec<f32>,
    pub labels: Vec<String>,
    pub widest: i32,
}

impl YTicks {
    pub fn new(lo: f32, hi: f32, font: &TextStyle) -> Self {
        let values = value_ticks(lo, hi, 5);
        let decimals = decimals_for(&values);
        let labels: Vec<String> = values.iter().map(|t| format!("{t:.decimals$}")).collect();
        let widest = labels
            .iter()
            .filter_map(|l| crate::text::measure(l, font).ok())
            .map(|(w, _)| w as i32)
            .max()
            .unwrap_or(0);
        YTicks {
            values,
            labels,
            widest,
        }
    }

    /// A faint grid line across the plot at each tick, with its label left of `left`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        (left, right): (i32, i32),
        y_of: impl Fn(f32) -> i32,
        color: &RGBColor,
        font: &TextStyle,
    ) -> Result<(), ViewError> {
        for (tick, label) in self.values.iter().zip(&self.labels) {
            let y = y_of(*tick);
            area.draw(&PathElement::new(
                vec![(left, y), (right, y)],
                color.mix(0.15).stroke_width(1),
            ))?;
            area.draw(&Text::new(
                label.clone(),
                (left - 6, y),
                font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
        Ok(())
    }
}

/// The axes' corner lines and the y axis's name, rotated, centred along it.
pub fn draw_axes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (left, top, right, bottom): (i32, i32, i32, i32),
    y_label: &str,
    color: &RGBColor,
    font: &TextStyle,
) -> Result<(), ViewError> {
    area.draw(&PathElement::new(
        vec![(left, top), (left, bottom), (right, bottom)],
        color.mix(0.6).stroke_width(1),
    ))?;
    if !y_label.is_empty() {
        area.draw(&Text::new(
            y_label.to_string(),
            (10, (top + bottom) / 2),
            font.clone()
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    Ok(())
}
