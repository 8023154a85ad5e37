//! One vector, two ways: a dense embedding as a colour strip over a bar chart, and a one-hot
//! vector whose single 1 is found in a vocabulary-long row of zeros and then shown up close.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::{Palette, Theme};
use crate::ticks::index_step;
use crate::ViewError;

const FONT: &str = "sans-serif";
const LABEL_SIZE: f64 = 14.0;
const TICK_SIZE: f64 = 13.0;
const STRIP_HEIGHT: i32 = 28;
/// Cells in the one-hot close-up: the 1 and ten neighbours either side.
const WINDOW: usize = 21;

/// A dense vector (an embedding, a hidden state) to draw.
pub struct VectorStrip<'a> {
    pub title: &'a str,
    pub values: &'a [f32], // (d)
    pub theme: Theme,
}

/// Where the dimensions landed, so a pointer position can be turned back into an index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorLayout {
    pub left: i32,
    pub cell_width: f64,
    /// Top of the colour strip and bottom of the bar chart: both show the same dimensions.
    pub top: i32,
    pub bottom: i32,
    pub len: usize,
}

impl VectorLayout {
    /// The dimension under pixel (x, y), in the strip or in the bars.
    pub fn index_at(&self, x: i32, y: i32) -> Option<usize> {
        if x < self.left || y < self.top || y > self.bottom || self.cell_width <= 0.0 {
            return None;
        }
        let i = ((x - self.left) as f64 / self.cell_width) as usize;
        (i < self.len).then_some(i)
    }
}

