//! The page model: everything the page knows (`PageModel`), everything that can happen to it
//! (`Msg`), and `update`, which changes the model and says what the shell must do
//! (`Effect`). No web types, so every rule of the page is tested natively.

mod data;
mod generate;
mod lesson;
mod models;
mod query;
mod replies;
mod scan;
mod selection;
mod tokens;
pub mod train;
mod url;
mod why;

pub use data::*;
pub use generate::{DecodingField, MAX_GENERATED};
pub use lesson::{plain, Handout, HandoutPage, Setup, Step, ANIMALS_A, PROMPT, TIM_A, TIM_B};
pub use models::{
    choose_model_files, ChosenFiles, Loading, ModelFiles, EMBEDDED_MODELS, GPT_FOLDER, MODEL_NAME,
};
pub use replies::QkvAsked;
pub use train::{overfitting, parse_pairs, TrainField, TrainMsg, TrainPanel, TrainSource};
pub use url::{
    folder_name, hosted_folder, FolderError, Lang, PageState, PairFilter, SEED_A, SEED_B,
};

use crate::i18n;
use crate::named_enum;
use crate::protocol::{Analysis, Generation, ModelFacts, PositionTable, QkvDetail, Reply, Request};
use tokenscope_core::train::record::TrainingRecord;

/// What the view on screen needs beyond the analysis every view gets; each view declares it
/// in the registry, so the page model asks for the right data without knowing the views.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewNeeds {
    /// One head's q/k/v detail for the selected token (the worker computes it on request).
    pub qkv: bool,
    /// The same detail, only when the model has rotary positions (its rotation and the
    /// scores by distance are in it).
    pub rotary_qkv: bool,
    /// The loaded model's `training.json`, fetched from its folder.
    pub training_record: bool,
    /// The link carries the decoding settings (temperature, top-k, top-p, seed).
    pub decoding: bool,
    /// The logit lens of the shown sentence (GPT models).
    pub lens: bool,
    /// Vocabulary neighbours and the word map.
    pub neighbours: bool,
    /// The shown head's query/key map.
    pub qk_map: bool,
    /// The ablation scan of the selected token.
    pub scan: bool,
    /// Sentence A cut by every tokenizer.
    pub tokenizers: bool,
}

impl ViewNeeds {
    /// Nothing beyond the analysis.
    pub const NONE: ViewNeeds = ViewNeeds {
        qkv: false,
        rotary_qkv: false,
        training_record: false,
        decoding: false,
        lens: false,
        neighbours: false,
        qk_map: false,
        scan: false,
        tokenizers: false,
    };
}

/// A view as the page model knows it: its name (in links) and its needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewSpec {
    pub name: &'static str,
    pub needs: ViewNeeds,
}

named_enum! {
    /// The example sentences offered above the views; the names are the picker's values.
    pub enum Example {
        Party = "party",
        Order = "order",
        Animals = "animals",
        Chinese = "chinese",
    }
}

impl Example {
    /// Sentences A and B.
    pub fn sentences(self) -> (&'static str, &'static str) {
        match self {
            Example::Party => (SEED_A, SEED_B),
            Example::Order => (
                "Tim chased clouds all his life",
                "clouds chased Tim all his life",
            ),
            Example::Animals => ("cat dog car banana", ""),
            // The seed sentence and the same in Chinese: what each costs in tokens.
            Example::Chinese => (SEED_A, "学生们用一场盛大的派对庆祝毕业"),
        }
    }
}

named_enum! {
    /// The formats a canvas downloads as.
    pub enum ImageFormat {
        Png = "png",
        Svg = "svg",
    }
}

