//! View 5, every layer and head at once: each head's attention as a thumbnail (click one to
//! open it in the head view), and for the selected token the key each head looks at most.

use ndarray::ArrayView3;
use plotters::prelude::DrawingBackend;
use tokenscope_views::{draw_model_view, ModelView};

use super::kit::{
    loaded, message, theme, Area, CanvasPlan, Hit, LayerBar, PaintResult, Panel, Pointer,
};
use super::out::{Out, Table};
use crate::page::{layer_attention, Msg, PageModel};

pub struct AllHeads;

impl Panel for AllHeads {
    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Used
    }

    fn canvases(model: &PageModel) -> Vec<CanvasPlan> {
        let height = model
            .facts
            .as_ref()
            .map_or(560, |f| (f.num_layers as u32 * 92 + 60).min(1400));
        vec![CanvasPlan::tall("model", height)]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        let (Some(facts), Some(analysis)) = (loaded(model), &model.analysis) else {
            return message(area, model, model.t("loading"));
        };
        let Some(sentence) = model.focus_sentence() else {
            return message(area, model, "—");
        };
        let layers: Vec<ArrayView3<f32>> = (0..analysis.num_layers)
            .filter_map(|l| layer_attention(sentence, analysis.num_layers, analysis.num_heads, l))
            .collect();
        if layers.is_empty() {
            return message(area, model, &model.too_long_message());
        }
        let off: Vec<(usize, usize)> = model.state.ablate.heads().collect();
        let layout = draw_model_view(
            area,
            &ModelView {
                attention: &layers,
                selected: Some((model.state.layer, model.state.head)),
                mask_upper: facts.causal,
                theme: theme(model),
                layer_label: model.t("layer"),
                head_label: model.t("head"),
                kv_groups: Some((
                    facts.num_heads / facts.num_kv_heads.max(1),
                    model.t("kv-short"),
                )),
                off: &off,
            },
        )?;
        Ok(Hit::Grid(layout).into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        let which = model.focus_sentence().map(|sentence| {
            let name = match sentence.key {
                crate::protocol::SentenceKey::Pair => model.t("pair").to_string(),
                other => format!("{} {}", model.t("sentence"), other.name().to_uppercase()),
            };
            format!(
                "{name}: {} — {}",
                sentence.tokens.join(" "),
                model.t("which-hint")
            )
        });
        out.text("model-which", which.unwrap_or_default());
        out.table("model-table", strongest_table(model));
    }

    /// A click on a thumbnail opens that layer and head alone in the head view.
    fn on_pointer(_name: &str, hit: &Hit, pointer: Pointer, _model: &PageModel) -> Vec<Msg> {
        let (Hit::Grid(layout), Pointer::Click(x, y)) = (hit, pointer) else {
            return Vec::new();
        };
        match layout.cell_at(x, y) {
            Some((layer, head)) => vec![
                Msg::OpenHead { layer, head },
                // The head view's name (the registry's tests check it is one).
                Msg::ShowView("head".to_string()),
            ],
            None => Vec::new(),
        }
    }
}

/// For the selected token, in every layer and head: the key it attends to most (itself
/// included) and the weight, so the grid can be read without seeing it.
fn strongest_table(model: &PageModel) -> Option<Table> {
    let analysis = model.analysis.as_ref()?;
    let chip = model.selected_chip()?;
    let sentence = model.sentence(chip.source)?;
    let layers: Vec<ArrayView3<f32>> = (0..analysis.num_layers)
        .map(|l| layer_attention(sentence, analysis.num_layers, analysis.num_heads, l))
        .collect::<Option<_>>()?;
    let rows = (0..layers.len())
        .map(|l| format!("{} {l}", model.t("layer")))
        .collect();
    let cols = (0..analysis.num_heads)
        .map(|h| format!("{} {h}", model.t("head")))
        .collect();
    let caption = format!(
        "“{}”: {}",
        sentence.tokens[chip.index],
        model.t("model-table-caption")
    );
    let table = Table::new("model-table", caption, cols, rows, |l, h| {
        let row = layers[l].slice(ndarray::s![h, chip.index, ..]);
        let (key, weight) = row
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or((0, 0.0), |(k, w)| (k, *w));
        format!("{} {weight:.4}", sentence.tokens[key])
    });
    Some(table.attr("data-token", chip.index.to_string()))
}
