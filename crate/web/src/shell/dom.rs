//! Applies a render's patches to the page: builds elements from plain data (text, never
//! HTML, except tables, whose cells arrive as one escaped HTML string), and skips what is
//! already on screen, so a keystroke rewrites only what changed.

use std::collections::HashMap;
use std::mem::Discriminant;

use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement,
};

use crate::page::Lang;
use crate::views::out::{El, Node, Patch, Table};

/// The element a patch names: "html" and "body" are the page's own.
pub fn element(document: &Document, id: &str) -> Option<Element> {
    match id {
        "html" => document.document_element(),
        "body" => document.body().map(Into::into),
        _ => document.get_element_by_id(id),
    }
}

pub fn create(document: &Document, tag: &str) -> Option<Element> {
    document.create_element(tag).ok()
}

/// Every element matching `selector`.
pub fn all(document: &Document, selector: &str) -> Vec<Element> {
    let mut out = Vec::new();
    if let Ok(list) = document.query_selector_all(selector) {
        for i in 0..list.length() {
            if let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                out.push(el);
            }
        }
    }
    out
}

fn build_el(document: &Document, spec: &El) -> Option<Element> {
    let el = create(document, spec.tag)?;
    if !spec.class.is_empty() {
        el.set_class_name(&spec.class);
    }
    if let Some(text) = &spec.text {
        el.set_text_content(Some(text)); // text, never HTML: sentences come from users
    }
    for (name, value) in &spec.attrs {
        el.set_attribute(name, value).ok()?;
    }
    if let Some(html) = el.dyn_ref::<HtmlElement>() {
        for (name, value) in &spec.css {
            // Through the CSSOM: the page's CSP refuses style attributes.
            html.style().set_property(name, value).ok()?;
        }
    }
    for child in &spec.children {
        el.append_child(&build(document, child)?.into()).ok()?;
    }
    Some(el)
}

fn cell(document: &Document, tag: &str, text: &str) -> Option<Element> {
    let el = create(document, tag)?;
    el.set_text_content(Some(text));
    Some(el)
}

fn build_table(document: &Document, spec: &Table) -> Option<Element> {
    let table = create(document, "table")?;
    table.set_class_name("numbers");
    table.set_attribute("data-testid", spec.test_id).ok()?;
    for (name, value) in &spec.attrs {
        table.set_attribute(name, value).ok()?;
    }
    // One parse of escaped HTML (Table::inner_html) instead of a call per cell.
    table.set_inner_html(&spec.inner_html());
    Some(table)
}

pub fn build(document: &Document, node: &Node) -> Option<Element> {
    match node {
        Node::El(el) => build_el(document, el),
        Node::Table(table) => build_table(document, table),
    }
}

/// The last patch applied per thing it sets: texts, children, options and values are
/// compared with it (reading them back would cost more than the write). Attributes,
/// classes and flags are compared with the element itself, since children replaced by a
/// patch bring new elements with the same ids.
#[derive(Default)]
pub struct Applied {
    last: HashMap<(Discriminant<Patch>, String), Patch>,
}

impl Applied {
    /// Applies `patches` in order to `document`.
    pub fn apply(&mut self, document: &Document, patches: Vec<Patch>) {
        for patch in patches {
            let Some(el) = element(document, patch.id()) else {
                continue;
            };
            if let Some(key) = cached_key(&patch) {
                if self.last.get(&key) == Some(&patch) {
                    continue;
                }
                write(document, &el, &patch);
                self.last.insert(key, patch);
            } else {
                write(document, &el, &patch);
            }
        }
    }
}

/// The cache key of a patch whose DOM state is costly to read (its kind and element),
/// else None.
fn cached_key(patch: &Patch) -> Option<(Discriminant<Patch>, String)> {
    match patch {
        Patch::Text { .. }
        | Patch::Children { .. }
        | Patch::Value { .. }
        | Patch::Options { .. } => Some((std::mem::discriminant(patch), patch.id().to_string())),
        _ => None,
    }
}

