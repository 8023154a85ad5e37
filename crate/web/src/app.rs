//! The page: starts the worker that owns the model, keeps the page state (mirrored in the
//! URL), wires every control, and redraws the views and their number tables.

use std::cell::RefCell;
use std::rc::Rc;

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, HtmlCanvasElement, HtmlElement, HtmlInputElement, HtmlProgressElement,
    HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent, MessageEvent, MouseEvent, Worker,
};

use crate::dom::{all, create, element, put_table, set_hidden, set_text, typed, TableSpec};
use crate::format::{grouped, human_bytes};
use crate::i18n::text;
use crate::page_data::{
    chips, default_token, filter_indices, layer_attention, readable, similarity_at, strongest_keys,
    Chip, Side,
};
use crate::paint::{depth_labels, paint, CanvasKind, Hit};
use crate::protocol::{GeneratedStep, Reply, Request, SentenceData, SentenceKey, Similarity};
use crate::state::{folder_name, hosted_folder, FolderError, Lang, PageState, PairFilter, View};
use crate::training_record::TrainingRecord;

const MODEL_FOLDER: &str = "models/all-MiniLM-L6-v2";
const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// The GPT trained by this project (`tokenscope train`), for the next-token and generate
/// views; loaded like a site folder.
const GPT_FOLDER: &str = "models/tokenscope-gpt";

/// The models that ship with the page: the folder (None: the default) and its label.
const EMBEDDED_MODELS: [(Option<&str>, &str); 2] = [
    (None, "all-MiniLM-L6-v2 · BERT"),
    (Some(GPT_FOLDER), "tokenscope-gpt · GPT-2"),
];
/// Loads the worker's wasm (www/worker-loader.js; Trunk names the wasm after its data-bin).
const WORKER_SCRIPT: &str = "./worker-loader.js";

/// The loaded model's facts.
pub struct Facts {
    pub name: String,
    pub model_type: String,
    pub num_layers: usize,
    pub num_heads: usize,
    pub head_dim: usize,
    pub hidden_size: usize,
    pub vocab_size: usize,
    pub max_positions: usize,
    pub causal: bool,
    pub one_hot_table_bytes: u64,
    pub embedding_table_bytes: u64,
    pub precision: String,
    pub weight_bytes: u64,
    pub memory_bytes: u64,
}

pub struct Analysis {
    pub num_layers: usize,
    pub num_heads: usize,
    pub hidden_size: usize,
    pub sentences: Vec<SentenceData>,
    pub similarity: Option<Similarity>,
}

pub struct NeuronData {
    pub sentence: SentenceKey,
    pub layer: usize,
    pub head: usize,
    pub token: usize,
    pub head_dim: usize,
    pub query: Vec<f32>,
    pub keys: Vec<f32>,
    pub values: Vec<f32>,
    pub scores: Vec<f32>,
    pub probs: Vec<f32>,
    pub context: Vec<f32>,
    pub masked_from: Option<usize>,
}

/// The last generation the worker sent.
pub struct GenerationData {
    pub prompt_tokens: Vec<String>,
    pub prompt_ids: Vec<u32>,
    pub steps: Vec<GeneratedStep>,
    pub text: String,
    pub layer: usize,
    pub head: usize,
    /// (steps, prompt + steps − 1) row-major
    pub attention: Vec<f32>,
}

pub struct App {
    pub document: Document,
    worker: Worker,
    pub state: PageState,
    pub facts: Option<Facts>,
    pub analysis: Option<Analysis>,
    pub chips: Vec<Chip>,
    pub neuron: Option<NeuronData>,
    pub positions: Option<(usize, usize, Vec<f32>)>,
    pub visible_heads: Vec<bool>,
    /// The chip under the pointer (in the chips or a head view): it previews a selection.
    pub hover: Option<usize>,
    /// Show every token's lines in the head view instead of the selected token's.
    pub all_lines: bool,
    pub toy: Vec<(String, [f32; 4])>,
    hits: Vec<(CanvasKind, Hit)>,
    pub generation: Option<GenerationData>,
    /// How many tokens the generate view has asked for (Step adds one, Run asks for all).
    gen_steps: usize,
    /// blob: URLs of files the user opened, released once the worker has read them.
    blob_urls: Vec<String>,
    /// The site folder of the model being loaded (None: embedded model or opened files);
    /// it becomes `state.model` once that model is ready.
    requested_folder: Option<String>,
    /// A load error to keep on screen after the fallback model is ready.
    load_notice: Option<String>,
    /// Why the worker was restarted, shown once its model is ready again.
    restart_notice: Option<String>,
    /// When the worker was restarted (ms since the epoch), to stop after repeated crashes.
    restarts: Vec<f64>,
    /// The loaded model's `training.json`, when its folder has one (the learning view).
    pub training_record: Option<TrainingRecord>,
    /// The folder whose record was asked for, so it is fetched once.
    training_for: Option<String>,
    /// The Train view's run.
    pub train: crate::train_page::TrainPanel,
    /// The trained run's record, waiting for the worker to make it the model.
    pending_trained_record: Option<Option<TrainingRecord>>,
    /// The number of the latest analysis; older answers are stale and dropped.
    seq: u64,
    /// An analysis has been asked for and not answered yet.
    analysis_in_flight: bool,
    /// The text changed while one was in flight: ask again when it is answered.
    analysis_dirty: bool,
}

type Shared = Rc<RefCell<App>>;

impl App {
    /// The selected chip: from the link, else the last word of A ("party" in the seed).
    pub fn selected(&self) -> Option<usize> {
        self.state
            .token
            .filter(|&t| t < self.chips.len())
            .or_else(|| default_token(&self.chips))
    }

    /// The selected chip as (side, index in that sentence encoded on its own): similarity
    /// compares A and B each run alone, also in pair mode.
    pub fn selected_separate(&self) -> Option<(Side, usize)> {
        let chip = self.chips.get(self.selected()?)?;
        if chip.source != SentenceKey::Pair {
            return Some((chip.side, chip.index));
        }
        let a_len = self.chips.iter().filter(|c| c.side == Side::A).count();
        Some(match chip.side {
            Side::A => (Side::A, chip.index),
            // B alone starts with its own [CLS]; in the pair that place is A's last [SEP].
            Side::B => (Side::B, chip.index + 1 - a_len),
        })
    }

    pub fn sentence(&self, key: SentenceKey) -> Option<&SentenceData> {
        self.analysis
            .as_ref()?
            .sentences
            .iter()
            .find(|s| s.key == key)
    }

    /// The sentence the selected token belongs to (the pair in pair mode).
    pub fn focus_sentence(&self) -> Option<&SentenceData> {
        let chip = self.chips.get(self.selected()?)?;
        self.sentence(chip.source)
    }

    pub fn selected_embedding(&self) -> Option<&[f32]> {
        let chip = self.chips.get(self.selected()?)?;
        let sentence = self.sentence(chip.source)?;
        let hidden = self.analysis.as_ref()?.hidden_size;
        sentence
            .embeddings
            .get(chip.index * hidden..(chip.index + 1) * hidden)
    }

    /// The selected token's word row, its position row and their sum: what goes into the
    /// model before token type and LayerNorm. [(H); 3]
    pub fn word_position_rows(&self) -> Option<[Vec<f32>; 3]> {
        let chip = self.chips.get(self.selected()?)?;
        let word = self.selected_embedding()?.to_vec();
        let (rows, cols, values) = self.positions.as_ref()?;
        if chip.index >= *rows || *cols != word.len() {
            return None;
        }
        let place = values[chip.index * cols..(chip.index + 1) * cols].to_vec();
        let sum = word.iter().zip(&place).map(|(w, p)| w + p).collect();
        Some([word, place, sum])
    }

    /// The attention of `sentence` at the current layer, every head. (heads, S, S)
    pub fn current_layer<'a>(
        &self,
        sentence: &'a SentenceData,
    ) -> Option<ndarray::ArrayView3<'a, f32>> {
        let analysis = self.analysis.as_ref()?;
        layer_attention(
            sentence,
            analysis.num_layers,
            analysis.num_heads,
            self.state.layer,
        )
    }

    /// The token whose lines a head view of `key` shows: the hovered one, else the selected
    /// one unless every token's lines were asked for.
    pub fn focus_in(&self, key: SentenceKey) -> Option<usize> {
        let chip_index = match self.hover {
            Some(h) => Some(h),
            None if self.all_lines => None,
            None => self.selected(),
        }?;
        let chip = self.chips.get(chip_index)?;
        if chip.source == key {
            return Some(chip.index);
        }
        // The other sentence follows along on the same word, so both "party"s show at once.
        self.chips
            .iter()
            .find(|c| c.source == key && !c.special && c.token == chip.token)
            .map(|c| c.index)
    }

    /// The similarity and the tokens of its rows and columns.
    pub fn similarity(&self) -> Option<(&Similarity, &Vec<String>, &Vec<String>)> {
        let sim = self.analysis.as_ref()?.similarity.as_ref()?;
        let rows = &self.sentence(sim.rows)?.tokens;
        let cols = &self.sentence(sim.cols)?.tokens;
        Some((sim, rows, cols))
    }

    /// "Sentence A is longer than the model's 512 positions: 512 tokens kept, 9,488
    /// dropped." for each input the tokenizer cut; empty when nothing was cut.
    pub fn truncation_message(&self) -> String {
        let lang = self.state.lang;
        let max_positions = self.facts.as_ref().map_or(0, |f| f.max_positions);
        self.analysis
            .iter()
            .flat_map(|a| a.sentences.iter())
            .filter(|s| s.truncated > 0)
            .map(|s| {
                let name = match s.key {
                    SentenceKey::A => text(lang, "sentence-a-short"),
                    SentenceKey::B => text(lang, "sentence-b-short"),
                    SentenceKey::Pair => text(lang, "sentence-pair-short"),
                };
                text(lang, "truncated-notice")
                    .replace("{name}", name)
                    .replace("{max}", &grouped(max_positions as u64))
                    .replace("{kept}", &grouped(s.ids.len() as u64))
                    .replace("{dropped}", &grouped(s.truncated as u64))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn too_long_message(&self) -> String {
        let lang = self.state.lang;
        let long: Vec<&str> = self
            .analysis
            .iter()
            .flat_map(|a| a.sentences.iter())
            .filter(|s| s.too_long)
            .map(|s| match s.key {
                SentenceKey::A => "A",
                SentenceKey::B => "B",
                SentenceKey::Pair => "A + B",
            })
            .collect();
        if long.is_empty() {
            "—".into()
        } else {
            format!("{} {}", long.join(", "), text(lang, "too-long"))
        }
    }

    pub fn depth_name(&self, depth: usize, labels: &[String]) -> String {
        let lang = self.state.lang;
        match depth {
            0 => text(lang, "depth-static").to_string(),
            1 => text(lang, "depth-embeddings").to_string(),
            d => format!(
                "{} {}",
                text(lang, "depth-layer"),
                labels
                    .get(d)
                    .map(|l| l.trim_start_matches('L'))
                    .unwrap_or("")
            ),
        }
    }

    /// The neuron detail, if the worker's answer matches what is selected now.
    pub fn current_neuron(&self) -> Option<&NeuronData> {
        let (key, token) = self.neuron_target()?;
        self.neuron.as_ref().filter(|n| {
            n.sentence == key
                && n.token == token
                && n.layer == self.state.layer
                && n.head == self.state.head
        })
    }

    fn neuron_target(&self) -> Option<(SentenceKey, usize)> {
        let chip = self.chips.get(self.selected()?)?;
        let sentence = self.sentence(chip.source)?;
        (!sentence.too_long).then_some((chip.source, chip.index))
    }

    fn theme_name(&self) -> &'static str {
        if self.state.dark {
            "dark"
        } else {
            "light"
        }
    }
}

fn set_status(document: &Document, message: &str, is_error: bool) {
    if let Some(el) = element(document, "status") {
        el.set_text_content(Some(message));
        let _ = el.class_list().toggle_with_force("error", is_error);
    }
}

/// "Ready", unless a failed link's model left a notice the user has not acted on yet.
fn show_ready_status(app: &Shared) {
    let a = app.borrow();
    match &a.load_notice {
        Some(notice) => set_status(&a.document, notice, true),
        None => set_status(&a.document, text(a.state.lang, "ready"), false),
    }
}

fn set_busy(document: &Document, busy: bool) {
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-state", if busy { "busy" } else { "ready" });
    }
}

