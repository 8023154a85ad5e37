//! Small DOM helpers the page uses everywhere: find elements, set text (never HTML), build
//! the number tables that are every canvas's text alternative.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement};

pub fn element(document: &Document, id: &str) -> Option<Element> {
    document.get_element_by_id(id)
}

pub fn typed<T: JsCast>(document: &Document, id: &str) -> Option<T> {
    element(document, id).and_then(|e| e.dyn_into::<T>().ok())
}

pub fn set_text(document: &Document, id: &str, text: &str) {
    if let Some(el) = element(document, id) {
        el.set_text_content(Some(text));
    }
}

pub fn create(document: &Document, tag: &str, class: &str, text: Option<&str>) -> Option<Element> {
    let el = document.create_element(tag).ok()?;
    if !class.is_empty() {
        el.set_class_name(class);
    }
    if let Some(text) = text {
        el.set_text_content(Some(text)); // text, never HTML: sentences come from users
    }
    Some(el)
}

pub fn set_hidden(el: &Element, hidden: bool) {
    if let Some(el) = el.dyn_ref::<HtmlElement>() {
        el.set_hidden(hidden);
    }
}

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

/// A matrix as an HTML table: a caption, column headers, row headers and the cells as
/// already formatted text. Screen readers and tests read the numbers from here.
pub struct TableSpec<'a> {
    pub caption: &'a str,
    pub corner: &'a str,
    pub col_labels: &'a [String],
    pub row_labels: &'a [String],
    pub cells: &'a dyn Fn(usize, usize) -> String,
    pub highlight_row: Option<usize>,
}

pub fn table(document: &Document, spec: &TableSpec) -> Option<Element> {
    let table = create(document, "table", "numbers", None)?;
    let caption = create(document, "caption", "", Some(spec.caption))?;
    table.append_child(&caption).ok()?;
    let head = create(document, "thead", "", None)?;
    let head_row = create(document, "tr", "", None)?;
    let corner = create(document, "th", "", Some(spec.corner))?;
    head_row.append_child(&corner).ok()?;
    for label in spec.col_labels {
        let th = create(document, "th", "", Some(label))?;
        th.set_attribute("scope", "col").ok()?;
        head_row.append_child(&th).ok()?;
    }
    head.append_child(&head_row).ok()?;
    table.append_child(&head).ok()?;
    let body = create(document, "tbody", "", None)?;
    for (r, label) in spec.row_labels.iter().enumerate() {
        let class = if spec.highlight_row == Some(r) {
            "selected"
        } else {
            ""
        };
        let tr = create(document, "tr", class, None)?;
        let th = create(document, "th", "", Some(label))?;
        th.set_attribute("scope", "row").ok()?;
        tr.append_child(&th).ok()?;
        for c in 0..spec.col_labels.len() {
            let td = create(document, "td", "", Some(&(spec.cells)(r, c)))?;
            tr.append_child(&td).ok()?;
        }
        body.append_child(&tr).ok()?;
    }
    table.append_child(&body).ok()?;
    Some(table)
}

/// Builds the table of `spec`, tags it with `data-testid` and puts it in `holder`.
pub fn put_table(
    document: &Document,
    holder: &Element,
    spec: &TableSpec,
    test_id: &str,
) -> Option<Element> {
    let built = table(document, spec)?;
    built.set_attribute("data-testid", test_id).ok()?;
    holder.append_child(&built).ok()?;
    Some(built)
}
