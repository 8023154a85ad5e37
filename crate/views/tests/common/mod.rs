//! What the view tests share: the real model loaded once, the seed sentence's trace, an SVG
//! renderer and readers that pick the drawn texts and shapes back out of the SVG.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use tokenscope_core::{Model, Trace};

pub const SEED: &str = "students celebrate the graduation with a big party";
pub const OTHER_PARTY: &str = "deputy leader is highly respected in the party";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// MiniLM, loaded once per test binary: its 90 MB of weights take a while to read.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        Model::from_dir(&workspace_root().join("assets/models/all-MiniLM-L6-v2"))
            .expect("embedded model loads")
    })
}

pub fn trace(text: &str) -> Trace {
    model().trace(text, None).expect("runs")
}

/// Where `token` first appears in the trace.
pub fn position(trace: &Trace, token: &str) -> usize {
    trace
        .input
        .tokens
        .iter()
        .position(|t| t == token)
        .expect("token in sentence")
}

pub fn labels(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Runs `draw` on an SVG canvas of `size`; returns the SVG and what `draw` returned.
pub fn render<T>(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> T,
) -> (String, T) {
    let mut svg = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)
    };
    (svg, result)
}

/// Writes `svg` to target/views/<name> so a person can look at it.
pub fn save(name: &str, svg: &str) {
    let out = workspace_root().join("target/views");
    std::fs::create_dir_all(&out).expect("target dir");
    std::fs::write(out.join(name), svg).expect("writes");
}

/// The text content of every `<text>` element, in drawing order.
pub fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..t.find("</text>")?];
            Some(body.trim().to_string())
        })
        .collect()
}

/// How many `<tag ` elements the SVG holds.
pub fn count(svg: &str, tag: &str) -> usize {
    svg.matches(&format!("<{tag} ")).count()
}

/// How many times `text` is drawn as a whole label.
pub fn drawn(svg: &str, text: &str) -> usize {
    texts(svg).iter().filter(|t| *t == text).count()
}

/// The text content of every bold `<text>` element.
pub fn bold_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let open = t.find('>')?;
            if !t[..open].contains("bold") {
                return None;
            }
            Some(t[open + 1..t.find("</text>")?].trim().to_string())
        })
        .collect()
}