pub fn start() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let prefers_dark = window
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches());
    let browser_lang = window
        .navigator()
        .language()
        .and_then(|l| Lang::from_code(&l))
        .unwrap_or(Lang::En);
    let search = window.location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(params) = &params {
        for key in PageState::KEYS {
            if let Some(value) = params.get(key) {
                pairs.push((key.to_string(), value));
            }
        }
    }
    let state = PageState::from_query(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        browser_lang,
        prefers_dark,
    );
    let worker = match Worker::new(WORKER_SCRIPT) {
        Ok(worker) => worker,
        Err(_) => {
            set_status(&document, text(state.lang, "no-worker"), true);
            return;
        }
    };
    let toy = tokenscope_core::analysis::TOY_VECTORS
        .iter()
        .map(|(name, v)| (name.to_string(), *v))
        .collect();
    let app = Rc::new(RefCell::new(App {
        document,
        worker,
        state,
        facts: None,
        analysis: None,
        chips: Vec::new(),
        neuron: None,
        positions: None,
        visible_heads: Vec::new(),
        hover: None,
        all_lines: false,
        toy,
        hits: Vec::new(),
        blob_urls: Vec::new(),
        requested_folder: None,
        load_notice: None,
        restart_notice: None,
        restarts: Vec::new(),
        training_record: None,
        training_for: None,
        generation: None,
        gen_steps: 0,
        train: crate::train_page::TrainPanel::new(),
        pending_trained_record: None,
        seq: 0,
        analysis_in_flight: false,
        analysis_dirty: false,
    }));
    {
        let app = app.borrow();
        if let Some(a) = typed::<HtmlTextAreaElement>(&app.document, "sentence-a") {
            a.set_value(&app.state.a);
        }
        if let Some(b) = typed::<HtmlTextAreaElement>(&app.document, "sentence-b") {
            b.set_value(&app.state.b);
        }
        if let Some(pair) = typed::<HtmlInputElement>(&app.document, "pair") {
            pair.set_checked(app.state.pair);
        }
    }
    set_busy(&app.borrow().document, true);
    apply_language(&app.borrow());
    apply_theme(&app.borrow());
    show_view(&app.borrow());
    build_downloads(&app);
    build_toy(&app);
    wire_worker(&app);
    wire_controls(&app);
    wire_canvases(&app);
    wire_chips(&app);
    crate::train_page::wire(&app);
}

/// `data-model-ready` says whether the page's model is up and not being replaced, so a
/// script (and the page tests) can wait for a new model instead of seeing the old one's "1".
fn set_model_ready(document: &Document, ready: bool) {
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-model-ready", if ready { "1" } else { "0" });
    }
}

/// The next model to arrive is the Train view's run: no folder, and its record is the
/// live one (None when it has no held-out measurement yet).
pub(crate) fn expect_trained_model(app: &Shared, record: Option<TrainingRecord>) {
    let mut a = app.borrow_mut();
    set_model_ready(&a.document, false);
    a.requested_folder = None;
    a.load_notice = None;
    a.pending_trained_record = Some(record);
}

pub(crate) fn set_status_line(document: &Document, message: &str, is_error: bool) {
    set_status(document, message, is_error);
}

pub(crate) fn send(app: &App, request: &Request) {
    let bytes = js_sys::Uint8Array::from(request.to_bytes().as_slice());
    let transfer = js_sys::Array::of1(&bytes.buffer());
    let _ = app.worker.post_message_with_transfer(&bytes, &transfer);
}

pub(crate) fn on_event<E: JsCast + 'static>(
    target: &Element,
    event: &str,
    app: &Shared,
    mut handler: impl FnMut(&Shared, E) + 'static,
) {
    let app = app.clone();
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        if let Ok(event) = event.dyn_into::<E>() {
            handler(&app, event);
        }
    });
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    // Handlers live as long as the page.
    closure.forget();
}

fn by_id(app: &Shared, id: &str) -> Option<Element> {
    element(&app.borrow().document, id)
}

fn wire_worker(app: &Shared) {
    let handler_app = app.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        // Bytes from the worker's answers to this page; JSON text for `Started`, which it
        // sends before it knows how the page speaks.
        let data = event.data();
        let reply = match data.as_string() {
            Some(text) => Reply::from_json(&text),
            None => Reply::from_bytes(&js_sys::Uint8Array::new(&data).to_vec()),
        };
        match reply {
            Ok(reply) => on_reply(&handler_app, reply),
            Err(message) => set_status(&handler_app.borrow().document, &message, true),
        }
    });
    let error_app = app.clone();
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        restart_worker(&error_app, &e.message());
    });
    let app = app.borrow();
    app.worker
        .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    app.worker
        .set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_message.forget();
    on_error.forget();
}

/// Crashes in a row (within a minute) after which the page stops restarting the worker.
const MAX_RESTARTS: usize = 3;

/// The worker failed (an uncaught error, or a panic that trapped its wasm): its model and any
/// training run can no longer be trusted. A fresh worker announces itself with `Started`,
/// which reloads the page's model; the sentences live in the page, so they survive.
fn restart_worker(app: &Shared, reason: &str) {
    let now = js_sys::Date::now();
    let mut a = app.borrow_mut();
    let lang = a.state.lang;
    a.worker.terminate();
    a.restarts.retain(|&at| now - at < 60_000.0);
    if a.restarts.len() >= MAX_RESTARTS {
        set_status(
            &a.document,
            &format!(
                "{} {reason} — {}",
                text(lang, "worker-failed"),
                text(lang, "worker-gave-up")
            ),
            true,
        );
        set_busy(&a.document, false);
        return;
    }
    a.restarts.push(now);
    let worker = match Worker::new(WORKER_SCRIPT) {
        Ok(worker) => worker,
        Err(_) => {
            set_status(&a.document, text(lang, "no-worker"), true);
            return;
        }
    };
    a.worker = worker;
    a.analysis_in_flight = false;
    a.analysis_dirty = false;
    a.generation = None;
    a.gen_steps = 0;
    a.train = crate::train_page::TrainPanel::new();
    a.pending_trained_record = None;
    let notice = format!(
        "{} {reason} — {}",
        text(lang, "worker-failed"),
        text(lang, "worker-restarted")
    );
    set_status(&a.document, &notice, true);
    a.restart_notice = Some(notice);
    set_busy(&a.document, true);
    drop(a);
    wire_worker(app);
    crate::train_page::render(&app.borrow());
}

/// Pushes the state into the address bar, so copying it shares this exact view.
fn sync_url(app: &App) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(params) = web_sys::UrlSearchParams::new() else {
        return;
    };
    for (key, value) in app.state.to_query() {
        params.append(key, &value);
    }
    let query: String = params.to_string().into();
    let url = format!("?{query}");
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// The user's own model: three files from the file picker or a drop, handed to the worker
/// as blob: URLs so it streams them with the same progress as the embedded model.
fn load_user_files(app: &Shared, files: &web_sys::FileList) {
    let mut config = None;
    let mut tokenizer = None;
    let mut weights: Option<web_sys::File> = None;
    let mut folder = String::new();
    for i in 0..files.length() {
        let Some(file) = files.item(i) else {
            continue;
        };
        let name = file.name();
        if folder.is_empty() {
            // Set when a whole folder was picked; web-sys does not bind it.
            let path = js_sys::Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            if let Some((dir, _)) = path.rsplit_once('/') {
                folder = dir.rsplit('/').next().unwrap_or(dir).to_string();
            }
        }
        match name.as_str() {
            "config.json" => config = Some(file),
            "tokenizer.json" => tokenizer = Some(file),
            n if n.ends_with(".safetensors") && (weights.is_none() || n == "model.safetensors") => {
                weights = Some(file)
            }
            _ => {}
        }
    }
    let a = app.borrow();
    let lang = a.state.lang;
    let missing: Vec<&str> = [
        ("config.json", config.is_none()),
        ("tokenizer.json", tokenizer.is_none()),
        ("model.safetensors", weights.is_none()),
    ]
    .iter()
    .filter(|(_, gone)| *gone)
    .map(|(name, _)| *name)
    .collect();
    let (Some(config), Some(tokenizer), Some(weights)) = (config, tokenizer, weights) else {
        // The current model stays; only the message changes.
        set_status(
            &a.document,
            &format!("{} {}", text(lang, "missing-files"), missing.join(", ")),
            true,
        );
        return;
    };
    let url = |file: &web_sys::File| web_sys::Url::create_object_url_with_blob(file).ok();
    let (Some(config), Some(tokenizer), Some(weights)) =
        (url(&config), url(&tokenizer), url(&weights))
    else {
        set_status(&a.document, "the browser could not read the files", true);
        return;
    };
    if let Some(bar) = element(&a.document, "load-progress") {
        let _ = bar.remove_attribute("hidden");
    }
    let name = if folder.is_empty() {
        "your model".to_string()
    } else {
        folder
    };
    set_model_ready(&a.document, false);
    let request = Request::LoadUrls {
        name,
        config: config.clone(),
        tokenizer: tokenizer.clone(),
        weights: weights.clone(),
    };
    send(&a, &request);
    drop(a);
    let mut a = app.borrow_mut();
    a.blob_urls = vec![config, tokenizer, weights];
    a.requested_folder = None;
    a.load_notice = None;
}

/// Asks the worker for a model folder on this site (or the embedded one with `None`).
fn load_folder(app: &Shared, folder: Option<String>) {
    let mut a = app.borrow_mut();
    if let Some(bar) = element(&a.document, "load-progress") {
        let _ = bar.remove_attribute("hidden");
    }
    let request = match &folder {
        Some(folder) => Request::Load {
            folder: folder.clone(),
            name: folder_name(folder).to_string(),
        },
        None => Request::Load {
            folder: MODEL_FOLDER.into(),
            name: MODEL_NAME.into(),
        },
    };
    a.requested_folder = folder;
    a.load_notice = None;
    set_model_ready(&a.document, false);
    send(&a, &request);
}

/// Fills the model picker: the embedded models, plus an entry naming the loaded model when
/// it is the user's own (opened files or another site folder).
fn show_model_choice(document: &Document, folder: Option<&str>, name: &str) {
    let Some(select) = typed::<HtmlSelectElement>(document, "model-pick") else {
        return;
    };
    select.set_inner_html("");
    let embedded = |f: &Option<&str>| *f == folder && (folder.is_some() || name == MODEL_NAME);
    let mut chosen = None;
    for (option_folder, label) in EMBEDDED_MODELS {
        let value = option_folder.unwrap_or("");
        if let Some(option) = create(document, "option", "", Some(label)) {
            let _ = option.set_attribute("value", value);
            let _ = select.append_child(&option);
        }
        if embedded(&option_folder) {
            chosen = Some(value.to_string());
        }
    }
    if chosen.is_none() {
        if let Some(option) = create(document, "option", "", Some(name)) {
            let _ = option.set_attribute("value", "own");
            let _ = select.append_child(&option);
        }
    }
    select.set_value(chosen.as_deref().unwrap_or("own"));
}

/// The address typed into the folder field, checked to be on this site, then loaded.
fn load_typed_folder(app: &Shared) {
    let (value, origin, lang, document) = {
        let a = app.borrow();
        let value = typed::<HtmlInputElement>(&a.document, "model-url")
            .map(|i| i.value())
            .unwrap_or_default();
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        (value, origin, a.state.lang, a.document.clone())
    };
    match hosted_folder(&value, &origin) {
        Ok(folder) => load_folder(app, Some(folder)),
        Err(FolderError::Empty) => set_status(&document, text(lang, "model-url-empty"), true),
        Err(FolderError::NotThisSite) => set_status(
            &document,
            &format!("{} {origin}", text(lang, "model-url-foreign")),
            true,
        ),
    }
}

/// The worker has read (or failed to read) the opened files: free their memory.
fn release_blobs(app: &Shared) {
    let urls = std::mem::take(&mut app.borrow_mut().blob_urls);
    for url in urls {
        let _ = web_sys::Url::revoke_object_url(&url);
    }
}

fn wire_model_picker(app: &Shared) {
    if let Some(open) = by_id(app, "open-model") {
        on_event::<web_sys::Event>(&open, "click", app, |app, _| {
            if let Some(input) = typed::<HtmlElement>(&app.borrow().document, "model-files") {
                input.click();
            }
        });
    }
    if let Some(input) = by_id(app, "model-files") {
        on_event::<web_sys::Event>(&input, "change", app, |app, _| {
            let files = typed::<HtmlInputElement>(&app.borrow().document, "model-files")
                .and_then(|i| i.files());
            if let Some(files) = files {
                load_user_files(app, &files);
            }
        });
    }
    if let Some(pick) = by_id(app, "model-pick") {
        on_event::<web_sys::Event>(&pick, "change", app, |app, _| {
            let value = typed::<HtmlSelectElement>(&app.borrow().document, "model-pick")
                .map(|s| s.value())
                .unwrap_or_default();
            // The "your model" entry only names what is loaded; it loads nothing.
            if let Some((folder, _)) = EMBEDDED_MODELS
                .iter()
                .find(|(folder, _)| folder.unwrap_or("") == value)
            {
                load_folder(app, folder.map(String::from));
            }
        });
    }
    if let Some(body) = app.borrow().document.body() {
        // The "use the embedded GPT" buttons are redrawn with their views: listen above them.
        on_event::<MouseEvent>(&body, "click", app, |app, event| {
            let wants_gpt = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("[data-action=use-gpt]").ok().flatten())
                .is_some();
            if wants_gpt {
                load_folder(app, Some(GPT_FOLDER.to_string()));
            }
        });
    }
    if let Some(form) = by_id(app, "model-url-form") {
        on_event::<web_sys::Event>(&form, "submit", app, |app, event| {
            event.prevent_default();
            load_typed_folder(app);
        });
    }
    if let Some(body) = app.borrow().document.body() {
        // Without preventing dragover the browser would open the dropped file instead.
        on_event::<web_sys::DragEvent>(&body, "dragover", app, |_, event| {
            event.prevent_default();
        });
        on_event::<web_sys::DragEvent>(&body, "drop", app, |app, event| {
            event.prevent_default();
            if let Some(files) = event.data_transfer().and_then(|d| d.files()) {
                if files.length() > 0 {
                    load_user_files(app, &files);
                }
            }
        });
    }
}