/// The status line under the model's name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// Everything that can happen to the page: a person's input, a worker's answer, a fetch
/// that finished.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    SentenceA(String),
    SentenceB(String),
    Pair(bool),
    Example(Example),
    /// A token chip, by its index among all chips (A's, then B's).
    SelectToken(usize),
    /// ← / →: the previous or next chip.
    MoveSelection(isize),
    /// ← / → pressed outside the controls: the previous or next lesson step in the lesson,
    /// else the previous or next chip.
    Arrow(isize),
    Lesson(LessonMsg),
    /// A step's page of the handout, taken once its numbers were on screen.
    HandoutPage(Box<HandoutPage>),
    /// A token of the Tokenizers chart: show how it was built.
    PickPiece {
        row: usize,
        token: usize,
    },
    /// The chip under the pointer, in the chips or a chart; None when it left.
    Hover(Option<usize>),
    ShowView(String),
    Layer(usize),
    Head(usize),
    Depth(usize),
    /// A row of the logit lens (a layer, or the output).
    LensRow(usize),
    /// Switch one head off, or back on.
    ToggleAblate {
        layer: usize,
        head: usize,
    },
    /// Switch the layer bar's head off, or back on.
    ToggleShownHead,
    /// Switch every head back on.
    ClearAblation,
    /// The word typed in the neighbours view.
    NeighbourWord(String),
    /// The neighbours view's word list.
    MapWords(String),
    /// The query/key map adds the example sentences, or not.
    QkExamples(bool),
    Filter(PairFilter),
    /// Open one head of one layer in the head view (a click in the model view).
    OpenHead {
        layer: usize,
        head: usize,
    },
    ToggleHead(usize),
    SoloHead(usize),
    ShowAllHeads,
    AllLines(bool),
    /// The head view's "Numbers" opened (true) or closed.
    AttentionNumbers(bool),
    /// An edit of the article's toy vectors.
    Toy {
        row: usize,
        col: usize,
        value: f32,
    },
    Lang(Lang),
    ToggleTheme,
    CopyLink,
    /// Whether the link reached the clipboard.
    LinkCopied(bool),
    Download {
        canvas: String,
        format: ImageFormat,
    },
    /// The model picker's value: an embedded model's folder, "" for the default.
    PickModel(String),
    UseGpt,
    FolderTyped(String),
    LoadTypedFolder,
    OpenFilePicker,
    OpenFiles(ChosenFiles),
    FilesMissing(Vec<&'static str>),
    FilesUnreadable,
    Reply(Reply),
    /// The worker died (an uncaught error or a trap), at this time (ms since the epoch).
    WorkerFailed {
        reason: String,
        now_ms: f64,
    },
    /// The browser could not start a worker at all.
    NoWorker,
    /// A message from the worker could not be read.
    Garbled(String),
    TrainingRecord {
        folder: String,
        result: Result<TrainingRecord, String>,
    },
    Decoding(DecodingField, f64),
    GenMax(f64),
    GenStep,
    GenRun,
    GenReset,
    Train(TrainMsg),
}

/// The lesson's buttons and keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonMsg {
    /// Open the lesson at its first step.
    Start,
    /// Open step n (counted from 1).
    Go(usize),
    /// The next (1) or previous (−1) step: buttons, PageDown / PageUp.
    Move(isize),
    /// Set the step up again (the step's own sentences back).
    Restart,
    Exit,
    TogglePresent,
    Fullscreen,
    /// Gather every step's page and print the handout.
    Handout,
}

