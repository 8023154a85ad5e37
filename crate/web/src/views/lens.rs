//! The logit lens (GPT models): what the model would predict after every position if it
//! stopped after each layer, read through its own final norm and output head. A grid of
//! layers × positions, a click opens a cell's top 10, and per layer the rank of the token
//! that really came next.

use plotters::prelude::DrawingBackend;
use tokenscope_views::{draw_token_grid, Palette, TokenGrid};

use super::kit::{
    bert_says_no, chip_at, four, loaded, message, theme, top_tokens_table, Area, CanvasPlan, Hit,
    PaintResult, Panel, Pointer,
};
use super::out::{Out, Table};
use crate::page::{readable, Msg, PageModel, ViewNeeds};
use crate::protocol::{LensCell, LensData, SentenceData};

pub struct Lens;

impl Panel for Lens {
    const NEEDS: ViewNeeds = ViewNeeds {
        lens: true,
        ..ViewNeeds::NONE
    };

    fn canvases(model: &PageModel) -> Vec<CanvasPlan> {
        let rows = model.facts.as_ref().map_or(7, |f| f.num_layers + 1) as u32;
        vec![CanvasPlan::tall("lens", (rows * 34 + 190).clamp(300, 1400))]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        if !model.causal() {
            return message(area, model, model.t("next-bert"));
        }
        let (Some(lens), Some(sentence)) = (model.current_lens(), lens_sentence(model)) else {
            return message(area, model, model.t("lens-computing"));
        };
        let words: Vec<Vec<String>> = lens
            .cells
            .iter()
            .map(|row| row.iter().map(top_word).collect())
            .collect();
        let values: Vec<Vec<f32>> = lens
            .cells
            .iter()
            .map(|row| {
                row.iter()
                    .map(|c| c.top.first().map_or(0.0, |t| t.prob))
                    .collect()
            })
            .collect();
        // Where a layer's first guess is the token that really came next.
        let marked: Vec<(usize, usize)> = lens
            .cells
            .iter()
            .enumerate()
            .flat_map(|(r, row)| {
                row.iter()
                    .enumerate()
                    .filter(|(_, c)| c.actual.as_ref().is_some_and(|(_, rank)| *rank == 0))
                    .map(move |(i, _)| (r, i))
            })
            .collect();
        let selected = model.lens_row().zip(selected_index(model));
        let layout = draw_token_grid(
            area,
            &TokenGrid {
                title: model.t("lens-title"),
                row_labels: &row_labels(model, lens.cells.len()),
                col_labels: &sentence
                    .tokens
                    .iter()
                    .map(|t| readable(t))
                    .collect::<Vec<_>>(),
                words: &words,
                values: &values,
                selected,
                marked: &marked,
                palette: Palette::Sequential { max: 1.0 },
                theme: theme(model),
            },
        )?;
        Ok(Hit::Heatmap(layout).into())
    }

    fn on_pointer(_name: &str, hit: &Hit, pointer: Pointer, model: &PageModel) -> Vec<Msg> {
        let (Hit::Heatmap(layout), Pointer::Click(x, y)) = (hit, pointer) else {
            return Vec::new();
        };
        let Some((row, position)) = layout.cell_at(x, y) else {
            return Vec::new();
        };
        let mut msgs = vec![Msg::LensRow(row)];
        if let Some(chip) = chip_at(model, model.lens_sentence(), position) {
            msgs.push(Msg::SelectToken(chip));
        }
        msgs
    }

    fn render(model: &PageModel, out: &mut Out) {
        if model.facts.is_some() && !model.causal() {
            out.children("lens-cell-table", bert_says_no(model));
            out.table("lens-layers-table", None);
            out.table("lens-table", None);
            out.text("lens-text", "");
            return;
        }
        let ready = model.current_lens().zip(lens_sentence(model));
        out.table(
            "lens-cell-table",
            ready.and_then(|(lens, s)| cell_table(model, lens, s)),
        );
        out.table(
            "lens-layers-table",
            ready.and_then(|(lens, s)| layers_table(model, lens, s)),
        );
        out.table(
            "lens-table",
            ready.map(|(lens, s)| grid_table(model, lens, s)),
        );
        out.text(
            "lens-text",
            ready
                .and_then(|(lens, s)| summary(model, lens, s))
                .unwrap_or_default(),
        );
    }
}