/// Asks the worker for the first `gen_steps` tokens of the continuation. The sampler is
/// seeded, so Step after Step gives the same tokens as one Run.
fn request_generation(app: &Shared) {
    let a = app.borrow();
    if a.gen_steps == 0 || a.facts.is_none() {
        return;
    }
    set_busy(&a.document, true);
    send(
        &a,
        &Request::Generate {
            seq: a.seq,
            text: a.state.a.clone(),
            max_tokens: a.gen_steps,
            temperature: a.state.temperature,
            top_k: a.state.top_k,
            top_p: a.state.top_p,
            seed: a.state.seed,
            layer: a.state.layer,
            head: a.state.head,
        },
    );
}

fn reset_generation(app: &Shared) {
    let mut a = app.borrow_mut();
    a.gen_steps = 0;
    a.generation = None;
}

fn read_generation_settings(app: &Shared) {
    let mut a = app.borrow_mut();
    let number = |id: &str| {
        typed::<HtmlInputElement>(&a.document, id)
            .map(|i| i.value_as_number())
            .filter(|v| v.is_finite())
    };
    let (t, k, p, seed) = (
        number("gen-temperature"),
        number("gen-top-k"),
        number("gen-top-p"),
        number("gen-seed"),
    );
    if let Some(t) = t.filter(|t| *t >= 0.0) {
        a.state.temperature = t;
    }
    if let Some(k) = k.filter(|k| *k >= 0.0) {
        a.state.top_k = k as usize;
    }
    if let Some(p) = p.filter(|p| *p > 0.0 && *p <= 1.0) {
        a.state.top_p = p;
    }
    if let Some(seed) = seed.filter(|s| *s >= 0.0) {
        a.state.seed = seed as u64;
    }
}

fn fill_generation_controls(app: &App) {
    for (id, value) in [
        ("gen-temperature", app.state.temperature.to_string()),
        ("gen-top-k", app.state.top_k.to_string()),
        ("gen-top-p", app.state.top_p.to_string()),
        ("gen-seed", app.state.seed.to_string()),
    ] {
        if let Some(input) = typed::<HtmlInputElement>(&app.document, id) {
            input.set_value(&value);
        }
    }
}

fn wire_generation(app: &Shared) {
    fill_generation_controls(&app.borrow());
    for id in ["gen-temperature", "gen-top-k", "gen-top-p", "gen-seed"] {
        if let Some(input) = by_id(app, id) {
            on_event::<web_sys::Event>(&input, "change", app, |app, _| {
                read_generation_settings(app);
                reset_generation(app);
                render(app);
            });
        }
    }
    if let Some(step) = by_id(app, "gen-step") {
        on_event::<web_sys::Event>(&step, "click", app, |app, _| {
            app.borrow_mut().gen_steps += 1;
            request_generation(app);
        });
    }
    if let Some(run) = by_id(app, "gen-run") {
        on_event::<web_sys::Event>(&run, "click", app, |app, _| {
            let max = typed::<HtmlInputElement>(&app.borrow().document, "gen-max")
                .map(|i| i.value_as_number())
                .filter(|v| v.is_finite() && *v >= 1.0)
                .map(|v| (v as usize).min(200))
                .unwrap_or(20);
            app.borrow_mut().gen_steps = max;
            request_generation(app);
        });
    }
    if let Some(reset) = by_id(app, "gen-reset") {
        on_event::<web_sys::Event>(&reset, "click", app, |app, _| {
            reset_generation(app);
            render(app);
        });
    }
}

fn wire_controls(app: &Shared) {
    wire_model_picker(app);
    wire_generation(app);
    for id in ["sentence-a", "sentence-b"] {
        if let Some(input) = by_id(app, id) {
            on_event::<web_sys::Event>(&input, "input", app, |app, _| {
                // The user has moved on from a failed link's model.
                app.borrow_mut().load_notice = None;
                read_sentences(app);
                reset_generation(app);
                schedule_analysis(app);
            });
        }
    }
    if let Some(pair) = by_id(app, "pair") {
        on_event::<web_sys::Event>(&pair, "change", app, |app, _| {
            let checked = typed::<HtmlInputElement>(&app.borrow().document, "pair")
                .is_some_and(|p| p.checked());
            {
                let mut a = app.borrow_mut();
                a.state.pair = checked;
                a.state.token = None;
                if !checked {
                    a.state.filter = PairFilter::All;
                }
            }
            request_analysis(app);
        });
    }
    if let Some(examples) = by_id(app, "examples") {
        on_event::<web_sys::Event>(&examples, "change", app, |app, _| {
            let choice = typed::<HtmlSelectElement>(&app.borrow().document, "examples")
                .map(|s| s.value())
                .unwrap_or_default();
            let (a, b) = match choice.as_str() {
                "order" => (
                    "Tim chased clouds all his life",
                    "clouds chased Tim all his life",
                ),
                "animals" => ("cat dog car banana", ""),
                _ => (crate::state::SEED_A, crate::state::SEED_B),
            };
            {
                let mut app = app.borrow_mut();
                app.state.a = a.into();
                app.state.b = b.into();
                app.state.token = None;
                if let Some(t) = typed::<HtmlTextAreaElement>(&app.document, "sentence-a") {
                    t.set_value(a);
                }
                if let Some(t) = typed::<HtmlTextAreaElement>(&app.document, "sentence-b") {
                    t.set_value(b);
                }
            }
            request_analysis(app);
        });
    }
    if let Some(lang) = by_id(app, "lang") {
        on_event::<web_sys::Event>(&lang, "change", app, |app, _| {
            let value = typed::<HtmlSelectElement>(&app.borrow().document, "lang")
                .map(|s| s.value())
                .unwrap_or_default();
            app.borrow_mut().state.lang = Lang::from_code(&value).unwrap_or(Lang::En);
            apply_language(&app.borrow());
            render(app);
        });
    }
    if let Some(theme) = by_id(app, "theme") {
        on_event::<web_sys::Event>(&theme, "click", app, |app, _| {
            {
                let mut a = app.borrow_mut();
                a.state.dark = !a.state.dark;
            }
            apply_theme(&app.borrow());
            render(app);
        });
    }
    if let Some(share) = by_id(app, "share") {
        on_event::<web_sys::Event>(&share, "click", app, |app, _| {
            let app = app.borrow();
            sync_url(&app);
            let href = web_sys::window()
                .and_then(|w| w.location().href().ok())
                .unwrap_or_default();
            let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
            let copied = clipboard.is_some_and(|c| {
                let _ = c.write_text(&href);
                true
            });
            let key = if copied { "link-copied" } else { "link-in-bar" };
            set_status(&app.document, text(app.state.lang, key), false);
        });
    }
    for tab in all(&app.borrow().document, "nav.tabs button[data-view]") {
        let name = tab.get_attribute("data-view").unwrap_or_default();
        on_event::<web_sys::Event>(&tab, "click", app, move |app, _| {
            if let Some(view) = View::from_name(&name) {
                app.borrow_mut().state.view = view;
                show_view(&app.borrow());
                request_neuron(app);
                render(app);
            }
        });
    }
    for (id, which) in [("layer", 0), ("head", 1), ("depth", 2)] {
        if let Some(select) = by_id(app, id) {
            on_event::<web_sys::Event>(&select, "change", app, move |app, _| {
                let value = typed::<HtmlSelectElement>(&app.borrow().document, id)
                    .and_then(|s| s.value().parse::<usize>().ok())
                    .unwrap_or(0);
                {
                    let mut a = app.borrow_mut();
                    match which {
                        0 => a.state.layer = value,
                        1 => a.state.head = value,
                        _ => a.state.depth = value,
                    }
                }
                request_neuron(app);
                if app.borrow().generation.is_some() {
                    request_generation(app);
                }
                render(app);
            });
        }
    }
    if let Some(filter) = by_id(app, "pair-filter") {
        on_event::<web_sys::Event>(&filter, "change", app, |app, _| {
            let value = typed::<HtmlSelectElement>(&app.borrow().document, "pair-filter")
                .map(|s| s.value())
                .unwrap_or_default();
            let filter = PairFilter::from_name(&value).unwrap_or(PairFilter::All);
            let needs_pair = {
                let mut a = app.borrow_mut();
                a.state.filter = filter;
                let needs = filter != PairFilter::All && !a.state.pair;
                if needs {
                    // A filter over A and B only exists when they run as one pair.
                    a.state.pair = true;
                    a.state.token = None;
                    if let Some(p) = typed::<HtmlInputElement>(&a.document, "pair") {
                        p.set_checked(true);
                    }
                }
                needs
            };
            if needs_pair {
                request_analysis(app);
            } else {
                render(app);
            }
        });
    }
    // Arrow keys move the selection, except while typing or choosing in a control.
    let document = app.borrow().document.clone();
    if let Some(root) = document.document_element() {
        on_event::<KeyboardEvent>(&root, "keydown", app, |app, event| {
            let in_control = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .is_some_and(|t| {
                    matches!(
                        t.tag_name().to_ascii_lowercase().as_str(),
                        "textarea" | "input" | "select"
                    )
                });
            if in_control {
                return;
            }
            let step: isize = match event.key().as_str() {
                "ArrowLeft" => -1,
                "ArrowRight" => 1,
                _ => return,
            };
            event.prevent_default();
            let moved = {
                let mut a = app.borrow_mut();
                let count = a.chips.len();
                match a.selected() {
                    Some(current) if count > 0 => {
                        let next = (current as isize + step).clamp(0, count as isize - 1) as usize;
                        a.state.token = Some(next);
                        true
                    }
                    _ => false,
                }
            };
            if moved {
                request_neuron(app);
                render(app);
                focus_selected_chip(&app.borrow());
            }
        });
    }
    if let Some(lines) = by_id(app, "all-lines") {
        on_event::<web_sys::Event>(&lines, "change", app, |app, _| {
            let checked = typed::<HtmlInputElement>(&app.borrow().document, "all-lines")
                .is_some_and(|p| p.checked());
            app.borrow_mut().all_lines = checked;
            render(app);
        });
    }
    if let Some(window) = web_sys::window() {
        let resize_app = app.clone();
        let on_resize = Closure::<dyn FnMut()>::new(move || render_canvases(&resize_app));
        let _ =
            window.add_event_listener_with_callback("resize", on_resize.as_ref().unchecked_ref());
        on_resize.forget();
    }
}

fn focus_selected_chip(app: &App) {
    if let Some(i) = app.selected() {
        let selector = format!("[data-testid=token][data-index=\"{i}\"]");
        if let Ok(Some(chip)) = app.document.query_selector(&selector) {
            if let Some(chip) = chip.dyn_ref::<HtmlElement>() {
                let _ = chip.focus();
            }
        }
    }
}

fn read_sentences(app: &Shared) {
    let mut a = app.borrow_mut();
    let read = |id: &str| {
        typed::<HtmlTextAreaElement>(&a.document, id)
            .map(|t| t.value())
            .unwrap_or_default()
    };
    let (first, second) = (read("sentence-a"), read("sentence-b"));
    a.state.a = first;
    a.state.b = second;
}

/// Asks the worker once typing pauses, so a fast typist does not queue a run per keystroke;
/// the page itself never waits for the model.
/// Typing asks for an analysis at once when the worker is free. Keystrokes that arrive while
/// it works merge into one request, sent when its answer comes with the newest text: a fast
/// model follows the keyboard with no fixed delay, and a slow one never builds a queue.
fn schedule_analysis(app: &Shared) {
    let waiting = {
        let mut a = app.borrow_mut();
        if a.analysis_in_flight {
            a.analysis_dirty = true;
        }
        a.analysis_in_flight
    };
    if waiting {
        set_busy(&app.borrow().document, true);
    } else {
        request_analysis(app);
    }
}

/// An analysis was answered (or failed): the text typed meanwhile, if any, goes next.
fn analysis_answered(app: &Shared) {
    let resend = {
        let mut a = app.borrow_mut();
        a.analysis_in_flight = false;
        std::mem::take(&mut a.analysis_dirty)
    };
    if resend {
        request_analysis(app);
    }
}

