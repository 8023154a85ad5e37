//! A loss curve: how a model's loss falls as it trains, on training batches and on held-out
//! text, with the loss of pure guessing (ln of the vocabulary size) for scale.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart_frame::{draw_axes, draw_legend, draw_title, LegendEntry, YTicks};
use crate::palette::Theme;
use crate::ticks::value_ticks;
use crate::ViewError;

const FONT: &str = "sans-serif";
const LABEL_SIZE: f64 = 14.0;
const TICK_SIZE: f64 = 13.0;

/// One curve: (step, loss) points in step order.
pub struct LossSeries<'a> {
    /// Its legend entry; empty keeps it out of the legend (a later stage of a labelled curve).
    pub label: &'a str,
    pub points: &'a [(f32, f32)],
    pub color: RGBColor,
    /// Mark every point (held-out measurements are few and each one matters).
    pub markers: bool,
}

/// What to draw.
pub struct LossCurve<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: &'a [LossSeries<'a>],
    /// A dashed level with its name, e.g. (ln 4096, "guessing").
    pub reference: Option<(f32, &'a str)>,
    /// The lowest the y axis goes (0 for a loss); None fits the data (a cosine).
    pub y_floor: Option<f32>,
    /// The x axis's end (a run's planned steps, so a live curve does not rescale); None
    /// fits the data.
    pub x_max: Option<f32>,
    /// Steps where something changed, drawn as labelled vertical lines (e.g. where training
    /// went on with more text).
    pub marks: &'a [(f32, &'a str)],
    pub theme: Theme,
}

/// Draws `chart` filling `area`.
pub fn draw_loss_curve<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LossCurve,
) -> Result<(), ViewError> {
    let finite = |&&(x, y): &&(f32, f32)| x.is_finite() && y.is_finite();
    let all: Vec<(f32, f32)> = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter(finite).copied())
        .collect();
    if all.is_empty() {
        return Err(ViewError("a loss curve needs at least one point".into()));
    }
    let data_max_x = all.iter().map(|p| p.0).fold(0.0f32, f32::max);
    let max_x = chart
        .x_max
        .filter(|m| m.is_finite())
        .map_or(data_max_x, |m| m.max(data_max_x))
        .max(1.0);
    let mut lo = all.iter().map(|p| p.1).fold(f32::INFINITY, f32::min);
    let mut hi = all.iter().map(|p| p.1).fold(f32::NEG_INFINITY, f32::max);
    if let Some((level, _)) = chart.reference.filter(|(l, _)| l.is_finite()) {
        lo = lo.min(level);
        hi = hi.max(level);
    }
    let pad = ((hi - lo) * 0.05).max(0.05);
    let (lo, hi) = match chart.y_floor {
        Some(floor) => ((lo - pad).max(floor), hi + pad),
        None => (lo - pad, hi + pad),
    };

    let text = chart.theme.text();
    area.fill(&chart.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_font = (FONT, LABEL_SIZE).into_font().color(&text);
    let tick_font = (FONT, TICK_SIZE).into_font().color(&text);
    let title_height = draw_title(area, chart.title, &text)?;
    let legend_height = 26;
    let entries: Vec<LegendEntry> = chart
        .series
        .iter()
        .filter(|s| !s.label.is_empty())
        .map(|s| LegendEntry {
            label: s.label,
            color: s.color,
            marker: s.markers,
        })
        .collect();
    draw_legend(area, &entries, title_height + 12, &label_font)?;

    let y_ticks = YTicks::new(lo, hi, &tick_font);
    let left = 8 + 24 + y_ticks.widest + 8;
    let right = width as i32 - 60;
    let top = title_height + legend_height + 12;
    let bottom = height as i32 - 46;
    if right <= left || bottom <= top {
        return Err(ViewError(format!(
            "{width}×{height} px is too small for a loss curve"
        )));
    }
    let x_of = |step: f32| left + ((step / max_x).clamp(0.0, 1.0) * (right - left) as f32) as i32;
    let y_of = |v: f32| {
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        bottom - (t * (bottom - top) as f32).round() as i32
    };
    y_ticks.draw(area, (left, right), y_of, &text, &tick_font)?;
    for tick in value_ticks(0.0, max_x, 6) {
        let x = x_of(tick);
        area.draw(&PathElement::new(
            vec![(x, bottom), (x, bottom + 4)],
            text.mix(0.6).stroke_width(1),
        ))?;
        area.draw(&Text::new(
            format!("{}", tick.round() as i64),
            (x, bottom + 6),
            tick_font.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    draw_axes(
        area,
        (left, top, right, bottom),
        chart.y_label,
        &text,
        &label_font,
    )?;
    area.draw(&Text::new(
        chart.x_label.to_string(),
        ((left + right) / 2, bottom + 26),
        label_font.clone().pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    if let Some((level, name)) = chart.reference.filter(|(l, _)| l.is_finite()) {
        let y = y_of(level);
        let mut x = left;
        while x < right {
            area.draw(&PathElement::new(
                vec![(x, y), ((x + 8).min(right), y)],
                text.mix(0.5).stroke_width(1),
            ))?;
            x += 14;
        }
        area.draw(&Text::new(
            format!("{name} {level:.2}"),
            (right - 4, y - 4),
            tick_font.clone().pos(Pos::new(HPos::Right, VPos::Bottom)),
        ))?;
    }
    for &(step, name) in chart.marks.iter().filter(|(s, _)| s.is_finite()) {
        let x = x_of(step);
        let mut y = top;
        while y < bottom {
            area.draw(&PathElement::new(
                vec![(x, y), (x, (y + 6).min(bottom))],
                text.mix(0.6).stroke_width(1),
            ))?;
            y += 10;
        }
        area.draw(&Text::new(
            name.to_string(),
            (x - 4, top + 4),
            tick_font.clone().pos(Pos::new(HPos::Right, VPos::Top)),
        ))?;
    }
    for s in chart.series {
        let points: Vec<(i32, i32)> = s
            .points
            .iter()
            .filter(finite)
            .map(|&(x, y)| (x_of(x), y_of(y)))
            .collect();
        area.draw(&PathElement::new(
            points.clone(),
            s.color.stroke_width(if s.markers { 3 } else { 2 }),
        ))?;
        if s.markers {
            for &p in &points {
                area.draw(&Circle::new(p, 4, s.color.filled()))?;
            }
        }
        // The measured (marked) curve gets its last value printed; the noisy per-batch line
        // would only crowd it.
        if let Some(&(sx, sy)) = s.points.iter().rfind(|p| finite(p)).filter(|_| s.markers) {
            area.draw(&Text::new(
                format!("{sy:.2}"),
                (x_of(sx) + 8, y_of(sy)),
                label_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
    }
    area.present()?;
    Ok(())
}
