//! View 6, query, key and value: for the selected token, layer and head, its query, every
//! key, q×k, q·k/√d, the softmax, each value vector and their weighted sum.

use ndarray::ArrayView2;
use plotters::prelude::DrawingBackend;
use tokenscope_views::{draw_neuron_view, NeuronHeaders, NeuronView};

use super::kit::{
    four, loaded, message, theme, Area, CanvasPlan, Hit, LayerBar, PaintResult, Panel,
};
use super::out::{Out, Table};
use crate::page::{PageModel, ViewNeeds};

pub struct Qkv;

impl Panel for Qkv {
    const NEEDS: ViewNeeds = ViewNeeds {
        qkv: true,
        ..ViewNeeds::NONE
    };
    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Used
    }

    fn canvases(model: &PageModel) -> Vec<CanvasPlan> {
        let height = model
            .focus_sentence()
            .map_or(520, |s| (s.ids.len() as u32 * 30 + 170).clamp(360, 2400));
        vec![CanvasPlan::tall("neuron", height)]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        let Some(qkv) = model.current_qkv() else {
            return message(area, model, model.t("running"));
        };
        let Some(sentence) = model.sentence(qkv.sentence) else {
            return message(area, model, "—");
        };
        let s = qkv.probs.len();
        let d = qkv.head_dim;
        let (Ok(keys), Ok(values)) = (
            ArrayView2::from_shape((s, d), &qkv.keys),
            ArrayView2::from_shape((s, d), &qkv.values),
        ) else {
            return message(area, model, "—");
        };
        let query_label = sentence.tokens.get(qkv.token).cloned().unwrap_or_default();
        let title = format!(
            "“{query_label}” · {} {} · {} {} · d = {d}",
            model.t("layer"),
            qkv.layer,
            model.t("head"),
            qkv.head
        );
        let headers = NeuronHeaders {
            key: model.t("n-key"),
            k: model.t("n-k"),
            product: model.t("n-qk"),
            score: model.t("n-score"),
            softmax: model.t("n-softmax"),
            value: model.t("n-value"),
            query: model.t("n-query"),
            context: model.t("n-context"),
        };
        let layout = draw_neuron_view(
            area,
            &NeuronView {
                title: &title,
                headers,
                query_label: &query_label,
                key_labels: &sentence.tokens,
                query: &qkv.query,
                keys,
                values,
                scores: &qkv.scores,
                probs: &qkv.probs,
                context: &qkv.context,
                masked_from: qkv.masked_from,
                theme: theme(model),
            },
        )?;
        Ok(Hit::Qkv(layout).into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        out.table("neuron-table", qkv_table(model));
    }
}

/// One row per key: the scaled score, the softmax and the plain q·k.
fn qkv_table(model: &PageModel) -> Option<Table> {
    let qkv = model.current_qkv()?;
    let sentence = model.sentence(qkv.sentence)?;
    let d = qkv.head_dim;
    let cols = vec![
        model.t("n-score").to_string(),
        model.t("n-softmax").to_string(),
        "q·k".to_string(),
    ];
    let caption = format!(
        "“{}” · {} {} · {} {}",
        sentence.tokens.get(qkv.token).cloned().unwrap_or_default(),
        model.t("layer"),
        qkv.layer,
        model.t("head"),
        qkv.head
    );
    let table = Table::new(
        "neuron-table",
        caption,
        cols,
        sentence.tokens.clone(),
        |r, c| match c {
            0 => four(qkv.scores[r]),
            1 => four(qkv.probs[r]),
            _ => four((0..d).map(|k| qkv.query[k] * qkv.keys[r * d + k]).sum()),
        },
    );
    Some(table.corner(model.t("key-token")))
}
