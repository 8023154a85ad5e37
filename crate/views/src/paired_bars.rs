//! Two bars per label, before and after a change: the next-token probabilities of a model
//! with every head on against the same model with some heads switched off.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart_frame::{draw_legend, LegendEntry};
use crate::head_view::head_color;
use crate::palette::Theme;
use crate::ViewError;

const FONT: &str = "sans-serif";

pub struct PairedBars<'a> {
    pub title: &'a str,
    pub labels: &'a [String],
    /// One per label, drawn first (darker).
    pub before: &'a [f32],
    /// One per label, drawn second.
    pub after: &'a [f32],
    /// The legend's names of the two series.
    pub names: (&'a str, &'a str),
    pub theme: Theme,
}

/// Draws the pairs filling `area`; every bar is scaled to the largest value of both series
/// (values below 0 are drawn as 0 long, with their number).
pub fn draw_paired_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: &PairedBars,
) -> Result<(), ViewError> {
    let rows = bars.labels.len();
    if bars.before.len() != rows || bars.after.len() != rows {
        return Err(ViewError(format!(
            "{rows} labels for {} and {} values",
            bars.before.len(),
            bars.after.len()
        )));
    }
    let text = bars.theme.text();
    area.fill(&bars.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_font = (FONT, 15.0).into_font().color(&text);
    let widest = crate::chart_frame::widest_label(bars.labels, &label_font);
    area.draw(&Text::new(
        bars.title.to_string(),
        (4, 4),
        (FONT, 17.0).into_font().color(&text),
    ))?;
    let colors = [head_color(0), head_color(1)];
    draw_legend(
        area,
        &[
            LegendEntry {
                label: bars.names.0,
                color: colors[0],
                marker: false,
            },
            LegendEntry {
                label: bars.names.1,
                color: colors[1],
                marker: false,
            },
        ],
        38,
        &(FONT, 14.0).into_font().color(&text),
    )?;
    let top = 54;
    let pitch = ((height as i32 - top - 4) / rows.max(1) as i32).clamp(20, 44);
    let left = widest + 14;
    let room = (width as i32 - left - 80).max(10) as f64;
    let largest = bars
        .before
        .iter()
        .chain(bars.after)
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max)
        .max(f32::MIN_POSITIVE);
    let value_font = (FONT, 13.0).into_font().color(&text);
    for (i, label) in bars.labels.iter().enumerate() {
        let y0 = top + i as i32 * pitch;
        area.draw(&Text::new(
            label.clone(),
            (left - 8, y0 + pitch / 2),
            label_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        let half = (pitch - 4) / 2;
        for (k, value) in [bars.before[i], bars.after[i]].into_iter().enumerate() {
            let y = y0 + 2 + k as i32 * half;
            let length = if value.is_finite() {
                (f64::from(value.max(0.0) / largest) * room).round() as i32
            } else {
                0
            };
            area.draw(&Rectangle::new(
                [(left, y + 1), (left + length.max(1), y + half - 1)],
                colors[k].filled(),
            ))?;
            area.draw(&Text::new(
                format!("{value:.4}"),
                (left + length.max(1) + 6, y + half / 2),
                value_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
    }
    area.present()?;
    Ok(())
}
