//! Carries out what `page::update` asks: messages to the worker, the address bar, the
//! clipboard, downloads, fetches, and a worker restarted after a crash.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlElement, MessageEvent, Worker};

use super::{dispatch, Redraw, Shared, WORKER_SCRIPT};
use crate::page::{Effect, Msg, TrainMsg};
use crate::protocol::{Reply, Request};

/// The shipped sample text (assets/examples), fetched the first time a run needs it.
const SAMPLE_URL: &str = "examples/train-sample.txt";

/// Runs one effect; says what it needs redrawn.
pub fn run(page: &Shared, effect: Effect) -> Redraw {
    match effect {
        Effect::Send(request) => send(page, &request),
        Effect::Render => return Redraw::All,
        Effect::RenderPointer => return Redraw::Pointer,
        Effect::RenderControls => return Redraw::Controls,
        Effect::SyncUrl(query) => sync_url(query),
        Effect::CopyLink => copy_link(page),
        Effect::FocusChip(chip) => page.shell.borrow_mut().focus = Some(chip),
        Effect::OpenFilePicker => {
            let document = page.shell.borrow().document.clone();
            if let Some(input) = document
                .get_element_by_id("model-files")
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            {
                input.click();
            }
        }
        Effect::RevokeUrls(urls) => {
            for url in urls {
                let _ = web_sys::Url::revoke_object_url(&url);
            }
        }
        Effect::RestartWorker => {
            if let Some(worker) = page.shell.borrow_mut().worker.take() {
                worker.terminate();
            }
            start_worker(page);
        }
        Effect::FetchTrainingRecord(folder) => fetch_record(page, folder),
        Effect::FetchTrainSample => fetch_sample(page),
        Effect::DownloadCanvas { canvas, format } => super::canvas::download(page, &canvas, format),
        Effect::DownloadUrl { url, file_name } => {
            let document = page.shell.borrow().document.clone();
            super::dom::click_link(&document, &url, &file_name, Some("train-download-link"));
        }
        Effect::ToggleFullscreen => toggle_fullscreen(&page.shell.borrow().document),
        Effect::Print => {
            // After the handout is on the page: the next turn, once it has been drawn.
            wasm_bindgen_futures::spawn_local(async {
                if let Some(window) = web_sys::window() {
                    let _ = window.print();
                }
            });
        }
    }
    Redraw::Nothing
}

/// The whole page full screen for a projector, or back. A browser that refuses (no user
/// gesture, or an iframe without permission) leaves the page as it is.
fn toggle_fullscreen(document: &Document) {
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    } else if let Some(root) = document.document_element() {
        let _ = root.request_fullscreen();
    }
}

/// Starts the worker that owns the model; it announces itself with `Started`.
pub fn start_worker(page: &Shared) {
    let worker = match Worker::new(WORKER_SCRIPT) {
        Ok(worker) => worker,
        Err(_) => {
            let page = page.clone();
            // Not inside the caller's dispatch: queue it for the next turn.
            wasm_bindgen_futures::spawn_local(async move { dispatch(&page, Msg::NoWorker) });
            return;
        }
    };
    let on_message_page = page.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        // Bytes from the worker's answers to this page; JSON text for `Started`, which it
        // sends before it knows how the page speaks.
        let data = event.data();
        let reply = match data.as_string() {
            Some(text) => Reply::from_json(&text),
            None => Reply::from_bytes(&js_sys::Uint8Array::new(&data).to_vec()),
        };
        let msg = match reply {
            Ok(reply) => Msg::Reply(reply),
            Err(message) => Msg::Garbled(message),
        };
        dispatch(&on_message_page, msg);
    });
    let on_error_page = page.clone();
    // A script that fails to load (a host that blocks it) fires a plain Event with no message.
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let reason = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "its script could not be loaded".to_string());
        let msg = Msg::WorkerFailed {
            reason,
            now_ms: js_sys::Date::now(),
        };
        dispatch(&on_error_page, msg);
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // The handlers live as long as their worker, which may be replaced after a crash.
    on_message.forget();
    on_error.forget();
    page.shell.borrow_mut().worker = Some(worker);
}

/// Page → worker as postcard bytes, transferred without a copy.
fn send(page: &Shared, request: &Request) {
    let shell = page.shell.borrow();
    let Some(worker) = &shell.worker else {
        return;
    };
    let bytes = js_sys::Uint8Array::from(request.to_bytes().as_slice());
    let transfer = js_sys::Array::of1(&bytes.buffer());
    let _ = worker.post_message_with_transfer(&bytes, &transfer);
}

/// Pushes the state into the address bar, so copying it shares this exact view.
pub fn sync_url(query: Vec<(&'static str, String)>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(params) = web_sys::UrlSearchParams::new() else {
        return;
    };
    for (key, value) in query {
        params.append(key, &value);
    }
    let query: String = params.to_string().into();
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("?{query}")));
    }
}

fn copy_link(page: &Shared) {
    let window = web_sys::window();
    let href = window
        .as_ref()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let copied = window.map(|w| w.navigator().clipboard()).is_some_and(|c| {
        let _ = c.write_text(&href);
        true
    });
    page.queue.borrow_mut().push_back(Msg::LinkCopied(copied));
}

pub fn focus_chip(document: &Document, chip: usize) {
    if let Some(el) = document
        .get_element_by_id(&format!("chip-{chip}"))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

fn fetch_record(page: &Shared, folder: String) {
    let page = page.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let url = format!("{folder}/training.json");
        let result = crate::fetch::fetch_bytes(&url, |_, _| {})
            .await
            .and_then(|bytes| tokenscope_core::train::record::TrainingRecord::parse(&bytes));
        dispatch(&page, Msg::TrainingRecord { folder, result });
    });
}

fn fetch_sample(page: &Shared) {
    let page = page.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let result = crate::fetch::fetch_bytes(SAMPLE_URL, |_, _| {})
            .await
            .and_then(|b| String::from_utf8(b).map_err(|_| "the sample is not UTF-8".into()));
        dispatch(&page, Msg::Train(TrainMsg::SampleFetched(result)));
    });
}
