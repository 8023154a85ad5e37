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
use crate::protocol::{Reply, Request};
use tokenscope_core::generate::Sampling;

struct Loaded {
    name: String,
    model: Model,
    /// The traces of the last analysis, for per-head detail requests.
    session: Session,
}

fn scope() -> Option<DedicatedWorkerGlobalScope> {
    js_sys::global().dyn_into().ok()
}

fn post(reply: &Reply) {
    if let Some(scope) = scope() {
        let _ = scope.post_message(&JsValue::from_str(&reply.to_json()));
    }
}

pub fn start() {
    let Some(scope) = scope() else {
        return;
    };
    let state: Rc<RefCell<Option<Loaded>>> = Rc::new(RefCell::new(None));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        match Request::from_json(&text) {
            Ok(request) => handle(&state, request),
            Err(message) => post(&Reply::Error { seq: None, message }),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as its handler.
    on_message.forget();
    post(&Reply::Started);
}

fn handle(state: &Rc<RefCell<Option<Loaded>>>, request: Request) {
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
            let Some(loaded) = state.as_mut() else {
                post(&still_loading(seq));
                return;
            };
            match analyze(&loaded.model, seq, &a, &b, pair) {
                Ok((reply, session)) => {
                    loaded.session = session;
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
            let Some(loaded) = state.as_ref() else {
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
            let Some(loaded) = state.as_ref() else {
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
            if let Some(loaded) = state.as_ref() {
                post(&positions(&loaded.model));
            }
        }
    }
}

/// Loads in the background; the previous model keeps answering until the new one is ready,
/// and stays if the new one fails.
fn start_load(state: &Rc<RefCell<Option<Loaded>>>, name: String, urls: [String; 3]) {
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match load(&urls, &name).await {
            Ok(loaded) => {
                post(&ready(&loaded.name, &loaded.model, memory_bytes()));
                *state.borrow_mut() = Some(loaded);
            }
            Err(message) => post(&Reply::Error { seq: None, message }),
        }
    });
}

/// The size of this worker's wasm memory: the most it has held at once.
fn memory_bytes() -> u64 {
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
