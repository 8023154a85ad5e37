//! The query/key map (AttentionViz): the shown head's query and key vectors of every token of
//! A and B (and, when asked, of the example sentences) on one plane, after a normalisation
//! that keeps every attention row, so a query lands near the keys it attends to; lines from
//! the selected token's query to its sentence's keys, as thick as its attention.

use plotters::prelude::DrawingBackend;
use tokenscope_views::{draw_qk_scatter, QkPoint, QkScatter};

use super::kit::{
    four, loaded, message, theme, Area, CanvasPlan, Control, Hit, LayerBar, PaintResult, Panel,
    UiEvent,
};
use super::out::{Out, Table};
use crate::page::{layer_attention, readable, Msg, PageModel, ViewNeeds};
use crate::protocol::{QkMapData, SentenceKey};

pub struct QkMap;

/// Above this many points the words are left off the keys (the table has them all).
const LABELLED: usize = 60;

impl Panel for QkMap {
    const NEEDS: ViewNeeds = ViewNeeds {
        qk_map: true,
        ..ViewNeeds::NONE
    };

    const CONTROLS: &'static [Control] = &[Control::on("qk-examples", UiEvent::Change, |i| {
        Some(Msg::QkExamples(i.checked))
    })];

    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Used
    }

    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![CanvasPlan::fixed("qk-map")]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        let Some(data) = model.current_qk_map() else {
            return message(area, model, model.t("qk-computing"));
        };
        let group = |s: Option<SentenceKey>| match s {
            Some(SentenceKey::A) => 0,
            Some(_) => 1,
            None => 2,
        };
        let points: Vec<QkPoint> = data
            .tokens
            .iter()
            .map(|t| QkPoint {
                label: readable(&t.token),
                group: group(t.sentence),
                query: (t.query[0], t.query[1]),
                key: (t.key[0], t.key[1]),
            })
            .collect();
        let selected = selected_point(model, data);
        let weights = selected.map(|(i, sentence)| attention_to_points(model, data, sentence, i));
        let groups = [
            model.t("qk-sentence-a"),
            model.t("qk-sentence-b"),
            model.t("qk-examples-group"),
        ];
        let shown_groups = if model.qk_examples { 3 } else { 2 };
        let title = format!(
            "{} {} · {} {}",
            model.t("layer"),
            data.ask.layer,
            model.t("head"),
            data.ask.head
        );
        draw_qk_scatter(
            area,
            &QkScatter {
                title: &title,
                points: &points,
                groups: &groups[..shown_groups],
                markers: (model.t("qk-query"), model.t("qk-key")),
                selected: selected.zip(weights.as_deref()).map(|((i, _), w)| (i, w)),
                labels: points.len() <= LABELLED,
                theme: theme(model),
            },
        )?;
        Ok(Hit::None.into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        out.checked("qk-examples", model.qk_examples);
        let data = model.current_qk_map();
        out.table("qk-table", data.map(|d| points_table(model, d)));
        out.text(
            "qk-text",
            data.map(|d| {
                model
                    .t("qk-says")
                    .replace("{scale}", &four(d.scale))
                    .replace("{change}", &format!("{:.1e}", d.largest_change))
                    .replace(
                        "{share}",
                        &format!("{:.0}", d.explained.iter().take(2).sum::<f32>() * 100.0),
                    )
            })
            .unwrap_or_default(),
        );
    }
}

/// The selected token's point and its sentence.
fn selected_point(model: &PageModel, data: &QkMapData) -> Option<(usize, SentenceKey)> {
    let chip = model.selected_chip()?;
    data.tokens
        .iter()
        .position(|t| t.sentence == Some(chip.source) && t.index == chip.index)
        .map(|i| (i, chip.source))
}

