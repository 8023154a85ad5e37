//! Words as points on a plane (two principal axes of their embedding vectors), and one
//! token's path across the same plane layer by layer: the Embedding Projector's picture.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::head_view::head_color;
use crate::palette::Theme;
use crate::ViewError;

const FONT: &str = "sans-serif";

pub struct WordMap<'a> {
    pub title: &'a str,
    /// (label, x, y) of each word.
    pub words: &'a [(String, f32, f32)],
    /// A path of numbered points (depth 0, 1, …) drawn over the words, with its name.
    pub path: &'a [(f32, f32)],
    pub path_label: &'a str,
    /// The axes' names ("axis 1 (34 %)").
    pub axes: (&'a str, &'a str),
    pub theme: Theme,
}

/// Draws the map filling `area`, both axes scaled to fit every word and path point.
pub fn draw_word_map<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    map: &WordMap,
) -> Result<(), ViewError> {
    let text = map.theme.text();
    area.fill(&map.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    crate::chart_frame::draw_title(area, map.title, &text)?;
    let points = map.words.iter().map(|w| (w.1, w.2));
    let found = crate::chart_frame::bounds(points.chain(map.path.iter().copied()));
    let Some((x0, x1, y0, y1)) = found else {
        area.present()?;
        return Ok(());
    };
    let pad = |lo: f32, hi: f32| {
        let span = (hi - lo).max(1e-6);
        (lo - 0.08 * span, hi + 0.08 * span)
    };
    let ((x0, x1), (y0, y1)) = (pad(x0, x1), pad(y0, y1));
    let (left, top, right, bottom) = (40, 36, width as i32 - 20, height as i32 - 36);
    let to_px = |x: f32, y: f32| -> (i32, i32) {
        let px = left as f32 + (x - x0) / (x1 - x0) * (right - left) as f32;
        let py = bottom as f32 - (y - y0) / (y1 - y0) * (bottom - top) as f32;
        (px.round() as i32, py.round() as i32)
    };
    let axis = map.theme.masked();
    area.draw(&PathElement::new(
        vec![(left, bottom), (right, bottom)],
        axis.stroke_width(1),
    ))?;
    area.draw(&PathElement::new(
        vec![(left, top), (left, bottom)],
        axis.stroke_width(1),
    ))?;
    let small = (FONT, 13.0).into_font().color(&text);
    area.draw(&Text::new(
        map.axes.0.to_string(),
        (right, bottom + 18),
        small.clone().pos(Pos::new(HPos::Right, VPos::Center)),
    ))?;
    area.draw(&Text::new(
        map.axes.1.to_string(),
        (left + 6, top + 6),
        small.clone().pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    let word_color = head_color(0);
    let word_font = (FONT, 15.0).into_font().color(&text);
    for (label, x, y) in map.words {
        let at = to_px(*x, *y);
        area.draw(&Circle::new(at, 5, word_color.filled()))?;
        area.draw(&Text::new(
            label.clone(),
            (at.0 + 8, at.1),
            word_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    let path_color = head_color(1);
    let pixels: Vec<(i32, i32)> = map.path.iter().map(|&(x, y)| to_px(x, y)).collect();
    if pixels.len() > 1 {
        area.draw(&PathElement::new(
            pixels.clone(),
            path_color.stroke_width(2),
        ))?;
    }
    for (depth, &at) in pixels.iter().enumerate() {
        area.draw(&Circle::new(at, 6, path_color.filled()))?;
        area.draw(&Text::new(
            depth.to_string(),
            (at.0, at.1 - 12),
            small.clone().pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    if let Some(&last) = pixels.last() {
        area.draw(&Text::new(
            map.path_label.to_string(),
            (last.0 + 10, last.1 + 12),
            (FONT, 15.0)
                .into_font()
                .color(&path_color)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    area.present()?;
    Ok(())
}
