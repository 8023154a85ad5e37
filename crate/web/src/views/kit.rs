//! What every view is made of, with no web types: controls that turn a DOM event into a
//! message, the canvases it paints and what a painted canvas remembers for the pointer.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tokenscope_core::anatomy::{Mlp, Norm};
use tokenscope_views::{
    DenseLayout, HeadViewLayout, HeatmapLayout, ModelLayout, NeuronLayout, Theme, ViewError,
};

use super::out::{El, Node, Out};
use crate::named_enum;
use crate::page::{Msg, PageModel, ViewNeeds};

named_enum! {
    /// The DOM events a control listens to; the names are the DOM's.
    pub enum UiEvent {
        Input = "input",
        Change = "change",
        Click = "click",
        DblClick = "dblclick",
        KeyDown = "keydown",
        MouseOver = "mouseover",
        MouseLeave = "mouseleave",
        Submit = "submit",
        /// A `<details>` opened or closed (`UiInput::checked` says which).
        Toggle = "toggle",
        /// A file dropped on the element, read as text (its text is the input's value).
        DropText = "drop",
    }
}

/// Where a control listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The element with this id.
    Id(&'static str),
    /// The whole page (keys, clicks on buttons drawn inside views).
    Document,
}

/// What the shell reads off an event for a control: the target's value and state, never
/// anything else of the page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UiInput {
    /// The id of the element the event happened on (one listener can serve a form).
    pub id: String,
    /// The value of the input, select or textarea (or the dropped file's text).
    pub value: String,
    pub checked: bool,
    pub key: String,
    /// The key was pressed while typing or choosing in a control.
    pub in_control: bool,
    /// Clicks in a row (2 for the second click of a double-click).
    pub detail: i32,
    /// `data-<attribute>` of the closest element that has it (see [`Control::data`]).
    pub data: Option<String>,
    /// The event's payload could not be read (a dropped file that is not text).
    pub failed: bool,
    /// The page is in the lesson (its body has the class `in-lesson`): PageUp / PageDown
    /// are the lesson's, not the browser's scrolling.
    pub in_lesson: bool,
}

impl UiInput {
    /// The value as a number (NaN when it is not one, as an empty number field gives).
    pub fn number(&self) -> f64 {
        self.value.trim().parse().unwrap_or(f64::NAN)
    }

    /// The value as a whole number.
    pub fn whole(&self) -> Option<usize> {
        self.value.trim().parse().ok()
    }

    /// `data` as a whole number.
    pub fn data_index(&self) -> Option<usize> {
        self.data.as_deref()?.parse().ok()
    }
}

/// One DOM event of one element, and the message it means (if any).
#[derive(Clone, Copy)]
pub struct Control {
    pub target: Target,
    pub event: UiEvent,
    /// The attribute, without `data-`, whose value the shell puts in [`UiInput::data`]
    /// from the event target's closest element that has it: one listener serves every chip
    /// or swatch drawn inside the target.
    pub data: Option<&'static str>,
    pub to_msg: fn(&UiInput) -> Option<Msg>,
}

impl Control {
    pub const fn on(id: &'static str, event: UiEvent, to_msg: fn(&UiInput) -> Option<Msg>) -> Self {
        Control {
            target: Target::Id(id),
            event,
            data: None,
            to_msg,
        }
    }

    /// A control whose message depends on `data-<attribute>` of the element clicked
    /// inside it.
    pub const fn within(
        id: &'static str,
        event: UiEvent,
        attribute: &'static str,
        to_msg: fn(&UiInput) -> Option<Msg>,
    ) -> Self {
        Control {
            target: Target::Id(id),
            event,
            data: Some(attribute),
            to_msg,
        }
    }
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Control({:?}, {})", self.target, self.event.name())
    }
}

/// A canvas a view paints now: `canvas-<name>` on the page, `tokenscope-<name>.png` when
/// downloaded, and its height when the view sets one (else the canvas's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanvasPlan {
    pub name: &'static str,
    pub height: Option<u32>,
}

impl CanvasPlan {
    pub const fn fixed(name: &'static str) -> Self {
        CanvasPlan { name, height: None }
    }

    pub const fn tall(name: &'static str, height: u32) -> Self {
        CanvasPlan {
            name,
            height: Some(height),
        }
    }

    /// The canvas element's id.
    pub fn element_id(&self) -> String {
        format!("canvas-{}", self.name)
    }
}

/// What a painted chart remembers, so pointer positions map back to tokens and heads.
#[derive(Debug, Clone)]
pub enum Hit {
    None,
    /// The layout and, for each drawn row and column, its index in the sentence.
    Head(HeadViewLayout, Vec<usize>, Vec<usize>),
    Grid(ModelLayout),
    Heatmap(HeatmapLayout),
    Qkv(NeuronLayout),
    Dense(DenseLayout),
    TokenRows(tokenscope_views::TokenRowsLayout),
}