/// The selected query's attention (the shown layer and head) to each point's key: its own
/// sentence's keys, 0 for every other point.
fn attention_to_points(
    model: &PageModel,
    data: &QkMapData,
    sentence: SentenceKey,
    point: usize,
) -> Vec<f32> {
    let query = data.tokens[point].index;
    let row: Option<Vec<f32>> = (|| {
        let analysis = model.analysis.as_ref()?;
        let s = model.sentence(sentence)?;
        let layer = layer_attention(s, analysis.num_layers, analysis.num_heads, data.ask.layer)?;
        Some(layer.slice(ndarray::s![data.ask.head, query, ..]).to_vec())
    })();
    data.tokens
        .iter()
        .map(|t| match (&row, t.sentence == Some(sentence)) {
            (Some(row), true) => row.get(t.index).copied().unwrap_or(0.0),
            _ => 0.0,
        })
        .collect()
}

fn points_table(model: &PageModel, data: &QkMapData) -> Table {
    let cols = vec![
        model.t("qk-where").to_string(),
        format!("{} x", model.t("qk-query")),
        format!("{} y", model.t("qk-query")),
        format!("{} x", model.t("qk-key")),
        format!("{} y", model.t("qk-key")),
    ];
    let rows = data
        .tokens
        .iter()
        .map(|t| format!("{} {}", t.index, readable(&t.token)))
        .collect();
    Table::new("qk-table", model.t("qk-caption"), cols, rows, |r, c| {
        let t = &data.tokens[r];
        match c {
            0 => match t.sentence {
                Some(SentenceKey::A) => "A".into(),
                Some(SentenceKey::B) => "B".into(),
                Some(SentenceKey::Pair) => "A+B".into(),
                None => model.t("qk-examples-group").into(),
            },
            1 => four(t.query[0]),
            2 => four(t.query[1]),
            3 => four(t.key[0]),
            _ => four(t.key[1]),
        }
    })
    .corner(model.t("token"))
    .attr("data-layer", data.ask.layer.to_string())
    .attr("data-head", data.ask.head.to_string())
}

#[cfg(test)]
mod tests {
    use ndarray::{concatenate, Axis};
    use tokenscope_core::qk_map::qk_map;

    use crate::page::Msg;
    use crate::testing::Harness;
    use crate::views::render;

    #[test]
    fn the_map_is_the_cores_for_a_and_b_and_keeps_every_attention_row() {
        let mut h = Harness::ready(&[("view", "qkmap"), ("layer", "2"), ("head", "5")]);
        let a = h.trace("students celebrate the graduation with a big party");
        let b = h.trace("deputy leader is highly respected in the party");
        let rows = |t: &tokenscope_core::Trace, key: bool| {
            let layer = &t.layers[2];
            let m = if key { &layer.key } else { &layer.query };
            m.index_axis(Axis(0), 5).to_owned()
        };
        let q = concatenate(Axis(0), &[rows(&a, false).view(), rows(&b, false).view()])
            .expect("same width");
        let k = concatenate(Axis(0), &[rows(&a, true).view(), rows(&b, true).view()])
            .expect("same width");
        let expected = qk_map(q.view(), k.view());
        let data = h.page.current_qk_map().expect("answered").clone();
        assert!(data.largest_change < 1e-5, "{}", data.largest_change);
        assert_eq!(data.tokens.len(), a.len() + b.len());
        for (i, t) in data.tokens.iter().enumerate() {
            assert_eq!(
                t.query,
                [expected.query_points[[i, 0]], expected.query_points[[i, 1]]]
            );
            assert_eq!(
                t.key,
                [expected.key_points[[i, 0]], expected.key_points[[i, 1]]]
            );
        }
        let out = render(&h.page);
        let table = out.the_table("qk-table").expect("the points");
        assert_eq!(table.rows.len(), data.tokens.len());
        assert_eq!(table.get("data-head"), Some("5"));
        let text = out.text_of("qk-text").expect("in words");
        assert!(text.starts_with("Queries ×"), "{text}");
        // The examples add their tokens, none of them from A or B.
        h.send(Msg::QkExamples(true));
        let dense = h.page.current_qk_map().expect("answered again");
        assert!(dense.tokens.len() > data.tokens.len());
        assert!(dense.tokens.iter().any(|t| t.sentence.is_none()));
    }
}
