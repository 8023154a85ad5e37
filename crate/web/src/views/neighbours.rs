//! Vocabulary neighbours, as the Embedding Projector shows them: the tokens whose rows of the
//! static embedding table point most nearly the same way as a token's (typed or selected), a
//! 2-D map of an editable word list, and the selected token's vector layer by layer on that
//! map; for GPT models also what the output head reads from it at each layer.

use plotters::prelude::DrawingBackend;
use tokenscope_views::bars::{draw_bars, Bars};
use tokenscope_views::{draw_word_map, WordMap};

use super::kit::{
    four, loaded, message, theme, Area, CanvasPlan, Control, Hit, PaintResult, Panel, UiEvent,
};
use super::out::{Out, Table};
use crate::page::{readable, Msg, PageModel, ViewNeeds};
use crate::protocol::NeighboursData;

pub struct Neighbours;

impl Panel for Neighbours {
    const NEEDS: ViewNeeds = ViewNeeds {
        neighbours: true,
        ..ViewNeeds::NONE
    };

    const CONTROLS: &'static [Control] = &[
        Control::on("neighbours-word", UiEvent::Input, |i| {
            Some(Msg::NeighbourWord(i.value.clone()))
        }),
        Control::on("map-words", UiEvent::Input, |i| {
            Some(Msg::MapWords(i.value.clone()))
        }),
    ];

    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![
            CanvasPlan::fixed("neighbours"),
            CanvasPlan::fixed("word-map"),
        ]
    }

    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        let Some(data) = model.current_neighbours() else {
            return message(area, model, model.t("neighbours-computing"));
        };
        if name == "neighbours" {
            let Ok((_, token)) = &data.token else {
                return message(area, model, data.token.as_ref().err().map_or("", |e| e));
            };
            let labels: Vec<String> = data.nearest.iter().map(|n| readable(&n.token)).collect();
            let values: Vec<f32> = data.nearest.iter().map(|n| n.cosine).collect();
            let title = format!("{} “{}”", model.t("neighbours-title"), readable(token));
            draw_bars(
                area,
                &Bars {
                    title: &title,
                    labels: &labels,
                    values: &values,
                    highlight: None,
                    theme: theme(model),
                },
            )?;
            return Ok(Hit::None.into());
        }
        if data.map_words.len() < 2 {
            return message(area, model, model.t("map-too-few"));
        }
        let words: Vec<(String, f32, f32)> = data
            .map_words
            .iter()
            .map(|(word, _, [x, y])| (word.clone(), *x, *y))
            .collect();
        let path: Vec<(f32, f32)> = data.path.iter().map(|[x, y]| (*x, *y)).collect();
        let axis = |i: usize| {
            let share = data.explained.get(i).copied().unwrap_or(0.0) * 100.0;
            model
                .t("map-axis")
                .replace("{n}", &(i + 1).to_string())
                .replace("{share}", &format!("{share:.0}"))
        };
        let selected = model
            .selected_chip()
            .map(|c| readable(&c.token))
            .unwrap_or_default();
        let path_label = model.t("map-path").replace("{token}", &selected);
        draw_word_map(
            area,
            &WordMap {
                title: model.t("map-title"),
                words: &words,
                path: &path,
                path_label: &path_label,
                axes: (&axis(0), &axis(1)),
                theme: theme(model),
            },
        )?;
        Ok(Hit::None.into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        out.value("neighbours-word", model.neighbour_word.clone());
        out.value("map-words", model.map_words.clone());
        let data = model.current_neighbours();
        out.table(
            "neighbours-table",
            data.and_then(|d| nearest_table(model, d)),
        );
        out.table("map-table", data.and_then(|d| map_table(model, d)));
        out.table("path-table", data.and_then(|d| path_table(model, d)));
        out.text(
            "neighbours-text",
            data.map(|d| in_words(model, d)).unwrap_or_default(),
        );
        out.text(
            "map-missing",
            data.filter(|d| !d.map_missing.is_empty())
                .map(|d| {
                    let parts: Vec<String> = d
                        .map_missing
                        .iter()
                        .map(|(word, why)| format!("{word}: {why}"))
                        .collect();
                    format!("{} {}", model.t("map-missing"), parts.join(" · "))
                })
                .unwrap_or_default(),
        );
    }
}

fn nearest_table(model: &PageModel, data: &NeighboursData) -> Option<Table> {
    let (_, token) = data.token.as_ref().ok()?;
    let cols = vec![
        model.t("token").to_string(),
        "id".to_string(),
        model.t("cosine").to_string(),
    ];
    let ranks = (1..=data.nearest.len()).map(|r| r.to_string()).collect();
    let caption = format!("{} “{}”", model.t("neighbours-title"), readable(token));
    let table = Table::new("neighbours-table", caption, cols, ranks, |r, c| {
        let n = &data.nearest[r];
        match c {
            0 => readable(&n.token),
            1 => n.id.to_string(),
            _ => four(n.cosine),
        }
    })
    .corner(model.t("rank"))
    .attr("data-token", token.clone());
    Some(table)
}

fn map_table(model: &PageModel, data: &NeighboursData) -> Option<Table> {
    if data.map_words.is_empty() {
        return None;
    }
    let cols = vec![
        model.t("token").to_string(),
        model.t("map-axis-short").replace("{n}", "1"),
        model.t("map-axis-short").replace("{n}", "2"),
    ];
    let rows = data.map_words.iter().map(|w| w.0.clone()).collect();
    Some(Table::new(
        "map-table",
        model.t("map-title"),
        cols,
        rows,
        |r, c| {
            let (_, token, [x, y]) = &data.map_words[r];
            match c {
                0 => readable(token),
                1 => four(*x),
                _ => four(*y),
            }
        },
    ))
}

