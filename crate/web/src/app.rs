//! DOM wiring of the first page: load the embedded model with a progress bar, then show
//! the tokens and ids of the typed sentence, live.

use std::cell::RefCell;
use std::rc::Rc;

use tokenscope_core::{Model, Segment};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlProgressElement, HtmlTextAreaElement};

use crate::fetch::fetch_bytes;

const MODEL_DIR: &str = "models/all-MiniLM-L6-v2";
const DEBOUNCE_MS: i32 = 120;

struct App {
    document: Document,
    model: Option<Model>,
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
    let app = Rc::new(RefCell::new(App {
        document,
        model: None,
        pending: None,
    }));
    wire_input(&app);
    wasm_bindgen_futures::spawn_local(load_model(app));
}

fn wire_input(app: &Shared) {
    let document = app.borrow().document.clone();
    let Some(input) = element(&document, "sentence-a") else {
        return;
    };
    let handler_app = app.clone();
    let on_input = Closure::<dyn FnMut()>::new(move || schedule_render(&handler_app));
    let _ = input.add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref());
    // The page lives as long as the listener; leaking the closure keeps it callable.
    on_input.forget();
}

/// Re-renders after typing pauses, so a fast typist does not queue a run per keystroke.
fn schedule_render(app: &Shared) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(id) = app.borrow_mut().pending.take() {
        window.clear_timeout_with_handle(id);
    }
    let later = app.clone();
    let callback = Closure::once_into_js(move || {
        later.borrow_mut().pending = None;
        render(&later);
    });
    if let Ok(id) = window.set_timeout_with_callback_and_timeout_and_arguments_0(
        callback.unchecked_ref(),
        DEBOUNCE_MS,
    ) {
        app.borrow_mut().pending = Some(id);
    }
}

async fn load_model(app: Shared) {
    let document = app.borrow().document.clone();
    let progress: Option<HtmlProgressElement> =
        element(&document, "load-progress").and_then(|e| e.dyn_into().ok());
    let mut files = Vec::new();
    for (index, name) in ["config.json", "tokenizer.json", "model.safetensors"]
        .iter()
        .enumerate()
    {
        set_status(&document, &format!("Loading {name}…"), false);
        let url = format!("{MODEL_DIR}/{name}");
        let bar = progress.clone();
        let result = fetch_bytes(&url, |got, total| {
            if let Some(bar) = &bar {
                let part = if total > 0 {
                    got as f64 / total as f64
                } else {
                    0.0
                };
                bar.set_value((index as f64 + part) / 3.0);
            }
        })
        .await;
        match result {
            Ok(bytes) => files.push(bytes),
            Err(message) => {
                set_status(
                    &document,
                    &format!("Could not load the model: {message}"),
                    true,
                );
                return;
            }
        }
    }
    set_status(&document, "Preparing the model…", false);
    match Model::from_bytes(&files[0], &files[2], &files[1]) {
        Ok(model) => {
            let info = model.info();
            set_text(
                &document,
                "model-info",
                &format!(
                    "all-MiniLM-L6-v2 · {} · {} layers × {} heads · hidden {} · vocabulary {}",
                    info.model_type,
                    info.num_layers,
                    info.num_heads,
                    info.hidden_size,
                    info.vocab_size
                ),
            );
            app.borrow_mut().model = Some(model);
            if let Some(bar) = &progress {
                bar.set_value(1.0);
                let _ = bar.set_attribute("hidden", "");
            }
            set_status(&document, "Model ready.", false);
            if let Some(body) = document.body() {
                let _ = body.set_attribute("data-model-ready", "1");
            }
            render(&app);
        }
        Err(e) => set_status(&document, &format!("Could not load the model: {e}"), true),
    }
}

fn render(app: &Shared) {
    let app = app.borrow();
    let document = &app.document;
    let Some(model) = &app.model else {
        return;
    };
    let text = element(document, "sentence-a")
        .and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok())
        .map(|t| t.value())
        .unwrap_or_default();
    let Some(list) = element(document, "tokens-a") else {
        return;
    };
    list.set_inner_html("");
    let tokens = match model.tokenize(&text, None) {
        Ok(tokens) => tokens,
        Err(e) => {
            set_status(document, &e.to_string(), true);
            return;
        }
    };
    set_status(document, "Model ready.", false);
    for (i, (token, id)) in tokens.tokens.iter().zip(&tokens.ids).enumerate() {
        let Ok(chip) = document.create_element("li") else {
            continue;
        };
        chip.set_class_name(if tokens.segments[i] == Segment::Special {
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
    let ids = tokens
        .ids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    set_text(document, "ids-a", &format!("[{ids}]"));
    let hidden = model.info().hidden_size;
    let mut shape = format!(
        "{} tokens → embeddings of shape [1, {}, {hidden}]",
        tokens.ids.len(),
        tokens.ids.len()
    );
    if tokens.truncated > 0 {
        shape.push_str(&format!(
            " — the text was cut to the model's {} positions; {} tokens were dropped",
            model.info().max_positions,
            tokens.truncated
        ));
    }
    set_text(document, "shape-a", &shape);
}
