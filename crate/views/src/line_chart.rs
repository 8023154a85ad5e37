//! A line chart over categorical steps: how a number (the cosine of one token pair) changes
//! from the static embedding through every layer.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart_frame::{draw_axes, draw_legend, draw_title, LegendEntry, YTicks};
use crate::palette::Theme;
use crate::ViewError;

const FONT: &str = "sans-serif";
const LABEL_SIZE: f64 = 14.0;
const TICK_SIZE: f64 = 13.0;

/// One line: a value per x label; a non-finite value leaves a gap.
pub struct Series<'a> {
    pub label: &'a str,
    pub values: &'a [f32],
    pub color: RGBColor,
}

/// What to draw.
pub struct LineChart<'a> {
    pub title: &'a str,
    /// The categories along x, e.g. "static", "emb", "L0".."L5".
    pub x_labels: &'a [String],
    pub y_label: &'a str,
    /// (bottom, top) of the y axis; values outside are drawn at the edge.
    pub y_range: (f32, f32),
    pub series: &'a [Series<'a>],
    /// A category to mark with a band (the layer the rest of the page shows).
    pub highlight_x: Option<usize>,
    pub theme: Theme,
}

/// Draws `chart` filling `area`.
pub fn draw_line_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
) -> Result<(), ViewError> {
    let steps = chart.x_labels.len();
    if steps == 0 {
        return Err(ViewError("a line chart needs at least one x label".into()));
    }
    if let Some(s) = chart.series.iter().find(|s| s.values.len() != steps) {
        return Err(ViewError(format!(
            "series \"{}\" has {} values for {steps} x labels",
            s.label,
            s.values.len()
        )));
    }
    let (lo, hi) = chart.y_range;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(ViewError(format!("y range {lo}..{hi} is empty")));
    }
    if let Some(x) = chart.highlight_x.filter(|&x| x >= steps) {
        return Err(ViewError(format!("highlight at x {x} of {steps}")));
    }
    let text = chart.theme.text();
    area.fill(&chart.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_font = (FONT, LABEL_SIZE).into_font().color(&text);
    let tick_font = (FONT, TICK_SIZE).into_font().color(&text);

    let title_height = draw_title(area, chart.title, &text)?;
    // A single series is named by the title; two or more need telling apart.
    let legend_height = if chart.series.len() > 1 { 26 } else { 0 };
    if legend_height > 0 {
        let entries: Vec<LegendEntry> = chart
            .series
            .iter()
            .map(|s| LegendEntry {
                label: s.label,
                color: s.color,
                marker: true,
            })
            .collect();
        draw_legend(area, &entries, title_height + 12, &label_font)?;
    }

    let ticks = YTicks::new(lo, hi, &tick_font);
    let y_label_room = if chart.y_label.is_empty() { 0 } else { 24 };
    let left = 8 + y_label_room + ticks.widest + 8;
    // The last point's value is printed to its right.
    let right = width as i32 - 52;
    let top = title_height + legend_height + 12;
    let bottom = height as i32 - 30;
    if right <= left || bottom <= top {
        return Err(ViewError(format!(
            "{width}×{height} px is too small for a line chart"
        )));
    }
    let slot = (right - left) as f64 / steps as f64;
    let x_of = |i: usize| left + ((i as f64 + 0.5) * slot).round() as i32;
    let y_of = |v: f32| {
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0) as f64;
        bottom - (t * (bottom - top) as f64).round() as i32
    };

    if let Some(i) = chart.highlight_x {
        let x0 = left + (i as f64 * slot).round() as i32;
        let x1 = left + ((i + 1) as f64 * slot).round() as i32;
        area.draw(&Rectangle::new(
            [(x0, top), (x1, bottom)],
            text.mix(0.1).filled(),
        ))?;
    }
    ticks.draw(area, (left, right), y_of, &text, &tick_font)?;
    for (i, label) in chart.x_labels.iter().enumerate() {
        let x = x_of(i);
        area.draw(&PathElement::new(
            vec![(x, top), (x, bottom)],
            text.mix(0.07).stroke_width(1),
        ))?;
        area.draw(&Text::new(
            label.clone(),
            (x, bottom + 6),
            label_font.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    draw_axes(
        area,
        (left, top, right, bottom),
        chart.y_label,
        &text,
        &label_font,
    )?;

    for s in chart.series {
        // Runs of finite values become lines; a NaN breaks the line rather than faking a 0.
        let mut run: Vec<(i32, i32)> = Vec::new();
        for (i, &v) in s.values.iter().enumerate() {
            if v.is_finite() {
                run.push((x_of(i), y_of(v)));
            } else if !run.is_empty() {
                area.draw(&PathElement::new(
                    std::mem::take(&mut run),
                    s.color.stroke_width(3),
                ))?;
            }
        }
        if !run.is_empty() {
            area.draw(&PathElement::new(run, s.color.stroke_width(3)))?;
        }
        for (i, &v) in s.values.iter().enumerate() {
            if v.is_finite() {
                area.draw(&Circle::new((x_of(i), y_of(v)), 5, s.color.filled()))?;
            }
        }
        if let Some((i, &v)) = s.values.iter().enumerate().rfind(|(_, v)| v.is_finite()) {
            area.draw(&Text::new(
                format!("{v:.2}"),
                (x_of(i) + 9, y_of(v)),
                label_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
    }
    area.present()?;
    Ok(())
}