/// What the shell does for the model: talk to the worker, the address bar, the browser.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(Request),
    /// Redraw what shows the model: the frame and the shown view.
    Render,
    /// Only the pointer's preview changed: redraw the charts and the chips' states.
    RenderPointer,
    /// Text was edited and its analysis is on the way: redraw the frame and the shown
    /// view's controls, but not its charts, which would draw the old answer again while the
    /// worker needs the CPU for the new one (the answer redraws everything).
    RenderControls,
    /// The address bar's query (without `?`), so a copied link opens this view.
    SyncUrl(Vec<(&'static str, String)>),
    CopyLink,
    FocusChip(usize),
    OpenFilePicker,
    RevokeUrls(Vec<String>),
    RestartWorker,
    FetchTrainingRecord(String),
    FetchTrainSample,
    DownloadCanvas {
        canvas: String,
        format: ImageFormat,
    },
    DownloadUrl {
        url: String,
        file_name: String,
    },
    /// The page full screen (a projector), or back.
    ToggleFullscreen,
    /// The browser's print dialog (the handout is on the page, for print only).
    Print,
}

/// The numbers of requests in flight: answers to text since replaced are dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requests {
    /// The latest analysis asked for.
    pub seq: u64,
    pub analysis_in_flight: bool,
    /// The text changed while an analysis was in flight: ask again when it is answered.
    pub analysis_dirty: bool,
    pub generating: bool,
    /// The last q/k/v detail asked for.
    pub qkv_asked: Option<QkvAsked>,
    /// The last logit lens asked for: analysis number and sentence.
    pub lens_asked: Option<(u64, crate::protocol::SentenceKey)>,
    /// The last neighbours request.
    pub neighbours_asked: Option<crate::protocol::NeighboursAsk>,
    /// The last query/key map request.
    pub qk_asked: Option<crate::protocol::QkMapAsk>,
    /// The last ablation scan asked for.
    pub scan_asked: Option<crate::protocol::ScanAsk>,
    /// The last texts the Tokenizers view asked to cut.
    pub tokenizers_asked: Option<crate::protocol::TokenizersAsk>,
}

/// Everything the page knows.
#[derive(Debug, Clone)]
pub struct PageModel {
    /// What a link carries.
    pub state: PageState,
    /// The views, from the registry: which names a link may carry and what each needs.
    pub views: Vec<ViewSpec>,
    /// The page's own origin (`https://class.example`): model folders must be on it.
    pub origin: String,
    pub facts: Option<ModelFacts>,
    pub analysis: Option<Analysis>,
    pub chips: Vec<Chip>,
    pub qkv: Option<QkvDetail>,
    pub lens: Option<crate::protocol::LensData>,
    /// The lens row clicked (None: the model's own output).
    pub lens_row: Option<usize>,
    pub neighbours: Option<crate::protocol::NeighboursData>,
    /// The word typed in the neighbours view ("" looks up the selected token).
    pub neighbour_word: String,
    /// The neighbours view's word map, as typed (words separated by spaces or commas).
    pub map_words: String,
    pub qk_map: Option<crate::protocol::QkMapData>,
    /// The query/key map adds the example sentences' tokens.
    pub qk_examples: bool,
    /// The printed handout, while it is gathered and once it is ready.
    pub handout: Option<Handout>,
    /// The token a lesson step selects once its analysis arrives.
    pub lesson_focus: Option<(Side, &'static str)>,
    /// Sentence A cut by every tokenizer (the Tokenizers view).
    pub tokenizers: Option<crate::protocol::TokenizersData>,
    /// The ablation scan of the selected token, as far as the worker has got.
    pub scan: Option<crate::protocol::ScanData>,
    pub positions: Option<PositionTable>,
    pub generation: Option<Generation>,
    /// How many tokens the generate view has asked for (Step adds one, Run asks for all).
    pub gen_steps: usize,
    /// What Run asks for.
    pub gen_max: usize,
    pub visible_heads: Vec<bool>,
    /// The chip under the pointer: it previews a selection.
    pub hover: Option<usize>,
    /// Show every token's lines in the head view instead of the selected token's.
    pub all_lines: bool,
    /// Whether the head view's "Numbers" is open: a large attention table is built only then.
    pub attention_numbers: bool,
    pub toy: Vec<(String, [f32; 4])>,
    pub status: Status,
    pub load: Loading,
    /// The loaded model's `training.json`, when its folder has one (the learning view).
    pub training_record: Option<TrainingRecord>,
    /// The folder whose record was asked for, so it is fetched once.
    training_for: Option<String>,
    /// The address typed in "Model folder on this site".
    pub folder_text: String,
    pub train: TrainPanel,
    pub requests: Requests,
    /// The worker's wasm memory after the last analysis.
    pub worker_memory: u64,
}

impl PageModel {
    /// The page before the worker has said anything: `state` from the link, `views` from
    /// the registry.
    pub fn new(state: PageState, views: Vec<ViewSpec>, origin: &str) -> Self {
        let toy = tokenscope_core::analysis::TOY_VECTORS
            .iter()
            .map(|(name, v)| (name.to_string(), *v))
            .collect();
        let status = Status {
            text: i18n::text(state.lang, "loading").to_string(),
            error: false,
        };
        PageModel {
            folder_text: state.model.clone().unwrap_or_default(),
            state,
            views,
            origin: origin.to_string(),
            facts: None,
            analysis: None,
            chips: Vec::new(),
            qkv: None,
            lens: None,
            lens_row: None,
            neighbours: None,
            neighbour_word: String::new(),
            map_words: why::MAP_WORDS.to_string(),
            qk_map: None,
            qk_examples: false,
            scan: None,
            tokenizers: None,
            lesson_focus: None,
            handout: None,
            positions: None,
            generation: None,
            gen_steps: 0,
            gen_max: 20,
            visible_heads: Vec::new(),
            hover: None,
            all_lines: false,
            attention_numbers: false,
            toy,
            status,
            load: Loading::starting(),
            training_record: None,
            training_for: None,
            train: TrainPanel::new(),
            requests: Requests::default(),
            worker_memory: 0,
        }
    }