fn request_analysis(app: &Shared) {
    let request = {
        let mut a = app.borrow_mut();
        if a.facts.is_none() {
            return;
        }
        a.seq += 1;
        a.analysis_in_flight = true;
        Request::Analyze {
            seq: a.seq,
            a: a.state.a.clone(),
            b: a.state.b.clone(),
            pair: a.state.pair,
        }
    };
    let a = app.borrow();
    set_busy(&a.document, true);
    sync_url(&a);
    send(&a, &request);
}

/// Asks for the q/k/v detail the Query, key, value view draws: only while that view is on
/// screen (opening it asks), since it runs a layer again and every keystroke would wait on it.
fn request_neuron(app: &Shared) {
    let a = app.borrow();
    if a.state.view != View::Neuron {
        return;
    }
    let Some((sentence, token)) = a.neuron_target() else {
        return;
    };
    if a.current_neuron().is_some() {
        return;
    }
    send(
        &a,
        &Request::Neuron {
            seq: a.seq,
            sentence,
            layer: a.state.layer,
            head: a.state.head,
            token,
        },
    );
}

fn on_reply(app: &Shared, reply: Reply) {
    let document = app.borrow().document.clone();
    let lang = app.borrow().state.lang;
    match reply {
        Reply::Started => {
            let folder = app.borrow().state.model.clone();
            if let (Some(folder), Some(input)) =
                (&folder, typed::<HtmlInputElement>(&document, "model-url"))
            {
                input.set_value(folder);
            }
            load_folder(app, folder);
            let mut a = app.borrow_mut();
            a.load_notice = a.restart_notice.take();
        }
        Reply::Progress { fraction, message } => {
            if let Some(bar) = typed::<HtmlProgressElement>(&document, "load-progress") {
                bar.set_value(fraction);
            }
            set_status(&document, &message, false);
        }
        Reply::Ready {
            name,
            model_type,
            num_layers,
            num_heads,
            head_dim,
            hidden_size,
            vocab_size,
            max_positions,
            causal,
            one_hot_table_bytes,
            embedding_table_bytes,
            precision,
            weight_bytes,
            memory_bytes,
            ..
        } => {
            {
                let mut a = app.borrow_mut();
                a.state.clamp_to(num_layers, num_heads);
                a.state.model = a.requested_folder.take();
                a.training_record = None;
                a.training_for = None;
                if let Some(record) = a.pending_trained_record.take() {
                    a.training_record = record;
                    a.train.used_at = Some(a.train.step);
                }
                if causal {
                    a.state.pair = false;
                    a.state.filter = PairFilter::All;
                }
                a.analysis = None;
                a.neuron = None;
                a.generation = None;
                a.gen_steps = 0;
                a.positions = None;
                a.chips.clear();
                if let Some(pair) = typed::<HtmlInputElement>(&a.document, "pair") {
                    pair.set_checked(a.state.pair);
                    pair.set_disabled(causal);
                    let _ = pair.set_attribute(
                        "title",
                        if causal {
                            text(lang, "no-pair-gpt")
                        } else {
                            ""
                        },
                    );
                }
                show_model_choice(&a.document, a.state.model.as_deref(), &name);
                a.visible_heads = vec![true; num_heads];
                a.facts = Some(Facts {
                    name,
                    model_type,
                    num_layers,
                    num_heads,
                    head_dim,
                    hidden_size,
                    vocab_size,
                    max_positions,
                    causal,
                    one_hot_table_bytes,
                    embedding_table_bytes,
                    precision,
                    weight_bytes,
                    memory_bytes,
                });
            }
            release_blobs(app);
            if let Some(bar) = typed::<HtmlProgressElement>(&document, "load-progress") {
                bar.set_value(1.0);
                let _ = bar.set_attribute("hidden", "");
            }
            show_ready_status(app);
            set_model_ready(&document, true);
            fill_selects(&app.borrow());
            build_swatches(app);
            apply_language(&app.borrow());
            send(&app.borrow(), &Request::Positions);
            request_analysis(app);
        }
        Reply::Analysis {
            seq,
            num_layers,
            num_heads,
            hidden_size,
            sentences,
            similarity,
            memory_bytes,
        } => {
            if seq != app.borrow().seq {
                analysis_answered(app);
                return;
            }
            if let Some(body) = document.body() {
                // Both wasm memories, for the soak test (and anyone curious).
                let _ = body.set_attribute("data-worker-memory", &memory_bytes.to_string());
                let _ = body.set_attribute(
                    "data-page-memory",
                    &crate::worker::memory_bytes().to_string(),
                );
            }
            {
                let mut a = app.borrow_mut();
                let pair = a.state.pair && sentences.iter().any(|s| s.key == SentenceKey::Pair);
                a.chips = chips(&sentences, pair);
                if a.state.token.is_some_and(|t| t >= a.chips.len()) {
                    a.state.token = None;
                }
                a.hover = None;
                a.analysis = Some(Analysis {
                    num_layers,
                    num_heads,
                    hidden_size,
                    sentences,
                    similarity,
                });
            }
            show_ready_status(app);
            request_neuron(app);
            render(app);
            set_busy(&document, false);
            // Drawn the newest answer there is; newer text typed meanwhile goes next.
            analysis_answered(app);
        }
        Reply::Neuron {
            sentence,
            layer,
            head,
            token,
            head_dim,
            query,
            keys,
            values,
            scores,
            probs,
            context,
            masked_from,
            seq,
        } => {
            if seq != app.borrow().seq {
                return;
            }
            app.borrow_mut().neuron = Some(NeuronData {
                sentence,
                layer,
                head,
                token,
                head_dim,
                query,
                keys,
                values,
                scores,
                probs,
                context,
                masked_from,
            });
            render(app);
        }
        Reply::Generation {
            seq,
            prompt_tokens,
            prompt_ids,
            steps,
            text: continuation,
            layer,
            head,
            attention,
        } => {
            if seq != app.borrow().seq {
                return;
            }
            app.borrow_mut().generation = Some(GenerationData {
                prompt_tokens,
                prompt_ids,
                steps,
                text: continuation,
                layer,
                head,
                attention,
            });
            render(app);
            set_busy(&document, false);
        }
        // Only bench/ asks for timings, from its own worker.
        Reply::Benchmark { .. } => {}
        Reply::Positions { rows, cols, values } => {
            app.borrow_mut().positions = Some((rows, cols, values));
            render_canvases(app);
        }
        Reply::Error { seq, message } => {
            if seq.is_some() {
                analysis_answered(app);
            }
            if seq.is_some_and(|s| s != app.borrow().seq) {
                return;
            }
            if seq.is_none() {
                release_blobs(app);
                if let Some(bar) = element(&document, "load-progress") {
                    let _ = bar.set_attribute("hidden", "");
                }
                let (first_load, folder) = {
                    let mut a = app.borrow_mut();
                    a.requested_folder = None;
                    (a.facts.is_none(), a.state.model.clone())
                };
                if first_load && folder.is_some() {
                    // A link's model folder failed before any model was up: say so, and
                    // open the embedded model so the page still works.
                    let notice = format!(
                        "{} {message} — {} {MODEL_NAME}",
                        text(lang, "load-failed"),
                        text(lang, "showing-instead")
                    );
                    set_status(&document, &notice, true);
                    app.borrow_mut().state.model = None;
                    load_folder(app, None);
                    app.borrow_mut().load_notice = Some(notice);
                    return;
                }
            }
            let a = app.borrow();
            let message = match (&a.facts, seq) {
                (None, _) => format!("{} {message}", text(lang, "load-failed")),
                // A failed load leaves the previous model in place: say which.
                (Some(facts), None) => {
                    set_model_ready(&document, true);
                    format!("{message} — {} {}", text(lang, "still-showing"), facts.name)
                }
                (Some(_), Some(_)) => message,
            };
            drop(a);
            set_status(&document, &message, true);
            set_busy(&document, false);
        }
        reply @ (Reply::Training { .. } | Reply::TrainDownload { .. }) => {
            crate::train_page::on_reply(app, reply);
        }
    }
}

fn fill_selects(app: &App) {
    let Some(facts) = &app.facts else {
        return;
    };
    let fill = |id: &str, count: usize, label: &dyn Fn(usize) -> String, value: usize| {
        let Some(select) = typed::<HtmlSelectElement>(&app.document, id) else {
            return;
        };
        select.set_inner_html("");
        for i in 0..count {
            if let Some(option) = create(&app.document, "option", "", Some(&label(i))) {
                let _ = option.set_attribute("value", &i.to_string());
                let _ = select.append_child(&option);
            }
        }
        select.set_value(&value.to_string());
    };
    fill(
        "layer",
        facts.num_layers,
        &|i| i.to_string(),
        app.state.layer,
    );
    fill("head", facts.num_heads, &|i| i.to_string(), app.state.head);
    let depths = facts.num_layers + 2;
    let labels = depth_labels(app, depths);
    fill(
        "depth",
        depths,
        &|d| app.depth_name(d, &labels),
        app.state.depth,
    );
    if let Some(filter) = typed::<HtmlSelectElement>(&app.document, "pair-filter") {
        filter.set_value(app.state.filter.name());
    }
    if let Some(lang) = typed::<HtmlSelectElement>(&app.document, "lang") {
        lang.set_value(app.state.lang.code());
    }
}

/// One swatch per head in its line colour: click hides or shows it, double-click shows it
/// alone (and makes it the head of the tables and the neuron view).
fn build_swatches(app: &Shared) {
    let document = app.borrow().document.clone();
    let Some(box_) = element(&document, "head-swatches") else {
        return;
    };
    box_.set_inner_html("");
    let heads = app.borrow().visible_heads.len();
    for head in 0..heads {
        let Some(button) = create(&document, "button", "swatch", Some(&head.to_string())) else {
            continue;
        };
        let color = tokenscope_views::head_view::head_color(head);
        let _ = button.set_attribute("type", "button");
        let _ = button.set_attribute("data-head", &head.to_string());
        // Through the CSSOM: the page's CSP refuses style attributes.
        if let Some(button) = button.dyn_ref::<HtmlElement>() {
            let _ = button.style().set_property(
                "--swatch",
                &format!("rgb({}, {}, {})", color.0, color.1, color.2),
            );
        }
        on_event::<MouseEvent>(&button, "click", app, move |app, event| {
            if event.detail() > 1 {
                return; // the second click of a double-click
            }
            if let Some(v) = app.borrow_mut().visible_heads.get_mut(head) {
                *v = !*v;
            }
            render(app);
        });
        on_event::<MouseEvent>(&button, "dblclick", app, move |app, _| {
            {
                let mut a = app.borrow_mut();
                for (i, v) in a.visible_heads.iter_mut().enumerate() {
                    *v = i == head;
                }
                a.state.head = head;
                if let Some(select) = typed::<HtmlSelectElement>(&a.document, "head") {
                    select.set_value(&head.to_string());
                }
            }
            request_neuron(app);
            render(app);
        });
        let _ = box_.append_child(&button);
    }
    if let Some(all_button) = create(&document, "button", "swatch-all", Some("✓ 0–11")) {
        all_button.set_text_content(Some(&format!("✓ 0–{}", heads.saturating_sub(1))));
        let _ = all_button.set_attribute("type", "button");
        let _ = all_button.set_attribute("data-head", "all");
        on_event::<MouseEvent>(&all_button, "click", app, |app, _| {
            for v in app.borrow_mut().visible_heads.iter_mut() {
                *v = true;
            }
            render(app);
        });
        let _ = box_.append_child(&all_button);
    }
}

/// Download buttons under each canvas: PNG from the canvas itself, SVG by drawing the same
/// view again into an SVG string.
fn build_downloads(app: &Shared) {
    let document = app.borrow().document.clone();
    for holder in all(&document, ".downloads[data-view]") {
        let name = holder.get_attribute("data-view").unwrap_or_default();
        add_download_buttons(app, &holder, &name);
    }
}

fn add_download_buttons(app: &Shared, holder: &Element, name: &str) {
    let document = app.borrow().document.clone();
    holder.set_inner_html("");
    let Some(kind) = CanvasKind::from_name(name) else {
        return;
    };
    for format in ["png", "svg"] {
        let Some(button) = create(
            &document,
            "button",
            "download",
            Some(&format.to_uppercase()),
        ) else {
            continue;
        };
        let _ = button.set_attribute("type", "button");
        let _ = button.set_attribute("data-download", format);
        let _ = button.set_attribute("data-canvas", name);
        let _ = button.set_attribute(
            "aria-label",
            &format!(
                "{} {} ({})",
                text(app.borrow().state.lang, "download-label"),
                name,
                format
            ),
        );
        on_event::<web_sys::Event>(&button, "click", app, move |app, _| {
            download(&app.borrow(), kind, format);
        });
        let _ = holder.append_child(&button);
    }
}

