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
    let inks = OneHotInks::of(one_hot.theme);
    area.fill(&one_hot.theme.background())?;
    let (width, height) = area.dim_in_pixel();

    let title_height = if one_hot.title.is_empty() { 0 } else { 28 };
    if title_height > 0 {
        area.draw(&Text::new(
            one_hot.title.to_string(),
            (4, 4),
            (FONT, 18.0).into_font().color(&inks.text),
        ))?;
    }
    let strip = Strip {
        left: 12,
        right: width as i32 - 12,
        top: title_height + 44,
        bottom: title_height + 44 + 24,
    };
    if strip.right - strip.left < 40 || (height as i32) < strip.bottom + 130 {
        return Err(ViewError(format!(
            "{width}×{height} px is too small for a one-hot vector"
        )));
    }
    let marker = draw_whole_vector(area, one_hot, &strip, &inks)?;
    draw_close_up(area, one_hot, &strip, marker, &inks)?;
    area.present()?;
    Ok(())
}

/// The colours and fonts the one-hot view draws with.
struct OneHotInks {
    text: RGBColor,
    /// The 1, wherever it is shown.
    hot: RGBColor,
    label_font: TextStyle<'static>,
    tick_font: TextStyle<'static>,
}

impl OneHotInks {
    fn of(theme: Theme) -> OneHotInks {
        let text = theme.text();
        OneHotInks {
            text,
            hot: Palette::Sequential { max: 1.0 }.color(1.0, theme),
            label_font: (FONT, LABEL_SIZE).into_font().color(&text),
            tick_font: (FONT, TICK_SIZE).into_font().color(&text),
        }
    }
}

/// Where the whole vector's strip lies.
struct Strip {
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
}

/// (a) The whole vector, with a pointer at its 1 and its first and last index; returns the
/// pointer's x. The 1 is narrower than a pixel at this scale, so its marker is drawn wider
/// than its share: finding it is the point.
fn draw_whole_vector<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    one_hot: &OneHot,
    strip: &Strip,
    inks: &OneHotInks,
) -> Result<i32, ViewError> {
    let (left, right) = (strip.left, strip.right);
    let (top, bottom) = (strip.top, strip.bottom);
    area.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        one_hot.theme.masked().filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        inks.text.mix(0.4).stroke_width(1),
    ))?;
    let span = (right - left) as f64;
    let fraction = one_hot.index as f64 / (one_hot.vocab_size - 1).max(1) as f64;
    let marker = left + (fraction * span).round() as i32;
    area.draw(&Rectangle::new(
        [(marker - 2, top - 3), (marker + 2, bottom + 3)],
        inks.hot.filled(),
    ))?;
    area.draw(&Polygon::new(
        vec![
            (marker - 7, top - 16),
            (marker + 7, top - 16),
            (marker, top - 5),
        ],
        inks.hot.filled(),
    ))?;
    draw_callout(area, one_hot, strip, marker, inks)?;
    area.draw(&Text::new(
        "0".to_string(),
        (left, bottom + 6),
        inks.tick_font.clone().pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    area.draw(&Text::new(
        (one_hot.vocab_size - 1).to_string(),
        (right, bottom + 6),
        inks.tick_font.clone().pos(Pos::new(HPos::Right, VPos::Top)),
    ))?;
    Ok(marker)
}

/// The pointer's label, "1 at index i (token)". Near an end it hangs inwards so it stays on
/// the canvas.
fn draw_callout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    one_hot: &OneHot,
    strip: &Strip,
    marker: i32,
    inks: &OneHotInks,
) -> Result<(), ViewError> {
    let callout = format!("1 at index {} ({})", one_hot.index, one_hot.token);
    let callout_width = crate::text::measure(&callout, &inks.label_font)
        .map(|(w, _)| w as i32)
        .unwrap_or(160);
    let (anchor, callout_x) = if marker - callout_width / 2 < strip.left {
        (HPos::Left, (marker - 10).max(strip.left))
    } else if marker + callout_width / 2 > strip.right {
        (HPos::Right, (marker + 10).min(strip.right))
    } else {
        (HPos::Center, marker)
    };
    area.draw(&Text::new(
        callout,
        (callout_x, strip.top - 19),
        inks.label_font.clone().pos(Pos::new(anchor, VPos::Bottom)),
    ))?;
    Ok(())
}

/// Which cells the close-up shows and where they go.
struct CloseUp {
    /// The first index shown, and how many are.
    first: usize,
    count: usize,
    cell: f64,
    left: i32,
    top: i32,
    bottom: i32,
    /// Index labels stand on end, as they are too wide to sit side by side.
    upright: bool,
}

