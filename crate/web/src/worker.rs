//! The worker that owns the model: it downloads and builds it, answers the page's requests,
//! and keeps its previous model when a new one fails to load.

use std::cell::RefCell;
use std::rc::Rc;

use tokenscope_core::tensors::parameter_count;
use tokenscope_core::{Model, Precision};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::analysis::{analyze, generation, positions, ready, Session};
use crate::fetch::fetch_bytes;
use crate::protocol::{Reply, Request, TrainCommand, TrainPhase, TrainSnapshot, TrainWatch};
use crate::trainer::Trainer;
use tokenscope_core::generate::Sampling;

struct Loaded {
    name: String,
    model: Model,
    /// The traces of the last analysis, for per-head detail requests.
    session: Session,
}

/// The Train view's run.
struct Training {
    trainer: Trainer,
    watch: TrainWatch,
    phase: TrainPhase,
    /// Milliseconds spent in steps (not paused, not drawing), for tokens/s and the record.
    busy_ms: f64,
    /// The step of the last snapshot sent.
    snapshot_step: usize,
}

impl Training {
    fn tokens_per_second(&self) -> f64 {
        let facts = &self.trainer.facts;
        let tokens = (self.trainer.run.step * facts.batch * facts.context) as f64;
        if self.busy_ms > 0.0 {
            tokens / (self.busy_ms / 1000.0)
        } else {
            0.0
        }
    }
}

#[derive(Default)]
struct WorkerState {
    loaded: Option<Loaded>,
    training: Option<Training>,
    /// A training loop is scheduled; a second would step twice as often.
    looping: bool,
}

type State = Rc<RefCell<WorkerState>>;

/// How long the worker trains before it lets messages (Pause, an analysis) in.
const SLICE_MS: f64 = 100.0;

fn scope() -> Option<DedicatedWorkerGlobalScope> {
    js_sys::global().dyn_into().ok()
}

