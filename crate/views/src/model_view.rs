//! BertViz's model view: every head of every layer as a thumbnail attention heatmap, layers
//! down and heads across, so patterns (diagonal, [CLS], previous token) stand out at a glance.

use ndarray::ArrayView3;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::{Palette, Theme};
use crate::ViewError;

const FONT: &str = "sans-serif";
const HEADER_HEIGHT: i32 = 24;

/// What to draw.
pub struct ModelView<'a> {
    /// One per layer. (heads, S, S) each
    pub attention: &'a [ArrayView3<'a, f32>],
    /// (layer, head) to outline.
    pub selected: Option<(usize, usize)>,
    /// Cells above the diagonal have no value (a causal model's future tokens).
    pub mask_upper: bool,
    pub theme: Theme,
    /// "Layer": each row is headed "{layer_label} {i}".
    pub layer_label: &'a str,
    /// "Head": heads the row of head numbers.
    pub head_label: &'a str,
    /// Grouped-query attention: consecutive heads sharing one key/value head, with the
    /// label of a group ("K/V"). None when every head has its own.
    pub kv_groups: Option<(usize, &'a str)>,
    /// (layer, head) switched off: crossed out in red.
    pub off: &'a [(usize, usize)],
}

/// Where the thumbnails landed, so a pointer position can be turned back into a head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelLayout {
    pub left: i32,
    pub top: i32,
    /// Distance from one thumbnail to the next, across and down.
    pub pitch: f64,
    /// Side of one thumbnail; the rest of the pitch is the gap.
    pub thumb: f64,
    pub layers: usize,
    pub heads: usize,
}

impl ModelLayout {
    /// The (layer, head) whose thumbnail (or the gap after it) is under pixel (x, y).
    pub fn cell_at(&self, x: i32, y: i32) -> Option<(usize, usize)> {
        if x < self.left || y < self.top || self.pitch <= 0.0 {
            return None;
        }
        let head = ((x - self.left) as f64 / self.pitch) as usize;
        let layer = ((y - self.top) as f64 / self.pitch) as usize;
        (layer < self.layers && head < self.heads).then_some((layer, head))
    }

    fn origin(&self, layer: usize, head: usize) -> (f64, f64) {
        (
            self.left as f64 + head as f64 * self.pitch,
            self.top as f64 + layer as f64 * self.pitch,
        )
    }
}