impl CloseUp {
    /// The window of cells around the 1, clamped so it never runs off either end of the
    /// vocabulary, centred under the strip.
    fn around(one_hot: &OneHot, strip: &Strip) -> CloseUp {
        let vocab = one_hot.vocab_size;
        let span = (strip.right - strip.left) as f64;
        let count = WINDOW.min(vocab);
        let cell = ((span - 40.0) / count as f64).min(56.0);
        let top = strip.bottom + 64;
        CloseUp {
            first: one_hot.index.saturating_sub(WINDOW / 2).min(vocab - count),
            count,
            cell,
            left: strip.left + ((span - cell * count as f64) / 2.0).round() as i32,
            top,
            bottom: top + (cell.min(40.0)).round() as i32,
            upright: false,
        }
    }

    /// Left edge of cell `c` of the window (or right edge of cell `c - 1`).
    fn x_of(&self, c: usize) -> i32 {
        self.left + (c as f64 * self.cell).round() as i32
    }
}

/// (b) The close-up: the cells around the 1 with their values and indices, traced back to
/// the marker like a magnifier, with ellipses where the vector goes on.
fn draw_close_up<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    one_hot: &OneHot,
    strip: &Strip,
    marker: i32,
    inks: &OneHotInks,
) -> Result<(), ViewError> {
    let mut zoom = CloseUp::around(one_hot, strip);
    for edge in [zoom.x_of(0), zoom.x_of(zoom.count)] {
        area.draw(&PathElement::new(
            vec![(marker, strip.bottom + 4), (edge, zoom.top - 2)],
            inks.text.mix(0.3).stroke_width(1),
        ))?;
    }
    let index_labels: Vec<String> = (zoom.first..zoom.first + zoom.count)
        .map(|i| i.to_string())
        .collect();
    let widest_index = index_labels
        .iter()
        .filter_map(|l| crate::text::measure(l, &inks.tick_font).ok())
        .map(|(w, _)| w)
        .max()
        .unwrap_or(0);
    // Ids of five digits do not fit side by side in a narrow close-up: stand them up.
    zoom.upright = widest_index as f64 + 4.0 > zoom.cell;
    for (c, label) in index_labels.into_iter().enumerate() {
        draw_close_up_cell(area, one_hot, &zoom, c, label, inks)?;
    }
    // Ellipses say the vector goes on past the close-up.
    let middle = (zoom.top + zoom.bottom) / 2;
    if zoom.first > 0 {
        area.draw(&Text::new(
            "…".to_string(),
            (zoom.x_of(0) - 6, middle),
            inks.label_font
                .clone()
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    if zoom.first + zoom.count < one_hot.vocab_size {
        area.draw(&Text::new(
            "…".to_string(),
            (zoom.x_of(zoom.count) + 6, middle),
            inks.label_font
                .clone()
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// Cell `c` of the close-up: a box holding its value (the 1 stands out), its index below.
fn draw_close_up_cell<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    one_hot: &OneHot,
    zoom: &CloseUp,
    c: usize,
    label: String,
    inks: &OneHotInks,
) -> Result<(), ViewError> {
    let is_hot = zoom.first + c == one_hot.index;
    let (x0, x1) = (zoom.x_of(c), zoom.x_of(c + 1));
    let fill = if is_hot {
        inks.hot
    } else {
        one_hot.theme.background()
    };
    area.draw(&Rectangle::new(
        [(x0, zoom.top), (x1, zoom.bottom)],
        fill.filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(x0, zoom.top), (x1, zoom.bottom)],
        inks.text.mix(0.35).stroke_width(1),
    ))?;
    let value_style = if is_hot {
        (FONT, 16.0, FontStyle::Bold).into_font().color(&WHITE)
    } else {
        inks.label_font.clone()
    };
    area.draw(&Text::new(
        if is_hot { "1" } else { "0" }.to_string(),
        ((x0 + x1) / 2, (zoom.top + zoom.bottom) / 2),
        value_style.pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    let index_style = if zoom.upright {
        inks.tick_font
            .clone()
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Right, VPos::Center))
    } else {
        inks.tick_font
            .clone()
            .pos(Pos::new(HPos::Center, VPos::Top))
    };
    area.draw(&Text::new(
        label,
        ((x0 + x1) / 2, zoom.bottom + 5),
        index_style,
    ))?;
    Ok(())
}