thread_local! {
    /// Whether the client sends requests as bytes (the page) rather than JSON text (a
    /// script such as `bench/speed.mjs`): answers go back in the same form.
    static BINARY_CLIENT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn post(reply: &Reply) {
    let Some(scope) = scope() else {
        return;
    };
    if BINARY_CLIENT.with(|b| b.get()) {
        // Transferred, not copied: the page takes the buffer over.
        let bytes = js_sys::Uint8Array::from(reply.to_bytes().as_slice());
        let transfer = js_sys::Array::of1(&bytes.buffer());
        let _ = scope.post_message_with_transfer(&bytes, &transfer);
    } else {
        let _ = scope.post_message(&JsValue::from_str(&reply.to_json()));
    }
}

pub fn start() {
    let Some(scope) = scope() else {
        return;
    };
    let state: State = Rc::new(RefCell::new(WorkerState::default()));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let request = match data.as_string() {
            Some(text) => {
                BINARY_CLIENT.with(|b| b.set(false));
                Request::from_json(&text)
            }
            None => {
                BINARY_CLIENT.with(|b| b.set(true));
                Request::from_bytes(&js_sys::Uint8Array::new(&data).to_vec())
            }
        };
        match request {
            Ok(request) => handle(&state, request),
            Err(message) => post(&Reply::Error { seq: None, message }),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as its handler.
    on_message.forget();
    post(&Reply::Started);
}

fn handle(state: &State, request: Request) {
    match request {
        Request::Load { folder, name } => {
            let urls = [
                format!("{folder}/config.json"),
                format!("{folder}/tokenizer.json"),
                format!("{folder}/model.safetensors"),
            ];
            start_load(state, name, urls);
        }
        Request::LoadUrls {
            name,
            config,
            tokenizer,
            weights,
        } => start_load(state, name, [config, tokenizer, weights]),
        Request::Analyze { seq, a, b, pair } => {
            let mut state = state.borrow_mut();
            let Some(loaded) = state.loaded.as_mut() else {
                post(&still_loading(seq));
                return;
            };
            match analyze(&loaded.model, seq, &a, &b, pair) {
                Ok((mut reply, session)) => {
                    loaded.session = session;
                    if let Reply::Analysis {
                        memory_bytes: m, ..
                    } = &mut reply
                    {
                        *m = memory_bytes();
                    }
                    post(&reply);
                }
                Err(message) => post(&Reply::Error {
                    seq: Some(seq),
                    message,
                }),
            }
        }
        Request::Neuron {
            seq,
            sentence,
            layer,
            head,
            token,
        } => {
            let state = state.borrow();
            let Some(loaded) = state.loaded.as_ref() else {
                post(&still_loading(seq));
                return;
            };
            let causal = loaded.model.info().causal;
            post(&match loaded
                .session
                .neuron(seq, sentence, layer, head, token, causal)
            {
                Ok(reply) => reply,
                Err(message) => Reply::Error {
                    seq: Some(seq),
                    message,
                },
            });
        }
        Request::Generate {
            seq,
            text,
            max_tokens,
            temperature,
            top_k,
            top_p,
            seed,
            layer,
            head,
        } => {
            let state = state.borrow();
            let Some(loaded) = state.loaded.as_ref() else {
                post(&still_loading(seq));
                return;
            };
            let sampling = Sampling {
                temperature,
                top_k,
                top_p,
                seed,
            };
            post(&match generation(
                &loaded.model,
                seq,
                &text,
                max_tokens,
                &sampling,
                layer,
                head,
            ) {
                Ok(reply) => reply,
                Err(message) => Reply::Error {
                    seq: Some(seq),
                    message,
                },
            });
        }
        Request::Positions => {
            let state = state.borrow();
            if let Some(loaded) = state.loaded.as_ref() {
                post(&positions(&loaded.model));
            }
        }
        Request::Train(command) => train_command(state, command),
        Request::Benchmark { text, warmup, runs } => {
            let state = state.borrow();
            match state.loaded.as_ref() {
                Some(loaded) => post(&benchmark(&loaded.model, &text, warmup, runs)),
                None => post(&still_loading(0)),
            }
        }
    }
}

/// Times, in the worker, what the page's speed depends on (see `Request::Benchmark`).
fn benchmark(model: &Model, text: &str, warmup: usize, runs: usize) -> Reply {
    let now = || {
        scope()
            .and_then(|s| s.performance())
            .map_or_else(js_sys::Date::now, |p| p.now())
    };
    let mut tokens = 0;
    let mut trace_ms = Vec::with_capacity(runs);
    let mut analysis_ms = Vec::with_capacity(runs);
    for run in 0..warmup + runs {
        let started = now();
        match model.trace(text, None) {
            Ok(trace) => tokens = trace.len(),
            Err(e) => {
                return Reply::Error {
                    seq: None,
                    message: e.to_string(),
                }
            }
        }
        let traced = now();
        let _ = analyze(model, 0, text, "", false);
        let analysed = now();
        if run >= warmup {
            trace_ms.push(traced - started);
            analysis_ms.push(analysed - traced);
        }
    }
    Reply::Benchmark {
        tokens,
        trace_ms,
        analysis_ms,
    }
}

/// The run's state as one reply, with the points not yet sent.
fn training_update(
    training: &mut Training,
    snapshot: Option<TrainSnapshot>,
    error: Option<String>,
) -> Reply {
    Reply::Training {
        phase: training.phase,
        facts: Some(training.trainer.facts.clone()),
        points: training.trainer.new_points(),
        step: training.trainer.run.step,
        tokens_per_second: training.tokens_per_second(),
        snapshot,
        error,
    }
}

fn idle_update(error: Option<String>) -> Reply {
    Reply::Training {
        phase: TrainPhase::Idle,
        facts: None,
        points: Vec::new(),
        step: 0,
        tokens_per_second: 0.0,
        snapshot: None,
        error,
    }
}

fn train_command(state: &State, command: TrainCommand) {
    let mut guard = state.borrow_mut();
    let worker = &mut *guard;
    match command {
        TrainCommand::Start { setup, watch } => match Trainer::new(&setup) {
            Ok(trainer) => {
                let mut training = Training {
                    trainer,
                    watch,
                    phase: TrainPhase::Running,
                    busy_ms: 0.0,
                    snapshot_step: 0,
                };
                // Step 0: the random model's sample, cosines and attention.
                let (snapshot, error) = match training.trainer.snapshot(&training.watch) {
                    Ok(s) => (Some(s), None),
                    Err(e) => (None, Some(e)),
                };
                post(&training_update(&mut training, snapshot, error));
                worker.training = Some(training);
                drop(guard);
                start_training_loop(state);
            }
            Err(message) => post(&match worker.training.as_mut() {
                Some(training) => training_update(training, None, Some(message)),
                None => idle_update(Some(message)),
            }),
        },
        TrainCommand::Resume => {
            if let Some(training) = worker.training.as_mut() {
                if training.phase == TrainPhase::Paused {
                    training.phase = TrainPhase::Running;
                    post(&training_update(training, None, None));
                    drop(guard);
                    start_training_loop(state);
                }
            }
        }
        TrainCommand::Pause => {
            if let Some(training) = worker.training.as_mut() {
                if training.phase == TrainPhase::Running {
                    training.phase = TrainPhase::Paused;
                }
                post(&training_update(training, None, None));
            }
        }
        TrainCommand::Reset => {
            worker.training = None;
            post(&idle_update(None));
        }
        TrainCommand::Watch(watch) => {
            if let Some(training) = worker.training.as_mut() {
                training.watch = watch;
                let (snapshot, error) = match training.trainer.snapshot(&training.watch) {
                    Ok(s) => (Some(s), None),
                    Err(e) => (None, Some(e)),
                };
                post(&training_update(training, snapshot, error));
            }
        }
        TrainCommand::Use => {
            let Some(training) = worker.training.as_mut() else {
                post(&idle_update(Some("there is no trained model yet".into())));
                return;
            };
            match training.trainer.model() {
                Ok(model) => {
                    let facts = &training.trainer.facts;
                    let name = format!(
                        "trained here ({}×{}, width {}, step {})",
                        facts.layers, facts.heads, facts.width, training.trainer.run.step
                    );
                    post(&ready(&name, &model, memory_bytes()));
                    worker.loaded = Some(Loaded {
                        name,
                        model,
                        session: Session::default(),
                    });
                }
                Err(message) => post(&training_update(training, None, Some(message))),
            }
        }
        TrainCommand::Download => {
            let Some(training) = worker.training.as_mut() else {
                post(&idle_update(Some("there is no trained model yet".into())));
                return;
            };
            let folder = format!("tokenscope-trained-step{}", training.trainer.run.step);
            let reply = training
                .trainer
                .folder_zip(&folder, training.busy_ms / 1000.0)
                .and_then(|zip| blob_url(&zip, "application/zip"))
                .map(|url| Reply::TrainDownload {
                    url,
                    file_name: format!("{folder}.zip"),
                });
            post(&match reply {
                Ok(reply) => reply,
                Err(message) => training_update(training, None, Some(message)),
            });
        }
    }
}

/// Bytes as a blob: URL the page can download (same origin, so the page may use it).
fn blob_url(bytes: &[u8], mime: &str) -> Result<String, String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser could not make the download".to_string())?;
    web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser could not make the download".to_string())
}

/// Trains in slices of about [`SLICE_MS`], yielding between them so the worker still hears
/// Pause and the page's analyses.
fn start_training_loop(state: &State) {
    {
        let mut worker = state.borrow_mut();
        if worker.looping {
            return;
        }
        worker.looping = true;
    }
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        while train_slice(&state) {
            yield_now().await;
        }
        state.borrow_mut().looping = false;
    });
}