/// Draws `vector` filling `area`: a diverging colour strip scaled by max |value|, and below
/// it the same values as bars from a zero line.
pub fn draw_vector<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    vector: &VectorStrip,
) -> Result<VectorLayout, ViewError> {
    let len = vector.values.len();
    if len == 0 {
        return Err(ViewError("an empty vector has nothing to draw".into()));
    }
    let text = vector.theme.text();
    area.fill(&vector.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let tick_font = (FONT, TICK_SIZE).into_font().color(&text);
    let finite = || vector.values.iter().copied().filter(|v| v.is_finite());
    let min = finite().fold(0.0f32, f32::min);
    let max = finite().fold(0.0f32, f32::max);
    let scale = max.max(-min);

    let title_height = if vector.title.is_empty() { 0 } else { 28 };
    if title_height > 0 {
        area.draw(&Text::new(
            vector.title.to_string(),
            (4, 4),
            (FONT, 18.0).into_font().color(&text),
        ))?;
    }
    let value_labels = [format!("{max:.2}"), format!("{min:.2}")];
    let widest = value_labels
        .iter()
        .filter_map(|l| crate::text::measure(l, &tick_font).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0);
    let left = widest + 14;
    let right = width as i32 - 12;
    let top = title_height + 6;
    let strip_bottom = top + STRIP_HEIGHT;
    let bars_top = strip_bottom + 12;
    let bottom = height as i32 - 26;
    if right <= left || bottom <= bars_top + 10 {
        return Err(ViewError(format!(
            "{width}×{height} px is too small for a {len}-d vector"
        )));
    }
    let cell_width = (right - left) as f64 / len as f64;
    let layout = VectorLayout {
        left,
        cell_width,
        top,
        bottom,
        len,
    };
    let x_of = |i: usize| left + (i as f64 * cell_width).round() as i32;
    // Bars span min..max with 0 always on the axis, so signs read at a glance.
    let (lo, hi) = if max > min {
        (min, max)
    } else {
        (min, min + 1.0)
    };
    let y_of = |v: f32| {
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0) as f64;
        bottom - (t * (bottom - bars_top) as f64).round() as i32
    };
    let zero = y_of(0.0);
    let positive = Palette::Diverging.color(1.0, vector.theme);
    let negative = Palette::Diverging.color(-1.0, vector.theme);

    for (i, &v) in vector.values.iter().enumerate() {
        let (x0, x1) = (x_of(i), x_of(i + 1).max(x_of(i) + 1));
        let shade = if scale > 0.0 { v / scale } else { 0.0 };
        area.draw(&Rectangle::new(
            [(x0, top), (x1, strip_bottom)],
            Palette::Diverging.color(shade, vector.theme).filled(),
        ))?;
        if v.is_finite() && v != 0.0 {
            let color = if v > 0.0 { positive } else { negative };
            area.draw(&Rectangle::new([(x0, y_of(v)), (x1, zero)], color.filled()))?;
        }
    }
    area.draw(&PathElement::new(
        vec![(left, zero), (right, zero)],
        text.mix(0.7).stroke_width(1),
    ))?;
    area.draw(&PathElement::new(
        vec![(left - 3, bars_top), (left - 3, bottom)],
        text.mix(0.6).stroke_width(1),
    ))?;

    let value_tick = |label: String, y: i32| {
        area.draw(&Text::new(
            label,
            (left - 8, y),
            tick_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))
    };
    value_tick(value_labels[0].clone(), y_of(max))?;
    value_tick(value_labels[1].clone(), y_of(min))?;
    // "0" only where it does not collide with the min or max label.
    if (zero - y_of(max)).abs() >= 14 && (zero - y_of(min)).abs() >= 14 {
        value_tick("0".into(), zero)?;
    }

    let step = index_step(len, (right - left) as f64, 44.0);
    for i in (0..len).step_by(step) {
        let x = ((x_of(i) + x_of(i + 1)) / 2).max(left);
        area.draw(&PathElement::new(
            vec![(x, bottom), (x, bottom + 4)],
            text.mix(0.6).stroke_width(1),
        ))?;
        area.draw(&Text::new(
            i.to_string(),
            (x, bottom + 6),
            tick_font.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    area.present()?;
    Ok(layout)
}

/// A one-hot vector: `vocab_size` entries, all 0 except a 1 at `index` (the token's id).
pub struct OneHot<'a> {
    pub title: &'a str,
    pub vocab_size: usize,
    pub index: usize,
    pub token: &'a str,
    pub theme: Theme,
}

/// Draws `one_hot` filling `area`: the whole vector squeezed into one strip with the 1
/// marked where it falls, and below it a close-up of the cells around the 1.
pub fn draw_one_hot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    one_hot: &OneHot,
) -> Result<(), ViewError> {
    let vocab = one_hot.vocab_size;
    if vocab == 0 || one_hot.index >= vocab {
        return Err(ViewError(format!(
            "index {} is outside a vocabulary of {vocab}",
            one_hot.index
        )));
    }
    let text = one_hot.theme.text();
    let hot = Palette::Sequential { max: 1.0 }.color(1.0, one_hot.theme);
    let cold = one_hot.theme.masked();
    area.fill(&one_hot.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let label_font = (FONT, LABEL_SIZE).into_font().color(&text);
    let tick_font = (FONT, TICK_SIZE).into_font().color(&text);

    let title_height = if one_hot.title.is_empty() { 0 } else { 28 };
    if title_height > 0 {
        area.draw(&Text::new(
            one_hot.title.to_string(),
            (4, 4),
            (FONT, 18.0).into_font().color(&text),
        ))?;
    }
    let left = 12;
    let right = width as i32 - 12;
    let strip_top = title_height + 44;
    let strip_bottom = strip_top + 24;
    if right - left < 40 || (height as i32) < strip_bottom + 130 {
        return Err(ViewError(format!(
            "{width}×{height} px is too small for a one-hot vector"
        )));
    }

    // (a) The whole vector. The 1 is narrower than a pixel at this scale, so its marker is
    // drawn wider than its share: finding it is the point.
    area.draw(&Rectangle::new(
        [(left, strip_top), (right, strip_bottom)],
        cold.filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(left, strip_top), (right, strip_bottom)],
        text.mix(0.4).stroke_width(1),
    ))?;
    let span = (right - left) as f64;
    let fraction = one_hot.index as f64 / (vocab - 1).max(1) as f64;
    let marker = left + (fraction * span).round() as i32;
    area.draw(&Rectangle::new(
        [(marker - 2, strip_top - 3), (marker + 2, strip_bottom + 3)],
        hot.filled(),
    ))?;
    area.draw(&Polygon::new(
        vec![
            (marker - 7, strip_top - 16),
            (marker + 7, strip_top - 16),
            (marker, strip_top - 5),
        ],
        hot.filled(),
    ))?;
    // Near an end, the pointer's label hangs inwards so it stays on the canvas.
    let callout = format!("1 at index {} ({})", one_hot.index, one_hot.token);
    let callout_width = crate::text::measure(&callout, &label_font)
        .map(|(w, _)| w as i32)
        .unwrap_or(160);
    let (anchor, callout_x) = if marker - callout_width / 2 < left {
        (HPos::Left, (marker - 10).max(left))
    } else if marker + callout_width / 2 > right {
        (HPos::Right, (marker + 10).min(right))
    } else {
        (HPos::Center, marker)
    };
    area.draw(&Text::new(
        callout,
        (callout_x, strip_top - 19),
        label_font.clone().pos(Pos::new(anchor, VPos::Bottom)),
    ))?;
    area.draw(&Text::new(
        "0".to_string(),
        (left, strip_bottom + 6),
        tick_font.clone().pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    area.draw(&Text::new(
        (vocab - 1).to_string(),
        (right, strip_bottom + 6),
        tick_font.clone().pos(Pos::new(HPos::Right, VPos::Top)),
    ))?;

    // (b) The close-up, clamped so it never runs off either end of the vocabulary.
    let count = WINDOW.min(vocab);
    let first = one_hot.index.saturating_sub(WINDOW / 2).min(vocab - count);
    let cell = ((span - 40.0) / count as f64).min(56.0);
    let zoom_left = left + ((span - cell * count as f64) / 2.0).round() as i32;
    let zoom_top = strip_bottom + 64;
    let zoom_bottom = zoom_top + (cell.min(40.0)).round() as i32;
    let x_of = |c: usize| zoom_left + (c as f64 * cell).round() as i32;
    // A magnifier: the close-up's edges traced back to the marker it enlarges.
    for edge in [x_of(0), x_of(count)] {
        area.draw(&PathElement::new(
            vec![(marker, strip_bottom + 4), (edge, zoom_top - 2)],
            text.mix(0.3).stroke_width(1),
        ))?;
    }
    let index_labels: Vec<String> = (first..first + count).map(|i| i.to_string()).collect();
    let widest_index = index_labels
        .iter()
        .filter_map(|l| crate::text::measure(l, &tick_font).ok())
        .map(|(w, _)| w)
        .max()
        .unwrap_or(0);
    // Ids of five digits do not fit side by side in a narrow close-up: stand them up.
    let upright = widest_index as f64 + 4.0 > cell;
    for (c, label) in index_labels.into_iter().enumerate() {
        let is_hot = first + c == one_hot.index;
        let (x0, x1) = (x_of(c), x_of(c + 1));
        let fill = if is_hot {
            hot
        } else {
            one_hot.theme.background()
        };
        area.draw(&Rectangle::new(
            [(x0, zoom_top), (x1, zoom_bottom)],
            fill.filled(),
        ))?;
        area.draw(&Rectangle::new(
            [(x0, zoom_top), (x1, zoom_bottom)],
            text.mix(0.35).stroke_width(1),
        ))?;
        let value_style = if is_hot {
            (FONT, 16.0, FontStyle::Bold).into_font().color(&WHITE)
        } else {
            label_font.clone()
        };
        area.draw(&Text::new(
            if is_hot { "1" } else { "0" }.to_string(),
            ((x0 + x1) / 2, (zoom_top + zoom_bottom) / 2),
            value_style.pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        let index_style = if upright {
            tick_font
                .clone()
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            tick_font.clone().pos(Pos::new(HPos::Center, VPos::Top))
        };
        area.draw(&Text::new(
            label,
            ((x0 + x1) / 2, zoom_bottom + 5),
            index_style,
        ))?;
    }
    // Ellipses say the vector goes on past the close-up.
    let middle = (zoom_top + zoom_bottom) / 2;
    if first > 0 {
        area.draw(&Text::new(
            "…".to_string(),
            (x_of(0) - 6, middle),
            label_font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    if first + count < vocab {
        area.draw(&Text::new(
            "…".to_string(),
            (x_of(count) + 6, middle),
            label_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    area.present()?;
    Ok(())
}
