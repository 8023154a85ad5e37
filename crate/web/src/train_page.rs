//! The Train view's page side: its controls, what the worker reports about the run, and
//! the words and tables drawn from it (the charts are in `paint`).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{
    DragEvent, HtmlAnchorElement, HtmlButtonElement, HtmlInputElement, HtmlSelectElement,
    HtmlTextAreaElement,
};

use crate::app::{on_event, render_canvases, send, set_status_line, App};
use crate::dom::{all, create, element, put_table, set_text, typed, TableSpec};
use crate::format::grouped;
use crate::i18n::text;
use crate::protocol::{
    Reply, Request, TrainCommand, TrainFacts, TrainPhase, TrainPoint, TrainSetup, TrainSnapshot,
    TrainWatch,
};
use crate::state::View;
use crate::trainer::{overfitting, parse_pairs};
use crate::training_record::{LossPoint, RecordSettings, TrainingRecord};

type Shared = Rc<RefCell<App>>;

/// The shipped sample text (assets/examples), fetched the first time it is needed.
const SAMPLE_URL: &str = "examples/train-sample.txt";
/// Samples kept on screen (the newest first).
const SAMPLES_SHOWN: usize = 60;

/// What the page knows of the run.
pub struct TrainPanel {
    pub phase: TrainPhase,
    pub facts: Option<TrainFacts>,
    pub points: Vec<TrainPoint>,
    pub step: usize,
    pub tokens_per_second: f64,
    /// The latest snapshot (the attention drawn).
    pub snapshot: Option<TrainSnapshot>,
    /// (step, prompt, sample) of every snapshot with a sample, oldest first.
    pub samples: Vec<(usize, String, String)>,
    /// "cat · dog" for each watched pair, and (step, cosine of each) per snapshot since the
    /// pairs were chosen.
    pub pair_names: Vec<String>,
    pub cosines: Vec<(usize, Vec<Option<f32>>)>,
    pub error: Option<String>,
    /// Start pressed, no answer yet (the tokenizer is being learned).
    pub preparing: bool,
    pub sample_text: Option<String>,
    /// The run has been handed to every view as the model (its step).
    pub used_at: Option<usize>,
}

impl TrainPanel {
    pub fn new() -> Self {
        TrainPanel {
            phase: TrainPhase::Idle,
            facts: None,
            points: Vec::new(),
            step: 0,
            tokens_per_second: 0.0,
            snapshot: None,
            samples: Vec::new(),
            pair_names: Vec::new(),
            cosines: Vec::new(),
            error: None,
            preparing: false,
            sample_text: None,
            used_at: None,
        }
    }

    fn clear_run(&mut self) {
        self.facts = None;
        self.points.clear();
        self.step = 0;
        self.tokens_per_second = 0.0;
        self.snapshot = None;
        self.samples.clear();
        self.cosines.clear();
        self.used_at = None;
    }

    /// The run as a learning-view record, for when it becomes the page's model.
    pub fn record(&self) -> Option<TrainingRecord> {
        let facts = self.facts.as_ref()?;
        let held_out_loss = self.points.iter().rev().find_map(|p| p.held_out_loss)?;
        Some(TrainingRecord {
            corpus: facts.corpus_name.clone(),
            parameters: facts.parameters,
            vocab_size: facts.vocab_size,
            training_tokens: facts.training_tokens,
            held_out_tokens: facts.held_out_tokens,
            held_out_loss,
            held_out_perplexity: held_out_loss.exp(),
            seconds: if self.tokens_per_second > 0.0 {
                (self.step * facts.batch * facts.context) as f64 / self.tokens_per_second
            } else {
                0.0
            },
            settings: RecordSettings {
                batch: facts.batch,
                seq: facts.context,
                steps: self.step,
                learning_rate: facts.learning_rate,
                ..RecordSettings::default()
            },
            history: self
                .points
                .iter()
                .map(|p| LossPoint {
                    step: p.step,
                    learning_rate: p.learning_rate,
                    train_loss: p.train_loss,
                    held_out_loss: p.held_out_loss,
                })
                .collect(),
            // The page trains from random numbers only.
            init: None,
            ..TrainingRecord::default()
        })
    }
}

