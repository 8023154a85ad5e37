//! The Train view's state machine: its form (as typed), the run the worker reports, and
//! the commands Train / Pause / Continue / Reset / Use / Download.

use super::{Effect, PageModel};
use crate::named_enum;
use crate::protocol::{
    LossPoint, Request, TrainCommand, TrainPhase, TrainSetup, TrainWatch, TrainingUpdate,
};
use tokenscope_core::train::record::{RecordSettings, TrainingRecord};

named_enum! {
    /// A number of the Train view's form; the names are the fields' element ids.
    pub enum TrainField {
        Layers = "train-layers",
        Heads = "train-heads",
        Width = "train-width",
        Context = "train-context",
        Vocab = "train-vocab",
        LearningRate = "train-lr",
        Batch = "train-batch",
        Steps = "train-steps",
        Every = "train-every",
        Seed = "train-seed",
    }
}

impl TrainField {
    /// The field's value before anyone types.
    fn default_value(self) -> &'static str {
        match self {
            TrainField::Layers | TrainField::Heads => "2",
            TrainField::Width => "64",
            TrainField::Context => "32",
            TrainField::Vocab => "1024",
            TrainField::LearningRate => "0.005",
            TrainField::Batch => "8",
            TrainField::Steps => "600",
            TrainField::Every => "25",
            TrainField::Seed => "0",
        }
    }

    /// The i18n key of the field's label, for messages about it.
    pub fn label_key(self) -> &'static str {
        match self {
            TrainField::Seed => "seed",
            other => other.name(),
        }
    }
}

named_enum! {
    /// Which text a run learns from.
    pub enum TrainSource {
        Sample = "sample",
        Own = "own",
    }
}

/// Something done in the Train view.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainMsg {
    Field(TrainField, String),
    Source(TrainSource),
    /// The own text as typed (it also picks "my text").
    OwnText(String),
    /// A `.txt` file dropped on the text box.
    TextDropped(String),
    DropNotText,
    Prompt(String),
    Pairs(String),
    Probe(String),
    ProbeLayer(usize),
    ProbeHead(usize),
    /// Train, Pause or Continue, by where the run is.
    Go,
    Reset,
    Use,
    DownloadZip,
    SampleFetched(Result<String, String>),
}

/// The form's values as typed, and the run as the worker reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainPanel {
    pub fields: Vec<(TrainField, String)>,
    pub source: TrainSource,
    pub own_text: String,
    /// The watched word pairs as typed ("cat dog, car banana").
    pub pairs_text: String,
    /// What the worker is told to watch (the pairs parsed from `pairs_text`).
    pub watch: TrainWatch,
    /// The run as the worker last reported it, with every loss point since it started
    /// (the worker sends only the new ones) and its latest snapshot (the attention drawn).
    pub run: TrainingUpdate,
    /// (step, prompt, sample) of every snapshot with a sample, oldest first.
    pub samples: Vec<(usize, String, String)>,
    /// "cat · dog" for each watched pair, and (step, cosine of each) per snapshot since the
    /// pairs were chosen.
    pub pair_names: Vec<String>,
    pub cosines: Vec<(usize, Vec<Option<f32>>)>,
    /// Train pressed, no answer yet (the sample is fetched or the tokenizer learned).
    pub preparing: bool,
    pub sample_text: Option<String>,
    /// The run has been handed to every view as the model (its step).
    pub used_at: Option<usize>,
}

impl Default for TrainPanel {
    fn default() -> Self {
        Self::new()
    }
}

impl TrainPanel {
    pub fn new() -> Self {
        let pairs_text = "cat dog, car banana, apple banana".to_string();
        let watch = TrainWatch {
            prompt: "the students".into(),
            pairs: parse_pairs(&pairs_text),
            probe: "the students celebrate the graduation with a big party".into(),
            layer: 0,
            head: 0,
        };
        TrainPanel {
            fields: TrainField::ALL
                .iter()
                .map(|f| (*f, f.default_value().to_string()))
                .collect(),
            source: TrainSource::Sample,
            own_text: String::new(),
            pair_names: pair_names(&watch),
            pairs_text,
            watch,
            run: TrainingUpdate::idle(None),
            samples: Vec::new(),
            cosines: Vec::new(),
            preparing: false,
            sample_text: None,
            used_at: None,
        }
    }