/// A painted canvas: what the pointer needs, and attributes that say what it shows
/// (tests, and curious users, read which rows, heads and token were drawn).
#[derive(Debug, Clone)]
pub struct Painted {
    pub hit: Hit,
    pub attrs: Vec<(&'static str, String)>,
}

impl From<Hit> for Painted {
    fn from(hit: Hit) -> Self {
        Painted {
            hit,
            attrs: Vec::new(),
        }
    }
}

/// The pointer over a canvas, in the canvas's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pointer {
    Move(i32, i32),
    Leave,
    Click(i32, i32),
}

pub type Area<DB> = DrawingArea<DB, Shift>;
pub type PaintResult = Result<Painted, ViewError>;

/// How the layer and head choice above the views shows with a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerBar {
    /// The view draws the chosen layer and head.
    Used,
    /// Shown but dimmed: the view does not use it.
    Dim,
    /// Hidden: the view has settings of its own (training).
    Hidden,
}

/// One view of the page: what it needs, its controls, its canvases, its texts and tables,
/// and what a pointer on its canvases means. Views never import each other or the shell.
pub trait Panel {
    /// What the view needs beyond the analysis every view gets.
    const NEEDS: ViewNeeds = ViewNeeds::NONE;
    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Dim
    }
    /// Its DOM events and the messages they mean.
    const CONTROLS: &'static [Control] = &[];
    /// The canvases it paints now.
    fn canvases(model: &PageModel) -> Vec<CanvasPlan>;
    /// Paints canvas `name` (one of [`Panel::canvases`]) into `area`.
    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult;
    /// Its words and tables.
    fn render(model: &PageModel, out: &mut Out);
    /// What the pointer on canvas `name` means, given what painting it remembered.
    fn on_pointer(_name: &str, _hit: &Hit, _pointer: Pointer, _model: &PageModel) -> Vec<Msg> {
        Vec::new()
    }
    /// Words after the tab's name (the Train tab shows the step while a run goes on).
    fn badge(_model: &PageModel) -> Option<String> {
        None
    }
}

const FONT: &str = "sans-serif";

pub fn theme(model: &PageModel) -> Theme {
    if model.state.dark {
        Theme::Dark
    } else {
        Theme::Light
    }
}

/// A sentence in place of a chart: what is missing and why.
pub fn message<DB: DrawingBackend>(area: &Area<DB>, model: &PageModel, line: &str) -> PaintResult {
    let theme = theme(model);
    area.fill(&theme.background())?;
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        line.to_string(),
        (w as i32 / 2, h as i32 / 2),
        (FONT, 17.0)
            .into_font()
            .color(&theme.text())
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    area.present()?;
    Ok(Hit::None.into())
}

/// The model's facts once it has run on the sentences (the charts draw from both).
pub fn loaded(model: &PageModel) -> Option<&crate::protocol::ModelFacts> {
    model.analysis.as_ref()?;
    model.facts.as_ref()
}

/// The chip of sentence `key`'s token `index`, if one is shown.
pub fn chip_at(
    model: &PageModel,
    key: crate::protocol::SentenceKey,
    index: usize,
) -> Option<usize> {
    model
        .chips
        .iter()
        .position(|c| c.source == key && c.index == index)
}

/// A value with four decimals, as every table shows numbers.
pub fn four(value: f32) -> String {
    format!("{value:.4}")
}

/// Ranked candidate tokens as a table (token, id, probability), the one that really came
/// next highlighted when it is among them.
pub fn top_tokens_table(
    model: &PageModel,
    test_id: &'static str,
    caption: String,
    top: &[crate::protocol::TokenProb],
    actual: Option<u32>,
) -> super::out::Table {
    let cols = vec![
        model.t("token").to_string(),
        "id".to_string(),
        model.t("probability").to_string(),
    ];
    let ranks = (1..=top.len()).map(|r| r.to_string()).collect();
    super::out::Table::new(test_id, caption, cols, ranks, |r, c| {
        let t = &top[r];
        match c {
            0 => crate::page::readable(&t.token),
            1 => t.id.to_string(),
            _ => four(t.prob),
        }
    })
    .corner(model.t("rank"))
    .highlight(actual.and_then(|id| top.iter().position(|t| t.id == id)))
}

/// A BERT model predicts no next token: why, and a button that opens the embedded GPT.
pub fn bert_says_no(model: &PageModel) -> Vec<Node> {
    vec![
        El::new("p")
            .class("facts")
            .text(model.t("next-bert"))
            .into(),
        El::new("button")
            .class("use-gpt")
            .text(model.t("use-gpt"))
            .attr("type", "button")
            .attr("data-action", "use-gpt")
            .into(),
    ]
}

/// The norm's usual name, the same in both languages.
pub fn norm_name(norm: Norm) -> &'static str {
    match norm {
        Norm::LayerNorm => "LayerNorm",
        Norm::RmsNorm => "RMSNorm",
    }
}

/// The MLP's usual name, the same in both languages.
pub fn mlp_name(mlp: Mlp) -> &'static str {
    match mlp {
        Mlp::Gelu => "GELU",
        Mlp::GeluTanh => "GELU (tanh)",
        Mlp::Relu => "ReLU",
        Mlp::SwiGlu => "SwiGLU",
    }
}