fn download(app: &App, kind: CanvasKind, format: &str) {
    let Some(canvas) = typed::<HtmlCanvasElement>(&app.document, &kind.element_id()) else {
        return;
    };
    let file = format!("tokenscope-{}.{format}", kind.name());
    let href = if format == "png" {
        canvas.to_data_url_with_type("image/png").ok()
    } else {
        let mut svg = String::new();
        {
            let backend = SVGBackend::with_string(&mut svg, (canvas.width(), canvas.height()));
            let area = backend.into_drawing_area();
            let _ = paint(app, kind, &area);
        }
        let parts = js_sys::Array::of1(&JsValue::from_str(&svg));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("image/svg+xml");
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
            .ok()
            .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob).ok())
    };
    let Some(href) = href else {
        return;
    };
    if let Some(link) = create(&app.document, "a", "", None) {
        let _ = link.set_attribute("href", &href);
        let _ = link.set_attribute("download", &file);
        if let Some(body) = app.document.body() {
            let _ = body.append_child(&link);
            if let Some(link) = link.dyn_ref::<HtmlElement>() {
                link.click();
            }
            let _ = body.remove_child(&link);
        }
    }
}

fn apply_language(app: &App) {
    let lang = app.state.lang;
    let doc = &app.document;
    if let Some(root) = doc.document_element() {
        let _ = root.set_attribute(
            "lang",
            match lang {
                Lang::En => "en",
                Lang::Zh => "zh-Hans",
            },
        );
    }
    for el in all(doc, "[data-i18n]") {
        if let Some(key) = el.get_attribute("data-i18n") {
            el.set_text_content(Some(text(lang, &key)));
        }
    }
    for el in all(doc, "[data-i18n-label]") {
        if let Some(key) = el.get_attribute("data-i18n-label") {
            let _ = el.set_attribute("aria-label", text(lang, &key));
        }
    }
    for el in all(doc, "[data-i18n-placeholder]") {
        if let Some(key) = el.get_attribute("data-i18n-placeholder") {
            let _ = el.set_attribute("placeholder", text(lang, &key));
        }
    }
    if let Some(select) = typed::<HtmlSelectElement>(doc, "lang") {
        select.set_value(lang.code());
    }
    fill_selects(app);
}

fn apply_theme(app: &App) {
    if let Some(body) = app.document.body() {
        let _ = body.class_list().toggle_with_force("dark", app.state.dark);
    }
    if let Some(button) = element(&app.document, "theme") {
        let _ = button.set_attribute(
            "aria-pressed",
            if app.state.dark { "true" } else { "false" },
        );
    }
    if let Some(root) = app.document.document_element() {
        let _ = root.set_attribute("data-theme", app.theme_name());
    }
}

fn show_view(app: &App) {
    let current = app.state.view.name();
    for tab in all(&app.document, "nav.tabs button[data-view]") {
        let on = tab.get_attribute("data-view").as_deref() == Some(current);
        let _ = tab.set_attribute("aria-selected", if on { "true" } else { "false" });
        let _ = tab.class_list().toggle_with_force("active", on);
    }
    for panel in all(&app.document, "section.view[data-view]") {
        let on = panel.get_attribute("data-view").as_deref() == Some(current);
        set_hidden(&panel, !on);
    }
    let uses_layer = matches!(app.state.view, View::Head | View::Model | View::Neuron);
    if let Some(bar) = element(&app.document, "layer-head") {
        let _ = bar.class_list().toggle_with_force("dim", !uses_layer);
        // Training views have their own settings; the sentence's layer and head mean
        // nothing there.
        set_hidden(&bar, matches!(app.state.view, View::Learning | View::Train));
    }
}

/// Redraws everything that depends on the state: chips, texts, tables and the canvases of
/// the view on screen.
/// The learning view's words and numbers: what the model was trained on, and every
/// held-out measurement as a table.
fn render_learning(app: &App) {
    let lang = app.state.lang;
    let doc = &app.document;
    let facts = match &app.training_record {
        Some(r) => {
            // One clause per run: a model that went on training from another says what
            // each run read, from which step, and where its held-out loss ended.
            let runs: Vec<String> = r
                .stages()
                .iter()
                .map(|stage| {
                    let run = stage.record;
                    let lead = if stage.first_step == 0 {
                        text(lang, "learn-corpus").to_string()
                    } else {
                        format!(
                            "{} {}",
                            text(lang, "learn-then"),
                            grouped(stage.first_step as u64)
                        )
                    };
                    format!(
                        "{lead}: {} · {} {} · {} {} × {} × {} · {} {:.4} ({} {:.1}) · {:.0} s",
                        run.corpus,
                        grouped(run.training_tokens as u64),
                        text(lang, "learn-tokens"),
                        text(lang, "learn-steps"),
                        grouped(run.settings.steps as u64),
                        run.settings.batch,
                        run.settings.seq,
                        text(lang, "learn-final"),
                        run.held_out_loss,
                        text(lang, "learn-perplexity"),
                        run.held_out_perplexity,
                        run.seconds,
                    )
                })
                .collect();
            format!(
                "{} · {} {}",
                runs.join(" — "),
                grouped(r.parameters as u64),
                text(lang, "learn-parameters")
            )
        }
        None => text(lang, "learn-none").to_string(),
    };
    set_text(doc, "learn-facts", &facts);
    if let Some(button) = element(doc, "learn-use-gpt") {
        set_hidden(&button, app.training_record.is_some());
    }
    let Some(holder) = element(doc, "loss-table") else {
        return;
    };
    holder.set_inner_html("");
    let Some(record) = &app.training_record else {
        return;
    };
    // Every held-out measurement of the whole history, on its step axis. A later run's
    // first row is the earlier model on that run's new held-out text, so it is named.
    let mut held: Vec<(usize, f32)> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for stage in record.stages() {
        let measured_before = stage
            .record
            .init
            .as_ref()
            .is_some_and(|i| i.held_out_loss_before.is_some());
        for (i, (step, loss)) in stage.held_out().into_iter().enumerate() {
            rows.push(if i == 0 && measured_before {
                format!("{step} ({})", text(lang, "learn-more-text"))
            } else {
                step.to_string()
            });
            held.push((step, loss));
        }
    }
    let cols = vec![
        text(lang, "learn-held").to_string(),
        text(lang, "learn-perplexity").to_string(),
    ];
    let cells = |r: usize, c: usize| {
        let loss = held[r].1;
        if c == 0 {
            format!("{loss:.4}")
        } else {
            format!("{:.1}", loss.exp())
        }
    };
    put_table(
        doc,
        &holder,
        &TableSpec {
            caption: text(lang, "learn-title"),
            corner: text(lang, "learn-step"),
            col_labels: &cols,
            row_labels: &rows,
            cells: &cells,
            highlight_row: None,
        },
        "loss-table",
    );
}

/// In the learning view, fetches the loaded model's `training.json` once per model folder.
fn ensure_training_record(app: &Shared) {
    let folder = {
        let a = app.borrow();
        if a.state.view != View::Learning || a.facts.is_none() {
            return;
        }
        match &a.state.model {
            Some(folder) if a.training_for.as_ref() != Some(folder) => folder.clone(),
            _ => return,
        }
    };
    app.borrow_mut().training_for = Some(folder.clone());
    let app = app.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let url = format!("{folder}/training.json");
        let record = crate::fetch::fetch_bytes(&url, |_, _| {})
            .await
            .and_then(|bytes| TrainingRecord::parse(&bytes));
        {
            let mut a = app.borrow_mut();
            if a.training_for.as_deref() != Some(folder.as_str()) {
                return; // another model arrived meanwhile
            }
            match record {
                Ok(record) => a.training_record = Some(record),
                Err(message) => {
                    a.training_record = None;
                    set_status(&a.document, &message, true);
                }
            }
        }
        render(&app);
    });
}

fn render(app: &Shared) {
    ensure_training_record(app);
    {
        let a = app.borrow();
        sync_url(&a);
        render_chips(app);
        render_texts(&a);
        render_tables(&a);
        render_swatch_states(&a);
        if a.state.view == View::Train {
            crate::train_page::render(&a);
        }
        if let Some(filter) = element(&a.document, "filter-box") {
            let has_b = !a.state.b.trim().is_empty();
            set_hidden(&filter, !has_b);
        }
        if let Some(select) = typed::<HtmlSelectElement>(&a.document, "pair-filter") {
            select.set_value(a.state.filter.name());
        }
        for (id, value) in [
            ("layer", a.state.layer),
            ("head", a.state.head),
            ("depth", a.state.depth),
        ] {
            if let Some(select) = typed::<HtmlSelectElement>(&a.document, id) {
                select.set_value(&value.to_string());
            }
        }
    }
    render_canvases(app);
}

fn canvases_of(app: &App) -> Vec<CanvasKind> {
    match app.state.view {
        View::Tokens => vec![CanvasKind::Ids],
        View::OneHot => vec![CanvasKind::OneHot, CanvasKind::Embedding],
        View::Similarity => vec![CanvasKind::Similarity, CanvasKind::Drift],
        View::Head => head_keys(app)
            .into_iter()
            .map(CanvasKind::Head)
            .chain([CanvasKind::Matrix])
            .collect(),
        View::Model => vec![CanvasKind::Model],
        View::Neuron => vec![CanvasKind::Neuron],
        View::Position => vec![CanvasKind::Position, CanvasKind::Sum, CanvasKind::Order],
        View::Next => vec![CanvasKind::Next],
        View::Generate => vec![CanvasKind::Generate],
        View::Learning => vec![CanvasKind::Loss],
        View::Train => vec![
            CanvasKind::TrainLoss,
            CanvasKind::TrainPairs,
            CanvasKind::TrainAttention,
        ],
    }
}

/// The head views shown: the pair in pair mode, else A and (when given) B side by side.
fn head_keys(app: &App) -> Vec<SentenceKey> {
    let Some(analysis) = &app.analysis else {
        return Vec::new();
    };
    if app.state.pair
        && analysis
            .sentences
            .iter()
            .any(|s| s.key == SentenceKey::Pair)
    {
        vec![SentenceKey::Pair]
    } else {
        analysis
            .sentences
            .iter()
            .map(|s| s.key)
            .filter(|k| *k != SentenceKey::Pair)
            .collect()
    }
}

fn head_canvas_height(app: &App, key: SentenceKey) -> u32 {
    let rows = app
        .sentence(key)
        .map(|s| {
            let (rows, cols) = filter_indices(&s.type_ids, pair_filter(app, key));
            rows.len().max(cols.len())
        })
        .unwrap_or(10);
    (rows as u32 * 28 + 90).clamp(320, 2000)
}

/// The filter a head view of `key` uses: only the pair has A and B to filter.
pub fn pair_filter(app: &App, key: SentenceKey) -> PairFilter {
    if key == SentenceKey::Pair {
        app.state.filter
    } else {
        PairFilter::All
    }
}

/// Makes sure the head view has one canvas (with download buttons) per shown sentence.
fn ensure_head_canvases(app: &Shared) {
    let (document, keys) = {
        let a = app.borrow();
        (a.document.clone(), head_keys(&a))
    };
    let Some(holder) = element(&document, "head-canvases") else {
        return;
    };
    let wanted: Vec<String> = keys
        .iter()
        .map(|k| CanvasKind::Head(*k).element_id())
        .collect();
    let present: Vec<String> = all(&document, "#head-canvases canvas")
        .iter()
        .map(|c| c.id())
        .collect();
    if present == wanted {
        return;
    }
    holder.set_inner_html("");
    for key in keys {
        let kind = CanvasKind::Head(key);
        let Some(wrap) = create(&document, "div", "canvas-wrap head-wrap", None) else {
            continue;
        };
        if let Some(canvas) = create(&document, "canvas", "", None) {
            canvas.set_id(&kind.element_id());
            let _ = canvas.set_attribute("role", "img");
            let _ = canvas.set_attribute("aria-describedby", "attention-tables");
            let _ = wrap.append_child(&canvas);
        }
        if let Some(downloads) = create(&document, "div", "downloads", None) {
            let _ = downloads.set_attribute("data-view", kind.name());
            let _ = wrap.append_child(&downloads);
            add_download_buttons(app, &downloads, kind.name());
        }
        let _ = holder.append_child(&wrap);
        wire_head_canvas(app, key);
    }
}