/// The selected token's place at each depth, and for GPT models what the head reads there.
fn path_table(model: &PageModel, data: &NeighboursData) -> Option<Table> {
    if data.path.is_empty() {
        return None;
    }
    let mut cols = vec![
        model.t("map-axis-short").replace("{n}", "1"),
        model.t("map-axis-short").replace("{n}", "2"),
    ];
    if !data.head_reading.is_empty() {
        cols.push(model.t("head-reading").to_string());
    }
    let depths = data.path.len();
    let rows = (0..depths)
        .map(|d| match d {
            0 => model.t("depth-static").to_string(),
            1 => model.t("depth-input").to_string(),
            d if d + 1 == depths && !data.head_reading.is_empty() => {
                model.t("lens-output").to_string()
            }
            d => model.t("lens-after").replace("{n}", &(d - 2).to_string()),
        })
        .collect();
    // The head reads depth 1 + l (the input of layer l, then the output), one list per depth
    // from the first layer's input on.
    Some(
        Table::new(
            "path-table",
            model.t("map-path-caption"),
            cols,
            rows,
            |r, c| {
                let [x, y] = data.path[r];
                match c {
                    0 => four(x),
                    1 => four(y),
                    _ => r
                        .checked_sub(1)
                        .and_then(|i| data.head_reading.get(i))
                        .map(|top| {
                            top.iter()
                                .map(|t| format!("{} {:.3}", readable(&t.token), t.prob))
                                .collect::<Vec<_>>()
                                .join(" · ")
                        })
                        .unwrap_or_else(|| "—".into()),
                }
            },
        )
        .corner(model.t("depth")),
    )
}

fn in_words(model: &PageModel, data: &NeighboursData) -> String {
    match &data.token {
        Ok((_, token)) => {
            let near: Vec<String> = data
                .nearest
                .iter()
                .take(3)
                .map(|n| format!("{} {:.3}", readable(&n.token), n.cosine))
                .collect();
            model
                .t("neighbours-says")
                .replace("{token}", &readable(token))
                .replace("{near}", &near.join(" · "))
        }
        Err(why) => why.clone(),
    }
}

#[cfg(test)]
mod tests {
    use tokenscope_core::neighbours::VocabularyIndex;

    use crate::page::Msg;
    use crate::testing::Harness;
    use crate::views::render;

    #[test]
    fn party_s_neighbours_are_the_cores_and_its_path_starts_at_its_table_row() {
        let mut h = Harness::ready(&[("view", "neighbours"), ("token", "8")]);
        let model = h.model();
        let table = model.word_embeddings();
        let party = model
            .tokenizer
            .token_to_id("party")
            .expect("in the vocabulary");
        let row = table.row(party as usize).expect("a row");
        let expected = VocabularyIndex::new(model).nearest(table, row.view(), 10, &[party]);
        let out = render(&h.page);
        let near = out.the_table("neighbours-table").expect("the neighbours");
        assert_eq!(near.get("data-token"), Some("party"));
        for (cells, (id, cosine)) in near.cells.iter().zip(&expected) {
            assert_eq!(cells[1], id.to_string());
            assert_eq!(cells[2], format!("{cosine:.4}"));
        }
        assert_eq!(near.cells[0][0], "parties");
        let text = out.text_of("neighbours-text").expect("in words");
        assert!(text.starts_with("Nearest to “party”"), "{text}");
        // With "party" on the map, the path's first point is its own map point.
        h.send(Msg::MapWords("cat dog party car banana".into()));
        let out = render(&h.page);
        let map = out.the_table("map-table").expect("the map");
        let at = map
            .rows
            .iter()
            .position(|w| w == "party")
            .expect("party on the map");
        let path = out.the_table("path-table").expect("the path");
        assert_eq!(
            path.rows.len(),
            6 + 2,
            "static row, the first layer's input, 6 layers"
        );
        assert_eq!(path.cells[0][..2], map.cells[at][1..3]);
        // A typed word of several tokens says which.
        h.send(Msg::NeighbourWord("tokenscope".into()));
        let out = render(&h.page);
        assert!(out.the_table("neighbours-table").is_none());
        let text = out.text_of("neighbours-text").expect("why not");
        assert!(text.contains("give one of them"), "{text}");
    }

    #[test]
    fn a_gpts_head_reading_at_the_output_is_the_next_token_table() {
        let h = Harness::ready(&[
            ("view", "neighbours"),
            ("model", "models/tokenscope-gpt"),
            ("token", "9"),
        ]);
        let out = render(&h.page);
        let path = out.the_table("path-table").expect("the path");
        let last = path.cells.last().expect("rows");
        let analysis = h.page.analysis.as_ref().expect("analysed");
        let top = &analysis.sentences[0].predictions[9].top;
        let expected: Vec<String> = top
            .iter()
            .take(5)
            .map(|t| format!("{} {:.3}", crate::page::readable(&t.token), t.prob))
            .collect();
        assert_eq!(last[2], expected.join(" · "));
        assert_eq!(path.rows.last().map(String::as_str), Some("output (final)"));
    }
}
