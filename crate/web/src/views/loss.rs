//! The loss chart the Learning and Train views share: training batches and held-out text
//! against the loss of guessing, one curve per training run on the model's step axis.

use plotters::prelude::*;
use tokenscope_views::{draw_loss_curve, LossCurve, LossSeries, ViewError};

use super::kit::{theme, Area};
use crate::page::PageModel;

/// One training run's curves, on the step axis of the model's whole history.
pub struct StageCurve {
    pub train: Vec<(f32, f32)>,
    pub held: Vec<(f32, f32)>,
    /// Where the run began (0 for a model trained from scratch).
    pub first_step: f32,
}

/// Draws `stages` against the guessing level of a `vocab_size` vocabulary, the step axis
/// up to `x_max` when given.
pub fn draw_training_loss<DB: DrawingBackend>(
    area: &Area<DB>,
    model: &PageModel,
    stages: &[StageCurve],
    vocab_size: usize,
    x_max: Option<f32>,
) -> Result<(), ViewError> {
    let (train_label, held_label) = (model.t("learn-train"), model.t("learn-held"));
    let series: Vec<LossSeries> = stages
        .iter()
        .enumerate()
        .flat_map(|(i, stage)| {
            // Only the first stage names its curves: the later ones continue them.
            let named = |label| if i == 0 { label } else { "" };
            [
                LossSeries {
                    label: named(train_label),
                    points: &stage.train,
                    color: RGBColor(110, 140, 210),
                    markers: false,
                },
                LossSeries {
                    label: named(held_label),
                    points: &stage.held,
                    color: RGBColor(220, 90, 30),
                    markers: true,
                },
            ]
        })
        .collect();
    let marks: Vec<(f32, &str)> = stages
        .iter()
        .skip(1)
        .map(|stage| (stage.first_step, model.t("learn-more-text")))
        .collect();
    draw_loss_curve(
        area,
        &LossCurve {
            title: model.t("learn-title"),
            x_label: model.t("learn-step"),
            y_label: model.t("learn-loss"),
            series: &series,
            reference: Some(((vocab_size as f32).ln(), model.t("learn-guess"))),
            y_floor: Some(0.0),
            x_max,
            marks: &marks,
            theme: theme(model),
        },
    )
}
