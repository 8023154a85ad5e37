//! View 10, learning: how the loaded model learned, from its `training.json`: the loss on
//! training batches and held-out text step by step, and what each run read.

use plotters::prelude::DrawingBackend;

use super::kit::{message, Area, CanvasPlan, Hit, LayerBar, PaintResult, Panel};
use super::loss::{draw_training_loss, StageCurve};
use super::out::{Out, Table};
use crate::format::grouped;
use crate::page::{PageModel, ViewNeeds};

pub struct Learning;

impl Panel for Learning {
    const NEEDS: ViewNeeds = ViewNeeds {
        training_record: true,
        ..ViewNeeds::NONE
    };
    // Training has settings of its own: the sentence's layer and head mean nothing here.
    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Hidden
    }

    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![CanvasPlan::fixed("loss")]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        let Some(record) = &model.training_record else {
            return message(area, model, model.t("learn-none"));
        };
        let as_points = |points: Vec<(usize, f32)>| -> Vec<(f32, f32)> {
            points.into_iter().map(|(s, l)| (s as f32, l)).collect()
        };
        // A model that went on training from another is drawn as one history: each run
        // after the first begins at a marked step, with its own held-out text.
        let stages: Vec<StageCurve> = record
            .stages()
            .iter()
            .map(|stage| StageCurve {
                train: as_points(stage.train()),
                held: as_points(stage.held_out()),
                first_step: stage.first_step as f32,
            })
            .collect();
        draw_training_loss(area, model, &stages, record.vocab_size, None)?;
        Ok(Hit::None.into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        out.text("learn-facts", facts(model));
        out.hidden("learn-use-gpt", model.training_record.is_some());
        out.table("loss-table", loss_table(model));
    }
}

/// What the model was trained on: one clause per run. A model that went on training from
/// another says what each run read, from which step, and where its held-out loss ended.
fn facts(model: &PageModel) -> String {
    let Some(record) = &model.training_record else {
        return model.t("learn-none").to_string();
    };
    let runs: Vec<String> = record
        .stages()
        .iter()
        .map(|stage| {
            let run = stage.record;
            let lead = if stage.first_step == 0 {
                model.t("learn-corpus").to_string()
            } else {
                format!(
                    "{} {}",
                    model.t("learn-then"),
                    grouped(stage.first_step as u64)
                )
            };
            format!(
                "{lead}: {} · {} {} · {} {} × {} × {} · {} {:.4} ({} {:.1}) · {:.0} s",
                run.corpus,
                grouped(run.training_tokens as u64),
                model.t("learn-tokens"),
                model.t("learn-steps"),
                grouped(run.settings.steps as u64),
                run.settings.batch,
                run.settings.seq,
                model.t("learn-final"),
                run.held_out_loss,
                model.t("learn-perplexity"),
                run.held_out_perplexity,
                run.seconds,
            )
        })
        .collect();
    format!(
        "{} · {} {}",
        runs.join(" — "),
        grouped(record.parameters as u64),
        model.t("learn-parameters")
    )
}

/// Every held-out measurement of the whole history, on its step axis. A later run's first
/// row is the earlier model on that run's new held-out text, so it is named.
fn loss_table(model: &PageModel) -> Option<Table> {
    let record = model.training_record.as_ref()?;
    let mut held: Vec<f32> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for stage in record.stages() {
        let measured_before = stage
            .record
            .init
            .as_ref()
            .is_some_and(|i| i.held_out_loss_before.is_some());
        for (i, (step, loss)) in stage.held_out().into_iter().enumerate() {
            rows.push(if i == 0 && measured_before {
                format!("{step} ({})", model.t("learn-more-text"))
            } else {
                step.to_string()
            });
            held.push(loss);
        }
    }
    let cols = vec![
        model.t("learn-held").to_string(),
        model.t("learn-perplexity").to_string(),
    ];
    let table = Table::new("loss-table", model.t("learn-title"), cols, rows, |r, c| {
        if c == 0 {
            format!("{:.4}", held[r])
        } else {
            format!("{:.1}", held[r].exp())
        }
    });
    Some(table.corner(model.t("learn-step")))
}