    /// The page's words in its language.
    pub fn t(&self, key: &str) -> &'static str {
        i18n::text(self.state.lang, key)
    }

    /// What the shown view needs (nothing for a name the registry does not know).
    pub fn needs(&self) -> ViewNeeds {
        self.views
            .iter()
            .find(|v| v.name == self.state.view)
            .map(|v| v.needs)
            .unwrap_or_default()
    }

    /// The link of this page, as query pairs.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        self.state.to_query(self.needs().decoding)
    }

    /// The worker is computing something the page will draw.
    pub fn busy(&self) -> bool {
        self.requests.analysis_in_flight
            || self.requests.generating
            || self.load.restarting
            || (self.facts.is_none() && self.load.in_progress)
    }

    /// A model is up and not being replaced: scripts and tests wait for this.
    pub fn model_ready(&self) -> bool {
        self.facts.is_some() && !self.load.in_progress
    }

    fn set_status(&mut self, text: impl Into<String>, error: bool) {
        self.status = Status {
            text: text.into(),
            error,
        };
    }

    /// "Ready", unless a failed link's model left a notice the user has not acted on yet.
    fn show_ready_status(&mut self) {
        match self.load.notice.clone() {
            Some(notice) => self.set_status(notice, true),
            None => self.set_status(self.t("ready"), false),
        }
    }
}

/// Applies `msg` to the model and returns what the shell must do. The link follows every
/// change of what it carries.
pub fn update(model: &mut PageModel, msg: Msg) -> Vec<Effect> {
    let before = model.query();
    let mut effects = handle(model, msg);
    // What the shown view needs follows from the state, whatever message changed it.
    effects.extend(model.requests_due());
    let after = model.query();
    if after != before {
        effects.push(Effect::SyncUrl(after));
    }
    effects
}

