//! The ablation scan, drawn in the ablation view: the layers × heads grid that switches
//! heads off, each cell showing what removing that head alone does to the selected token,
//! with its table and a sentence saying which head matters most.

use plotters::prelude::DrawingBackend;
use tokenscope_views::{draw_token_grid, Palette, TokenGrid};

use super::kit::{four, theme, Area, Hit, PaintResult};
use super::out::Table;
use crate::page::{readable, PageModel};
use crate::protocol::ScanData;

/// A cell's number: a GPT's probability change is signed; BERT's 1 − cosine is not, and is
/// small (a head rarely turns a 384-number vector far), so it gets a decimal more.
fn effect_text(scan: &ScanData, effect: f32) -> String {
    if scan.top.is_some() {
        format!("{effect:+.3}")
    } else {
        format!("{effect:.4}")
    }
}

/// The largest effect in size, for the colour scale (1 before any head is done).
fn largest(scan: &ScanData) -> f32 {
    let m = scan.effects.iter().fold(0.0f32, |m, e| m.max(e.abs()));
    if m > 0.0 {
        m
    } else {
        1.0
    }
}

/// The switchboard: every head as a cell (click to switch it off), coloured and labelled by
/// the scan as far as it has got; heads switched off are grey and crossed.
pub fn paint_grid<DB: DrawingBackend>(
    model: &PageModel,
    layers: usize,
    heads: usize,
    area: &Area<DB>,
) -> PaintResult {
    let scan = model
        .current_scan()
        .filter(|s| s.layers == layers && s.heads == heads);
    let scale = scan.map_or(1.0, largest);
    let mut words = vec![vec![String::new(); heads]; layers];
    let mut values = vec![vec![0.0f32; heads]; layers];
    for l in 0..layers {
        for h in 0..heads {
            let effect = scan.and_then(|s| s.effect(l, h));
            let number = match (scan, effect) {
                (Some(s), Some(e)) => effect_text(s, e),
                (Some(s), None) if !s.is_done() => "…".to_string(),
                _ => String::new(),
            };
            let off = model.state.ablate.contains(l, h);
            words[l][h] = match (off, number.is_empty()) {
                (true, true) => model.t("ablate-cell-off").to_string(),
                (true, false) => format!("✕ {number}"),
                (false, _) => number,
            };
            values[l][h] = if off {
                f32::NAN
            } else {
                effect.map_or(0.0, |e| e / scale)
            };
        }
    }
    let rows: Vec<String> = (0..layers)
        .map(|l| format!("{} {l}", model.t("layer")))
        .collect();
    let cols: Vec<String> = (0..heads)
        .map(|h| format!("{} {h}", model.t("head")))
        .collect();
    let title = scan.map_or_else(
        || model.t("ablate-grid-title").to_string(),
        |s| title(model, s),
    );
    let layout = draw_token_grid(
        area,
        &TokenGrid {
            title: &title,
            row_labels: &rows,
            col_labels: &cols,
            words: &words,
            values: &values,
            selected: Some((model.state.layer, model.state.head)),
            marked: &[],
            palette: Palette::Diverging,
            theme: theme(model),
        },
    )?;
    Ok(Hit::Heatmap(layout).into())
}

fn title(model: &PageModel, scan: &ScanData) -> String {
    let token = readable(&scan.token);
    match &scan.top {
        Some(top) => model
            .t("ablate-scan-title-gpt")
            .replace("{top}", &readable(&top.token))
            .replace("{token}", &token),
        None => model.t("ablate-scan-title-bert").replace("{token}", &token),
    }
}

/// The scan's numbers: layers × heads, empty where a head is not done yet.
pub fn scan_table(model: &PageModel) -> Option<Table> {
    let scan = model.current_scan()?;
    if scan.error.is_some() {
        return None;
    }
    let cols = (0..scan.heads)
        .map(|h| format!("{} {h}", model.t("head")))
        .collect();
    let rows = (0..scan.layers)
        .map(|l| format!("{} {l}", model.t("layer")))
        .collect();
    let measure = if scan.top.is_some() {
        "top-token"
    } else {
        "final-vector"
    };
    let table = Table::new(
        "ablate-scan-table",
        title(model, scan),
        cols,
        rows,
        |l, h| scan.effect(l, h).map(four).unwrap_or_default(),
    )
    .corner(model.t("ablate-scan-corner"))
    .attr("data-measure", measure)
    .attr("data-done", scan.effects.len().to_string())
    .attr("data-total", scan.total().to_string())
    .attr("data-position", scan.ask.position.to_string())
    .attr(
        "data-top",
        scan.top
            .as_ref()
            .map_or(String::new(), |t| t.id.to_string()),
    );
    Some(table)
}

/// The scan in one or two sentences: its progress, then the head that matters most.
pub fn scan_in_words(model: &PageModel) -> String {
    let Some(scan) = model.current_scan() else {
        return if model.selected_chip().is_some() {
            model.t("ablate-scan-waiting").to_string()
        } else {
            String::new()
        };
    };
    if let Some(error) = &scan.error {
        return model.t("ablate-scan-failed").replace("{error}", error);
    }
    if !scan.is_done() {
        return model
            .t("ablate-scan-progress")
            .replace("{done}", &scan.effects.len().to_string())
            .replace("{total}", &scan.total().to_string());
    }
    let Some((most, effect)) = scan
        .effects
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
    else {
        return String::new();
    };
    let head = format!("{}.{}", most / scan.heads.max(1), most % scan.heads.max(1));
    let token = readable(&scan.token);
    let Some(top) = &scan.top else {
        return model
            .t("ablate-scan-bert")
            .replace("{head}", &head)
            .replace("{token}", &token)
            .replace("{effect}", &four(*effect))
            .replace("{total}", &scan.total().to_string());
    };
    let flips = scan
        .new_tops
        .iter()
        .flatten()
        .filter(|t| t.id != top.id)
        .count();
    let mut text = model
        .t("ablate-scan-gpt")
        .replace("{top}", &readable(&top.token))
        .replace("{token}", &token)
        .replace("{before}", &four(top.prob))
        .replace("{head}", &head)
        .replace("{after}", &four(top.prob - effect));
    let replaced = scan.new_tops.get(most).and_then(Option::as_ref);
    if let Some(new) = replaced.filter(|t| t.id != top.id) {
        text.push(' ');
        text.push_str(
            &model
                .t("ablate-scan-gpt-new")
                .replace("{new}", &readable(&new.token))
                .replace("{new_p}", &four(new.prob)),
        );
    }
    text.push(' ');
    text.push_str(
        &model
            .t("ablate-scan-flips")
            .replace("{flips}", &flips.to_string())
            .replace("{total}", &scan.total().to_string()),
    );
    text
}
