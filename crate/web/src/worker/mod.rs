//! The worker that owns the model, split by job: computing traces (`compute`), loading
//! models (`load`) and training (`train`, with the run itself in `trainer`). This file is
//! its message loop: it reads the page's requests and posts the answers.

pub mod compute;
pub mod threads;
pub mod trainer;

#[cfg(target_arch = "wasm32")]
mod load;
#[cfg(target_arch = "wasm32")]
mod scan;
#[cfg(target_arch = "wasm32")]
mod tokens;
#[cfg(target_arch = "wasm32")]
mod train;

#[cfg(target_arch = "wasm32")]
pub use wasm::start;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::cell::RefCell;
    use std::rc::Rc;

    use tokenscope_core::Model;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    use super::compute::{analyze, answer, Session};
    use super::load::Weights;
    use super::train::Training;
    use crate::protocol::{Benchmark, Reply, Request};

    /// The model the page's views draw from.
    pub(super) struct Loaded {
        pub name: String,
        pub model: Model,
        /// The traces of the last analysis, for per-head detail requests.
        pub session: Session,
        /// The ablation scan under way, stepped between messages.
        pub scan: Option<super::compute::scan::ScanJob>,
    }

    #[derive(Default)]
    pub(super) struct WorkerState {
        pub loaded: Option<Loaded>,
        pub training: Option<Training>,
        /// A training loop is scheduled; a second would step twice as often.
        pub looping: bool,
        /// A scan loop is scheduled.
        pub scanning: bool,
        /// GPT-2's and the MiniLM's tokenizers, fetched when the Tokenizers view first asks.
        pub tokenizers: Option<super::compute::tokens::TokenizerAssets>,
    }

    pub(super) type State = Rc<RefCell<WorkerState>>;

    pub(super) fn scope() -> Option<DedicatedWorkerGlobalScope> {
        js_sys::global().dyn_into().ok()
    }

    thread_local! {
        /// Whether the client sends requests as bytes (the page) rather than JSON text (a
        /// script such as `bench/speed.mjs`): answers go back in the same form.
        static BINARY_CLIENT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    pub(super) fn post(reply: &Reply) {
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
        // A thread of the pool runs this same wasm, start included: it only serves rayon.
        if scope.name() == super::threads::THREAD_NAME {
            return;
        }
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
        // The threads build announces itself once its pool is ready (or cannot start), so
        // the model it loads next states the threads it really computes on.
        #[cfg(feature = "threads")]
        super::threads::start(|| post(&Reply::Started));
        #[cfg(not(feature = "threads"))]
        post(&Reply::Started);
    }

    pub(super) fn still_loading(seq: u64) -> Reply {
        Reply::Error {
            seq: Some(seq),
            message: "the model is still loading".into(),
        }
    }

    fn handle(state: &State, request: Request) {
        match request {
            Request::Load { folder, name } => super::load::start_load(
                state,
                name,
                format!("{folder}/config.json"),
                format!("{folder}/tokenizer.json"),
                Weights::Folder(folder),
            ),
            Request::LoadUrls {
                name,
                config,
                tokenizer,
                weights,
            } => super::load::start_load(state, name, config, tokenizer, Weights::Files(weights)),
            Request::Train(command) => super::train::command(state, command),
            Request::Scan(ask) => super::scan::start(state, ask),
            Request::Tokenizers(ask) => super::tokens::answer(state, ask),
            other => compute(state, other),
        }
    }

    /// The requests answered from the loaded model at once.
    fn compute(state: &State, request: Request) {
        let mut state = state.borrow_mut();
        let Some(loaded) = state.loaded.as_mut() else {
            match request {
                Request::Analyze { seq, .. }
                | Request::Qkv { seq, .. }
                | Request::Lens { seq, .. }
                | Request::Neighbours(crate::protocol::NeighboursAsk { seq, .. })
                | Request::QkMap(crate::protocol::QkMapAsk { seq, .. })
                | Request::Generate { seq, .. } => post(&still_loading(seq)),
                Request::Benchmark { .. } => post(&still_loading(0)),
                _ => {}
            }
            return;
        };
        if let Request::Benchmark { text, warmup, runs } = &request {
            post(&benchmark(&loaded.model, text, *warmup, *runs));
            return;
        }
        let (model, session) = (&loaded.model, &mut loaded.session);
        if let Some(mut reply) = super::threads::run(|| answer(model, session, request)) {
            if let Reply::Analysis(analysis) = &mut reply {
                analysis.memory_bytes = crate::memory_bytes();
            }
            post(&reply);
        }
    }

    /// Lets the worker's event loop run (messages from the page) before going on.
    pub(super) async fn yield_now() {
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

    /// Milliseconds since the worker started, as precisely as the browser tells.
    pub(super) fn now() -> f64 {
        scope()
            .and_then(|s| s.performance())
            .map_or_else(js_sys::Date::now, |p| p.now())
    }

    /// Times, in the worker, what the page's speed depends on (see `Request::Benchmark`).
    fn benchmark(model: &Model, text: &str, warmup: usize, runs: usize) -> Reply {
        let mut tokens = 0;
        let mut trace_ms = Vec::with_capacity(runs);
        let mut analysis_ms = Vec::with_capacity(runs);
        for run in 0..warmup + runs {
            let started = now();
            match super::threads::run(|| model.trace(text, None)) {
                Ok(trace) => tokens = trace.len(),
                Err(e) => {
                    return Reply::Error {
                        seq: None,
                        message: e.to_string(),
                    }
                }
            }
            let traced = now();
            let _ = super::threads::run(|| {
                analyze(
                    model,
                    0,
                    text,
                    "",
                    false,
                    &tokenscope_core::Ablation::none(),
                )
            });
            let analysed = now();
            if run >= warmup {
                trace_ms.push(traced - started);
                analysis_ms.push(analysed - traced);
            }
        }
        Reply::Benchmark(Benchmark {
            tokens,
            trace_ms,
            analysis_ms,
        })
    }
}