impl Default for TrainPanel {
    fn default() -> Self {
        Self::new()
    }
}

fn input_value(app: &App, id: &str) -> String {
    typed::<HtmlInputElement>(&app.document, id)
        .map(|i| i.value())
        .unwrap_or_default()
}

/// A whole number from a number field, or what to fix.
fn whole(app: &App, id: &str, label_key: &str) -> Result<usize, String> {
    let value = input_value(app, id);
    value.trim().parse::<usize>().map_err(|_| {
        format!(
            "{}: “{}” is not a whole number",
            text(app.state.lang, label_key),
            value
        )
    })
}

fn watch_of(app: &App) -> TrainWatch {
    let select = |id: &str| {
        typed::<HtmlSelectElement>(&app.document, id)
            .and_then(|s| s.value().parse::<usize>().ok())
            .unwrap_or(0)
    };
    TrainWatch {
        prompt: input_value(app, "train-prompt"),
        pairs: parse_pairs(&input_value(app, "train-pairs")),
        probe: input_value(app, "train-probe"),
        layer: select("train-layer"),
        head: select("train-head"),
    }
}

fn uses_sample(app: &App) -> bool {
    typed::<HtmlInputElement>(&app.document, "train-source-sample").is_some_and(|r| r.checked())
}

fn own_text(app: &App) -> String {
    typed::<HtmlTextAreaElement>(&app.document, "train-text")
        .map(|t| t.value())
        .unwrap_or_default()
}

/// The run the controls describe, or what is wrong with them.
fn setup_of(app: &App, corpus: String) -> Result<TrainSetup, String> {
    let lang = app.state.lang;
    let learning_rate_text = input_value(app, "train-lr");
    let learning_rate = learning_rate_text.trim().parse::<f32>().map_err(|_| {
        format!(
            "{}: “{learning_rate_text}” is not a number",
            text(lang, "train-lr")
        )
    })?;
    Ok(TrainSetup {
        corpus_name: if uses_sample(app) {
            "the shipped sample (3,435 WordNet 3.0 example sentences)".into()
        } else {
            format!(
                "text given in the page ({} characters)",
                corpus.chars().count()
            )
        },
        corpus,
        vocab: whole(app, "train-vocab", "train-vocab")?,
        layers: whole(app, "train-layers", "train-layers")?,
        heads: whole(app, "train-heads", "train-heads")?,
        width: whole(app, "train-width", "train-width")?,
        context: whole(app, "train-context", "train-context")?,
        batch: whole(app, "train-batch", "train-batch")?,
        steps: whole(app, "train-steps", "train-steps")?,
        learning_rate,
        sample_every: whole(app, "train-every", "train-every")?.max(1),
        seed: whole(app, "train-seed", "seed")? as u64,
    })
}

/// Train / Pause / Continue, by where the run is.
fn press_go(app: &Shared) {
    let phase = app.borrow().train.phase;
    match phase {
        TrainPhase::Running => send(&app.borrow(), &Request::Train(TrainCommand::Pause)),
        TrainPhase::Paused => send(&app.borrow(), &Request::Train(TrainCommand::Resume)),
        TrainPhase::Idle | TrainPhase::Finished => start(app),
    }
}

