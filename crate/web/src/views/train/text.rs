//! The Train view's words, form and tables: the settings as typed (locked while a run
//! exists), the buttons by the run's phase, its status line, samples and snapshot table.

use crate::format::grouped;
use crate::page::{overfitting, PageModel, TrainField, TrainSource};
use crate::protocol::{LossPoint, TrainPhase};
use crate::views::kit::four;
use crate::views::out::{El, Node, Out, Table};

/// Samples kept on screen (the newest first).
const SAMPLES_SHOWN: usize = 60;

/// The form's values and whether they can change: settings belong to a run, so changing
/// them means a new run.
pub fn form(model: &PageModel, out: &mut Out) {
    let panel = &model.train;
    let locked = panel.has_run() || panel.preparing;
    for field in TrainField::ALL {
        out.value(field.name(), panel.field(*field));
        out.disabled(field.name(), locked);
    }
    let sample = panel.source == TrainSource::Sample;
    out.checked("train-source-sample", sample);
    out.checked("train-source-own", !sample);
    out.value("train-text", panel.own_text.clone());
    for id in ["train-source-sample", "train-source-own", "train-text"] {
        out.disabled(id, locked);
    }
    let facts = if panel.has_run() {
        model.t("train-locked").to_string()
    } else if sample {
        String::new()
    } else {
        format!(
            "{} {} {}",
            grouped(panel.own_text.chars().count() as u64),
            model.t("train-own-facts"),
            panel
                .own_text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count()
        )
    };
    out.text("train-text-facts", facts);
    out.value("train-prompt", panel.watch.prompt.clone());
    out.value("train-pairs", panel.pairs_text.clone());
    out.value("train-probe", panel.watch.probe.clone());
    let (layers, heads) = panel.probe_sizes();
    let numbers = |count: usize| (0..count).map(|i| (i.to_string(), i.to_string())).collect();
    out.options(
        "train-layer",
        numbers(layers),
        panel.watch.layer.min(layers - 1).to_string(),
    );
    out.options(
        "train-head",
        numbers(heads),
        panel.watch.head.min(heads - 1).to_string(),
    );
}

/// Train / Pause / Continue by the phase; Use and Download once the run has stopped.
pub fn buttons(model: &PageModel, out: &mut Out) {
    let panel = &model.train;
    let go = match panel.run.phase {
        TrainPhase::Running => model.t("train-pause"),
        TrainPhase::Paused => model.t("train-continue"),
        TrainPhase::Idle | TrainPhase::Finished => model.t("train-go"),
    };
    out.text("train-go", go);
    out.attr("train-go", "data-phase", panel.run.phase.name());
    out.disabled("train-go", panel.preparing);
    out.disabled("train-reset", !panel.has_run() || panel.preparing);
    let stopped = matches!(panel.run.phase, TrainPhase::Paused | TrainPhase::Finished);
    out.disabled("train-use", !stopped);
    out.disabled("train-download", !stopped);
}

/// The mean training loss of ten points: one batch's loss jumps too much to read.
fn mean_of_ten<'a>(points: impl Iterator<Item = &'a LossPoint>) -> Option<f32> {
    let losses: Vec<f32> = points.take(10).map(|p| p.train_loss).collect();
    (!losses.is_empty()).then(|| losses.iter().sum::<f32>() / losses.len() as f32)
}

/// Where the run is, in one line, and the advice when it memorises.
pub fn status(model: &PageModel, out: &mut Out) {
    let panel = &model.train;
    out.text("train-status", status_line(model));
    out.class("train-status", "error", panel.run.error.is_some());
    out.attr("train-status", "data-step", panel.run.step.to_string());
    // The mean training loss of the first and the latest ten steps, for tests and for
    // anyone reading the page's source.
    for (name, value) in [
        ("data-first-loss", mean_of_ten(panel.run.points.iter())),
        ("data-loss", mean_of_ten(panel.run.points.iter().rev())),
    ] {
        out.attr(
            "train-status",
            name,
            value.map_or(String::new(), |v| format!("{v:.4}")),
        );
    }
    let advice = if overfitting(&panel.run.points) {
        model.t("train-overfit")
    } else {
        ""
    };
    out.text("train-advice", advice);
}