fn lens_sentence(model: &PageModel) -> Option<&SentenceData> {
    model.sentence(model.lens_sentence())
}

/// The selected position in the lens's sentence.
fn selected_index(model: &PageModel) -> Option<usize> {
    model
        .selected_chip()
        .filter(|c| c.source == model.lens_sentence())
        .map(|c| c.index)
}

fn top_word(cell: &LensCell) -> String {
    cell.top
        .first()
        .map(|t| readable(&t.token))
        .unwrap_or_default()
}

/// "embeddings", "after layer 0", …, the last row "output".
fn row_labels(model: &PageModel, rows: usize) -> Vec<String> {
    (0..rows)
        .map(|r| match r {
            0 => model.t("lens-embeddings").to_string(),
            r if r + 1 == rows => model.t("lens-output").to_string(),
            r => model.t("lens-after").replace("{n}", &(r - 1).to_string()),
        })
        .collect()
}

/// The selected cell's top 10, the token that really came next highlighted.
fn cell_table(model: &PageModel, lens: &LensData, sentence: &SentenceData) -> Option<Table> {
    let row = model.lens_row()?;
    let index = selected_index(model)?;
    let cell = lens.cells.get(row)?.get(index)?;
    let labels = row_labels(model, lens.cells.len());
    let caption = format!(
        "{} “{}” — {}",
        model.t("next-title"),
        readable(&sentence.tokens[index]),
        labels[row]
    );
    let actual = cell.actual.as_ref().map(|(a, _)| a.id);
    let table = top_tokens_table(model, "lens-cell-table", caption, &cell.top, actual)
        .attr("data-row", row.to_string())
        .attr("data-position", index.to_string());
    Some(table)
}

/// Per layer at the selected position: the first guess, the rank and probability of the
/// token that really came next, and the entropy.
fn layers_table(model: &PageModel, lens: &LensData, sentence: &SentenceData) -> Option<Table> {
    let index = selected_index(model)?;
    let actual = sentence.tokens.get(index + 1).map(|t| readable(t));
    let caption = match &actual {
        Some(next) => format!("{} “{next}”", model.t("lens-layers-caption")),
        None => model.t("lens-layers-last").to_string(),
    };
    let cols = vec![
        model.t("guess").to_string(),
        model.t("probability").to_string(),
        model.t("lens-rank").to_string(),
        model.t("lens-actual-prob").to_string(),
        model.t("lens-entropy").to_string(),
    ];
    let table = Table::new(
        "lens-layers-table",
        caption,
        cols,
        row_labels(model, lens.cells.len()),
        |r, c| {
            let cell = &lens.cells[r][index];
            match c {
                0 => top_word(cell),
                1 => cell.top.first().map(|t| four(t.prob)).unwrap_or_default(),
                2 => cell
                    .actual
                    .as_ref()
                    .map(|(_, rank)| (rank + 1).to_string())
                    .unwrap_or_else(|| "—".into()),
                3 => cell
                    .actual
                    .as_ref()
                    .map(|(t, _)| four(t.prob))
                    .unwrap_or_else(|| "—".into()),
                _ => format!("{:.2}", cell.entropy_bits),
            }
        },
    )
    .corner(model.t("lens-layer"))
    .highlight(model.lens_row())
    .attr("data-position", index.to_string());
    Some(table)
}

/// Every cell's first guess and its probability: the canvas's text alternative.
fn grid_table(model: &PageModel, lens: &LensData, sentence: &SentenceData) -> Table {
    Table::new(
        "lens-table",
        model.t("lens-title"),
        sentence.tokens.iter().map(|t| readable(t)).collect(),
        row_labels(model, lens.cells.len()),
        |r, c| {
            let cell = &lens.cells[r][c];
            match cell.top.first() {
                Some(t) => format!("{} {}", readable(&t.token), four(t.prob)),
                None => String::new(),
            }
        },
    )
    .corner(model.t("lens-layer"))
    .highlight(model.lens_row())
}

