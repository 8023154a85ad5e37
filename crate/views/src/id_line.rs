//! Token IDs placed on a number line from 0 to the vocabulary size: the seed's point that an
//! ID's size is arbitrary ("party" 2283 is not "more" than "the" 1996), made visible.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::head_view::head_color;
use crate::palette::Theme;
use crate::ViewError;

const FONT: &str = "sans-serif";

/// One token to place: its text, its id, and whether it is the selected token.
pub struct IdMark<'a> {
    pub token: &'a str,
    pub id: u32,
    pub selected: bool,
}

pub struct IdLine<'a> {
    pub title: &'a str,
    pub vocab_size: usize,
    pub marks: &'a [IdMark<'a>],
    pub theme: Theme,
}

/// Where each mark's label landed: (x of the tick, label row), in `marks` order.
#[derive(Debug, Clone, PartialEq)]
pub struct IdLineLayout {
    pub ticks: Vec<(i32, usize)>,
}

pub fn draw_id_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    line: &IdLine,
) -> Result<IdLineLayout, ViewError> {
    if line.vocab_size == 0 {
        return Err(ViewError("a vocabulary of size 0".into()));
    }
    if let Some(mark) = line.marks.iter().find(|m| m.id as usize >= line.vocab_size) {
        return Err(ViewError(format!(
            "id {} is outside a vocabulary of {}",
            mark.id, line.vocab_size
        )));
    }
    let text = line.theme.text();
    area.fill(&line.theme.background())?;
    let (width, height) = area.dim_in_pixel();
    let (left, right) = (30, width as i32 - 40);
    let axis_y = height as i32 - 42;
    let span = (right - left).max(1) as f64;
    let x_of = |id: f64| left + (id / line.vocab_size as f64 * span).round() as i32;
    if !line.title.is_empty() {
        area.draw(&Text::new(
            line.title.to_string(),
            (4, 4),
            (FONT, 17.0).into_font().color(&text),
        ))?;
    }
    area.draw(&PathElement::new(
        vec![(left, axis_y), (right, axis_y)],
        text.stroke_width(2),
    ))?;
    // Round ticks every 5,000 (or 10,000 for big vocabularies) under the axis.
    let step = if line.vocab_size > 60_000 {
        10_000
    } else {
        5_000
    };
    let tick_style = (FONT, 13.0)
        .into_font()
        .color(&text)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let mut value = 0;
    while value <= line.vocab_size {
        let x = x_of(value as f64);
        area.draw(&PathElement::new(
            vec![(x, axis_y), (x, axis_y + 6)],
            text.stroke_width(1),
        ))?;
        area.draw(&Text::new(
            value.to_string(),
            (x, axis_y + 9),
            tick_style.clone(),
        ))?;
        value += step;
    }
    // Labels stack upwards when they would overlap, so neighbouring ids stay readable.
    let label_font = (FONT, 14.0).into_font().color(&text);
    let mut order: Vec<usize> = (0..line.marks.len()).collect();
    order.sort_by_key(|&i| line.marks[i].id);
    let top_room = if line.title.is_empty() { 6 } else { 30 };
    let row_height = 20;
    let max_rows = ((axis_y - 14 - top_room) / row_height).max(1) as usize;
    let mut row_ends: Vec<i32> = vec![i32::MIN; max_rows];
    let mut ticks = vec![(0, 0); line.marks.len()];
    for &i in &order {
        let mark = &line.marks[i];
        let x = x_of(mark.id as f64);
        let label = format!("{} {}", mark.token, mark.id);
        let label_width = crate::text::measure(&label, &label_font)
            .map(|(w, _)| w as i32)
            .unwrap_or(60);
        let start = (x - label_width / 2).clamp(2, (width as i32 - label_width - 2).max(2));
        let row = row_ends
            .iter()
            .position(|&end| end + 6 < start)
            .unwrap_or(max_rows - 1);
        row_ends[row] = start + label_width;
        ticks[i] = (x, row);
        let color = if mark.selected { head_color(0) } else { text };
        let y = axis_y - 14 - row as i32 * row_height;
        area.draw(&PathElement::new(
            vec![(x, axis_y), (x, y + 2)],
            color
                .mix(0.6)
                .stroke_width(if mark.selected { 3 } else { 1 }),
        ))?;
        area.draw(&Circle::new((x, axis_y), 4, color.filled()))?;
        area.draw(&Text::new(
            label,
            (start, y - 14),
            label_font.clone().color(&color),
        ))?;
    }
    area.present()?;
    Ok(IdLineLayout { ticks })
}