/// Steps for one slice and reports; false when the run is no longer running.
fn train_slice(state: &State) -> bool {
    let mut worker = state.borrow_mut();
    let Some(training) = worker.training.as_mut() else {
        return false;
    };
    if training.phase != TrainPhase::Running {
        return false;
    }
    let started = js_sys::Date::now();
    let every = training.trainer.facts.sample_every.max(1);
    let mut error = None;
    loop {
        if let Err(message) = training.trainer.step() {
            training.phase = TrainPhase::Paused;
            error = Some(message);
            break;
        }
        if training.trainer.finished() {
            training.phase = TrainPhase::Finished;
            break;
        }
        // A slice ends at a sample step, so every sample is of its exact step.
        if training.trainer.run.step.is_multiple_of(every)
            || js_sys::Date::now() - started >= SLICE_MS
        {
            break;
        }
    }
    training.busy_ms += js_sys::Date::now() - started;
    let step = training.trainer.run.step;
    let snapshot = if (step.is_multiple_of(every) || training.phase == TrainPhase::Finished)
        && step != training.snapshot_step
    {
        training.snapshot_step = step;
        match training.trainer.snapshot(&training.watch) {
            Ok(s) => Some(s),
            Err(e) => {
                error = error.or(Some(e));
                None
            }
        }
    } else {
        None
    };
    post(&training_update(training, snapshot, error));
    training.phase == TrainPhase::Running
}

