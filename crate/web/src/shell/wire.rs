//! Listens to the page: each view's controls (the registry lists them), the pointer over
//! canvases, files opened or dropped, and the window's size. What a listener reads is the
//! event's own payload, handed to the view's mapping as a `UiInput`.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    DragEvent, Element, EventTarget, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement,
    HtmlTextAreaElement, KeyboardEvent, MouseEvent,
};

use super::{canvas, dispatch, Shared};
use crate::page::{choose_model_files, ChosenFiles, Msg};
use crate::views::kit::{Control, Pointer, Target, UiEvent, UiInput};
use crate::views::View;

pub fn wire(page: &Shared) {
    for control in crate::views::controls() {
        wire_control(page, control);
    }
    wire_pointer(page);
    wire_files(page);
    let resize = page.clone();
    listen(&web_sys::window().map(Into::into), "resize", move |_| {
        canvas::paint_all(&resize)
    });
}

/// Adds `handler` for `event` on `target`, for as long as the page lives.
fn listen(
    target: &Option<EventTarget>,
    event: &str,
    handler: impl FnMut(web_sys::Event) + 'static,
) {
    let Some(target) = target else {
        return;
    };
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

fn target_of(page: &Shared, target: Target) -> Option<EventTarget> {
    let document = page.shell.borrow().document.clone();
    match target {
        Target::Id(id) => document.get_element_by_id(id).map(Into::into),
        Target::Document => document.document_element().map(Into::into),
    }
}

fn wire_control(page: &Shared, control: Control) {
    let target = target_of(page, control.target);
    if control.event == UiEvent::DropText {
        wire_drop_text(page, &target, control);
        return;
    }
    let page = page.clone();
    listen(&target, control.event.name(), move |event| {
        let input = read(&event, control.data);
        if control.event == UiEvent::Submit {
            event.prevent_default(); // the page never navigates
        }
        if let Some(msg) = (control.to_msg)(&input) {
            if control.event == UiEvent::KeyDown {
                event.prevent_default();
            }
            dispatch(&page, msg);
        }
    });
}

/// What a control's mapping sees of an event: its target's id, value and state, the key,
/// the click count, and `data-<attribute>` of the closest element that has one.
fn read(event: &web_sys::Event, data: Option<&str>) -> UiInput {
    let element = event.target().and_then(|t| t.dyn_into::<Element>().ok());
    let mut input = UiInput::default();
    if let Some(el) = &element {
        input.id = el.id();
        if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
            input.value = i.value();
            input.checked = i.checked();
        } else if let Some(s) = el.dyn_ref::<HtmlSelectElement>() {
            input.value = s.value();
        } else if let Some(t) = el.dyn_ref::<HtmlTextAreaElement>() {
            input.value = t.value();
        } else if let Some(d) = el.dyn_ref::<web_sys::HtmlDetailsElement>() {
            input.checked = d.open();
        }
        input.in_control = matches!(
            el.tag_name().to_ascii_lowercase().as_str(),
            "textarea" | "input" | "select"
        );
        if let Some(attribute) = data {
            input.data = el
                .closest(&format!("[data-{attribute}]"))
                .ok()
                .flatten()
                .and_then(|e| e.get_attribute(&format!("data-{attribute}")));
        }
    }
    if let Some(key) = event.dyn_ref::<KeyboardEvent>() {
        input.key = key.key();
        input.in_lesson = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
            .is_some_and(|b| b.class_list().contains("in-lesson"));
    }
    if let Some(ui) = event.dyn_ref::<web_sys::UiEvent>() {
        input.detail = ui.detail();
    }
    input
}

/// A file dropped on the element, read as text; the page itself does not open it.
fn wire_drop_text(page: &Shared, target: &Option<EventTarget>, control: Control) {
    listen(target, "dragover", |event| event.prevent_default());
    let page = page.clone();
    listen(target, "drop", move |event| {
        event.prevent_default();
        // Not a model's files: the page's own drop handler must not see it.
        event.stop_propagation();
        let Some(file) = event
            .dyn_ref::<DragEvent>()
            .and_then(|d| d.data_transfer())
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        let page = page.clone();
        let id = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .map(|e| e.id())
            .unwrap_or_default();
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string());
            let input = UiInput {
                id,
                failed: text.is_none(),
                value: text.unwrap_or_default(),
                ..UiInput::default()
            };
            if let Some(msg) = (control.to_msg)(&input) {
                dispatch(&page, msg);
            }
        });
    });
}