fn start(app: &Shared) {
    if app.borrow().train.preparing {
        return;
    }
    let sample = uses_sample(&app.borrow());
    if sample && app.borrow().train.sample_text.is_none() {
        // Fetch the sample once, then start.
        app.borrow_mut().train.preparing = true;
        app.borrow_mut().train.error = None;
        render(&app.borrow());
        let app = app.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let fetched = crate::fetch::fetch_bytes(SAMPLE_URL, |_, _| {})
                .await
                .and_then(|b| String::from_utf8(b).map_err(|_| "the sample is not UTF-8".into()));
            {
                let mut a = app.borrow_mut();
                a.train.preparing = false;
                match fetched {
                    Ok(text) => a.train.sample_text = Some(text),
                    Err(message) => a.train.error = Some(message),
                }
            }
            if app.borrow().train.sample_text.is_some() {
                start(&app);
            } else {
                render(&app.borrow());
            }
        });
        return;
    }
    let corpus = {
        let a = app.borrow();
        if sample {
            a.train.sample_text.clone().unwrap_or_default()
        } else {
            own_text(&a)
        }
    };
    let setup = setup_of(&app.borrow(), corpus);
    match setup {
        Ok(setup) => {
            let watch = watch_of(&app.borrow());
            {
                let mut a = app.borrow_mut();
                a.train.preparing = true;
                a.train.error = None;
                a.train.pair_names = pair_names(&watch);
            }
            render(&app.borrow());
            send(
                &app.borrow(),
                &Request::Train(TrainCommand::Start { setup, watch }),
            );
        }
        Err(message) => {
            app.borrow_mut().train.error = Some(message);
            render(&app.borrow());
        }
    }
}

fn pair_names(watch: &TrainWatch) -> Vec<String> {
    watch
        .pairs
        .iter()
        .map(|(a, b)| format!("{a} · {b}"))
        .collect()
}

/// Tells the worker what to watch now; the pairs' history starts again when they change.
fn send_watch(app: &Shared) {
    let watch = watch_of(&app.borrow());
    {
        let mut a = app.borrow_mut();
        let names = pair_names(&watch);
        if names != a.train.pair_names {
            a.train.pair_names = names;
            a.train.cosines.clear();
        }
        if a.train.phase == TrainPhase::Idle {
            return;
        }
    }
    send(&app.borrow(), &Request::Train(TrainCommand::Watch(watch)));
}

/// Layer and head choices for the probe, from the run (or the size fields before one).
fn fill_probe_selects(app: &App) {
    let (layers, heads) = match &app.train.facts {
        Some(f) => (f.layers, f.heads),
        None => (
            input_value(app, "train-layers").parse().unwrap_or(1),
            input_value(app, "train-heads").parse().unwrap_or(1),
        ),
    };
    for (id, count) in [("train-layer", layers), ("train-head", heads)] {
        let Some(select) = typed::<HtmlSelectElement>(&app.document, id) else {
            continue;
        };
        let count = count.clamp(1, 16);
        if select.length() as usize == count {
            continue;
        }
        let keep = select.value();
        select.set_inner_html("");
        for i in 0..count {
            if let Some(option) = create(&app.document, "option", "", Some(&i.to_string())) {
                let _ = option.set_attribute("value", &i.to_string());
                let _ = select.append_child(&option);
            }
        }
        if keep.parse::<usize>().is_ok_and(|k| k < count) {
            select.set_value(&keep);
        }
    }
}