/// Lets the worker's event loop run (messages from the page) before going on.
async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let scheduled = scope().is_some_and(|scope| {
            scope
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
                .is_ok()
        });
        if !scheduled {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Loads in the background; the previous model keeps answering until the new one is ready,
/// and stays if the new one fails.
fn start_load(state: &State, name: String, urls: [String; 3]) {
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match load(&urls, &name).await {
            Ok(loaded) => {
                post(&ready(&loaded.name, &loaded.model, memory_bytes()));
                state.borrow_mut().loaded = Some(loaded);
            }
            Err(message) => post(&Reply::Error { seq: None, message }),
        }
    });
}

/// The size of this wasm instance's memory (the worker's or the page's, whichever calls):
/// the most it has held at once, since wasm memory never shrinks.
pub fn memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map(|b| b.byte_length() as u64)
        .unwrap_or(0)
}

fn still_loading(seq: u64) -> Reply {
    Reply::Error {
        seq: Some(seq),
        message: "the model is still loading".into(),
    }
}

/// `urls`: config.json, tokenizer.json, model.safetensors, in that order.
async fn load(urls: &[String; 3], name: &str) -> Result<Loaded, String> {
    const FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];
    let mut files = Vec::with_capacity(FILES.len());
    for (index, file) in FILES.iter().enumerate() {
        let message = format!("Loading {file}…");
        post(&Reply::Progress {
            fraction: index as f64 / FILES.len() as f64,
            message: message.clone(),
        });
        let mut last_posted = 0.0;
        let bytes = fetch_bytes(&urls[index], |got, total| {
            let part = if total > 0 {
                got as f64 / total as f64
            } else {
                0.0
            };
            let fraction = (index as f64 + part) / FILES.len() as f64;
            // A percent at a time: a message per network chunk would flood the page.
            if fraction - last_posted >= 0.01 {
                last_posted = fraction;
                post(&Reply::Progress {
                    fraction,
                    message: message.clone(),
                });
            }
        })
        .await?;
        files.push(bytes);
    }
    post(&Reply::Progress {
        fraction: 1.0,
        message: "Preparing the model…".into(),
    });
    // Only checkpoints too big for f32 in wasm32 are held in f16 (see Precision).
    let precision = Precision::for_parameters(parameter_count(&files[2]).unwrap_or(0));
    let model = Model::from_bytes_with(&files[0], &files[2], &files[1], precision)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(Loaded {
        name: name.to_string(),
        model,
        session: Session::default(),
    })
}