pub(crate) fn render_canvases(app: &Shared) {
    if app.borrow().state.view == View::Head {
        ensure_head_canvases(app);
    }
    let mut hits = Vec::new();
    {
        let a = app.borrow();
        for kind in canvases_of(&a) {
            let Some(canvas) = typed::<HtmlCanvasElement>(&a.document, &kind.element_id()) else {
                continue;
            };
            let width = canvas
                .parent_element()
                .map(|p| p.client_width())
                .unwrap_or(0);
            if width <= 0 {
                continue; // not on screen
            }
            let height = match kind {
                CanvasKind::Head(key) => head_canvas_height(&a, key),
                CanvasKind::Neuron => a
                    .focus_sentence()
                    .map(|s| (s.ids.len() as u32 * 30 + 170).clamp(360, 2400))
                    .unwrap_or(520),
                CanvasKind::Matrix => a
                    .focus_sentence()
                    .map(|s| (s.ids.len() as u32 * 34 + 150).clamp(360, 1400))
                    .unwrap_or(480),
                CanvasKind::Model => a
                    .facts
                    .as_ref()
                    .map(|f| (f.num_layers as u32 * 92 + 60).min(1400))
                    .unwrap_or(560),
                _ => canvas.height(),
            };
            canvas.set_width(width as u32);
            canvas.set_height(height);
            let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else {
                continue;
            };
            let area = backend.into_drawing_area();
            match paint(&a, kind, &area) {
                Ok(hit) => {
                    describe_canvas(&a, &canvas, kind, &hit);
                    hits.push((kind, hit));
                }
                Err(e) => set_status(&a.document, &e.to_string(), true),
            }
        }
    }
    app.borrow_mut().hits = hits;
}

/// What a canvas shows, as attributes: tests (and curious users) read which rows, columns,
/// heads and token a head view drew without decoding pixels.
fn describe_canvas(app: &App, canvas: &HtmlCanvasElement, kind: CanvasKind, hit: &Hit) {
    let _ = canvas.set_attribute("data-drawn", "1");
    if let (CanvasKind::Head(key), Hit::Head(_, rows, cols)) = (kind, hit) {
        let heads: Vec<String> = app
            .visible_heads
            .iter()
            .enumerate()
            .filter(|(_, v)| **v)
            .map(|(h, _)| h.to_string())
            .collect();
        let focus = app.focus_in(key).map(|f| f.to_string()).unwrap_or_default();
        let _ = canvas.set_attribute("data-queries", &rows.len().to_string());
        let _ = canvas.set_attribute("data-keys", &cols.len().to_string());
        let _ = canvas.set_attribute("data-heads", &heads.join(","));
        let _ = canvas.set_attribute("data-focus", &focus);
        let _ = canvas.set_attribute("data-layer", &app.state.layer.to_string());
    }
}

fn hit_of(app: &App, kind: CanvasKind) -> Option<Hit> {
    app.hits
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, h)| h.clone())
}

fn canvas_point(event: &MouseEvent) -> (i32, i32) {
    (event.offset_x(), event.offset_y())
}

/// Pointer over a head view: hovering a token shows only its lines; clicking selects it.
fn wire_head_canvas(app: &Shared, key: SentenceKey) {
    let Some(canvas) = by_id(app, &CanvasKind::Head(key).element_id()) else {
        return;
    };
    let chip_at = move |app: &App, event: &MouseEvent| -> Option<usize> {
        let Some(Hit::Head(layout, rows, cols)) = hit_of(app, CanvasKind::Head(key)) else {
            return None;
        };
        let (x, y) = canvas_point(event);
        let (side, i) = layout.token_at(x, y)?;
        let index = match side {
            tokenscope_views::head_view::Column::Query => *rows.get(i)?,
            tokenscope_views::head_view::Column::Key => *cols.get(i)?,
        };
        app.chips
            .iter()
            .position(|c| c.source == key && c.index == index)
    };
    on_event::<MouseEvent>(&canvas, "mousemove", app, move |app, event| {
        let hover = chip_at(&app.borrow(), &event);
        set_hover(app, hover);
    });
    on_event::<MouseEvent>(&canvas, "mouseleave", app, |app, _| set_hover(app, None));
    on_event::<MouseEvent>(&canvas, "click", app, move |app, event| {
        let Some(chip) = chip_at(&app.borrow(), &event) else {
            return;
        };
        select_chip(app, chip);
    });
}

fn wire_canvases(app: &Shared) {
    if let Some(canvas) = by_id(app, "canvas-model") {
        on_event::<MouseEvent>(&canvas, "click", app, |app, event| {
            let cell = match hit_of(&app.borrow(), CanvasKind::Model) {
                Some(Hit::Model(layout)) => {
                    let (x, y) = canvas_point(&event);
                    layout.cell_at(x, y)
                }
                _ => None,
            };
            let Some((layer, head)) = cell else {
                return;
            };
            {
                let mut a = app.borrow_mut();
                a.state.layer = layer;
                a.state.head = head;
                a.state.view = View::Head;
                for (i, v) in a.visible_heads.iter_mut().enumerate() {
                    *v = i == head;
                }
            }
            show_view(&app.borrow());
            request_neuron(app);
            render(app);
        });
    }
    if let Some(canvas) = by_id(app, "canvas-matrix") {
        on_event::<MouseEvent>(&canvas, "click", app, |app, event| {
            let target = {
                let a = app.borrow();
                let source = a.selected().and_then(|i| a.chips.get(i)).map(|c| c.source);
                match (hit_of(&a, CanvasKind::Matrix), source) {
                    (Some(Hit::Similarity(layout)), Some(source)) => {
                        let (x, y) = canvas_point(&event);
                        layout.cell_at(x, y).and_then(|(row, _)| {
                            a.chips
                                .iter()
                                .position(|c| c.source == source && c.index == row)
                        })
                    }
                    _ => None,
                }
            };
            if let Some(chip) = target {
                select_chip(app, chip);
            }
        });
    }
    if let Some(canvas) = by_id(app, "canvas-similarity") {
        on_event::<MouseEvent>(&canvas, "click", app, |app, event| {
            let target = {
                let a = app.borrow();
                match hit_of(&a, CanvasKind::Similarity) {
                    Some(Hit::Similarity(layout)) => {
                        let (x, y) = canvas_point(&event);
                        layout.cell_at(x, y).and_then(|(row, _)| {
                            // Rows are A's tokens, each encoded alone: find the matching chip.
                            a.chips
                                .iter()
                                .position(|c| c.side == Side::A && c.index == row)
                        })
                    }
                    _ => None,
                }
            };
            if let Some(chip) = target {
                select_chip(app, chip);
            }
        });
    }
}

fn select_chip(app: &Shared, chip: usize) {
    app.borrow_mut().state.token = Some(chip);
    request_neuron(app);
    render(app);
}

/// Previews the chip under the pointer (None: none) in the chips and the head views.
fn set_hover(app: &Shared, hover: Option<usize>) {
    if hover == app.borrow().hover {
        return;
    }
    app.borrow_mut().hover = hover;
    render_canvases(app);
    render_chip_states(&app.borrow());
}

/// The chip an event happened on, by its `data-index`.
fn chip_of_event(event: &web_sys::Event) -> Option<usize> {
    event
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest("[data-testid=token]")
        .ok()??
        .get_attribute("data-index")?
        .parse()
        .ok()
}

/// One set of listeners on each chip list, for chips drawn again at every keystroke: a
/// listener per chip would be a closure kept forever per chip per update.
fn wire_chips(app: &Shared) {
    for side in [Side::A, Side::B] {
        let Some(list) = by_id(app, &format!("tokens-{}", side.as_str())) else {
            continue;
        };
        on_event::<MouseEvent>(&list, "click", app, |app, event| {
            if let Some(index) = chip_of_event(&event) {
                select_chip(app, index);
            }
        });
        on_event::<KeyboardEvent>(&list, "keydown", app, |app, event| {
            if event.key() == "Enter" || event.key() == " " {
                if let Some(index) = chip_of_event(&event) {
                    event.prevent_default();
                    select_chip(app, index);
                }
            }
        });
        // mouseover bubbles from the chips; over the gaps between them it clears the hover.
        on_event::<MouseEvent>(&list, "mouseover", app, |app, event| {
            set_hover(app, chip_of_event(&event));
        });
        on_event::<MouseEvent>(&list, "mouseleave", app, |app, _| set_hover(app, None));
    }
}

fn render_chips(app: &Shared) {
    let document = app.borrow().document.clone();
    for side in [Side::A, Side::B] {
        let Some(list) = element(&document, &format!("tokens-{}", side.as_str())) else {
            continue;
        };
        list.set_inner_html("");
        let chips: Vec<(usize, Chip)> = app
            .borrow()
            .chips
            .iter()
            .enumerate()
            .filter(|(_, c)| c.side == side)
            .map(|(i, c)| (i, c.clone()))
            .collect();
        for (index, chip) in chips {
            let class = if chip.special {
                "token-chip special"
            } else {
                "token-chip"
            };
            let Some(li) = create(&document, "li", class, Some(&readable(&chip.token))) else {
                continue;
            };
            let _ = li.set_attribute("data-token", &chip.token);
            let _ = li.set_attribute("data-testid", "token");
            let _ = li.set_attribute("data-sentence", side.as_str());
            let _ = li.set_attribute("data-id", &chip.id.to_string());
            let _ = li.set_attribute("data-index", &index.to_string());
            let _ = li.set_attribute("tabindex", "0");
            let _ = li.set_attribute("role", "button");
            let _ = li.set_attribute("title", &format!("{} → id {}", chip.token, chip.id));
            let _ = list.append_child(&li);
        }
    }
    render_chip_states(&app.borrow());
}

fn render_chip_states(app: &App) {
    let selected = app.selected();
    for chip in all(&app.document, "[data-testid=token]") {
        let index = chip
            .get_attribute("data-index")
            .and_then(|i| i.parse::<usize>().ok());
        let is_selected = index.is_some() && index == selected;
        let _ = chip.class_list().toggle_with_force("selected", is_selected);
        let _ = chip
            .class_list()
            .toggle_with_force("hovered", index.is_some() && index == app.hover);
        let _ = chip.set_attribute("aria-pressed", if is_selected { "true" } else { "false" });
    }
}

fn render_swatch_states(app: &App) {
    for swatch in all(&app.document, "#head-swatches button[data-head]") {
        let Some(head) = swatch
            .get_attribute("data-head")
            .and_then(|h| h.parse::<usize>().ok())
        else {
            continue;
        };
        let on = app.visible_heads.get(head).copied().unwrap_or(false);
        let _ = swatch.set_attribute("aria-pressed", if on { "true" } else { "false" });
        let _ = swatch
            .class_list()
            .toggle_with_force("current", head == app.state.head);
    }
}

/// The element `id` when it is on screen now: outside the views, in the view shown, or the
/// text alternative of one of its canvases (the model view's canvas is described by the head
/// view's attention tables). Only these are rebuilt at a keystroke (rebuilding every view's
/// tables was most of the page's time); switching views renders the new one.
fn shown(app: &App, id: &str) -> Option<Element> {
    let view = app.state.view.name();
    element(&app.document, id).filter(|el| match el.closest("section.view[data-view]") {
        Ok(Some(section)) => {
            section.get_attribute("data-view").as_deref() == Some(view)
                || app
                    .document
                    .query_selector(&format!(
                        "section.view[data-view=\"{view}\"] [aria-describedby~=\"{id}\"]"
                    ))
                    .ok()
                    .flatten()
                    .is_some()
        }
        _ => true,
    })
}

fn shown_text(app: &App, id: &str, text: &str) {
    if let Some(el) = shown(app, id) {
        el.set_text_content(Some(text));
    }
}

