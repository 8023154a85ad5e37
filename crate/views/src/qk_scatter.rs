//! AttentionViz's joint picture of one head: every token's query (a circle) and key (a
//! square) in one plane, so a query sits near the keys it attends to; lines from the selected
//! query to the keys, as thick as its attention to each.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart_frame::{draw_legend, LegendEntry};
use crate::head_view::head_color;
use crate::palette::Theme;
use crate::ViewError;

const FONT: &str = "sans-serif";

/// One token's two points; `group` picks its colour (sentence A, B, an example).
pub struct QkPoint {
    pub label: String,
    pub group: usize,
    pub query: (f32, f32),
    pub key: (f32, f32),
}

pub struct QkScatter<'a> {
    pub title: &'a str,
    pub points: &'a [QkPoint],
    /// The names of the groups, for the legend, and of the two markers.
    pub groups: &'a [&'a str],
    pub markers: (&'a str, &'a str),
    /// The selected query (an index into `points`) and its attention to each point's key
    /// (0 where it does not look).
    pub selected: Option<(usize, &'a [f32])>,
    /// Write each token's word beside its key.
    pub labels: bool,
    pub theme: Theme,
}

/// Draws the plane filling `area`, both axes on one scale so distances read true.
pub fn draw_qk_scatter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    map: &QkScatter,
) -> Result<(), ViewError> {
    let text = map.theme.text();
    area.fill(&map.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    crate::chart_frame::draw_title(area, map.title, &text)?;
    let legend_font = (FONT, 14.0).into_font().color(&text);
    let entries: Vec<LegendEntry> = map
        .groups
        .iter()
        .enumerate()
        .map(|(g, name)| LegendEntry {
            label: name,
            color: head_color(g),
            marker: true,
        })
        .collect();
    draw_legend(area, &entries, 38, &legend_font)?;
    area.draw(&Text::new(
        format!("● {}   ■ {}", map.markers.0, map.markers.1),
        (width as i32 - 8, 38),
        legend_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
    ))?;
    let found = crate::chart_frame::bounds(map.points.iter().flat_map(|p| [p.query, p.key]));
    let Some((x0, x1, y0, y1)) = found else {
        area.present()?;
        return Ok(());
    };
    let (left, top, right, bottom) = (20, 60, width as i32 - 20, height as i32 - 20);
    // One scale for both axes: the wider spread fills its side.
    let span = ((x1 - x0) / (right - left) as f32)
        .max((y1 - y0) / (bottom - top) as f32)
        .max(1e-9)
        * 1.1;
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let to_px = |(x, y): (f32, f32)| -> (i32, i32) {
        (
            ((left + right) as f32 / 2.0 + (x - cx) / span).round() as i32,
            ((top + bottom) as f32 / 2.0 - (y - cy) / span).round() as i32,
        )
    };
    if let Some((query, weights)) = map.selected {
        if let Some(q) = map.points.get(query) {
            let from = to_px(q.query);
            for (p, &w) in map.points.iter().zip(weights) {
                if w > 0.005 {
                    let width = (1.0 + 8.0 * w).round() as u32;
                    area.draw(&PathElement::new(
                        vec![from, to_px(p.key)],
                        head_color(q.group).mix(0.55).stroke_width(width),
                    ))?;
                }
            }
        }
    }
    let small = (FONT, 13.0).into_font().color(&text);
    for p in map.points {
        let color = head_color(p.group);
        let (kx, ky) = to_px(p.key);
        area.draw(&Rectangle::new(
            [(kx - 4, ky - 4), (kx + 4, ky + 4)],
            color.filled(),
        ))?;
        area.draw(&Circle::new(to_px(p.query), 4, color.stroke_width(2)))?;
        if map.labels {
            area.draw(&Text::new(
                p.label.clone(),
                (kx + 7, ky),
                small.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
    }
    if let Some(q) = map.selected.and_then(|(i, _)| map.points.get(i)) {
        let at = to_px(q.query);
        area.draw(&Circle::new(at, 8, text.stroke_width(2)))?;
        area.draw(&Text::new(
            q.label.clone(),
            (at.0 + 10, at.1 - 10),
            (FONT, 15.0)
                .into_font()
                .color(&text)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    area.present()?;
    Ok(())
}