fn handle(model: &mut PageModel, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SentenceA(text) => model.edit_sentence(text, true),
        Msg::SentenceB(text) => model.edit_sentence(text, false),
        Msg::Pair(on) => model.set_pair(on),
        Msg::Example(example) => model.use_example(example),
        Msg::SelectToken(chip) => model.select(chip),
        Msg::MoveSelection(step) => model.move_selection(step),
        Msg::Arrow(step) if model.state.lesson.is_some() => model.lesson_move(step),
        Msg::Arrow(step) => model.move_selection(step),
        Msg::HandoutPage(page) => model.on_handout_page(*page),
        Msg::PickPiece { row, token } => model.pick_piece(row, token),
        Msg::Lesson(msg) => match msg {
            LessonMsg::Start => model.go_to_step(1),
            LessonMsg::Go(step) => model.go_to_step(step),
            LessonMsg::Move(by) => model.lesson_move(by),
            LessonMsg::Restart => model.go_to_step(model.state.lesson.unwrap_or(1)),
            LessonMsg::Exit => model.exit_lesson(),
            LessonMsg::TogglePresent => {
                model.state.present = !model.state.present;
                vec![Effect::Render]
            }
            LessonMsg::Fullscreen => vec![Effect::ToggleFullscreen],
            LessonMsg::Handout => model.start_handout(),
        },
        Msg::Hover(chip) => model.hover(chip),
        Msg::ShowView(name) => model.show_view(&name),
        Msg::Layer(layer) => model.set_layer_head(Some(layer), None),
        Msg::Head(head) => model.set_layer_head(None, Some(head)),
        Msg::Depth(depth) => {
            model.state.depth = depth;
            vec![Effect::Render]
        }
        Msg::Filter(filter) => model.set_filter(filter),
        Msg::LensRow(row) => model.set_lens_row(row),
        Msg::ToggleAblate { layer, head } => model.toggle_ablate(layer, head),
        Msg::ToggleShownHead => model.toggle_ablate(model.state.layer, model.state.head),
        Msg::ClearAblation => model.set_ablation(tokenscope_core::Ablation::none()),
        Msg::NeighbourWord(word) => {
            model.neighbour_word = word;
            vec![Effect::Render]
        }
        Msg::QkExamples(on) => {
            model.qk_examples = on;
            vec![Effect::Render]
        }
        Msg::MapWords(words) => {
            model.map_words = words;
            vec![Effect::Render]
        }
        Msg::OpenHead { layer, head } => model.open_head(layer, head),
        Msg::ToggleHead(head) => model.toggle_head(head),
        Msg::SoloHead(head) => model.solo_head(head),
        Msg::ShowAllHeads => {
            model.visible_heads.iter_mut().for_each(|v| *v = true);
            vec![Effect::Render]
        }
        Msg::AllLines(on) => {
            model.all_lines = on;
            vec![Effect::Render]
        }
        Msg::AttentionNumbers(open) => {
            model.attention_numbers = open;
            vec![Effect::Render]
        }
        Msg::Toy { row, col, value } => model.edit_toy(row, col, value),
        Msg::Lang(lang) => {
            // A fixed status ("Model ready.") is said again in the new language.
            if let Some(text) = crate::i18n::translate(&model.status.text, model.state.lang, lang) {
                model.status.text = text.to_string();
            }
            model.state.lang = lang;
            vec![Effect::Render]
        }
        Msg::ToggleTheme => {
            model.state.dark = !model.state.dark;
            vec![Effect::Render]
        }
        Msg::CopyLink => vec![Effect::CopyLink],
        Msg::LinkCopied(copied) => {
            let text = if copied {
                model.t("link-copied")
            } else {
                model.t("link-in-bar")
            };
            model.set_status(text, false);
            vec![Effect::Render]
        }
        Msg::Download { canvas, format } => vec![Effect::DownloadCanvas { canvas, format }],
        Msg::OpenFilePicker => vec![Effect::OpenFilePicker],
        msg @ (Msg::PickModel(_)
        | Msg::UseGpt
        | Msg::FolderTyped(_)
        | Msg::LoadTypedFolder
        | Msg::OpenFiles(_)
        | Msg::FilesMissing(_)
        | Msg::FilesUnreadable
        | Msg::WorkerFailed { .. }
        | Msg::NoWorker
        | Msg::TrainingRecord { .. }) => model.on_model_msg(msg),
        Msg::Reply(reply) => model.on_reply(reply),
        Msg::Garbled(message) => {
            model.set_status(message, true);
            vec![Effect::Render]
        }
        Msg::Decoding(field, value) => model.set_decoding(field, value),
        Msg::GenMax(value) => model.set_gen_max(value),
        Msg::GenStep => model.generate_more(false),
        Msg::GenRun => model.generate_more(true),
        Msg::GenReset => {
            model.reset_generation();
            vec![Effect::Render]
        }
        Msg::Train(msg) => model.on_train_msg(msg),
    }
}

#[cfg(test)]
mod tests;
