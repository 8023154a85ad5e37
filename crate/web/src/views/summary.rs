//! View 6, attention summary: for the selected token, its attention averaged over the heads,
//! layer by layer: one row per layer, so a class sees where in depth "party" starts looking
//! at "celebrate" or "deputy"; and attention rollout (Abnar & Zuidema 2020), which follows
//! the attention through every layer below, the residual path counted as half of each step.

use plotters::prelude::DrawingBackend;
use tokenscope_views::{draw_heatmap, Heatmap, Palette};

use super::kit::{
    four, loaded, message, theme, Area, CanvasPlan, Hit, LayerBar, PaintResult, Panel,
};
use super::out::{Out, Table};
use crate::page::{layer_attention, strongest_keys, PageModel};
use crate::protocol::SentenceData;
use tokenscope_core::rollout::rollout_of_means;

pub struct Summary;

impl Panel for Summary {
    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Used
    }

    fn canvases(model: &PageModel) -> Vec<CanvasPlan> {
        let layers = model.facts.as_ref().map_or(6, |f| f.num_layers) as u32;
        let height = (layers * 44 + 170).clamp(300, 1200);
        vec![
            CanvasPlan::tall("summary", height),
            CanvasPlan::tall("rollout", height),
        ]
    }

    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        let rollout = name == "rollout";
        let found = if rollout {
            rollout_rows(model)
        } else {
            mean_rows(model)
        };
        let Some((sentence, query, rows)) = found else {
            return message(area, model, &model.too_long_message());
        };
        let labels: Vec<String> = (0..rows.nrows())
            .map(|l| format!("{} {l}", model.t("layer")))
            .collect();
        let what = if rollout {
            model.t("rollout-title")
        } else {
            model.t("summary-title")
        };
        let title = format!("“{}”: {what}", sentence.tokens[query]);
        let layout = draw_heatmap(
            area,
            &Heatmap {
                title: &title,
                row_labels: &labels,
                col_labels: &sentence.tokens,
                values: &rows,
                palette: Palette::Sequential { max: 1.0 },
                mask_upper: false,
                highlight_row: Some(model.state.layer),
                theme: theme(model),
            },
        )?;
        Ok(Hit::Heatmap(layout).into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        out.table("summary-table", summary_table(model));
        out.text(
            "summary-text",
            strongest_by_layer(model).unwrap_or_default(),
        );
        out.table("rollout-table", rollout_table(model));
        out.text("rollout-text", rollout_words(model).unwrap_or_default());
    }
}

/// The selected token's sentence, its index there, and its attention averaged over every
/// head, one row per layer. Keys a causal model cannot see are NaN, drawn as masked.
/// (layers, S)
fn mean_rows(model: &PageModel) -> Option<(&SentenceData, usize, ndarray::Array2<f32>)> {
    let analysis = model.analysis.as_ref()?;
    let chip = model.selected_chip()?;
    let sentence = model.sentence(chip.source)?;
    let (layers, heads) = (analysis.num_layers, analysis.num_heads);
    let mut rows = ndarray::Array2::<f32>::zeros((layers, sentence.ids.len()));
    for l in 0..layers {
        let layer = layer_attention(sentence, layers, heads, l)?; // (heads, S, S)
        let mean = layer
            .index_axis(ndarray::Axis(1), chip.index)
            .mean_axis(ndarray::Axis(0))?;
        rows.row_mut(l).assign(&mean);
    }
    hide_future(model, &mut rows, chip.index);
    Some((sentence, chip.index, rows))
}

/// A causal model's token sees no later key: those columns become NaN, drawn as masked.
fn hide_future(model: &PageModel, rows: &mut ndarray::Array2<f32>, query: usize) {
    if model.causal() {
        rows.columns_mut()
            .into_iter()
            .skip(query + 1)
            .for_each(|mut column| column.fill(f32::NAN));
    }
}

/// The selected token's row of attention rollout after every layer: how much its vector
/// after layer l draws on each input token. Future keys of a causal model are NaN. (L, S)
fn rollout_rows(model: &PageModel) -> Option<(&SentenceData, usize, ndarray::Array2<f32>)> {
    let analysis = model.analysis.as_ref()?;
    let chip = model.selected_chip()?;
    let sentence = model.sentence(chip.source)?;
    let (layers, heads) = (analysis.num_layers, analysis.num_heads);
    let means = (0..layers)
        .map(|l| {
            layer_attention(sentence, layers, heads, l)?.mean_axis(ndarray::Axis(0))
            // (S, S)
        })
        .collect::<Option<Vec<_>>>()?;
    let rolled = rollout_of_means(&means);
    let mut rows = ndarray::Array2::<f32>::zeros((layers, sentence.ids.len()));
    for (l, r) in rolled.iter().enumerate() {
        rows.row_mut(l).assign(&r.row(chip.index));
    }
    hide_future(model, &mut rows, chip.index);
    Some((sentence, chip.index, rows))
}

/// The rollout rows as a table, the chosen layer highlighted.
fn rollout_table(model: &PageModel) -> Option<Table> {
    let (sentence, query, rows) = rollout_rows(model)?;
    Some(layer_table(
        model,
        "rollout-table",
        "rollout-title",
        sentence,
        query,
        &rows,
    ))
}

