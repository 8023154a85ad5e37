//! The lesson: the seed article's story in thirteen steps. Each step sets the page up
//! (sentences, model, view, the token to look at, layer and head); this file holds those
//! set-ups and moving between steps. What each step says is computed by `views/lesson.rs`.

use super::models::GPT_FOLDER;
use super::url::{SEED_A, SEED_B};
use super::{Effect, PageModel, Side};
use crate::named_enum;
use tokenscope_core::Ablation;

named_enum! {
    /// The lesson's steps, in the article's order.
    pub enum Step {
        Tokens = "tokens",
        Ids = "ids",
        NotNumbers = "not-numbers",
        OneHot = "one-hot",
        Embedding = "embedding",
        Cosine = "cosine",
        Static = "static",
        Attention = "attention",
        Qkv = "qkv",
        Position = "position",
        Next = "next",
        Learning = "learning",
        Decoding = "decoding",
    }
}

/// The sentences of the cosine step: the article's four words, as the model's own vectors.
pub const ANIMALS_A: &str = "cat dog car banana";
pub const TIM_A: &str = "Tim chased clouds all his life";
pub const TIM_B: &str = "clouds chased Tim all his life";
pub const PROMPT: &str = "students celebrate the graduation with a big";

/// How many tokens the decoding step writes greedily when it opens.
const GREEDY_TOKENS: usize = 8;

/// How a step sets up the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setup {
    pub a: &'static str,
    pub b: &'static str,
    /// The embedded GPT rather than the embedded BERT.
    pub gpt: bool,
    pub view: &'static str,
    /// The token selected when the step opens, and the one its claims are about.
    pub focus: (Side, &'static str),
    pub layer: usize,
    pub head: usize,
    /// The similarity view's depth (0 static, 1 with positions, 1 + k after layer k).
    pub depth: usize,
}

const fn bert(view: &'static str, focus: (Side, &'static str)) -> Setup {
    Setup {
        a: SEED_A,
        b: SEED_B,
        gpt: false,
        view,
        focus,
        layer: 0,
        head: 0,
        depth: 0,
    }
}

const PARTY_A: (Side, &str) = (Side::A, "party");

impl Step {
    /// The step's number as people count: 1 to 13.
    pub fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    pub fn at(number: usize) -> Option<Step> {
        Step::ALL.get(number.checked_sub(1)?).copied()
    }

    pub fn setup(self) -> Setup {
        match self {
            Step::Tokens | Step::Ids | Step::NotNumbers => bert("tokens", PARTY_A),
            Step::OneHot | Step::Embedding => bert("onehot", PARTY_A),
            Step::Cosine => Setup {
                a: ANIMALS_A,
                b: "",
                ..bert("similarity", (Side::A, "cat"))
            },
            Step::Static => bert("similarity", PARTY_A),
            Step::Attention => bert("head", PARTY_A),
            Step::Qkv => bert("neuron", (Side::B, "party")),
            Step::Position => Setup {
                a: TIM_A,
                b: TIM_B,
                depth: 1,
                ..bert("similarity", (Side::A, "tim"))
            },
            Step::Next => Setup {
                b: "",
                gpt: true,
                ..bert("next", (Side::A, "big"))
            },
            Step::Learning => Setup {
                b: "",
                gpt: true,
                ..bert("learn", (Side::A, "party"))
            },
            Step::Decoding => Setup {
                a: PROMPT,
                b: "",
                gpt: true,
                ..bert("generate", (Side::A, "big"))
            },
        }
    }
}

/// A token as the lesson compares it with a word: without GPT-2's space mark or
/// WordPiece's `##`, in lower case.
pub fn plain(token: &str) -> String {
    token
        .trim_start_matches('Ġ')
        .trim_start_matches("##")
        .trim_start_matches('▁')
        .to_lowercase()
}

impl PageModel {
    /// The lesson step on screen, if the lesson is on.
    pub fn lesson_step(&self) -> Option<Step> {
        self.state.lesson.and_then(Step::at)
    }

    /// Whether the step's sentences are as the step set them up.
    pub fn lesson_edited(&self) -> bool {
        self.lesson_step().is_some_and(|step| {
            let setup = step.setup();
            self.state.a != setup.a || self.state.b != setup.b
        })
    }

    /// Opens step `number` (clamped to the lesson) and sets the page up for it.
    pub(super) fn go_to_step(&mut self, number: usize) -> Vec<Effect> {
        let number = number.clamp(1, Step::ALL.len());
        let Some(step) = Step::at(number) else {
            return Vec::new();
        };
        let setup = step.setup();
        self.state.lesson = Some(number);
        self.set_up(&setup);
        self.state.pair = false;
        self.state.token = None;
        self.state.ablate = Ablation::none();
        self.lesson_focus = Some(setup.focus);
        if let Some(folder) = self.lesson_model_change(setup.gpt) {
            let mut effects = self.load_folder(folder);
            effects.push(Effect::Render);
            return effects;
        }
        self.schedule_analysis()
    }

