//! View 11, train: a small GPT trained in the page's worker, with its text, size and
//! settings; Train / Pause / Continue / Reset; the live loss, samples, word-pair cosines
//! and one head's attention; and the run handed to every view or downloaded.

mod charts;
mod text;

use plotters::prelude::DrawingBackend;

use crate::page::{Msg, PageModel, TrainField, TrainMsg, TrainSource};
use crate::protocol::TrainPhase;
use crate::views::kit::{
    Area, CanvasPlan, Control, LayerBar, PaintResult, Panel, UiEvent, UiInput,
};
use crate::views::out::Out;

pub struct Train;

fn train(msg: TrainMsg) -> Option<Msg> {
    Some(Msg::Train(msg))
}

/// Typing in the form: a number field, or the own text.
fn form_input(i: &UiInput) -> Option<Msg> {
    match TrainField::from_name(&i.id) {
        Some(field) => train(TrainMsg::Field(field, i.value.clone())),
        None if i.id == "train-text" => train(TrainMsg::OwnText(i.value.clone())),
        None => None,
    }
}

/// The text source's radio buttons.
fn form_change(i: &UiInput) -> Option<Msg> {
    let source = match i.id.as_str() {
        "train-source-sample" => TrainSource::Sample,
        "train-source-own" => TrainSource::Own,
        _ => return None,
    };
    i.checked.then_some(Msg::Train(TrainMsg::Source(source)))
}

impl Panel for Train {
    // Training has settings of its own: the sentence's layer and head mean nothing here.
    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Hidden
    }
    const CONTROLS: &'static [Control] = &[
        Control::on("train-setup", UiEvent::Input, form_input),
        Control::on("train-setup", UiEvent::Change, form_change),
        Control::on("train-text", UiEvent::DropText, |i| {
            train(if i.failed {
                TrainMsg::DropNotText
            } else {
                TrainMsg::TextDropped(i.value.clone())
            })
        }),
        Control::on("train-prompt", UiEvent::Change, |i| {
            train(TrainMsg::Prompt(i.value.clone()))
        }),
        Control::on("train-pairs", UiEvent::Change, |i| {
            train(TrainMsg::Pairs(i.value.clone()))
        }),
        Control::on("train-probe", UiEvent::Change, |i| {
            train(TrainMsg::Probe(i.value.clone()))
        }),
        Control::on("train-layer", UiEvent::Change, |i| {
            train(TrainMsg::ProbeLayer(i.whole()?))
        }),
        Control::on("train-head", UiEvent::Change, |i| {
            train(TrainMsg::ProbeHead(i.whole()?))
        }),
        Control::on("train-go", UiEvent::Click, |_| train(TrainMsg::Go)),
        Control::on("train-reset", UiEvent::Click, |_| train(TrainMsg::Reset)),
        Control::on("train-use", UiEvent::Click, |_| train(TrainMsg::Use)),
        Control::on("train-download", UiEvent::Click, |_| {
            train(TrainMsg::DownloadZip)
        }),
    ];

    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![
            CanvasPlan::fixed("train-loss"),
            CanvasPlan::fixed("train-pairs"),
            CanvasPlan::fixed("train-attention"),
        ]
    }

    /// The Train view draws its own run, whatever model the other views show.
    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        match name {
            "train-loss" => charts::paint_loss(model, area),
            "train-pairs" => charts::paint_pairs(model, area),
            _ => charts::paint_attention(model, area),
        }
    }

    fn render(model: &PageModel, out: &mut Out) {
        text::form(model, out);
        text::buttons(model, out);
        text::status(model, out);
        text::samples(model, out);
        out.table("train-table", text::snapshot_table(model));
    }

    /// The tab says the run goes on while another view is shown.
    fn badge(model: &PageModel) -> Option<String> {
        (model.train.run.phase == TrainPhase::Running).then(|| model.train.run.step.to_string())
    }
}
