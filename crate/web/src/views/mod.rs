//! The registry of the page's views: the one list of views, and the one `match` over them.
//! Each view lives in its own file behind the [`Panel`] trait; to add one, see
//! ARCHITECTURE.md ("How to add a view").

mod ablate;
mod all_heads;
mod architecture;
mod frame;
mod generate;
mod heads;
pub mod kit;
mod learning;
mod lens;
pub mod lesson;
mod lesson_claims;
mod loss;
mod neighbours;
mod next;
mod one_hot;
pub mod out;
mod position;
mod qk_map;
mod qkv;
mod scan;
mod similarity;
mod summary;
mod tokenizers;
mod tokens;
mod train;

use plotters::prelude::DrawingBackend;

use crate::named_enum;
use crate::page::{Msg, PageModel, ViewSpec};
use kit::{Area, CanvasPlan, Control, Hit, PaintResult, Pointer};
pub use kit::{LayerBar, Panel};
use out::Out;

named_enum! {
    /// The page's views, in the order of the article the project started from. The names
    /// are the link's `view=` and `data-view` in index.html; they stay as first published
    /// (`neuron`, `model`) so old links still open.
    pub enum View {
        Tokens = "tokens",
        Tokenizers = "tokenizers",
        OneHot = "onehot",
        Similarity = "similarity",
        Heads = "head",
        AllHeads = "model",
        Summary = "summary",
        Ablate = "ablate",
        Qkv = "neuron",
        QkMap = "qkmap",
        Position = "position",
        Next = "next",
        Lens = "lens",
        Neighbours = "neighbours",
        Generate = "generate",
        Learning = "learn",
        Architecture = "architecture",
        Train = "train",
    }
}

/// Runs `$body` with `$panel` standing for the view's [`Panel`] type: the one match over
/// views, so a new view is one line here and the compiler lists what its file must have.
macro_rules! with_panel {
    ($view:expr, $panel:ident => $body:expr) => {
        match $view {
            View::Tokens => {
                type $panel = tokens::Tokens;
                $body
            }
            View::Tokenizers => {
                type $panel = tokenizers::Tokenizers;
                $body
            }
            View::OneHot => {
                type $panel = one_hot::OneHot;
                $body
            }
            View::Similarity => {
                type $panel = similarity::Similarity;
                $body
            }
            View::Heads => {
                type $panel = heads::Heads;
                $body
            }
            View::AllHeads => {
                type $panel = all_heads::AllHeads;
                $body
            }
            View::Summary => {
                type $panel = summary::Summary;
                $body
            }
            View::Ablate => {
                type $panel = ablate::Ablate;
                $body
            }
            View::Qkv => {
                type $panel = qkv::Qkv;
                $body
            }
            View::QkMap => {
                type $panel = qk_map::QkMap;
                $body
            }
            View::Position => {
                type $panel = position::Position;
                $body
            }
            View::Next => {
                type $panel = next::Next;
                $body
            }
            View::Lens => {
                type $panel = lens::Lens;
                $body
            }
            View::Neighbours => {
                type $panel = neighbours::Neighbours;
                $body
            }
            View::Generate => {
                type $panel = generate::Generate;
                $body
            }
            View::Learning => {
                type $panel = learning::Learning;
                $body
            }
            View::Architecture => {
                type $panel = architecture::Architecture;
                $body
            }
            View::Train => {
                type $panel = train::Train;
                $body
            }
        }
    };
}

impl View {
    /// The view a page model shows (the first one for a name the registry lacks).
    pub fn shown(model: &PageModel) -> View {
        View::from_name(&model.state.view).unwrap_or(View::Tokens)
    }

    /// Every view as the page model knows them: name and needs.
    pub fn specs() -> Vec<ViewSpec> {
        View::ALL
            .iter()
            .map(|v| ViewSpec {
                name: v.name(),
                needs: with_panel!(*v, P => P::NEEDS),
            })
            .collect()
    }

    pub fn layer_bar(self, model: &PageModel) -> LayerBar {
        with_panel!(self, P => P::layer_bar(model))
    }

    pub fn canvases(self, model: &PageModel) -> Vec<CanvasPlan> {
        with_panel!(self, P => P::canvases(model))
    }

    pub fn paint<DB: DrawingBackend>(
        self,
        name: &str,
        model: &PageModel,
        area: &Area<DB>,
    ) -> PaintResult {
        with_panel!(self, P => P::paint(name, model, area))
    }

    pub fn on_pointer(
        self,
        name: &str,
        hit: &Hit,
        pointer: Pointer,
        model: &PageModel,
    ) -> Vec<Msg> {
        with_panel!(self, P => P::on_pointer(name, hit, pointer, model))
    }

    fn render(self, model: &PageModel, out: &mut Out) {
        with_panel!(self, P => P::render(model, out))
    }

    fn controls(self) -> &'static [Control] {
        with_panel!(self, P => P::CONTROLS)
    }

    fn badge(self, model: &PageModel) -> Option<String> {
        with_panel!(self, P => P::badge(model))
    }
}

/// Every control of the page: the frame's (sentences, model, tabs …) and each view's.
pub fn controls() -> Vec<Control> {
    let mut all = frame::CONTROLS.to_vec();
    all.extend_from_slice(lesson::CONTROLS);
    for view in View::ALL {
        all.extend_from_slice(view.controls());
    }
    all
}

/// What the page shows now, as patches: the frame around the views, then the shown view
/// (only the shown view is rebuilt; switching views renders the new one).
pub fn render(model: &PageModel) -> Out {
    let mut out = Out::default();
    let shown = View::shown(model);
    let tabs: Vec<frame::Tab> = View::ALL
        .iter()
        .map(|v| frame::Tab {
            name: v.name(),
            badge: v.badge(model),
            shown: *v == shown,
        })
        .collect();
    frame::render(model, &tabs, shown.layer_bar(model), &mut out);
    lesson::render(model, &mut out);
    shown.render(model, &mut out);
    out
}

/// Only what the pointer's preview changes: the chips' states.
pub fn render_pointer(model: &PageModel) -> Out {
    let mut out = Out::default();
    frame::chip_states(model, &mut out);
    out
}

#[cfg(test)]
mod tests;