    /// A field's value as typed.
    pub fn field(&self, field: TrainField) -> &str {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A run exists (running, paused or finished): its settings are locked.
    pub fn has_run(&self) -> bool {
        self.run.phase != TrainPhase::Idle
    }

    /// The worker that held the run died: the run is gone, the form stays.
    pub fn lose_run(&mut self) {
        self.clear_run();
        self.preparing = false;
    }

    fn clear_run(&mut self) {
        self.run = TrainingUpdate::idle(None);
        self.samples.clear();
        self.cosines.clear();
        self.used_at = None;
    }

    /// The probe's layer and head choices: from the run, or the size fields before one
    /// (at least 1, at most 16).
    pub fn probe_sizes(&self) -> (usize, usize) {
        let (layers, heads) = match &self.run.facts {
            Some(f) => (f.layers, f.heads),
            None => (
                self.field(TrainField::Layers).trim().parse().unwrap_or(1),
                self.field(TrainField::Heads).trim().parse().unwrap_or(1),
            ),
        };
        (layers.clamp(1, 16), heads.clamp(1, 16))
    }

    /// The run as a learning-view record, for when it becomes the page's model.
    pub fn record(&self) -> Option<TrainingRecord> {
        let facts = self.run.facts.as_ref()?;
        let held_out_loss = self.run.points.iter().rev().find_map(|p| p.held_out_loss)?;
        let seconds = if self.run.tokens_per_second > 0.0 {
            (self.run.step * facts.batch * facts.context) as f64 / self.run.tokens_per_second
        } else {
            0.0
        };
        Some(TrainingRecord {
            corpus: facts.corpus_name.clone(),
            parameters: facts.parameters,
            vocab_size: facts.vocab_size,
            training_tokens: facts.training_tokens,
            held_out_tokens: facts.held_out_tokens,
            held_out_loss,
            held_out_perplexity: held_out_loss.exp(),
            seconds,
            settings: RecordSettings {
                batch: facts.batch,
                seq: facts.context,
                steps: self.run.step,
                learning_rate: facts.learning_rate,
                ..RecordSettings::default()
            },
            history: self.run.points.clone(),
            // The page trains from random numbers only.
            init: None,
            ..TrainingRecord::default()
        })
    }

    /// A whole number from the form, or what to fix.
    fn whole(&self, field: TrainField, lang: super::Lang) -> Result<usize, String> {
        let value = self.field(field);
        value.trim().parse::<usize>().map_err(|_| {
            crate::i18n::text(lang, "train-not-whole")
                .replace("{field}", crate::i18n::text(lang, field.label_key()))
                .replace("{value}", value)
        })
    }

    /// The run the form describes, or what is wrong with it.
    fn setup(&self, corpus: String, lang: super::Lang) -> Result<TrainSetup, String> {
        let t = |key| crate::i18n::text(lang, key);
        let rate_text = self.field(TrainField::LearningRate);
        let learning_rate = rate_text.trim().parse::<f32>().map_err(|_| {
            t("train-not-number")
                .replace("{field}", t("train-lr"))
                .replace("{value}", rate_text)
        })?;
        let corpus_name = match self.source {
            TrainSource::Sample => t("train-corpus-sample").to_string(),
            TrainSource::Own => t("train-corpus-own").replace(
                "{n}",
                &crate::format::grouped(corpus.chars().count() as u64),
            ),
        };
        let whole = |field| self.whole(field, lang);
        Ok(TrainSetup {
            corpus_name,
            corpus,
            vocab: whole(TrainField::Vocab)?,
            layers: whole(TrainField::Layers)?,
            heads: whole(TrainField::Heads)?,
            width: whole(TrainField::Width)?,
            context: whole(TrainField::Context)?,
            batch: whole(TrainField::Batch)?,
            steps: whole(TrainField::Steps)?,
            learning_rate,
            sample_every: whole(TrainField::Every)?.max(1),
            seed: whole(TrainField::Seed)? as u64,
        })
    }

    /// A reply about the run: kept as it grows.
    fn on_update(&mut self, mut update: TrainingUpdate) {
        self.preparing = false;
        if update.phase == TrainPhase::Idle {
            self.clear_run();
        } else if self.run.facts.is_none() || (update.step == 0 && update.points.is_empty()) {
            // A new run.
            let used = self.used_at;
            self.clear_run();
            self.used_at = used.filter(|_| update.step > 0);
        }
        if let Some(snapshot) = &update.snapshot {
            if !snapshot.sample.is_empty() || !snapshot.prompt.is_empty() {
                self.samples.push((
                    snapshot.step,
                    snapshot.prompt.clone(),
                    snapshot.sample.clone(),
                ));
            }
            let cosines = snapshot.pairs.iter().map(|p| p.cosine).collect();
            match self.cosines.last_mut() {
                Some(last) if last.0 == snapshot.step => last.1 = cosines,
                _ => self.cosines.push((snapshot.step, cosines)),
            }
        }
        // Kept from earlier replies what this one does not repeat: the points before it,
        // the run's facts and the latest snapshot.
        let mut points = std::mem::take(&mut self.run.points);
        points.append(&mut update.points);
        update.points = points;
        update.facts = update.facts.or(self.run.facts.take());
        update.snapshot = update.snapshot.or(self.run.snapshot.take());
        self.run = update;
    }
}

/// The held-out loss has risen well above its best while training batches keep falling
/// below it: the run memorises its text.
pub fn overfitting(points: &[LossPoint]) -> bool {
    let held: Vec<f32> = points.iter().filter_map(|p| p.held_out_loss).collect();
    let (Some(&last), Some(best)) = (held.last(), held.iter().copied().reduce(f32::min)) else {
        return false;
    };
    let recent: Vec<f32> = points.iter().rev().take(10).map(|p| p.train_loss).collect();
    let train = recent.iter().sum::<f32>() / recent.len().max(1) as f32;
    last > best + 0.3 && train < last - 1.0
}

/// The watched word pairs from "cat dog, car banana": two words per comma-separated part
/// (more are ignored), at most six pairs.
pub fn parse_pairs(text: &str) -> Vec<(String, String)> {
    text.split([',', ';', '\n'])
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            let a = words.next()?;
            let b = words.next()?;
            Some((a.to_string(), b.to_string()))
        })
        .take(6)
        .collect()
}