/// In words: from which layer on the first guess at the selected position is what the
/// model finally says, and where the real next token first reaches the top.
fn summary(model: &PageModel, lens: &LensData, sentence: &SentenceData) -> Option<String> {
    let index = selected_index(model)?;
    let column: Vec<&LensCell> = lens
        .cells
        .iter()
        .map(|row| row.get(index))
        .collect::<Option<_>>()?;
    let last = column.last()?;
    let final_word = top_word(last);
    let labels = row_labels(model, lens.cells.len());
    // The first row from which every later row agrees with the output.
    let settled = (0..column.len())
        .find(|&r| column[r..].iter().all(|c| top_word(c) == final_word))
        .unwrap_or(column.len() - 1);
    let says = if settled + 1 == column.len() {
        "lens-says-late"
    } else {
        "lens-says"
    };
    let mut text = model
        .t(says)
        .replace("{token}", &readable(&sentence.tokens[index]))
        .replace("{word}", &final_word)
        .replace("{prob}", &four(last.top.first().map_or(0.0, |t| t.prob)))
        .replace("{row}", &labels[settled]);
    if let Some(next) = sentence.tokens.get(index + 1) {
        let first_top = column
            .iter()
            .position(|c| c.actual.as_ref().is_some_and(|(_, rank)| *rank == 0));
        let part = match first_top {
            Some(r) => model.t("lens-next-top").replace("{row}", &labels[r]),
            None => model.t("lens-next-never").to_string(),
        };
        text.push(' ');
        text.push_str(&part.replace("{next}", &readable(next)));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use tokenscope_core::lens::logit_lens;

    use crate::page::Msg;
    use crate::protocol::Request;
    use crate::testing::Harness;
    use crate::views::render;

    const GPT: (&str, &str) = ("model", "models/tokenscope-gpt");

    #[test]
    fn the_lens_tables_are_the_cores_lens_of_the_shown_sentence() {
        let mut h = Harness::ready(&[("view", "lens"), GPT, ("token", "3")]);
        let asked = h
            .sent
            .iter()
            .filter(|r| matches!(r, Request::Lens { .. }))
            .count();
        assert_eq!(asked, 1, "asked once for the shown sentence");
        let trace = h.trace("students celebrate the graduation with a big party");
        let lens = logit_lens(h.model(), &trace, 10).expect("a GPT's lens");
        let out = render(&h.page);
        let grid = out.the_table("lens-table").expect("the grid as a table");
        assert_eq!(grid.rows.len(), trace.layers.len() + 1);
        assert_eq!(grid.rows[0], "embeddings");
        assert_eq!(grid.rows.last().map(String::as_str), Some("output (final)"));
        let first = lens.cells[1][3].top[0];
        let word =
            crate::page::readable(&h.model().tokenizer.id_to_token(first.0).expect("a token"));
        assert_eq!(grid.cells[1][3], format!("{word} {:.4}", first.1));
        // The layers table at the selected position: rank of the real next token, entropy.
        let layers = out.the_table("lens-layers-table").expect("per layer");
        for (row, cells) in layers.cells.iter().enumerate() {
            let cell = &lens.cells[row][3];
            let actual = cell.actual.expect("a next token after position 3");
            assert_eq!(cells[2], (actual.rank + 1).to_string());
            assert_eq!(cells[3], format!("{:.4}", actual.prob));
            assert_eq!(cells[4], format!("{:.2}", cell.entropy_bits));
        }
        // The output row's top 10 is the next-token view's table.
        let top = out.the_table("lens-cell-table").expect("the cell's top 10");
        assert_eq!(
            top.get("data-row"),
            Some(trace.layers.len().to_string().as_str())
        );
        let text = out.text_of("lens-text").expect("in words");
        assert!(text.starts_with("After “"), "{text}");
        // A click on another cell shows that cell.
        h.send(Msg::LensRow(1));
        let out = render(&h.page);
        let top = out.the_table("lens-cell-table").expect("the cell's top 10");
        assert_eq!(top.get("data-row"), Some("1"));
        assert_eq!(top.cells[0][2], format!("{:.4}", first.1));
    }

    #[test]
    fn a_new_text_asks_again_and_bert_says_why_not() {
        let mut h = Harness::ready(&[("view", "lens"), GPT]);
        let before = h.sent.len();
        h.send(Msg::SentenceA("the cat sat on the".into()));
        assert!(h
            .sent_since(before)
            .iter()
            .any(|r| matches!(r, Request::Lens { .. })));
        assert!(h.page.current_lens().is_some());
        let h = Harness::ready(&[("view", "lens")]);
        assert!(!h.sent.iter().any(|r| matches!(r, Request::Lens { .. })));
        let out = render(&h.page);
        assert!(out.the_table("lens-table").is_none());
    }
}