fn write(document: &Document, el: &Element, patch: &Patch) {
    match patch {
        Patch::Text { text, .. } => el.set_text_content(Some(text)),
        Patch::Children { nodes, .. } => {
            el.set_inner_html("");
            for node in nodes {
                if let Some(child) = build(document, node) {
                    let _ = el.append_child(&child);
                }
            }
        }
        Patch::Attr { name, value, .. } => match value {
            Some(v) if el.get_attribute(name).as_deref() != Some(v) => {
                let _ = el.set_attribute(name, v);
            }
            None if el.has_attribute(name) => {
                let _ = el.remove_attribute(name);
            }
            _ => {}
        },
        Patch::Hidden { hidden, .. } => {
            if let Some(html) = el.dyn_ref::<HtmlElement>() {
                if html.hidden() != *hidden {
                    html.set_hidden(*hidden);
                }
            }
        }
        Patch::Class { class, on, .. } => {
            if el.class_list().contains(class) != *on {
                let _ = el.class_list().toggle_with_force(class, *on);
            }
        }
        Patch::Disabled { disabled, .. } => set_disabled(el, *disabled),
        Patch::Value { value, .. } => set_value(document, el, value),
        Patch::Checked { checked, .. } => {
            if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
                if input.checked() != *checked {
                    input.set_checked(*checked);
                }
            }
        }
        Patch::Options {
            options, selected, ..
        } => set_options(document, el, options, selected),
    }
}

fn set_disabled(el: &Element, disabled: bool) {
    let current = el.has_attribute("disabled");
    if current != disabled {
        let _ = el.toggle_attribute_with_force("disabled", disabled);
    }
}

/// A control's value, left alone while the person types in it (their text is the truth
/// until they leave the field).
fn set_value(document: &Document, el: &Element, value: &str) {
    let focused = document.active_element().as_ref() == Some(el);
    if focused {
        return;
    }
    if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
        if input.value() != value {
            input.set_value(value);
        }
    } else if let Some(area) = el.dyn_ref::<HtmlTextAreaElement>() {
        if area.value() != value {
            area.set_value(value);
        }
    } else if let Some(select) = el.dyn_ref::<HtmlSelectElement>() {
        if select.value() != value {
            select.set_value(value);
        }
    }
}

fn set_options(document: &Document, el: &Element, options: &[(String, String)], selected: &str) {
    let Some(select) = el.dyn_ref::<HtmlSelectElement>() else {
        return;
    };
    let same = select.length() as usize == options.len()
        && options.iter().enumerate().all(|(i, (value, label))| {
            select.item(i as u32).is_some_and(|o| {
                o.get_attribute("value").as_deref() == Some(value)
                    && o.text_content().as_deref() == Some(label)
            })
        });
    if !same {
        select.set_inner_html("");
        for (value, label) in options {
            if let Some(option) = cell(document, "option", label) {
                let _ = option.set_attribute("value", value);
                let _ = select.append_child(&option);
            }
        }
    }
    if select.value() != selected {
        select.set_value(selected);
    }
}

/// The words written in index.html (`data-i18n`, `data-i18n-label`,
/// `data-i18n-placeholder`), in `lang`.
pub fn apply_language(document: &Document, lang: Lang) {
    for (attribute, target) in [
        ("data-i18n", None),
        ("data-i18n-label", Some("aria-label")),
        ("data-i18n-placeholder", Some("placeholder")),
    ] {
        for el in all(document, &format!("[{attribute}]")) {
            let Some(key) = el.get_attribute(attribute) else {
                continue;
            };
            let words = crate::i18n::text(lang, &key);
            match target {
                None => el.set_text_content(Some(words)),
                Some(name) => {
                    let _ = el.set_attribute(name, words);
                }
            }
        }
    }
}

/// Downloads `href` as `file` through a link clicked at once.
pub fn click_link(document: &Document, href: &str, file: &str, test_id: Option<&str>) {
    let Some(link) = document
        .create_element("a")
        .ok()
        .and_then(|l| l.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    else {
        return;
    };
    link.set_href(href);
    link.set_download(file);
    if let Some(test_id) = test_id {
        let _ = link.set_attribute("data-testid", test_id);
    }
    if let Some(body) = document.body() {
        let _ = body.append_child(&link);
        link.click();
        link.remove();
    }
}
