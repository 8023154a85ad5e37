//! A transformer block drawn as a column of boxes, from the token ids at the top to the
//! next-token probabilities at the bottom, with the boxes one layer repeats framed and
//! labelled "× N layers". Several columns side by side compare two models; a box marked
//! `differs` is outlined in the accent colour.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::Theme;
use crate::ViewError;

const FONT: &str = "sans-serif";
const TITLE_HEIGHT: i32 = 44;
const BOX_HEIGHT: i32 = 40;
const GAP: i32 = 12;

/// One box: what it does and its size in this model.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockBox {
    pub label: String,
    /// Sizes or a short note, drawn small under the label.
    pub detail: String,
    /// Differs from the same step in the model drawn beside it.
    pub differs: bool,
}

/// One model's column.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockColumn {
    /// The model's name and size, two lines at most.
    pub title: Vec<String>,
    pub boxes: Vec<BlockBox>,
    /// The boxes each layer repeats, `start..end`, and the frame's label ("× 30 layers").
    pub repeated: Option<(std::ops::Range<usize>, String)>,
}

pub struct BlockDiagram<'a> {
    pub columns: &'a [BlockColumn],
    pub theme: Theme,
}

fn accent(theme: Theme) -> RGBColor {
    match theme {
        Theme::Light => RGBColor(214, 96, 24),
        Theme::Dark => RGBColor(255, 150, 80),
    }
}

fn box_fill(theme: Theme) -> RGBColor {
    match theme {
        Theme::Light => RGBColor(234, 239, 250),
        Theme::Dark => RGBColor(36, 42, 58),
    }
}

/// The height a diagram of `columns` needs.
pub fn diagram_height(columns: &[BlockColumn]) -> u32 {
    let boxes = columns.iter().map(|c| c.boxes.len()).max().unwrap_or(0) as i32;
    (TITLE_HEIGHT + 8 + boxes * (BOX_HEIGHT + GAP) + 2 * GAP) as u32
}

/// Draws `diagram` filling `area`.
pub fn draw_block_diagram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    diagram: &BlockDiagram,
) -> Result<(), ViewError> {
    let count = diagram.columns.len();
    if count == 0 {
        return Err(ViewError(
            "a block diagram needs at least one column".into(),
        ));
    }
    if let Some(bad) = diagram.columns.iter().find(|c| {
        c.repeated
            .as_ref()
            .is_some_and(|(r, _)| r.start >= r.end || r.end > c.boxes.len())
    }) {
        return Err(ViewError(format!(
            "the repeated boxes of \"{}\" are not among its {} boxes",
            bad.title.join(" "),
            bad.boxes.len()
        )));
    }
    area.fill(&diagram.theme.background())?;
    let (width, _) = area.dim_in_pixel();
    let column_width = width as i32 / count as i32;
    for (i, column) in diagram.columns.iter().enumerate() {
        let left = i as i32 * column_width;
        draw_column(area, column, left, column_width, diagram.theme)?;
    }
    area.present()?;
    Ok(())
}

/// The font at `size`, made smaller (down to 8 px) until `line` fits in `room` pixels.
fn fitted(line: &str, size: f64, room: f64) -> FontDesc<'static> {
    let font = (FONT, size).into_font();
    let style: TextStyle = font.clone().into();
    let width = crate::text::measure(line, &style).map_or(0.0, |(w, _)| w as f64);
    if width <= room {
        return font;
    }
    (FONT, (size * room / width).max(8.0)).into_font()
}

fn draw_column<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    column: &BlockColumn,
    left: i32,
    width: i32,
    theme: Theme,
) -> Result<(), ViewError> {
    let text = theme.text();
    let title_font = (FONT, 15.0, FontStyle::Bold).into_font().color(&text);
    let label_font = (FONT, 13.5).into_font().color(&text);
    let centre = left + width / 2;
    for (n, line) in column.title.iter().take(2).enumerate() {
        let font = if n == 0 {
            title_font.clone()
        } else {
            label_font.clone()
        };
        area.draw(&Text::new(
            line.clone(),
            (centre, 12 + 18 * n as i32),
            font.pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    // Room on the right of the boxes for the repeat frame's label.
    let box_left = left + 24;
    let box_right = left + width - 110;
    let top_of = |i: usize| TITLE_HEIGHT + 8 + i as i32 * (BOX_HEIGHT + GAP);
    if let Some((range, label)) = &column.repeated {
        let frame = [
            (box_left - 10, top_of(range.start) - GAP / 2),
            (box_right + 10, top_of(range.end) - GAP / 2),
        ];
        area.draw(&Rectangle::new(frame, text.mix(0.45).stroke_width(1)))?;
        area.draw(&Text::new(
            label.clone(),
            (box_right + 16, (frame[0].1 + frame[1].1) / 2),
            label_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    for (i, block) in column.boxes.iter().enumerate() {
        let top = top_of(i);
        let corners = [(box_left, top), (box_right, top + BOX_HEIGHT)];
        area.draw(&Rectangle::new(corners, box_fill(theme).filled()))?;
        let outline = if block.differs {
            accent(theme).stroke_width(3)
        } else {
            text.mix(0.35).stroke_width(1)
        };
        area.draw(&Rectangle::new(corners, outline))?;
        let middle = (box_left + box_right) / 2;
        let room = (box_right - box_left - 10).max(20) as f64;
        let centred = Pos::new(HPos::Center, VPos::Center);
        let label = fitted(&block.label, 13.5, room).color(&text).pos(centred);
        area.draw(&Text::new(block.label.clone(), (middle, top + 13), label))?;
        let detail = fitted(&block.detail, 11.5, room)
            .color(&text.mix(0.75))
            .pos(centred);
        area.draw(&Text::new(block.detail.clone(), (middle, top + 29), detail))?;
        if i + 1 < column.boxes.len() {
            let from = top + BOX_HEIGHT;
            area.draw(&PathElement::new(
                vec![(middle, from), (middle, from + GAP)],
                text.mix(0.6).stroke_width(1),
            ))?;
        }
    }
    Ok(())
}