fn render_texts(app: &App) {
    render_learning(app);
    let lang = app.state.lang;
    let doc = &app.document;
    if let Some(facts) = &app.facts {
        shown_text(
            app,
            "model-info",
            &format!(
                "{} · {} · {} {} × {} {} · {} {} · {} {}",
                facts.name,
                facts.model_type,
                facts.num_layers,
                text(lang, "layers"),
                facts.num_heads,
                text(lang, "heads-count"),
                text(lang, "hidden"),
                facts.hidden_size,
                text(lang, "vocabulary"),
                grouped(facts.vocab_size as u64),
            ),
        );
        let mut memory = format!(
            "{} {} ({})",
            text(lang, "weights-in-memory"),
            human_bytes(facts.weight_bytes),
            facts.precision,
        );
        if facts.memory_bytes > 0 {
            memory.push_str(&format!(
                " · {} {}",
                text(lang, "worker-memory"),
                human_bytes(facts.memory_bytes)
            ));
        }
        shown_text(app, "model-memory", &memory);
        if let Some(line) = shown(app, "model-memory") {
            let _ = line.set_attribute("title", text(lang, "memory-title"));
        }
    }
    let selected = app.selected().and_then(|i| app.chips.get(i));
    let selection = selected
        .map(|c| {
            format!(
                "{} “{}” (id {}, {} {})",
                text(lang, "selected"),
                readable(&c.token),
                c.id,
                text(lang, "sentence"),
                c.side.as_str().to_uppercase()
            )
        })
        .unwrap_or_default();
    shown_text(app, "selection", &selection);

    // Above every view: a text longer than the model's positions was cut, and by how much.
    if let Some(notice) = shown(app, "text-notice") {
        let message = app.truncation_message();
        notice.set_text_content(Some(&message));
        let _ = notice.toggle_attribute_with_force("hidden", message.is_empty());
    }

    // Tokens view: the ids as lists and the shape of the embeddings.
    if let (Some(holder), Some(analysis)) = (shown(app, "ids-list"), &app.analysis) {
        holder.set_inner_html("");
        let pair = app.state.pair
            && analysis
                .sentences
                .iter()
                .any(|s| s.key == SentenceKey::Pair);
        for sentence in &analysis.sentences {
            if pair != (sentence.key == SentenceKey::Pair) {
                continue;
            }
            let name = match sentence.key {
                SentenceKey::A => "A".to_string(),
                SentenceKey::B => "B".to_string(),
                SentenceKey::Pair => text(lang, "pair").to_string(),
            };
            let ids = sentence
                .ids
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            if let Some(p) = create(doc, "p", "id-line", None) {
                let _ = p.set_attribute("data-sentence", sentence.key.as_str());
                if let Some(b) = create(doc, "strong", "", Some(&format!("{name}: "))) {
                    let _ = p.append_child(&b);
                }
                if let Some(code) = create(doc, "code", "", Some(&format!("[{ids}]"))) {
                    let _ = code.set_attribute("data-testid", "ids");
                    let _ = p.append_child(&code);
                }
                let count = sentence.ids.len();
                let mut shape = format!(
                    " — {count} {} → {} [1, {count}, {}]",
                    text(lang, "tokens-count"),
                    text(lang, "shape"),
                    analysis.hidden_size
                );
                if sentence.truncated > 0 {
                    shape.push_str(&format!(
                        " · {} {}",
                        text(lang, "truncated"),
                        sentence.truncated
                    ));
                }
                if sentence.too_long {
                    shape.push_str(&format!(" · {name} {}", text(lang, "too-long")));
                }
                if let Some(s) = create(doc, "span", "shape", Some(&shape)) {
                    let _ = p.append_child(&s);
                }
                let _ = holder.append_child(&p);
            }
        }
    }

    // One-hot facts: where the single 1 is and what the two tables cost.
    if let (Some(facts), Some(chip), Some(holder)) =
        (&app.facts, selected, shown(app, "onehot-facts"))
    {
        holder.set_inner_html("");
        let lines = [
            format!(
                "“{}”: {} {} — {}: 1 {} {}",
                chip.token,
                text(lang, "one-in"),
                chip.id,
                text(lang, "nonzero"),
                text(lang, "of"),
                grouped(facts.vocab_size as u64)
            ),
            format!(
                "{}: {} = {} ({} B)",
                text(lang, "memory-onehot"),
                format_args!(
                    "{} × {}",
                    grouped(facts.vocab_size as u64),
                    grouped(facts.vocab_size as u64)
                ),
                human_bytes(facts.one_hot_table_bytes),
                grouped(facts.one_hot_table_bytes)
            ),
            format!(
                "{}: {} = {} ({} B)",
                text(lang, "memory-embedding"),
                format_args!(
                    "{} × {}",
                    grouped(facts.vocab_size as u64),
                    facts.hidden_size
                ),
                human_bytes(facts.embedding_table_bytes),
                grouped(facts.embedding_table_bytes)
            ),
            format!(
                "{}: {}",
                text(lang, "memory"),
                text(lang, "memory-ratio").replace(
                    "{n}",
                    &format!(
                        "{:.0}",
                        facts.one_hot_table_bytes as f64
                            / facts.embedding_table_bytes.max(1) as f64
                    )
                )
            ),
        ];
        for line in lines {
            if let Some(p) = create(doc, "p", "", Some(&line)) {
                let _ = holder.append_child(&p);
            }
        }
        if let Some(bar) = create(doc, "div", "memory-bars", None) {
            let ratio =
                facts.embedding_table_bytes as f64 / facts.one_hot_table_bytes.max(1) as f64;
            for (label, share, class) in [
                (text(lang, "memory-onehot"), 1.0, "bar onehot"),
                (text(lang, "memory-embedding"), ratio, "bar embedding"),
            ] {
                if let (Some(line), Some(row), Some(name)) = (
                    create(doc, "div", "bar-row", None),
                    create(doc, "div", class, None),
                    create(doc, "span", "bar-label", Some(label)),
                ) {
                    let width = (share * 100.0).max(0.4);
                    if let Some(row) = row.dyn_ref::<HtmlElement>() {
                        let _ = row.style().set_property("--share", &format!("{width:.2}%"));
                    }
                    let _ = line.append_child(&name);
                    let _ = line.append_child(&row);
                    let _ = bar.append_child(&line);
                }
            }
            let _ = holder.append_child(&bar);
        }
    }

    // Drift in words, for whoever cannot see the chart.
    let drift = app.similarity().and_then(|(sim, rows, cols)| {
        let selected = app.selected_separate()?;
        let cell = crate::page_data::partner(sim, rows.len(), cols.len(), rows, cols, selected)?;
        let values = crate::page_data::series(sim, rows.len(), cols.len(), cell);
        let labels = depth_labels(app, sim.depths);
        let parts: Vec<String> = labels
            .iter()
            .zip(&values)
            .map(|(l, v)| format!("{l} {v:.4}"))
            .collect();
        Some(format!(
            "“{}” · “{}” ({}): {} {}",
            rows[cell.0],
            cols[cell.1],
            text(lang, "partner"),
            text(lang, "drift-says"),
            parts.join(", ")
        ))
    });
    shown_text(app, "drift-text", &drift.unwrap_or_default());

    // Which sentence the model view and the neuron view show.
    if let Some(sentence) = app.focus_sentence() {
        let name = match sentence.key {
            SentenceKey::Pair => text(lang, "pair").to_string(),
            other => format!(
                "{} {}",
                text(lang, "sentence"),
                other.as_str().to_uppercase()
            ),
        };
        let line = format!(
            "{name}: {} — {}",
            sentence.tokens.join(" "),
            text(lang, "which-hint")
        );
        shown_text(app, "model-which", &line);
    }
    // In words: whom the selected token attends to in this layer, per shown sentence.
    if let Some(holder) = shown(app, "attends") {
        holder.set_inner_html("");
        let shown = app.visible_heads.iter().filter(|v| **v).count();
        for key in head_keys(app) {
            let Some(sentence) = app.sentence(key) else {
                continue;
            };
            let (Some(query), Some(layer)) = (app.focus_in(key), app.current_layer(sentence))
            else {
                continue;
            };
            // Keys the pair filter hides do not count either.
            let (_, shown_keys) = filter_indices(&sentence.type_ids, pair_filter(app, key));
            let excluded: Vec<bool> = (0..sentence.ids.len())
                .map(|k| sentence.special[k] || !shown_keys.contains(&k))
                .collect();
            let keys = strongest_keys(layer, &app.visible_heads, query, &excluded, 3);
            if keys.is_empty() {
                continue;
            }
            let list = keys
                .iter()
                .map(|(k, w)| format!("{} {w:.3}", sentence.tokens[*k]))
                .collect::<Vec<_>>()
                .join(" · ");
            let line = format!(
                "{} · “{}” → {list} ({} {}, {} {shown} {})",
                match key {
                    SentenceKey::Pair => text(lang, "pair").to_string(),
                    other => other.as_str().to_uppercase(),
                },
                sentence.tokens[query],
                text(lang, "layer"),
                app.state.layer,
                text(lang, "mean-of"),
                text(lang, "heads-count"),
            );
            if let Some(p) = create(doc, "p", "", Some(&line)) {
                let _ = p.set_attribute("data-sentence", key.as_str());
                let _ = holder.append_child(&p);
            }
        }
        if holder.child_element_count() > 0 {
            if let Some(note) = create(doc, "p", "hint", Some(text(lang, "attends-note"))) {
                let _ = holder.append_child(&note);
            }
        }
    }

    if let Some((rows, cols, _)) = &app.positions {
        let used = app.focus_sentence().map(|s| s.ids.len()).unwrap_or(0);
        shown_text(
            app,
            "position-text",
            &format!(
                "{rows} × {cols}. {} {}.",
                text(lang, "position-uses"),
                used.saturating_sub(1)
            ),
        );
    }
    let order = app.similarity().map(|(sim, rows, cols)| {
        if sim.rows == sim.cols {
            return text(lang, "no-b").to_string();
        }
        let shared = crate::page_data::shared_words(rows, cols);
        if shared.is_empty() {
            return text(lang, "order-none").to_string();
        }
        shared
            .iter()
            .map(|(w, i, j)| {
                let s = crate::page_data::series(sim, rows.len(), cols.len(), (*i, *j));
                let first = s.first().copied().unwrap_or(0.0);
                let last = s.last().copied().unwrap_or(0.0);
                format!("{w}: {first:.4} → {last:.4}")
            })
            .collect::<Vec<_>>()
            .join(" · ")
    });
    shown_text(app, "order-text", &order.unwrap_or_default());
}

