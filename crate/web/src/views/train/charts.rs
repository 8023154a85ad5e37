//! The Train view's charts, from the run the worker reports: the live loss, the word
//! pairs' cosines and one head's attention on the probe sentence.

use plotters::prelude::DrawingBackend;
use tokenscope_views::{
    draw_heatmap, draw_loss_curve, head_color, Heatmap, LossCurve, LossSeries, Palette,
};

use crate::page::{readable, PageModel};
use crate::views::kit::{message, theme, Area, Hit, PaintResult};
use crate::views::loss::{draw_training_loss, StageCurve};

/// Long runs are drawn as means of consecutive steps: a path of 100,000 points redrawn ten
/// times a second would stall the page.
const MAX_CURVE_POINTS: usize = 1500;

pub fn paint_loss<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let panel = &model.train;
    let Some(facts) = &panel.run.facts else {
        return message(area, model, model.t("train-idle"));
    };
    let window = panel.run.points.len().div_ceil(MAX_CURVE_POINTS).max(1);
    let train: Vec<(f32, f32)> = panel
        .run
        .points
        .chunks(window)
        .filter_map(|chunk| {
            let last = chunk.last()?;
            let mean = chunk.iter().map(|p| p.train_loss).sum::<f32>() / chunk.len() as f32;
            Some((last.step as f32, mean))
        })
        .collect();
    let held: Vec<(f32, f32)> = panel
        .run
        .points
        .iter()
        .filter_map(|p| p.held_out_loss.map(|l| (p.step as f32, l)))
        .collect();
    if train.is_empty() {
        return message(area, model, model.t("train-preparing"));
    }
    let run = [StageCurve {
        train,
        held,
        first_step: 0.0,
    }];
    draw_training_loss(
        area,
        model,
        &run,
        facts.vocab_size,
        Some(facts.steps as f32),
    )?;
    Ok(Hit::None.into())
}

pub fn paint_pairs<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let panel = &model.train;
    if panel.cosines.is_empty() || panel.pair_names.is_empty() {
        return message(area, model, model.t("train-idle"));
    }
    let lines: Vec<Vec<(f32, f32)>> = (0..panel.pair_names.len())
        .map(|pair| {
            panel
                .cosines
                .iter()
                .filter_map(|(step, values)| {
                    values
                        .get(pair)
                        .copied()
                        .flatten()
                        .map(|c| (*step as f32, c))
                })
                .collect()
        })
        .collect();
    if lines.iter().all(Vec::is_empty) {
        return message(area, model, "—");
    }
    let series: Vec<LossSeries> = panel
        .pair_names
        .iter()
        .zip(&lines)
        .enumerate()
        .map(|(i, (name, points))| LossSeries {
            label: name,
            points,
            color: head_color(i),
            markers: true,
        })
        .collect();
    draw_loss_curve(
        area,
        &LossCurve {
            title: model.t("train-cosine-title"),
            x_label: model.t("learn-step"),
            y_label: model.t("train-cosine"),
            series: &series,
            reference: Some((0.0, "")),
            y_floor: None,
            x_max: panel.run.facts.as_ref().map(|f| f.steps as f32),
            marks: &[],
            theme: theme(model),
        },
    )?;
    Ok(Hit::None.into())
}

pub fn paint_attention<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let Some(snapshot) = model
        .train
        .run
        .snapshot
        .as_ref()
        .filter(|s| !s.probe_tokens.is_empty())
    else {
        return message(area, model, model.t("train-idle"));
    };
    let size = snapshot.probe_tokens.len();
    let Ok(values) = ndarray::Array2::from_shape_vec((size, size), snapshot.attention.clone())
    else {
        return message(area, model, "—");
    };
    let labels: Vec<String> = snapshot.probe_tokens.iter().map(|t| readable(t)).collect();
    let title = format!(
        "{} · {} {} · {} {} · {} {}",
        model.t("train-attention-title"),
        model.t("train-step"),
        snapshot.step,
        model.t("layer"),
        snapshot.layer,
        model.t("head"),
        snapshot.head,
    );
    draw_heatmap(
        area,
        &Heatmap {
            title: &title,
            row_labels: &labels,
            col_labels: &labels,
            values: &values,
            palette: Palette::Sequential { max: 1.0 },
            mask_upper: true,
            highlight_row: None,
            theme: theme(model),
        },
    )?;
    Ok(Hit::None.into())
}