pub fn wire(app: &Shared) {
    let doc = app.borrow().document.clone();
    if let Some(button) = element(&doc, "train-go") {
        on_event::<web_sys::Event>(&button, "click", app, |app, _| press_go(app));
    }
    if let Some(button) = element(&doc, "train-reset") {
        on_event::<web_sys::Event>(&button, "click", app, |app, _| {
            send(&app.borrow(), &Request::Train(TrainCommand::Reset));
        });
    }
    if let Some(button) = element(&doc, "train-use") {
        on_event::<web_sys::Event>(&button, "click", app, |app, _| {
            let record = app.borrow().train.record();
            crate::app::expect_trained_model(app, record);
            send(&app.borrow(), &Request::Train(TrainCommand::Use));
        });
    }
    if let Some(button) = element(&doc, "train-download") {
        on_event::<web_sys::Event>(&button, "click", app, |app, _| {
            send(&app.borrow(), &Request::Train(TrainCommand::Download));
        });
    }
    for id in [
        "train-prompt",
        "train-pairs",
        "train-probe",
        "train-layer",
        "train-head",
    ] {
        if let Some(input) = element(&doc, id) {
            on_event::<web_sys::Event>(&input, "change", app, |app, _| {
                send_watch(app);
                render(&app.borrow());
            });
        }
    }
    for id in ["train-layers", "train-heads"] {
        if let Some(input) = element(&doc, id) {
            on_event::<web_sys::Event>(&input, "change", app, |app, _| {
                fill_probe_selects(&app.borrow());
            });
        }
    }
    if let Some(area) = element(&doc, "train-text") {
        on_event::<web_sys::Event>(&area, "input", app, |app, _| {
            if let Some(own) = typed::<HtmlInputElement>(&app.borrow().document, "train-source-own")
            {
                own.set_checked(true);
            }
            render(&app.borrow());
        });
        on_event::<DragEvent>(&area, "dragover", app, |_, event| event.prevent_default());
        on_event::<DragEvent>(&area, "drop", app, |app, event| {
            event.prevent_default();
            let Some(file) = event
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0))
            else {
                return;
            };
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|v| v.as_string());
                let a = app.borrow();
                match text {
                    Some(text) => {
                        if let Some(area) = typed::<HtmlTextAreaElement>(&a.document, "train-text")
                        {
                            area.set_value(&text);
                        }
                        if let Some(own) =
                            typed::<HtmlInputElement>(&a.document, "train-source-own")
                        {
                            own.set_checked(true);
                        }
                    }
                    None => set_status_line(&a.document, "the dropped file is not text", true),
                }
                render(&a);
            });
        });
    }
    for radio in all(&doc, "input[name=train-source]") {
        on_event::<web_sys::Event>(&radio, "change", app, |app, _| render(&app.borrow()));
    }
    fill_probe_selects(&app.borrow());
    let names = pair_names(&watch_of(&app.borrow()));
    app.borrow_mut().train.pair_names = names;
}

/// A reply about training: kept, and drawn when the Train view is on screen.
pub fn on_reply(app: &Shared, reply: Reply) {
    match reply {
        Reply::Training {
            phase,
            facts,
            points,
            step,
            tokens_per_second,
            snapshot,
            error,
        } => {
            {
                let mut a = app.borrow_mut();
                let panel = &mut a.train;
                panel.preparing = false;
                if phase == TrainPhase::Idle {
                    panel.clear_run();
                } else if panel.facts.is_none() || (step == 0 && points.is_empty()) {
                    // A new run.
                    let used = panel.used_at;
                    panel.clear_run();
                    panel.used_at = used.filter(|_| step > 0);
                }
                panel.phase = phase;
                if facts.is_some() {
                    panel.facts = facts;
                }
                panel.points.extend(points);
                panel.step = step;
                panel.tokens_per_second = tokens_per_second;
                if let Some(snapshot) = snapshot {
                    if !snapshot.sample.is_empty() || !snapshot.prompt.is_empty() {
                        panel.samples.push((
                            snapshot.step,
                            snapshot.prompt.clone(),
                            snapshot.sample.clone(),
                        ));
                    }
                    let cosines = snapshot.pairs.iter().map(|p| p.cosine).collect();
                    match panel.cosines.last_mut() {
                        Some(last) if last.0 == snapshot.step => last.1 = cosines,
                        _ => panel.cosines.push((snapshot.step, cosines)),
                    }
                    panel.snapshot = Some(snapshot);
                }
                panel.error = error;
            }
            fill_probe_selects(&app.borrow());
            if app.borrow().state.view == View::Train {
                render(&app.borrow());
                render_canvases(app);
            } else {
                render_tab(&app.borrow());
            }
        }
        Reply::TrainDownload { url, file_name } => {
            let a = app.borrow();
            if let Some(link) = create(&a.document, "a", "", None)
                .and_then(|l| l.dyn_into::<HtmlAnchorElement>().ok())
            {
                link.set_href(&url);
                link.set_download(&file_name);
                let _ = link.set_attribute("data-testid", "train-download-link");
                if let Some(body) = a.document.body() {
                    let _ = body.append_child(&link);
                    link.click();
                    link.remove();
                }
            }
        }
        _ => {}
    }
}

/// The tab says the run goes on while another view is shown.
fn render_tab(app: &App) {
    for tab in all(&app.document, "nav.tabs button[data-view=train]") {
        let base = text(app.state.lang, "tab-train");
        let label = match app.train.phase {
            TrainPhase::Running => format!("{base} · {}", app.train.step),
            _ => base.to_string(),
        };
        tab.set_text_content(Some(&label));
    }
}

