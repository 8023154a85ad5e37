//! View 6, query, key and value: for the selected token, layer and head, its query, every
//! key, q×k, q·k/√d, the softmax, each value vector and their weighted sum.

use ndarray::ArrayView2;
use plotters::prelude::DrawingBackend;
use tokenscope_views::strips::{draw_strips, Strip, Strips};
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
        let mut plans = vec![CanvasPlan::tall("neuron", height)];
        if model.rotary() {
            plans.push(CanvasPlan::fixed("rotation"));
        }
        plans
    }

    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        if name == "rotation" {
            return paint_rotation(model, area);
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
        let mut title = format!(
            "“{query_label}” · {} {} · {} {} · d = {d}",
            model.t("layer"),
            qkv.layer,
            model.t("head"),
            qkv.head
        );
        // Grouped queries: say which shared key/value head the keys and values are.
        if model
            .facts
            .as_ref()
            .is_some_and(|f| f.num_kv_heads != f.num_heads)
        {
            title.push_str(&format!(" · {} {}", model.t("kv-group"), qkv.kv_head));
        }
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
        let rotary = model.rotary();
        out.hidden("rotation-block", !rotary);
        if rotary {
            out.text("rotation-text", rotation_text(model).unwrap_or_default());
            out.table("rotation-table", rotation_table(model));
        }
    }
}

/// The selected token's query and its own key, before and after the turn. (4 × d)
fn rotation_rows(model: &PageModel) -> Option<[(String, Vec<f32>); 4]> {
    let qkv = model.current_qkv()?;
    let rotary = qkv.rotary.as_ref()?;
    let d = qkv.head_dim;
    let own = |keys: &[f32]| {
        keys.get(qkv.token * d..(qkv.token + 1) * d)
            .map(<[f32]>::to_vec)
    };
    Some([
        (model.t("q-before").to_string(), rotary.query.clone()),
        (model.t("q-after").to_string(), qkv.query.clone()),
        (model.t("k-before").to_string(), own(&rotary.keys)?),
        (model.t("k-after").to_string(), own(&qkv.keys)?),
    ])
}

fn paint_rotation<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let (Some(rows), Some(qkv)) = (rotation_rows(model), model.current_qkv()) else {
        return message(area, model, model.t("running"));
    };
    let strips: Vec<Strip> = rows
        .iter()
        .map(|(label, values)| Strip { label, values })
        .collect();
    let token = model
        .sentence(qkv.sentence)
        .and_then(|s| s.tokens.get(qkv.token).cloned())
        .unwrap_or_default();
    let title = format!(
        "“{token}” · {} {} · {}",
        model.t("position-axis"),
        qkv.token,
        model
            .t("rotation-title")
            .replace("{p}", &qkv.token.to_string())
    );
    draw_strips(
        area,
        &Strips {
            title: &title,
            strips: &strips,
            theme: theme(model),
        },
    )?;
    Ok(Hit::None.into())
}

/// "Each pair turns by position × θᵢ; lengths do not change: |q| 3.1416 → 3.1416, |k| …".
fn rotation_text(model: &PageModel) -> Option<String> {
    let rows = rotation_rows(model)?;
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    Some(format!(
        "{}: |q| {} → {}, |k| {} → {}.",
        model.t("rotation-lengths"),
        four(norm(&rows[0].1)),
        four(norm(&rows[1].1)),
        four(norm(&rows[2].1)),
        four(norm(&rows[3].1)),
    ))
}

fn rotation_table(model: &PageModel) -> Option<Table> {
    let rows = rotation_rows(model)?;
    let d = rows[0].1.len();
    let table = Table::new(
        "rotation-table",
        model.t("h-rotation"),
        (0..d).map(|i| i.to_string()).collect(),
        rows.iter().map(|(label, _)| label.clone()).collect(),
        |r, c| four(rows[r].1[c]),
    );
    Some(table.corner(model.t("dimension-axis")))
}

/// One row per key: the scaled score, the softmax and the plain q·k.
fn qkv_table(model: &PageModel) -> Option<Table> {
    let qkv = model.current_qkv()?;
    let sentence = model.sentence(qkv.sentence)?;
    let d = qkv.head_dim;
    let rotary = qkv.rotary.as_ref();
    let mut cols = vec![
        model.t("n-score").to_string(),
        model.t("n-softmax").to_string(),
        "q·k".to_string(),
    ];
    if rotary.is_some() {
        cols.push(model.t("qk-before").to_string());
    }
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
            2 => four((0..d).map(|k| qkv.query[k] * qkv.keys[r * d + k]).sum()),
            _ => rotary
                .map(|rot| four((0..d).map(|k| rot.query[k] * rot.keys[r * d + k]).sum()))
                .unwrap_or_default(),
        },
    );
    Some(table.corner(model.t("key-token")))
}
