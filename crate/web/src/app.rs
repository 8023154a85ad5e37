//! DOM wiring of the page: starts the worker that owns the model, shows its loading
//! progress, and renders the tokens and ids of the typed sentence as they arrive.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlProgressElement, HtmlTextAreaElement, MessageEvent, Worker};

use crate::protocol::{Reply, Request};

const MODEL_FOLDER: &str = "models/all-MiniLM-L6-v2";
const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// Loads the worker's wasm (www/worker-loader.js; Trunk names the wasm after its data-bin).
const WORKER_SCRIPT: &str = "./worker-loader.js";
const DEBOUNCE_MS: i32 = 60;

struct App {
    document: Document,
    worker: Worker,
    ready: bool,
    /// The number of the latest tokenize request; older answers are stale and dropped.
    seq: u64,
    pending: Option<i32>,
}

type Shared = Rc<RefCell<App>>;

fn element(document: &Document, id: &str) -> Option<Element> {
    document.get_element_by_id(id)
}

fn set_text(document: &Document, id: &str, text: &str) {
    if let Some(el) = element(document, id) {
        el.set_text_content(Some(text));
    }
}

fn set_status(document: &Document, text: &str, is_error: bool) {
    if let Some(el) = element(document, "status") {
        el.set_text_content(Some(text));
        let _ = el.class_list().toggle_with_force("error", is_error);
    }
}

pub fn start() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let worker = match Worker::new(WORKER_SCRIPT) {
        Ok(worker) => worker,
        Err(_) => {
            set_status(&document, "This browser cannot start a Web Worker.", true);
            return;
        }
    };
    let app = Rc::new(RefCell::new(App {
        document,
        worker,
        ready: false,
        seq: 0,
        pending: None,
    }));
    wire_worker(&app);
    wire_input(&app);
}

fn send(app: &Shared, request: &Request) {
    let _ = app
        .borrow()
        .worker
        .post_message(&JsValue::from_str(&request.to_json()));
}

fn wire_worker(app: &Shared) {
    let handler_app = app.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        match Reply::from_json(&text) {
            Ok(reply) => on_reply(&handler_app, reply),
            Err(message) => set_status(&handler_app.borrow().document, &message, true),
        }
    });
    let error_app = app.clone();
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        set_status(
            &error_app.borrow().document,
            &format!("The model worker failed: {}", e.message()),
            true,
        );
    });
    let app = app.borrow();
    app.worker
        .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    app.worker
        .set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // Handlers live as long as the page.
    on_message.forget();
    on_error.forget();
}

fn wire_input(app: &Shared) {
    let document = app.borrow().document.clone();
    let Some(input) = element(&document, "sentence-a") else {
        return;
    };
    let handler_app = app.clone();
    let on_input = Closure::<dyn FnMut()>::new(move || schedule_tokenize(&handler_app));
    let _ = input.add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref());
    on_input.forget();
}

/// Asks the worker once typing pauses briefly, so a fast typist does not queue a run per
/// keystroke; the page itself never waits for the model.
fn schedule_tokenize(app: &Shared) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(id) = app.borrow_mut().pending.take() {
        window.clear_timeout_with_handle(id);
    }
    let later = app.clone();
    let callback = Closure::once_into_js(move || {
        later.borrow_mut().pending = None;
        request_tokens(&later);
    });
    if let Ok(id) = window.set_timeout_with_callback_and_timeout_and_arguments_0(
        callback.unchecked_ref(),
        DEBOUNCE_MS,
    ) {
        app.borrow_mut().pending = Some(id);
    }
}

fn request_tokens(app: &Shared) {
    if !app.borrow().ready {
        return;
    }
    let text = element(&app.borrow().document, "sentence-a")
        .and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok())
        .map(|t| t.value())
        .unwrap_or_default();
    let seq = {
        let mut app = app.borrow_mut();
        app.seq += 1;
        app.seq
    };
    send(app, &Request::Tokenize { seq, text });
}

fn on_reply(app: &Shared, reply: Reply) {
    let document = app.borrow().document.clone();
    let progress: Option<HtmlProgressElement> =
        element(&document, "load-progress").and_then(|e| e.dyn_into().ok());
    match reply {
        Reply::Started => send(
            app,
            &Request::Load {
                folder: MODEL_FOLDER.into(),
                name: MODEL_NAME.into(),
            },
        ),
        Reply::Progress { fraction, message } => {
            if let Some(bar) = &progress {
                bar.set_value(fraction);
            }
            set_status(&document, &message, false);
        }
        Reply::Ready {
            name,
            model_type,
            num_layers,
            num_heads,
            hidden_size,
            vocab_size,
            ..
        } => {
            set_text(
                &document,
                "model-info",
                &format!(
                    "{name} · {model_type} · {num_layers} layers × {num_heads} heads · hidden {hidden_size} · vocabulary {vocab_size}"
                ),
            );
            if let Some(bar) = &progress {
                bar.set_value(1.0);
                let _ = bar.set_attribute("hidden", "");
            }
            set_status(&document, "Model ready.", false);
            app.borrow_mut().ready = true;
            if let Some(body) = document.body() {
                let _ = body.set_attribute("data-model-ready", "1");
            }
            request_tokens(app);
        }
        Reply::Tokens {
            seq,
            tokens,
            ids,
            special,
            hidden_size,
            max_positions,
            truncated,
        } => {
            if seq != app.borrow().seq {
                return;
            }
            set_status(&document, "Model ready.", false);
            render_tokens(&document, &tokens, &ids, &special);
            let list = ids
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            set_text(&document, "ids-a", &format!("[{list}]"));
            let count = ids.len();
            let mut shape =
                format!("{count} tokens → embeddings of shape [1, {count}, {hidden_size}]");
            if truncated > 0 {
                shape.push_str(&format!(
                    " — the text was cut to the model's {max_positions} positions; {truncated} tokens were dropped"
                ));
            }
            set_text(&document, "shape-a", &shape);
        }
        Reply::Error { seq, message } => {
            if seq.is_some_and(|s| s != app.borrow().seq) {
                return;
            }
            let prefix = if app.borrow().ready {
                ""
            } else {
                "Could not load the model: "
            };
            set_status(&document, &format!("{prefix}{message}"), true);
        }
    }
}

fn render_tokens(document: &Document, tokens: &[String], ids: &[u32], special: &[bool]) {
    let Some(list) = element(document, "tokens-a") else {
        return;
    };
    list.set_inner_html("");
    for (i, (token, id)) in tokens.iter().zip(ids).enumerate() {
        let Ok(chip) = document.create_element("li") else {
            continue;
        };
        let is_special = special.get(i).copied().unwrap_or(false);
        chip.set_class_name(if is_special {
            "token-chip special"
        } else {
            "token-chip"
        });
        let _ = chip.set_attribute("data-index", &i.to_string());
        let _ = chip.set_attribute("data-id", &id.to_string());
        if let (Ok(word), Ok(number)) = (
            document.create_element("span"),
            document.create_element("span"),
        ) {
            word.set_class_name("token-text");
            word.set_text_content(Some(token)); // text, never HTML
            number.set_class_name("token-id");
            number.set_text_content(Some(&id.to_string()));
            let _ = chip.append_child(&word);
            let _ = chip.append_child(&number);
        }
        let _ = list.append_child(&chip);
    }
}
