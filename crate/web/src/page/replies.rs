//! The worker's answers, and the requests that keep them coming: one analysis at a time
//! (keystrokes meanwhile merge into the next), the q/k/v detail and the training record
//! only while a view needs them.

use super::data::chips;
use super::models::{MODEL_FOLDER, MODEL_NAME};
use super::{Effect, PageModel, PairFilter};
use crate::protocol::{
    Analysis, Generation, LoadStep, ModelFacts, QkvDetail, Reply, Request, SentenceKey,
};

/// A q/k/v request already sent, so the same one is not sent at every update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QkvAsked {
    pub seq: u64,
    pub sentence: SentenceKey,
    pub layer: usize,
    pub head: usize,
    pub token: usize,
}

/// Sends `ask` unless it is the request last sent for the same thing (its answer is on the
/// way), and remembers it: the rule every request a view needs follows.
pub(super) fn send_once<A: Clone + PartialEq>(
    last: &mut Option<A>,
    ask: A,
    request: impl FnOnce(A) -> Request,
) -> Option<Effect> {
    if last.as_ref() == Some(&ask) {
        return None;
    }
    *last = Some(ask.clone());
    Some(Effect::Send(request(ask)))
}

impl PageModel {
    pub(super) fn on_reply(&mut self, reply: Reply) -> Vec<Effect> {
        match reply {
            Reply::Started => self.on_started(),
            Reply::Progress { fraction, step } => {
                self.load.progress = Some(fraction);
                let text = match step {
                    LoadStep::File(file) => self.t("loading-file").replace("{file}", &file),
                    LoadStep::Preparing => self.t("preparing").to_string(),
                };
                self.set_status(text, false);
                vec![Effect::Render]
            }
            Reply::Ready(facts) => self.on_ready(facts),
            Reply::Analysis(analysis) => self.on_analysis(analysis),
            Reply::Qkv(detail) => self.on_qkv(detail),
            Reply::Lens(lens) => self.on_lens(lens),
            Reply::Neighbours(data) => self.on_neighbours(data),
            Reply::QkMap(data) => self.on_qk_map(data),
            Reply::Scan(data) => self.on_scan(data),
            Reply::Tokenizers(data) => self.on_tokenizers(data),
            Reply::Generation(generation) => self.on_generation(generation),
            Reply::Positions(table) => {
                self.positions = Some(table);
                vec![Effect::Render]
            }
            // Only bench/ asks for timings, from its own worker.
            Reply::Benchmark(_) => Vec::new(),
            Reply::Error { seq, message } => self.on_error(seq, message),
            Reply::Training(update) => self.on_training(update),
            Reply::TrainDownload { url, file_name } => {
                vec![Effect::DownloadUrl { url, file_name }]
            }
        }
    }

    /// A fresh worker: it loads the page's model (the link's folder, or the embedded one).
    fn on_started(&mut self) -> Vec<Effect> {
        self.open_lesson_link();
        let folder = self.state.model.clone();
        if let Some(folder) = &folder {
            self.folder_text = folder.clone();
        }
        let effects = self.load_folder(folder);
        self.load.notice = self.load.restart_notice.take();
        effects
    }

    fn on_ready(&mut self, facts: ModelFacts) -> Vec<Effect> {
        self.state.clamp_to(facts.num_layers, facts.num_heads);
        self.state.model = self.load.requested_folder.take();
        self.training_record = None;
        self.training_for = None;
        if let Some(record) = self.load.pending_trained_record.take() {
            self.training_record = record;
            self.train.used_at = Some(self.train.run.step);
        }
        if facts.causal {
            // A GPT reads one text: there is no pair to run.
            self.state.pair = false;
            self.state.filter = PairFilter::All;
        }
        self.analysis = None;
        self.qkv = None;
        self.lens = None;
        self.lens_row = None;
        self.neighbours = None;
        self.qk_map = None;
        self.scan = None;
        self.requests.scan_asked = None;
        self.tokenizers = None;
        self.requests.tokenizers_asked = None;
        self.generation = None;
        self.gen_steps = 0;
        self.positions = None;
        self.chips.clear();
        self.visible_heads = vec![true; facts.num_heads];
        self.facts = Some(facts);
        self.load.in_progress = false;
        self.load.restarting = false;
        self.load.progress = None;
        self.show_ready_status();
        let mut effects = self.revoke_blobs();
        effects.push(Effect::Send(Request::Positions));
        effects.extend(self.request_analysis());
        effects
    }

    fn on_analysis(&mut self, analysis: Analysis) -> Vec<Effect> {
        if analysis.seq != self.requests.seq {
            return self.analysis_answered();
        }
        self.worker_memory = analysis.memory_bytes;
        let pair = self.state.pair
            && analysis
                .sentences
                .iter()
                .any(|s| s.key == SentenceKey::Pair);
        self.chips = chips(&analysis.sentences, pair);
        if self.state.token.is_some_and(|t| t >= self.chips.len()) {
            self.state.token = None;
        }
        let lesson = self.apply_lesson_focus();
        self.hover = None;
        self.analysis = Some(analysis);
        self.show_ready_status();
        let mut effects = vec![Effect::Render];
        effects.extend(lesson);
        // Drawn the newest answer there is; newer text typed meanwhile goes next.
        effects.extend(self.analysis_answered());
        effects
    }

    fn on_qkv(&mut self, detail: QkvDetail) -> Vec<Effect> {
        if detail.seq != self.requests.seq {
            return Vec::new();
        }
        self.qkv = Some(detail);
        vec![Effect::Render]
    }