fn render_tables(app: &App) {
    let lang = app.state.lang;
    let doc = &app.document;
    let Some(analysis) = &app.analysis else {
        return;
    };
    // Attention of the current layer and head, one table per shown sentence.
    if let Some(holder) = shown(app, "attention-tables") {
        holder.set_inner_html("");
        for key in head_keys(app) {
            let Some(sentence) = app.sentence(key) else {
                continue;
            };
            let Some(layer) = app.current_layer(sentence) else {
                continue;
            };
            let head =
                layer.index_axis(ndarray::Axis(0), app.state.head.min(analysis.num_heads - 1));
            let caption = format!(
                "{} · {} · {} {} · {} {} ({} ↓, {} →)",
                text(lang, "attention-caption"),
                match key {
                    SentenceKey::Pair => text(lang, "pair").to_string(),
                    other => other.as_str().to_uppercase(),
                },
                text(lang, "layer"),
                app.state.layer,
                text(lang, "head"),
                app.state.head,
                text(lang, "query-token"),
                text(lang, "key-token"),
            );
            let cells = |r: usize, c: usize| format!("{:.4}", head[[r, c]]);
            let focus = app.focus_in(key);
            if let Some(t) = put_table(
                doc,
                &holder,
                &TableSpec {
                    caption: &caption,
                    corner: "",
                    col_labels: &sentence.tokens,
                    row_labels: &sentence.tokens,
                    cells: &cells,
                    highlight_row: focus,
                },
                "attention-table",
            ) {
                if app.facts.as_ref().is_some_and(|f| f.causal) {
                    mark_future_cells(&t);
                }
                let _ = t.set_attribute("data-sentence", key.as_str());
                let _ = t.set_attribute("data-layer", &app.state.layer.to_string());
                let _ = t.set_attribute("data-head", &app.state.head.to_string());
            }
        }
    }
    // Cosine similarity at the chosen depth.
    if let Some(holder) = shown(app, "similarity-table-box") {
        holder.set_inner_html("");
        if let Some((sim, rows, cols)) = app.similarity() {
            let depth = app.state.depth.min(sim.depths.saturating_sub(1));
            if let Some(values) = similarity_at(sim, rows.len(), cols.len(), depth) {
                let labels = depth_labels(app, sim.depths);
                let caption = format!(
                    "{} · {} (A ↓, {} →)",
                    text(lang, "similarity-caption"),
                    app.depth_name(depth, &labels),
                    if sim.rows == sim.cols { "A" } else { "B" }
                );
                let cells = |r: usize, c: usize| format!("{:.4}", values[[r, c]]);
                if let Some(t) = put_table(
                    doc,
                    &holder,
                    &TableSpec {
                        caption: &caption,
                        corner: "",
                        col_labels: cols,
                        row_labels: rows,
                        cells: &cells,
                        highlight_row: None,
                    },
                    "similarity-table",
                ) {
                    let _ = t.set_attribute("data-depth", &depth.to_string());
                }
            }
        }
    }
    // The selected token's embedding, eight numbers per row.
    if let Some(holder) = shown(app, "embedding-table") {
        holder.set_inner_html("");
        if let Some(values) = app.selected_embedding() {
            let per_row = 8;
            let rows: Vec<String> = (0..values.len().div_ceil(per_row))
                .map(|r| {
                    format!(
                        "{}–{}",
                        r * per_row,
                        (r * per_row + per_row - 1).min(values.len() - 1)
                    )
                })
                .collect();
            let cols: Vec<String> = (0..per_row).map(|c| format!("+{c}")).collect();
            let cells = |r: usize, c: usize| {
                values
                    .get(r * per_row + c)
                    .map(|v| format!("{v:.4}"))
                    .unwrap_or_default()
            };
            put_table(
                doc,
                &holder,
                &TableSpec {
                    caption: text(lang, "embedding-title"),
                    corner: text(lang, "dimension"),
                    col_labels: &cols,
                    row_labels: &rows,
                    cells: &cells,
                    highlight_row: None,
                },
                "embedding-table",
            );
        }
    }
    // The position rows this sentence uses: what the top of the position map draws.
    if let Some(holder) = shown(app, "position-table") {
        holder.set_inner_html("");
        if let Some((rows, cols, values)) = &app.positions {
            let used = app
                .focus_sentence()
                .map(|s| s.ids.len())
                .unwrap_or(0)
                .min(*rows);
            let row_labels: Vec<String> = (0..used).map(|r| r.to_string()).collect();
            let col_labels: Vec<String> = (0..*cols).map(|c| c.to_string()).collect();
            let cells = |r: usize, c: usize| {
                values
                    .get(r * cols + c)
                    .map(|v| format!("{v:.4}"))
                    .unwrap_or_default()
            };
            put_table(
                doc,
                &holder,
                &TableSpec {
                    caption: text(lang, "position-title"),
                    corner: text(lang, "position-axis"),
                    col_labels: &col_labels,
                    row_labels: &row_labels,
                    cells: &cells,
                    highlight_row: None,
                },
                "position-table",
            );
        }
    }
    // Word + position for the selected token.
    if let Some(holder) = shown(app, "sum-table") {
        holder.set_inner_html("");
        if let Some(rows) = app.word_position_rows() {
            let row_labels = vec![
                text(lang, "word-row").to_string(),
                text(lang, "position-axis").to_string(),
                text(lang, "sum-row").to_string(),
            ];
            let col_labels: Vec<String> = (0..rows[0].len()).map(|c| c.to_string()).collect();
            let cells = |r: usize, c: usize| format!("{:.4}", rows[r][c]);
            put_table(
                doc,
                &holder,
                &TableSpec {
                    caption: text(lang, "sum-title"),
                    corner: "",
                    col_labels: &col_labels,
                    row_labels: &row_labels,
                    cells: &cells,
                    highlight_row: None,
                },
                "sum-table",
            );
        }
    }
    // Next token: the candidates after the selected position, and every position's guess.
    for id in ["next-table", "predictions-table"] {
        if let Some(holder) = element(doc, id) {
            holder.set_inner_html("");
        }
    }
    if !app.facts.as_ref().is_some_and(|f| f.causal) {
        if let (Some(holder), Some(p)) = (
            shown(app, "next-table"),
            create(doc, "p", "facts", Some(text(lang, "next-bert"))),
        ) {
            let _ = holder.append_child(&p);
            if let Some(button) = create(doc, "button", "use-gpt", Some(text(lang, "use-gpt"))) {
                let _ = button.set_attribute("type", "button");
                let _ = button.set_attribute("data-action", "use-gpt");
                let _ = holder.append_child(&button);
            }
        }
    }
    let selected_chip = app.selected().and_then(|i| app.chips.get(i));
    if let Some((sentence, index)) =
        selected_chip.and_then(|c| app.sentence(c.source).map(|s| (s, c.index)))
    {
        if let (Some(prediction), Some(holder)) =
            (sentence.predictions.get(index), shown(app, "next-table"))
        {
            let rows: Vec<String> = (1..=prediction.top.len()).map(|r| r.to_string()).collect();
            let cols = vec![
                text(lang, "token").to_string(),
                "id".to_string(),
                text(lang, "probability").to_string(),
            ];
            let cells = |r: usize, c: usize| {
                let t = &prediction.top[r];
                match c {
                    0 => readable(&t.token),
                    1 => t.id.to_string(),
                    _ => format!("{:.4}", t.prob),
                }
            };
            let caption = format!(
                "{} “{}”",
                text(lang, "next-title"),
                readable(&sentence.tokens[index])
            );
            if let Some(t) = put_table(
                doc,
                &holder,
                &TableSpec {
                    caption: &caption,
                    corner: text(lang, "rank"),
                    col_labels: &cols,
                    row_labels: &rows,
                    cells: &cells,
                    highlight_row: prediction
                        .actual
                        .as_ref()
                        .and_then(|a| prediction.top.iter().position(|t| t.id == a.id)),
                },
                "next-token-table",
            ) {
                let _ = t.set_attribute("data-position", &index.to_string());
            }
        }
        if let (false, Some(holder)) = (
            sentence.predictions.is_empty(),
            shown(app, "predictions-table"),
        ) {
            let rows: Vec<String> = sentence
                .tokens
                .iter()
                .enumerate()
                .map(|(i, t)| format!("{i} {}", readable(t)))
                .collect();
            let cols = vec![
                text(lang, "guess").to_string(),
                text(lang, "probability").to_string(),
                text(lang, "next-actual").to_string(),
                text(lang, "probability").to_string(),
            ];
            let cells = |r: usize, c: usize| {
                let p = &sentence.predictions[r];
                match c {
                    0 => p
                        .top
                        .first()
                        .map(|t| readable(&t.token))
                        .unwrap_or_default(),
                    1 => p
                        .top
                        .first()
                        .map(|t| format!("{:.4}", t.prob))
                        .unwrap_or_default(),
                    2 => p
                        .actual
                        .as_ref()
                        .map(|t| readable(&t.token))
                        .unwrap_or_default(),
                    _ => p
                        .actual
                        .as_ref()
                        .map(|t| format!("{:.4}", t.prob))
                        .unwrap_or_default(),
                }
            };
            put_table(
                doc,
                &holder,
                &TableSpec {
                    caption: text(lang, "predictions-caption"),
                    corner: text(lang, "position"),
                    col_labels: &cols,
                    row_labels: &rows,
                    cells: &cells,
                    highlight_row: Some(index),
                },
                "predictions-table",
            );
        }
    }
    // Generation: the text with its continuation, and every step's candidates.
    if let Some(output) = shown(app, "gen-output") {
        output.set_inner_html("");
        if let Some(prompt) = create(doc, "span", "prompt", Some(&app.state.a)) {
            let _ = output.append_child(&prompt);
        }
        match &app.generation {
            Some(generation) => {
                for step in &generation.steps {
                    let shown = step.token.replace('Ġ', " ").replace('Ċ', "\n");
                    if let Some(span) = create(doc, "span", "generated", Some(&shown)) {
                        let _ = span
                            .set_attribute("title", &format!("{} ({:.4})", step.token, step.prob));
                        let _ = output.append_child(&span);
                    }
                }
                if let Some(exact) = create(doc, "span", "visually-hidden", Some(&generation.text))
                {
                    let _ = exact.set_attribute("data-testid", "gen-text");
                    let _ = output.append_child(&exact);
                }
            }
            None => {
                if let Some(hint) = create(
                    doc,
                    "span",
                    "hint",
                    Some(&format!("  — {}", text(lang, "gen-empty"))),
                ) {
                    let _ = output.append_child(&hint);
                }
            }
        }
    }
    if let Some(holder) = shown(app, "generation-table") {
        holder.set_inner_html("");
        if !app.facts.as_ref().is_some_and(|f| f.causal) {
            if let Some(p) = create(doc, "p", "facts", Some(text(lang, "next-bert"))) {
                let _ = holder.append_child(&p);
            }
            if let Some(button) = create(doc, "button", "use-gpt", Some(text(lang, "use-gpt"))) {
                let _ = button.set_attribute("type", "button");
                let _ = button.set_attribute("data-action", "use-gpt");
                let _ = holder.append_child(&button);
            }
        }
        if let Some(generation) = app.generation.as_ref().filter(|g| !g.steps.is_empty()) {
            let rows: Vec<String> = (1..=generation.steps.len())
                .map(|i| i.to_string())
                .collect();
            let cols = vec![
                text(lang, "token").to_string(),
                "id".to_string(),
                text(lang, "probability").to_string(),
                text(lang, "kept").to_string(),
                text(lang, "candidates").to_string(),
            ];
            let cells = |r: usize, c: usize| {
                let step = &generation.steps[r];
                match c {
                    0 => readable(&step.token),
                    1 => step.id.to_string(),
                    2 => format!("{:.4}", step.prob),
                    3 => step.kept.to_string(),
                    _ => step
                        .top
                        .iter()
                        .take(6)
                        .map(|(_, token, prob, kept)| {
                            format!(
                                "{} {prob:.3}{}",
                                readable(token),
                                if *kept { "" } else { " ✗" }
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" · "),
                }
            };
            put_table(
                doc,
                &holder,
                &TableSpec {
                    caption: text(lang, "gen-caption"),
                    corner: text(lang, "step"),
                    col_labels: &cols,
                    row_labels: &rows,
                    cells: &cells,
                    highlight_row: None,
                },
                "generation-table",
            );
        }
    }
    // The neuron view's numbers: one row per key.
    if let Some(holder) = shown(app, "neuron-table") {
        holder.set_inner_html("");
        if let (Some(neuron), Some(sentence)) = (
            app.current_neuron(),
            app.current_neuron().and_then(|n| app.sentence(n.sentence)),
        ) {
            let d = neuron.head_dim;
            let cols: Vec<String> = vec![
                text(lang, "n-score").to_string(),
                text(lang, "n-softmax").to_string(),
                "q·k".to_string(),
            ];
            let cells = |r: usize, c: usize| match c {
                0 => format!("{:.4}", neuron.scores[r]),
                1 => format!("{:.4}", neuron.probs[r]),
                _ => {
                    let dot: f32 = (0..d)
                        .map(|k| neuron.query[k] * neuron.keys[r * d + k])
                        .sum();
                    format!("{dot:.4}")
                }
            };
            put_table(
                doc,
                &holder,
                &TableSpec {
                    caption: &format!(
                        "“{}” · {} {} · {} {}",
                        sentence
                            .tokens
                            .get(neuron.token)
                            .cloned()
                            .unwrap_or_default(),
                        text(lang, "layer"),
                        neuron.layer,
                        text(lang, "head"),
                        neuron.head
                    ),
                    corner: text(lang, "key-token"),
                    col_labels: &cols,
                    row_labels: &sentence.tokens,
                    cells: &cells,
                    highlight_row: None,
                },
                "neuron-table",
            );
        }
    }
}

/// In a causal model's attention table, the cells of future tokens (column > row) get the
/// `masked` class: they are 0 by construction, not by what the model learned.
fn mark_future_cells(table: &Element) {
    let Ok(rows) = table.query_selector_all("tbody tr") else {
        return;
    };
    for r in 0..rows.length() {
        let Some(row) = rows.item(r).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        let Ok(cells) = row.query_selector_all("td") else {
            continue;
        };
        for c in (r + 1)..cells.length() {
            if let Some(cell) = cells.item(c).and_then(|n| n.dyn_into::<Element>().ok()) {
                cell.set_class_name("masked");
            }
        }
    }
}

/// The seed's 4-number vectors as inputs, with their cosine matrix recomputed on every edit.
fn build_toy(app: &Shared) {
    let document = app.borrow().document.clone();
    let Some(holder) = element(&document, "toy") else {
        return;
    };
    holder.set_inner_html("");
    let Some(grid) = create(&document, "div", "toy-inputs", None) else {
        return;
    };
    let toy = app.borrow().toy.clone();
    for (row, (name, values)) in toy.iter().enumerate() {
        let Some(line) = create(&document, "div", "toy-row", None) else {
            continue;
        };
        if let Some(label) = create(&document, "span", "toy-name", Some(name)) {
            let _ = line.append_child(&label);
        }
        for (col, value) in values.iter().enumerate() {
            let Some(input) = create(&document, "input", "", None) else {
                continue;
            };
            let _ = input.set_attribute("type", "number");
            let _ = input.set_attribute("step", "0.1");
            let _ = input.set_attribute("value", &value.to_string());
            let _ = input.set_attribute("aria-label", &format!("{name} [{col}]"));
            let _ = input.set_attribute("data-toy", &format!("{row},{col}"));
            on_event::<web_sys::Event>(&input, "input", app, move |app, event| {
                let value = event
                    .target()
                    .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                    .map(|i| i.value_as_number())
                    .filter(|v| v.is_finite());
                if let Some(value) = value {
                    if let Some(entry) = app.borrow_mut().toy.get_mut(row) {
                        entry.1[col] = value as f32;
                    }
                    render_toy_table(&app.borrow());
                }
            });
            let _ = line.append_child(&input);
        }
        let _ = grid.append_child(&line);
    }
    let _ = holder.append_child(&grid);
    if let Some(result) = create(&document, "div", "toy-result", None) {
        result.set_id("toy-result");
        let _ = holder.append_child(&result);
    }
    render_toy_table(&app.borrow());
}

fn render_toy_table(app: &App) {
    let Some(holder) = element(&app.document, "toy-result") else {
        return;
    };
    holder.set_inner_html("");
    let names: Vec<String> = app.toy.iter().map(|(n, _)| n.clone()).collect();
    let vectors: Vec<ndarray::Array1<f32>> = app
        .toy
        .iter()
        .map(|(_, v)| ndarray::Array1::from(v.to_vec()))
        .collect();
    let cells = |r: usize, c: usize| {
        format!(
            "{:.4}",
            tokenscope_core::analysis::cosine(vectors[r].view(), vectors[c].view())
        )
    };
    put_table(
        &app.document,
        &holder,
        &TableSpec {
            caption: text(app.state.lang, "similarity-caption"),
            corner: "cos",
            col_labels: &names,
            row_labels: &names,
            cells: &cells,
            highlight_row: None,
        },
        "toy-table",
    );
}
