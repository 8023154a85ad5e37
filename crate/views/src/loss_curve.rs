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
    let (max_x, lo, hi) = data_range(chart)?;
    let inks = Inks::of(chart.theme);
    area.fill(&chart.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let title_height = draw_title(area, chart.title, &inks.text)?;
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
    draw_legend(area, &entries, title_height + 12, &inks.label_font)?;

    let y_ticks = YTicks::new(lo, hi, &inks.tick_font);
    let plot = Plot {
        left: 8 + 24 + y_ticks.widest + 8,
        right: width as i32 - 60,
        top: title_height + legend_height + 12,
        bottom: height as i32 - 46,
        max_x,
        lo,
        hi,
    };
    if plot.right <= plot.left || plot.bottom <= plot.top {
        return Err(ViewError(format!(
            "{width}×{height} px is too small for a loss curve"
        )));
    }
    y_ticks.draw(
        area,
        (plot.left, plot.right),
        |v| plot.y_of(v),
        &inks.text,
        &inks.tick_font,
    )?;
    draw_x_axis(area, chart, &plot, &inks)?;
    if let Some((level, name)) = chart.reference.filter(|(l, _)| l.is_finite()) {
        draw_reference(area, (level, name), &plot, &inks)?;
    }
    for &(step, name) in chart.marks.iter().filter(|(s, _)| s.is_finite()) {
        draw_mark(area, (step, name), &plot, &inks)?;
    }
    for series in chart.series {
        draw_series(area, series, &plot, &inks)?;
    }
    area.present()?;
    Ok(())
}

/// A point both of whose coordinates can be plotted.
fn finite(&(x, y): &(f32, f32)) -> bool {
    x.is_finite() && y.is_finite()
}

/// The axes' reach: (last step, lowest loss, highest loss), padded, taking in the reference
/// level, the planned steps and the floor.
fn data_range(chart: &LossCurve) -> Result<(f32, f32, f32), ViewError> {
    let all: Vec<(f32, f32)> = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter(|p| finite(p)).copied())
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
    Ok((max_x, lo, hi))
}

/// The plotting area in pixels and the data range it shows.
struct Plot {
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    max_x: f32,
    lo: f32,
    hi: f32,
}

impl Plot {
    fn x_of(&self, step: f32) -> i32 {
        self.left + ((step / self.max_x).clamp(0.0, 1.0) * (self.right - self.left) as f32) as i32
    }

    fn y_of(&self, v: f32) -> i32 {
        let t = ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0);
        self.bottom - (t * (self.bottom - self.top) as f32).round() as i32
    }
}

/// The theme's text colour and the two fonts of the chart.
struct Inks {
    text: RGBColor,
    label_font: TextStyle<'static>,
    tick_font: TextStyle<'static>,
}

impl Inks {
    fn of(theme: Theme) -> Inks {
        let text = theme.text();
        Inks {
            text,
            label_font: (FONT, LABEL_SIZE).into_font().color(&text),
            tick_font: (FONT, TICK_SIZE).into_font().color(&text),
        }
    }
}

/// The step ticks, both axes with the y label, and the x label under them.
fn draw_x_axis<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LossCurve,
    plot: &Plot,
    inks: &Inks,
) -> Result<(), ViewError> {
    for tick in value_ticks(0.0, plot.max_x, 6) {
        let x = plot.x_of(tick);
        area.draw(&PathElement::new(
            vec![(x, plot.bottom), (x, plot.bottom + 4)],
            inks.text.mix(0.6).stroke_width(1),
        ))?;
        area.draw(&Text::new(
            format!("{}", tick.round() as i64),
            (x, plot.bottom + 6),
            inks.tick_font
                .clone()
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    draw_axes(
        area,
        (plot.left, plot.top, plot.right, plot.bottom),
        chart.y_label,
        &inks.text,
        &inks.label_font,
    )?;
    area.draw(&Text::new(
        chart.x_label.to_string(),
        ((plot.left + plot.right) / 2, plot.bottom + 26),
        inks.label_font
            .clone()
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    Ok(())
}

/// A dashed level across the plot, named with its value at the right.
fn draw_reference<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (level, name): (f32, &str),
    plot: &Plot,
    inks: &Inks,
) -> Result<(), ViewError> {
    let y = plot.y_of(level);
    let mut x = plot.left;
    while x < plot.right {
        area.draw(&PathElement::new(
            vec![(x, y), ((x + 8).min(plot.right), y)],
            inks.text.mix(0.5).stroke_width(1),
        ))?;
        x += 14;
    }
    area.draw(&Text::new(
        format!("{name} {level:.2}"),
        (plot.right - 4, y - 4),
        inks.tick_font
            .clone()
            .pos(Pos::new(HPos::Right, VPos::Bottom)),
    ))?;
    Ok(())
}

/// A dashed vertical line at `step`, named at its top.
fn draw_mark<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (step, name): (f32, &str),
    plot: &Plot,
    inks: &Inks,
) -> Result<(), ViewError> {
    let x = plot.x_of(step);
    let mut y = plot.top;
    while y < plot.bottom {
        area.draw(&PathElement::new(
            vec![(x, y), (x, (y + 6).min(plot.bottom))],
            inks.text.mix(0.6).stroke_width(1),
        ))?;
        y += 10;
    }
    area.draw(&Text::new(
        name.to_string(),
        (x - 4, plot.top + 4),
        inks.tick_font.clone().pos(Pos::new(HPos::Right, VPos::Top)),
    ))?;
    Ok(())
}

/// One curve through its finite points, with markers and its last value if it has markers.
fn draw_series<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &LossSeries,
    plot: &Plot,
    inks: &Inks,
) -> Result<(), ViewError> {
    let points: Vec<(i32, i32)> = s
        .points
        .iter()
        .filter(|p| finite(p))
        .map(|&(x, y)| (plot.x_of(x), plot.y_of(y)))
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
            (plot.x_of(sx) + 8, plot.y_of(sy)),
            inks.label_font
                .clone()
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}