/// The pointer over any canvas goes to the shown view, with what painting it remembered.
fn wire_pointer(page: &Shared) {
    let document = page.shell.borrow().document.clone();
    let root: Option<EventTarget> = document.document_element().map(Into::into);
    for (event, kind) in [("mousemove", 0), ("click", 1), ("mouseout", 2)] {
        let page = page.clone();
        listen(&root, event, move |event| {
            let Some(mouse) = event.dyn_ref::<MouseEvent>() else {
                return;
            };
            let Some(canvas) = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlCanvasElement>().ok())
            else {
                return;
            };
            let (x, y) = (mouse.offset_x(), mouse.offset_y());
            let pointer = match kind {
                0 => Pointer::Move(x, y),
                1 => Pointer::Click(x, y),
                _ => Pointer::Leave,
            };
            let msgs = {
                // A pointer event while the page is being drawn waits for the next one.
                let Ok(shell) = page.shell.try_borrow() else {
                    return;
                };
                let name = canvas.id();
                let name = name.strip_prefix("canvas-").unwrap_or_default();
                match shell.hits.iter().find(|(n, _)| *n == name) {
                    Some((name, hit)) => {
                        View::shown(&shell.model).on_pointer(name, hit, pointer, &shell.model)
                    }
                    None => Vec::new(),
                }
            };
            for msg in msgs {
                dispatch(&page, msg);
            }
        });
    }
}

/// A model's files, from the file picker or dropped anywhere on the page, handed to the
/// worker as blob: URLs.
fn wire_files(page: &Shared) {
    let document = page.shell.borrow().document.clone();
    let picker: Option<EventTarget> = document.get_element_by_id("model-files").map(Into::into);
    let picked = page.clone();
    listen(&picker, "change", move |event| {
        let files = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            .and_then(|i| i.files());
        if let Some(files) = files {
            open_files(&picked, &files);
        }
    });
    let body: Option<EventTarget> = document.body().map(Into::into);
    // Without preventing dragover the browser would open the dropped file instead.
    listen(&body, "dragover", |event| event.prevent_default());
    let dropped = page.clone();
    listen(&body, "drop", move |event| {
        event.prevent_default();
        let files = event
            .dyn_ref::<DragEvent>()
            .and_then(|d| d.data_transfer())
            .and_then(|d| d.files());
        if let Some(files) = files.filter(|f| f.length() > 0) {
            open_files(&dropped, &files);
        }
    });
}

fn open_files(page: &Shared, files: &web_sys::FileList) {
    let list: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.item(i)).collect();
    let names: Vec<(String, String)> = list
        .iter()
        .map(|file| {
            // Set when a whole folder was picked; web-sys does not bind it.
            let path = js_sys::Reflect::get(file, &JsValue::from_str("webkitRelativePath"))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            (file.name(), path)
        })
        .collect();
    let url = |i: usize| web_sys::Url::create_object_url_with_blob(&list[i]).ok();
    let msg = match choose_model_files(&names) {
        Err(missing) => Msg::FilesMissing(missing),
        Ok(chosen) => {
            let weights: Option<Vec<(String, String)>> = chosen
                .weights
                .iter()
                .map(|&i| url(i).map(|u| (names[i].0.clone(), u)))
                .collect();
            match (url(chosen.config), url(chosen.tokenizer), weights) {
                (Some(config), Some(tokenizer), Some(weights)) => Msg::OpenFiles(ChosenFiles {
                    folder: chosen.folder,
                    config,
                    tokenizer,
                    weights,
                }),
                _ => Msg::FilesUnreadable,
            }
        }
    };
    dispatch(page, msg);
}