/// A bracket over each run of `size` heads that share a key/value head, labelled
/// "{label} {group}".
fn draw_groups<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    layout: &ModelLayout,
    size: usize,
    label: &str,
    font: &TextStyle,
) -> Result<(), ViewError> {
    let y = HEADER_HEIGHT / 2 + 6;
    for group in 0..layout.heads / size {
        let (x0, _) = layout.origin(0, group * size);
        let (x1, _) = layout.origin(0, (group + 1) * size - 1);
        let (x0, x1) = (
            x0.round() as i32 + 2,
            (x1 + layout.thumb).round() as i32 - 2,
        );
        let (r, g, b) = font.color.rgb;
        let stroke = RGBColor(r, g, b).stroke_width(1);
        area.draw(&PathElement::new(
            vec![(x0, y + 6), (x0, y), (x1, y), (x1, y + 6)],
            stroke,
        ))?;
        area.draw(&Text::new(
            format!("{label} {group}"),
            ((x0 + x1) / 2, y - 8),
            font.clone().pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// Draws `view` filling `area`; returns where the thumbnails are.
pub fn draw_model_view<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &ModelView,
) -> Result<ModelLayout, ViewError> {
    let Some(first) = view.attention.first() else {
        return Err(ViewError("a model view needs at least one layer".into()));
    };
    let (heads, tokens, keys) = first.dim();
    if tokens != keys || heads == 0 || tokens == 0 {
        return Err(ViewError(format!(
            "attention of {heads} heads × {tokens} queries × {keys} keys is not square"
        )));
    }
    if let Some(bad) = view.attention.iter().position(|a| a.dim() != first.dim()) {
        return Err(ViewError(format!(
            "layer {bad} has attention {:?}, layer 0 has {:?}",
            view.attention[bad].dim(),
            first.dim()
        )));
    }
    let layers = view.attention.len();
    let text = view.theme.text();
    area.fill(&view.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_font = (FONT, 14.0).into_font().color(&text);
    let head_font = (FONT, 13.0).into_font().color(&text);

    let last_layer = format!("{} {}", view.layer_label, layers - 1);
    let widest = [last_layer.as_str(), view.head_label]
        .iter()
        .filter_map(|l| crate::text::measure(l, &label_font).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0);
    let left = widest + 14;
    // Shared key/value heads get a row of brackets above the head numbers.
    let grouped = view
        .kv_groups
        .filter(|&(size, _)| size > 1 && heads % size == 0);
    let top = if grouped.is_some() {
        2 * HEADER_HEIGHT
    } else {
        HEADER_HEIGHT
    };
    let pitch = ((width as i32 - left - 4) as f64 / heads as f64)
        .min((height as i32 - top - 4) as f64 / layers as f64);
    if pitch < 4.0 {
        return Err(ViewError(format!(
            "{width}×{height} px is too small for {layers} × {heads} thumbnails"
        )));
    }
    let thumb = pitch - (pitch * 0.12).max(3.0);
    let layout = ModelLayout {
        left,
        top,
        pitch,
        thumb,
        layers,
        heads,
    };

    // A thumbnail smaller than its token count in pixels shows blocks of tokens; a block
    // takes its strongest weight, since attention is sparse and a mean would hide the peak.
    let group = tokens.div_ceil((thumb.floor() as usize).max(1));
    let blocks = tokens.div_ceil(group);
    let block_px = thumb * group as f64 / tokens as f64;
    for (layer, attention) in view.attention.iter().enumerate() {
        for head in 0..heads {
            let map = attention.index_axis(ndarray::Axis(0), head); // (S, S)
            let future = |r: usize, c: usize| view.mask_upper && c > r;
            let max = map
                .indexed_iter()
                .filter(|&((r, c), v)| !future(r, c) && v.is_finite())
                .fold(0.0f32, |m, (_, &v)| m.max(v));
            let palette = Palette::Sequential { max };
            let (x, y) = layout.origin(layer, head);
            for br in 0..blocks {
                for bc in 0..blocks {
                    let rows = br * group..((br + 1) * group).min(tokens);
                    let cols = bc * group..((bc + 1) * group).min(tokens);
                    let last_row = rows.end - 1;
                    let fill = if future(last_row, cols.start) {
                        view.theme.masked()
                    } else {
                        let strongest = rows
                            .flat_map(|r| cols.clone().map(move |c| (r, c)))
                            .filter(|&(r, c)| !future(r, c))
                            .map(|(r, c)| map[[r, c]])
                            .fold(f32::NEG_INFINITY, f32::max);
                        palette.color(strongest, view.theme)
                    };
                    let x0 = (x + bc as f64 * block_px).round() as i32;
                    let y0 = (y + br as f64 * block_px).round() as i32;
                    let x1 = (x + (bc + 1) as f64 * block_px).round() as i32;
                    let y1 = (y + (br + 1) as f64 * block_px).round() as i32;
                    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))?;
                }
            }
        }
    }

    let numbers_y = top - HEADER_HEIGHT / 2;
    for head in 0..heads {
        let (x, _) = layout.origin(0, head);
        area.draw(&Text::new(
            head.to_string(),
            ((x + thumb / 2.0).round() as i32, numbers_y),
            head_font.clone().pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    area.draw(&Text::new(
        view.head_label.to_string(),
        (left - 8, numbers_y),
        label_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
    ))?;
    if let Some((size, label)) = grouped {
        draw_groups(area, &layout, size, label, &head_font)?;
    }
    for layer in 0..layers {
        let (_, y) = layout.origin(layer, 0);
        area.draw(&Text::new(
            format!("{} {layer}", view.layer_label),
            (left - 8, (y + thumb / 2.0).round() as i32),
            label_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    for &(layer, head) in view.off.iter().filter(|&&(l, h)| l < layers && h < heads) {
        let (x, y) = layout.origin(layer, head);
        let (x0, y0) = (x.round() as i32, y.round() as i32);
        let (x1, y1) = ((x + thumb).round() as i32, (y + thumb).round() as i32);
        let red = RGBColor(200, 40, 40).stroke_width(3);
        area.draw(&PathElement::new(vec![(x0, y0), (x1, y1)], red))?;
        area.draw(&PathElement::new(vec![(x0, y1), (x1, y0)], red))?;
    }
    if let Some((layer, head)) = view.selected.filter(|&(l, h)| l < layers && h < heads) {
        let (x, y) = layout.origin(layer, head);
        area.draw(&Rectangle::new(
            [
                (x.round() as i32 - 2, y.round() as i32 - 2),
                (
                    (x + thumb).round() as i32 + 2,
                    (y + thumb).round() as i32 + 2,
                ),
            ],
            text.stroke_width(3),
        ))?;
    }
    area.present()?;
    Ok(layout)
}