    /// The step's sentences, view, layer, head and depth.
    fn set_up(&mut self, setup: &Setup) {
        self.state.a = setup.a.to_string();
        self.state.b = setup.b.to_string();
        self.state.view = setup.view.to_string();
        self.state.layer = setup.layer;
        self.state.head = setup.head;
        self.state.depth = setup.depth;
    }

    /// The model the step needs when another is loaded (or asked for): Some(folder), with
    /// None inside for the embedded BERT.
    fn lesson_model_change(&self, gpt: bool) -> Option<Option<String>> {
        let wanted = gpt.then(|| GPT_FOLDER.to_string());
        let current = if self.load.in_progress {
            self.load.requested_folder.clone()
        } else {
            self.state.model.clone()
        };
        let own_model = self
            .facts
            .as_ref()
            .is_some_and(|f| current.is_none() && f.name != super::models::MODEL_NAME);
        (current != wanted || own_model).then_some(wanted)
    }

    /// A link that opens inside the lesson loads the model its step needs, and selects the
    /// step's token unless the link chose one. A short link (`?lesson=1&step=10`, the seed's
    /// sentences) gets the whole set-up of its step; a copied one keeps its sentences.
    pub(super) fn open_lesson_link(&mut self) {
        let Some(step) = self.lesson_step() else {
            self.state.lesson = None;
            return;
        };
        let setup = step.setup();
        if self.state.a == SEED_A && self.state.b == SEED_B {
            self.set_up(&setup);
        }
        self.state.model = setup.gpt.then(|| GPT_FOLDER.to_string());
        if self.state.token.is_none() {
            self.lesson_focus = Some(setup.focus);
        }
    }

    /// After an analysis: selects the step's token once, if the text still has it; the
    /// decoding step also writes a greedy continuation, so its chart has something to show.
    pub(super) fn apply_lesson_focus(&mut self) -> Vec<Effect> {
        let Some((side, word)) = self.lesson_focus else {
            return Vec::new();
        };
        let wants_gpt = self.lesson_step().is_some_and(|s| s.setup().gpt);
        if self.causal() != wants_gpt {
            return Vec::new(); // the analysis of the model being replaced
        }
        self.lesson_focus = None;
        if let Some(index) = self
            .chips
            .iter()
            .position(|c| c.side == side && plain(&c.token) == word)
        {
            self.state.token = Some(index);
        }
        if self.lesson_step() == Some(Step::Decoding) {
            self.state.temperature = 0.0;
            self.gen_steps = GREEDY_TOKENS;
            return self.request_generation();
        }
        Vec::new()
    }

    pub(super) fn lesson_move(&mut self, by: isize) -> Vec<Effect> {
        match self.state.lesson {
            Some(step) => {
                let next = step.saturating_add_signed(by).clamp(1, Step::ALL.len());
                if next == step {
                    return Vec::new();
                }
                self.go_to_step(next)
            }
            None => Vec::new(),
        }
    }

    pub(super) fn exit_lesson(&mut self) -> Vec<Effect> {
        self.state.lesson = None;
        self.state.present = false;
        self.lesson_focus = None;
        vec![Effect::Render]
    }
}

/// One page of the printed handout: a step's words (each piece marked when it is a number
/// computed live) and its figure as SVG markup.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoutPage {
    pub step: usize,
    pub title: String,
    pub body: Vec<(String, bool)>,
    pub notice: Vec<(String, bool)>,
    pub try_this: String,
    pub figure: Option<String>,
}

/// The handout being gathered: the page walks through every step, and each step's page is
/// taken once its numbers are on screen; then the browser prints them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Handout {
    /// The step to return to afterwards.
    pub back_to: usize,
    pub pages: Vec<HandoutPage>,
    /// Every step is in: the pages are shown for printing.
    pub done: bool,
}

impl PageModel {
    /// Starts gathering the handout from the first step.
    pub(super) fn start_handout(&mut self) -> Vec<Effect> {
        let back_to = self.state.lesson.unwrap_or(1);
        self.handout = Some(Handout {
            back_to,
            ..Handout::default()
        });
        self.go_to_step(1)
    }

    /// The step the handout waits for, while it is being gathered.
    pub fn handout_wants(&self) -> Option<usize> {
        let handout = self.handout.as_ref().filter(|h| !h.done)?;
        let step = self.state.lesson?;
        (handout.pages.len() + 1 == step && !self.busy() && self.lesson_focus.is_none())
            .then_some(step)
    }

    /// A step's page was taken: on to the next step, or, after the last, back to where the
    /// teacher was and print.
    pub(super) fn on_handout_page(&mut self, page: HandoutPage) -> Vec<Effect> {
        let Some(handout) = self.handout.as_mut() else {
            return Vec::new();
        };
        if page.step != handout.pages.len() + 1 {
            return Vec::new();
        }
        handout.pages.push(page);
        if handout.pages.len() < Step::ALL.len() {
            let next = handout.pages.len() + 1;
            return self.go_to_step(next);
        }
        handout.done = true;
        let back_to = handout.back_to;
        let mut effects = self.go_to_step(back_to);
        effects.push(Effect::Print);
        effects
    }
}