    fn on_generation(&mut self, generation: Generation) -> Vec<Effect> {
        if generation.seq != self.requests.seq {
            return Vec::new();
        }
        self.requests.generating = false;
        self.generation = Some(generation);
        vec![Effect::Render]
    }

    fn on_error(&mut self, seq: Option<u64>, message: String) -> Vec<Effect> {
        let mut effects = Vec::new();
        if seq.is_some() {
            effects.extend(self.analysis_answered());
        }
        if seq.is_some_and(|s| s != self.requests.seq) {
            return effects;
        }
        self.requests.generating = false;
        if seq.is_none() {
            // A load failed: the files it was given are no longer needed.
            effects.extend(self.revoke_blobs());
            self.load.progress = None;
            self.load.requested_folder = None;
            self.load.in_progress = false;
            self.load.restarting = false;
            if self.facts.is_none() && self.state.model.is_some() {
                // A link's model folder failed before any model was up: say so, and open
                // the embedded model so the page still works.
                let notice = format!(
                    "{} {message} — {} {MODEL_NAME}",
                    self.t("load-failed"),
                    self.t("showing-instead")
                );
                self.state.model = None;
                effects.extend(self.load_folder(None));
                self.set_status(notice.clone(), true);
                self.load.notice = Some(notice);
                return effects;
            }
        }
        let text = match (&self.facts, seq) {
            (None, _) => format!("{} {message}", self.t("load-failed")),
            // A failed load leaves the previous model in place: say which.
            (Some(facts), None) => {
                format!("{message} — {} {}", self.t("still-showing"), facts.name)
            }
            (Some(_), Some(_)) => message,
        };
        self.set_status(text, true);
        effects.push(Effect::Render);
        effects
    }

    /// Typing asks for an analysis at once when the worker is free. Keystrokes that arrive
    /// while it works merge into one request, sent when its answer comes with the newest
    /// text: a fast model follows the keyboard with no fixed delay, and a slow one never
    /// builds a queue.
    pub(super) fn schedule_analysis(&mut self) -> Vec<Effect> {
        if self.requests.analysis_in_flight {
            self.requests.analysis_dirty = true;
            return vec![Effect::Render];
        }
        self.request_analysis()
    }

    pub(super) fn request_analysis(&mut self) -> Vec<Effect> {
        if self.facts.is_none() {
            return vec![Effect::Render];
        }
        self.requests.seq += 1;
        self.requests.analysis_in_flight = true;
        vec![
            Effect::Send(Request::Analyze {
                seq: self.requests.seq,
                a: self.state.a.clone(),
                b: self.state.b.clone(),
                pair: self.state.pair,
                ablate: self.state.ablate.heads().collect(),
            }),
            Effect::Render,
        ]
    }

    /// An analysis was answered (or failed): the text typed meanwhile, if any, goes next.
    fn analysis_answered(&mut self) -> Vec<Effect> {
        self.requests.analysis_in_flight = false;
        if std::mem::take(&mut self.requests.analysis_dirty) {
            self.request_analysis()
        } else {
            Vec::new()
        }
    }

    /// Asks for what the shown view needs and the page does not have yet: the q/k/v detail
    /// (only while its view is on screen, since it runs a layer again and a keystroke would
    /// wait for it), and the loaded folder's `training.json` (once per folder).
    pub(super) fn requests_due(&mut self) -> Vec<Effect> {
        let needs = self.needs();
        let mut effects = Vec::new();
        let wants_qkv = needs.qkv || (needs.rotary_qkv && self.rotary());
        if wants_qkv && !self.requests.analysis_in_flight && self.current_qkv().is_none() {
            if let Some((sentence, token)) = self.qkv_target() {
                let ask = QkvAsked {
                    seq: self.requests.seq,
                    sentence,
                    layer: self.state.layer,
                    head: self.state.head,
                    token,
                };
                effects.extend(send_once(&mut self.requests.qkv_asked, ask, |ask| {
                    Request::Qkv {
                        seq: ask.seq,
                        sentence,
                        layer: ask.layer,
                        head: ask.head,
                        token,
                    }
                }));
            }
        }
        effects.extend(self.lens_due());
        effects.extend(self.neighbours_due());
        effects.extend(self.qk_map_due());
        effects.extend(self.scan_due());
        effects.extend(self.tokenizers_due());
        if needs.training_record && self.facts.is_some() {
            if let Some(folder) = self.state.model.clone() {
                if self.training_for.as_ref() != Some(&folder) {
                    self.training_for = Some(folder.clone());
                    effects.push(Effect::FetchTrainingRecord(folder));
                }
            }
        }
        effects
    }

    /// A `training.json` arrived (or failed) for `folder`.
    pub(super) fn on_training_record(
        &mut self,
        folder: String,
        result: Result<tokenscope_core::train::record::TrainingRecord, String>,
    ) -> Vec<Effect> {
        if self.training_for.as_ref() != Some(&folder) {
            return Vec::new(); // another model arrived meanwhile
        }
        match result {
            Ok(record) => self.training_record = Some(record),
            Err(message) => {
                self.training_record = None;
                self.set_status(message, true);
            }
        }
        vec![Effect::Render]
    }

    /// The embedded model's folder and name, for a load with no folder.
    pub(super) fn load_request(folder: &Option<String>) -> Request {
        match folder {
            Some(folder) => Request::Load {
                folder: folder.clone(),
                name: super::folder_name(folder).to_string(),
            },
            None => Request::Load {
                folder: MODEL_FOLDER.into(),
                name: MODEL_NAME.into(),
            },
        }
    }
}