/// One row per layer over the sentence's tokens ("—" where a key is hidden), the chosen
/// layer highlighted.
fn layer_table(
    model: &PageModel,
    id: &'static str,
    title: &str,
    sentence: &SentenceData,
    query: usize,
    rows: &ndarray::Array2<f32>,
) -> Table {
    let labels = (0..rows.nrows())
        .map(|l| format!("{} {l}", model.t("layer")))
        .collect();
    let caption = format!("“{}”: {}", sentence.tokens[query], model.t(title));
    Table::new(id, caption, sentence.tokens.clone(), labels, |l, k| {
        let value = rows[[l, k]];
        if value.is_nan() {
            "—".to_string()
        } else {
            four(value)
        }
    })
    .highlight(Some(model.state.layer))
    .attr("data-token", query.to_string())
}

/// "After the last layer, “party” draws on: party 0.412 · celebrate 0.083 · …", the three
/// largest shares, itself included (the residual path keeps much of every token's own).
fn rollout_words(model: &PageModel) -> Option<String> {
    let (sentence, query, rows) = rollout_rows(model)?;
    let last = rows.row(rows.nrows().checked_sub(1)?);
    let mut order: Vec<usize> = (0..last.len()).filter(|&k| last[k].is_finite()).collect();
    order.sort_by(|&a, &b| last[b].total_cmp(&last[a]));
    let parts: Vec<String> = order
        .iter()
        .take(3)
        .map(|&k| format!("{} {:.3}", sentence.tokens[k], last[k]))
        .collect();
    Some(format!(
        "{} “{}” {} {}",
        model.t("rollout-after"),
        sentence.tokens[query],
        model.t("rollout-draws"),
        parts.join(" · ")
    ))
}

/// The same numbers as a table, the chosen layer highlighted.
fn summary_table(model: &PageModel) -> Option<Table> {
    let (sentence, query, rows) = mean_rows(model)?;
    Some(layer_table(
        model,
        "summary-table",
        "summary-title",
        sentence,
        query,
        &rows,
    ))
}

/// "L0 celebrate 0.131 · L1 …": the strongest key per layer, leaving out special tokens and
/// the token itself, as the head view's words do.
fn strongest_by_layer(model: &PageModel) -> Option<String> {
    let analysis = model.analysis.as_ref()?;
    let chip = model.selected_chip()?;
    let sentence = model.sentence(chip.source)?;
    let every_head = vec![true; analysis.num_heads];
    let parts: Vec<String> = (0..analysis.num_layers)
        .filter_map(|l| {
            let layer = layer_attention(sentence, analysis.num_layers, analysis.num_heads, l)?;
            let (key, weight) =
                *strongest_keys(layer, &every_head, chip.index, &sentence.special, 1).first()?;
            Some(format!("L{l} {} {weight:.3}", sentence.tokens[key]))
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "“{}” {} {}",
            sentence.tokens[chip.index],
            model.t("summary-says"),
            parts.join(" · ")
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::Harness;
    use crate::views::render;

    #[test]
    fn each_layers_row_is_the_mean_of_the_heads_of_a_real_trace() {
        let h = Harness::ready(&[("view", "summary"), ("layer", "2")]);
        let out = render(&h.page);
        let table = out.the_table("summary-table").expect("the table");
        let trace = h.trace("students celebrate the graduation with a big party");
        assert_eq!((table.rows.len(), table.cols.len()), (6, 10));
        assert_eq!(table.highlight_row, Some(2), "the chosen layer");
        for (layer, row) in table.cells.iter().enumerate() {
            let heads = trace.layers[layer].attention.dim().0;
            for (key, cell) in row.iter().enumerate() {
                let sum: f32 = (0..heads)
                    .map(|h| trace.layers[layer].attention[[h, 8, key]])
                    .sum();
                assert_eq!(
                    *cell,
                    format!("{:.4}", sum / heads as f32),
                    "L{layer} → {key}"
                );
            }
        }
        let text = out.text_of("summary-text").expect("in words");
        assert!(text.starts_with("“party” attends most to"), "{text}");
        assert!(text.contains("L0 celebrate 0.131"), "{text}");
    }

    #[test]
    fn the_rollout_rows_are_the_cores_rollout_of_the_trace() {
        let h = Harness::ready(&[("view", "summary")]);
        let out = render(&h.page);
        let table = out.the_table("rollout-table").expect("the rollout table");
        let trace = h.trace("students celebrate the graduation with a big party");
        let rolled = tokenscope_core::rollout::attention_rollout(&trace.layers);
        for (layer, row) in table.cells.iter().enumerate() {
            for (key, cell) in row.iter().enumerate() {
                assert_eq!(
                    *cell,
                    format!("{:.4}", rolled[layer][[8, key]]),
                    "L{layer} → {key}"
                );
            }
            // Each row shares out the whole vector.
            let sum: f32 = (0..row.len()).map(|k| rolled[layer][[8, k]]).sum();
            assert!((sum - 1.0).abs() < 1e-4);
        }
        let text = out.text_of("rollout-text").expect("in words");
        assert!(text.starts_with("After the last layer, “party”"), "{text}");
    }

    #[test]
    fn a_gpts_token_has_no_row_over_the_future() {
        let h = Harness::ready(&[
            ("view", "summary"),
            ("model", "models/tokenscope-gpt"),
            ("token", "2"),
        ]);
        let out = render(&h.page);
        let table = out.the_table("summary-table").expect("the table");
        assert!(table
            .cells
            .iter()
            .all(|row| row[3..].iter().all(|c| c == "—")));
        assert!(table
            .cells
            .iter()
            .all(|row| row[..3].iter().all(|c| c != "—")));
    }
}