/// "cat · dog" for each watched pair.
fn pair_names(watch: &TrainWatch) -> Vec<String> {
    watch
        .pairs
        .iter()
        .map(|(a, b)| format!("{a} · {b}"))
        .collect()
}

impl PageModel {
    pub(super) fn on_train_msg(&mut self, msg: TrainMsg) -> Vec<Effect> {
        let panel = &mut self.train;
        match msg {
            TrainMsg::Field(field, value) => {
                if let Some(entry) = panel.fields.iter_mut().find(|(f, _)| *f == field) {
                    entry.1 = value;
                }
            }
            TrainMsg::Source(source) => panel.source = source,
            TrainMsg::OwnText(text) | TrainMsg::TextDropped(text) => {
                panel.own_text = text;
                panel.source = TrainSource::Own;
            }
            TrainMsg::DropNotText => {
                let text = self.t("train-drop-not-text");
                self.set_status(text, true);
            }
            TrainMsg::Prompt(text) => {
                panel.watch.prompt = text;
                return self.send_watch();
            }
            TrainMsg::Pairs(text) => {
                panel.watch.pairs = parse_pairs(&text);
                panel.pairs_text = text;
                return self.send_watch();
            }
            TrainMsg::Probe(text) => {
                panel.watch.probe = text;
                return self.send_watch();
            }
            TrainMsg::ProbeLayer(layer) => {
                panel.watch.layer = layer;
                return self.send_watch();
            }
            TrainMsg::ProbeHead(head) => {
                panel.watch.head = head;
                return self.send_watch();
            }
            TrainMsg::Go => return self.press_go(),
            TrainMsg::Reset => return vec![train(TrainCommand::Reset)],
            TrainMsg::Use => return self.use_trained(),
            TrainMsg::DownloadZip => return vec![train(TrainCommand::Download)],
            TrainMsg::SampleFetched(result) => {
                panel.preparing = false;
                match result {
                    Ok(text) => {
                        panel.sample_text = Some(text);
                        return self.start_run();
                    }
                    Err(message) => panel.run.error = Some(message),
                }
            }
        }
        vec![Effect::Render]
    }

    pub(super) fn on_training(&mut self, update: TrainingUpdate) -> Vec<Effect> {
        self.train.on_update(update);
        vec![Effect::Render]
    }

    /// Train / Pause / Continue, by where the run is.
    fn press_go(&mut self) -> Vec<Effect> {
        match self.train.run.phase {
            TrainPhase::Running => vec![train(TrainCommand::Pause)],
            TrainPhase::Paused => vec![train(TrainCommand::Resume)],
            TrainPhase::Idle | TrainPhase::Finished => self.start_run(),
        }
    }

    /// A new run from random weights: the sample is fetched first, the first time.
    fn start_run(&mut self) -> Vec<Effect> {
        let panel = &mut self.train;
        if panel.preparing {
            return Vec::new();
        }
        panel.run.error = None;
        let corpus = match panel.source {
            TrainSource::Sample => match &panel.sample_text {
                Some(text) => text.clone(),
                None => {
                    panel.preparing = true;
                    return vec![Effect::FetchTrainSample, Effect::Render];
                }
            },
            TrainSource::Own => panel.own_text.clone(),
        };
        match panel.setup(corpus, self.state.lang) {
            Ok(setup) => {
                panel.preparing = true;
                panel.pair_names = pair_names(&panel.watch);
                let watch = panel.watch.clone();
                vec![train(TrainCommand::Start { setup, watch }), Effect::Render]
            }
            Err(message) => {
                panel.run.error = Some(message);
                vec![Effect::Render]
            }
        }
    }

    /// Tells the worker what to watch now; the pairs' history starts again when they change.
    fn send_watch(&mut self) -> Vec<Effect> {
        let panel = &mut self.train;
        let names = pair_names(&panel.watch);
        if names != panel.pair_names {
            panel.pair_names = names;
            panel.cosines.clear();
        }
        if panel.run.phase == TrainPhase::Idle {
            return vec![Effect::Render];
        }
        vec![
            train(TrainCommand::Watch(panel.watch.clone())),
            Effect::Render,
        ]
    }

    /// The next model to arrive is the run: no folder, and its record is the live one
    /// (None when it has no held-out measurement yet).
    fn use_trained(&mut self) -> Vec<Effect> {
        self.load.in_progress = true;
        self.load.requested_folder = None;
        self.load.notice = None;
        self.load.pending_trained_record = Some(self.train.record());
        vec![train(TrainCommand::Use), Effect::Render]
    }
}

fn train(command: TrainCommand) -> Effect {
    Effect::Send(Request::Train(command))
}