fn set_disabled(app: &App, id: &str, disabled: bool) {
    if let Some(el) = element(&app.document, id) {
        if let Ok(button) = el.clone().dyn_into::<HtmlButtonElement>() {
            button.set_disabled(disabled);
        } else if let Ok(input) = el.clone().dyn_into::<HtmlInputElement>() {
            input.set_disabled(disabled);
        } else if let Ok(area) = el.dyn_into::<HtmlTextAreaElement>() {
            area.set_disabled(disabled);
        }
    }
}

/// The Train view's words, buttons and tables.
pub fn render(app: &App) {
    let lang = app.state.lang;
    let doc = &app.document;
    let panel = &app.train;
    render_tab(app);
    let has_run = panel.phase != TrainPhase::Idle;
    let go = match panel.phase {
        TrainPhase::Running => "train-pause",
        TrainPhase::Paused => "train-continue",
        TrainPhase::Idle | TrainPhase::Finished => "train-go",
    };
    set_text(doc, "train-go", text(lang, go));
    if let Some(button) = element(doc, "train-go") {
        let _ = button.set_attribute("data-i18n", go);
        let _ = button.set_attribute("data-phase", &format!("{:?}", panel.phase).to_lowercase());
    }
    set_disabled(app, "train-go", panel.preparing);
    set_disabled(app, "train-reset", !has_run || panel.preparing);
    let stopped = matches!(panel.phase, TrainPhase::Paused | TrainPhase::Finished);
    set_disabled(app, "train-use", !stopped);
    set_disabled(app, "train-download", !stopped);
    // Settings belong to a run: changing them means a new run.
    for id in [
        "train-source-sample",
        "train-source-own",
        "train-text",
        "train-layers",
        "train-heads",
        "train-width",
        "train-context",
        "train-vocab",
        "train-lr",
        "train-batch",
        "train-steps",
        "train-every",
        "train-seed",
    ] {
        set_disabled(app, id, has_run || panel.preparing);
    }

    let own = own_text(app);
    let text_facts = if has_run {
        text(lang, "train-locked").to_string()
    } else if uses_sample(app) {
        String::new()
    } else {
        format!(
            "{} {} {}",
            grouped(own.chars().count() as u64),
            text(lang, "train-own-facts"),
            own.lines().filter(|l| !l.trim().is_empty()).count()
        )
    };
    set_text(doc, "train-text-facts", &text_facts);

    let status = if let Some(error) = &panel.error {
        error.clone()
    } else if panel.preparing {
        if uses_sample(app) && panel.sample_text.is_none() {
            text(lang, "train-loading-sample").to_string()
        } else {
            text(lang, "train-preparing").to_string()
        }
    } else if let Some(facts) = &panel.facts {
        let phase = match panel.phase {
            TrainPhase::Running => text(lang, "train-running"),
            TrainPhase::Paused => text(lang, "train-paused"),
            TrainPhase::Finished => text(lang, "train-finished"),
            TrainPhase::Idle => "",
        };
        let mut line = format!(
            "{phase} · {} {} / {} · {} {}",
            text(lang, "train-step"),
            grouped(panel.step as u64),
            grouped(facts.steps as u64),
            grouped(panel.tokens_per_second.round() as u64),
            text(lang, "train-tokens-per-s"),
        );
        // The mean of the last 10 batches: one batch's loss jumps too much to read.
        let recent: Vec<f32> = panel
            .points
            .iter()
            .rev()
            .take(10)
            .map(|p| p.train_loss)
            .collect();
        if !recent.is_empty() {
            let mean = recent.iter().sum::<f32>() / recent.len() as f32;
            line.push_str(&format!(" · {} {mean:.3}", text(lang, "train-last-loss")));
        }
        if let Some(held) = panel.points.iter().rev().find_map(|p| p.held_out_loss) {
            line.push_str(&format!(" · {} {held:.3}", text(lang, "learn-final")));
        }
        line.push_str(&format!(
            " — {} {} · {} {} · {} {} {} {}",
            grouped(facts.parameters as u64),
            text(lang, "learn-parameters"),
            grouped(facts.vocab_size as u64),
            text(lang, "train-tokens-of"),
            grouped(facts.training_tokens as u64),
            text(lang, "train-facts"),
            grouped(facts.held_out_tokens as u64),
            text(lang, "train-tokens-of"),
        ));
        if let Some(step) = panel.used_at {
            line.push_str(&format!(
                " · {} {} {step}",
                text(lang, "train-in-use"),
                text(lang, "train-step")
            ));
        }
        line
    } else {
        text(lang, "train-idle").to_string()
    };
    set_text(doc, "train-status", &status);
    set_text(
        doc,
        "train-advice",
        if overfitting(&panel.points) {
            text(lang, "train-overfit")
        } else {
            ""
        },
    );
    if let Some(line) = element(doc, "train-status") {
        let _ = line
            .class_list()
            .toggle_with_force("error", panel.error.is_some());
        let _ = line.set_attribute("data-step", &panel.step.to_string());
        // The mean training loss of the first and the latest ten steps, for tests and
        // for anyone reading the page's source.
        let mean = |points: &mut dyn Iterator<Item = &TrainPoint>| {
            let losses: Vec<f32> = points.take(10).map(|p| p.train_loss).collect();
            (!losses.is_empty()).then(|| losses.iter().sum::<f32>() / losses.len() as f32)
        };
        for (name, value) in [
            ("data-first-loss", mean(&mut panel.points.iter())),
            ("data-loss", mean(&mut panel.points.iter().rev())),
        ] {
            let _ = line.set_attribute(name, &value.map_or(String::new(), |v| format!("{v:.4}")));
        }
    }

    if let Some(list) = element(doc, "train-samples") {
        list.set_inner_html("");
        if panel.samples.is_empty() {
            if let Some(item) = create(doc, "li", "hint", Some(text(lang, "train-no-sample"))) {
                let _ = list.append_child(&item);
            }
        }
        for (step, prompt, sample) in panel.samples.iter().rev().take(SAMPLES_SHOWN) {
            let Some(item) = create(doc, "li", "", None) else {
                continue;
            };
            let _ = item.set_attribute("data-step", &step.to_string());
            for (class, words) in [
                ("step", format!("{} {step}", text(lang, "train-step"))),
                ("prompt", prompt.clone()),
                ("sample", sample.clone()),
            ] {
                if let Some(span) = create(doc, "span", class, Some(&words)) {
                    let _ = item.append_child(&span);
                }
            }
            let _ = list.append_child(&item);
        }
    }
    render_table(app);
}