fn status_line(model: &PageModel) -> String {
    let panel = &model.train;
    if let Some(error) = &panel.run.error {
        return error.clone();
    }
    if panel.preparing {
        let loading = panel.source == TrainSource::Sample && panel.sample_text.is_none();
        let text = if loading {
            model.t("train-loading-sample")
        } else {
            model.t("train-preparing")
        };
        return text.to_string();
    }
    let Some(facts) = &panel.run.facts else {
        return model.t("train-idle").to_string();
    };
    let phase = match panel.run.phase {
        TrainPhase::Running => model.t("train-running"),
        TrainPhase::Paused => model.t("train-paused"),
        TrainPhase::Finished => model.t("train-finished"),
        TrainPhase::Idle => "",
    };
    let mut line = format!(
        "{phase} · {} {} / {} · {} {}",
        model.t("train-step"),
        grouped(panel.run.step as u64),
        grouped(facts.steps as u64),
        grouped(panel.run.tokens_per_second.round() as u64),
        model.t("train-tokens-per-s"),
    );
    if let Some(mean) = mean_of_ten(panel.run.points.iter().rev()) {
        line.push_str(&format!(" · {} {mean:.3}", model.t("train-last-loss")));
    }
    if let Some(held) = panel.run.points.iter().rev().find_map(|p| p.held_out_loss) {
        line.push_str(&format!(" · {} {held:.3}", model.t("learn-final")));
    }
    line.push_str(&format!(
        " — {} {} · {} {} · {} {} {} {}",
        grouped(facts.parameters as u64),
        model.t("learn-parameters"),
        grouped(facts.vocab_size as u64),
        model.t("train-tokens-of"),
        grouped(facts.training_tokens as u64),
        model.t("train-facts"),
        grouped(facts.held_out_tokens as u64),
        model.t("train-tokens-of"),
    ));
    if let Some(step) = panel.used_at {
        line.push_str(&format!(
            " · {} {} {step}",
            model.t("train-in-use"),
            model.t("train-step")
        ));
    }
    line
}

/// What the model wrote after the prompt, newest first.
pub fn samples(model: &PageModel, out: &mut Out) {
    let panel = &model.train;
    let mut items: Vec<Node> = Vec::new();
    if panel.samples.is_empty() {
        items.push(
            El::new("li")
                .class("hint")
                .text(model.t("train-no-sample"))
                .into(),
        );
    }
    for (step, prompt, sample) in panel.samples.iter().rev().take(SAMPLES_SHOWN) {
        items.push(
            El::new("li")
                .attr("data-step", step.to_string())
                .child(
                    El::new("span")
                        .class("step")
                        .text(format!("{} {step}", model.t("train-step"))),
                )
                .child(El::new("span").class("prompt").text(prompt.clone()))
                .child(El::new("span").class("sample").text(sample.clone()))
                .into(),
        );
    }
    out.children("train-samples", items);
}

/// Every snapshot step: the held-out loss measured there and each pair's cosine.
pub fn snapshot_table(model: &PageModel) -> Option<Table> {
    let panel = &model.train;
    if panel.cosines.is_empty() {
        return None;
    }
    let held = |step: usize| {
        panel
            .run
            .points
            .iter()
            .find(|p| p.step == step)
            .and_then(|p| p.held_out_loss)
    };
    let rows = panel.cosines.iter().map(|(s, _)| s.to_string()).collect();
    let mut cols = vec![model.t("learn-held").to_string()];
    cols.extend(
        panel
            .pair_names
            .iter()
            .map(|n| format!("{} {n}", model.t("train-cosine"))),
    );
    let table = Table::new(
        "train-table",
        model.t("h-train-pairs"),
        cols,
        rows,
        |r, c| {
            let (step, values) = &panel.cosines[r];
            let value = if c == 0 {
                held(*step)
            } else {
                values.get(c - 1).copied().flatten()
            };
            value.map_or("—".into(), four)
        },
    );
    Some(table.corner(model.t("learn-step")))
}
