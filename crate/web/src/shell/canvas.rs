//! Paints the shown view's canvases with plotters' canvas backend, gives every canvas its
//! PNG and SVG download buttons, and makes the downloads (SVG by painting the same view into
//! a string).

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlCanvasElement};

use super::{dispatch, Shared};
use crate::page::{ImageFormat, Msg};
use crate::views::kit::Hit;
use crate::views::View;

/// Paints every canvas the shown view has now, and keeps what each remembers.
pub fn paint_all(page: &Shared) {
    let (document, plans) = {
        let shell = page.shell.borrow();
        let view = View::shown(&shell.model);
        (shell.document.clone(), view.canvases(&shell.model))
    };
    let mut hits: Vec<(&'static str, Hit)> = Vec::new();
    let mut failure = None;
    // Every width is read before any canvas is resized: a read after a resize would make
    // the browser lay the page out again, once per canvas.
    let sized: Vec<_> = plans
        .into_iter()
        .filter_map(|plan| {
            let canvas = document
                .get_element_by_id(&plan.element_id())
                .and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok())?;
            let width = canvas.parent_element().map_or(0, |p| p.client_width());
            (width > 0).then_some((plan, canvas, width)) // 0: not on screen
        })
        .collect();
    for (plan, canvas, width) in sized {
        add_download_buttons(page, &document, &canvas, plan.name);
        canvas.set_width(width as u32);
        if let Some(height) = plan.height {
            canvas.set_height(height);
        }
        let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else {
            continue;
        };
        let area = backend.into_drawing_area();
        let shell = page.shell.borrow();
        match View::shown(&shell.model).paint(plan.name, &shell.model, &area) {
            Ok(painted) => {
                let _ = canvas.set_attribute("data-drawn", "1");
                for (name, value) in &painted.attrs {
                    let _ = canvas.set_attribute(name, value);
                }
                hits.push((plan.name, painted.hit));
            }
            Err(e) => failure = Some(e.to_string()),
        }
    }
    page.shell.borrow_mut().hits = hits;
    // A canvas that cannot be drawn says so in the status line (drawing again would only
    // fail again, so this is not a message to the model).
    if let (Some(message), Some(status)) = (failure, document.get_element_by_id("status")) {
        status.set_text_content(Some(&message));
        let _ = status.class_list().add_1("error");
    }
}

/// PNG and SVG buttons right after a canvas, the first time it is painted.
fn add_download_buttons(
    page: &Shared,
    document: &Document,
    canvas: &HtmlCanvasElement,
    name: &'static str,
) {
    let has_them = canvas
        .next_element_sibling()
        .is_some_and(|e| e.class_list().contains("downloads"));
    if has_them {
        return;
    }
    let Some(holder) = document.create_element("div").ok() else {
        return;
    };
    holder.set_class_name("downloads");
    let label = page.shell.borrow().model.t("download-label");
    for format in ImageFormat::ALL {
        let Some(button) = document.create_element("button").ok() else {
            continue;
        };
        button.set_class_name("download");
        button.set_text_content(Some(&format.name().to_uppercase()));
        let _ = button.set_attribute("type", "button");
        let _ = button.set_attribute("data-download", format.name());
        let _ = button.set_attribute("data-canvas", name);
        let _ = button.set_attribute("aria-label", &format!("{label} {name} ({})", format.name()));
        on_click(
            &button,
            page,
            Msg::Download {
                canvas: name.to_string(),
                format: *format,
            },
        );
        let _ = holder.append_child(&button);
    }
    let _ = canvas.after_with_node_1(&holder);
}

fn on_click(target: &Element, page: &Shared, msg: Msg) {
    let page = page.clone();
    let closure = Closure::<dyn FnMut()>::new(move || dispatch(&page, msg.clone()));
    let _ = target.add_event_listener_with_callback("click", closure.as_ref().unchecked_ref());
    // Buttons live as long as their canvas; a canvas drawn again keeps its buttons.
    closure.forget();
}

/// The canvas as a PNG from its pixels, or as SVG by painting the view again.
pub fn download(page: &Shared, name: &str, format: ImageFormat) {
    let document = page.shell.borrow().document.clone();
    let Some(canvas) = document
        .get_element_by_id(&format!("canvas-{name}"))
        .and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok())
    else {
        return;
    };
    let href = match format {
        ImageFormat::Png => canvas.to_data_url_with_type("image/png").ok(),
        ImageFormat::Svg => svg_url(page, name, (canvas.width(), canvas.height())),
    };
    if let Some(href) = href {
        super::dom::click_link(
            &document,
            &href,
            &format!("tokenscope-{name}.{}", format.name()),
            None,
        );
    }
}

fn svg_url(page: &Shared, name: &str, size: (u32, u32)) -> Option<String> {
    let mut svg = String::new();
    {
        let shell = page.shell.borrow();
        let backend = SVGBackend::with_string(&mut svg, size);
        let area = backend.into_drawing_area();
        View::shown(&shell.model)
            .paint(name, &shell.model, &area)
            .ok()?;
    }
    let parts = js_sys::Array::of1(&JsValue::from_str(&svg));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}