/// Every snapshot step: the held-out loss measured there and each pair's cosine.
fn render_table(app: &App) {
    let lang = app.state.lang;
    let doc = &app.document;
    let Some(holder) = element(doc, "train-table") else {
        return;
    };
    holder.set_inner_html("");
    let panel = &app.train;
    if panel.cosines.is_empty() {
        return;
    }
    let held = |step: usize| {
        panel
            .points
            .iter()
            .find(|p| p.step == step)
            .and_then(|p| p.held_out_loss)
    };
    let rows: Vec<String> = panel.cosines.iter().map(|(s, _)| s.to_string()).collect();
    let mut cols = vec![text(lang, "learn-held").to_string()];
    cols.extend(
        panel
            .pair_names
            .iter()
            .map(|n| format!("{} {n}", text(lang, "train-cosine"))),
    );
    let cells = |r: usize, c: usize| {
        let (step, values) = &panel.cosines[r];
        if c == 0 {
            return held(*step).map_or("—".into(), |l| format!("{l:.4}"));
        }
        values
            .get(c - 1)
            .copied()
            .flatten()
            .map_or("—".into(), |v| format!("{v:.4}"))
    };
    put_table(
        doc,
        &holder,
        &TableSpec {
            caption: text(lang, "h-train-pairs"),
            corner: text(lang, "learn-step"),
            col_labels: &cols,
            row_labels: &rows,
            cells: &cells,
            highlight_row: None,
        },
        "train-table",
    );
}
