//! View 4, attention head by head (BertViz's head view): lines from each token to the
//! tokens it attends to, a colour per head, whom the selected token attends to in words,
//! and the current head as a matrix and as tables.

use ndarray::Axis;
use plotters::prelude::DrawingBackend;
use tokenscope_views::head_view::{draw_head_view, head_color, Column, HeadView};
use tokenscope_views::{draw_heatmap, Heatmap, Palette};

use super::kit::{
    chip_at, four, loaded, message, theme, Area, CanvasPlan, Control, Hit, LayerBar, PaintResult,
    Painted, Panel, Pointer, UiEvent,
};
use super::out::{El, Node, Out, Table};
use crate::page::{strongest_keys, Msg, PageModel};
use crate::protocol::{SentenceData, SentenceKey};

pub struct Heads;

/// The canvas of sentence `key`'s head view.
fn canvas_of(key: SentenceKey) -> &'static str {
    match key {
        SentenceKey::A => "head-a",
        SentenceKey::B => "head-b",
        SentenceKey::Pair => "head-pair",
    }
}

fn key_of(canvas: &str) -> Option<SentenceKey> {
    SentenceKey::from_name(canvas.strip_prefix("head-")?)
}

impl Panel for Heads {
    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Used
    }
    const CONTROLS: &'static [Control] = &[
        // Click hides or shows a head; double-click shows it alone.
        Control::within("head-swatches", UiEvent::Click, "head", |i| {
            match (i.detail > 1, i.data.as_deref()) {
                (true, _) | (_, None) => None, // the second click of a double-click
                (false, Some("all")) => Some(Msg::ShowAllHeads),
                (false, Some(_)) => i.data_index().map(Msg::ToggleHead),
            }
        }),
        Control::within("head-swatches", UiEvent::DblClick, "head", |i| {
            i.data_index().map(Msg::SoloHead)
        }),
        Control::on("all-lines", UiEvent::Change, |i| {
            Some(Msg::AllLines(i.checked))
        }),
        Control::on("attention-numbers", UiEvent::Toggle, |i| {
            Some(Msg::AttentionNumbers(i.checked))
        }),
    ];

    fn canvases(model: &PageModel) -> Vec<CanvasPlan> {
        let mut plans: Vec<CanvasPlan> = model
            .attention_keys()
            .into_iter()
            .map(|key| CanvasPlan::tall(canvas_of(key), head_canvas_height(model, key)))
            .collect();
        let matrix = model
            .focus_sentence()
            .map_or(480, |s| (s.ids.len() as u32 * 34 + 150).clamp(360, 1400));
        plans.push(CanvasPlan::tall("matrix", matrix));
        plans
    }

    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        match key_of(name) {
            Some(key) => paint_head_view(model, key, area),
            None => paint_matrix(model, area),
        }
    }

    fn render(model: &PageModel, out: &mut Out) {
        swatches(model, out);
        out.text("kv-groups", kv_groups_text(model));
        out.checked("all-lines", model.all_lines);
        out.children("head-canvases", canvas_wraps(model));
        out.children("attends", attends(model));
        let tables = model
            .attention_keys()
            .into_iter()
            .filter_map(|key| {
                let tokens = model.sentence(key)?.tokens.len();
                if model.attention_numbers || tokens * tokens <= BUILT_CLOSED {
                    return attention_table(model, key).map(Node::Table);
                }
                let note = model
                    .t("table-on-open")
                    .replace("{rows}", &tokens.to_string())
                    .replace("{cols}", &tokens.to_string());
                Some(Node::El(
                    El::new("p")
                        .class("note")
                        .attr("data-testid", "attention-table-later")
                        .text(note),
                ))
            })
            .collect();
        out.children("attention-tables", tables);
    }

    /// Over a head view, hovering a token shows only its lines and a click selects it; a
    /// click on a row of the matrix selects that token.
    fn on_pointer(name: &str, hit: &Hit, pointer: Pointer, model: &PageModel) -> Vec<Msg> {
        let chip = |x, y| match (hit, key_of(name)) {
            (Hit::Head(layout, rows, cols), Some(key)) => {
                let (column, i) = layout.token_at(x, y)?;
                let index = match column {
                    Column::Query => *rows.get(i)?,
                    Column::Key => *cols.get(i)?,
                };
                chip_at(model, key, index)
            }
            (Hit::Heatmap(layout), None) => {
                let (row, _) = layout.cell_at(x, y)?;
                chip_at(model, model.selected_chip()?.source, row)
            }
            _ => None,
        };
        let msg = match pointer {
            Pointer::Move(x, y) if key_of(name).is_some() => Msg::Hover(chip(x, y)),
            Pointer::Leave if key_of(name).is_some() => Msg::Hover(None),
            Pointer::Click(x, y) => match chip(x, y) {
                Some(chip) => Msg::SelectToken(chip),
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        vec![msg]
    }
}

fn head_canvas_height(model: &PageModel, key: SentenceKey) -> u32 {
    let rows = model.sentence(key).map_or(10, |s| {
        let (rows, cols) = model.filtered_indices(s);
        rows.len().max(cols.len())
    });
    (rows as u32 * 28 + 90).clamp(320, 2000)
}

/// One canvas per sentence shown (the pair in pair mode, else A and B).
fn canvas_wraps(model: &PageModel) -> Vec<Node> {
    model
        .attention_keys()
        .into_iter()
        .map(|key| {
            El::new("div")
                .class("canvas-wrap head-wrap")
                .child(
                    El::new("canvas")
                        .attr("id", format!("canvas-{}", canvas_of(key)))
                        .attr("role", "img")
                        .attr("aria-describedby", "attention-tables"),
                )
                .into()
        })
        .collect()
}

/// One swatch per head in its line colour, and one that shows them all.
/// "Grouped-query attention: … 0–3 → K/V 0 · 4–7 → K/V 1", or nothing when every head has
/// its own keys and values.
fn kv_groups_text(model: &PageModel) -> String {
    let Some(facts) = model
        .facts
        .as_ref()
        .filter(|f| f.num_kv_heads != f.num_heads)
    else {
        return String::new();
    };
    let size = facts.num_heads / facts.num_kv_heads.max(1);
    let groups: Vec<String> = (0..facts.num_kv_heads)
        .map(|g| {
            format!(
                "{}–{} → {} {g}",
                g * size,
                (g + 1) * size - 1,
                model.t("kv-short")
            )
        })
        .collect();
    format!("{}: {}.", model.t("kv-groups-lead"), groups.join(" · "))
}

fn swatches(model: &PageModel, out: &mut Out) {
    let heads = model.visible_heads.len();
    let grouped = model
        .facts
        .as_ref()
        .is_some_and(|f| f.num_kv_heads != f.num_heads);
    let mut nodes: Vec<Node> = (0..heads)
        .map(|head| {
            let color = head_color(head);
            // Grouped queries: each head says which shared key/value head it reads.
            let title = match grouped {
                true => format!(
                    "{} {head} · {} {}",
                    model.t("head"),
                    model.t("kv-group"),
                    model.kv_group(head)
                ),
                false => format!("{} {head}", model.t("head")),
            };
            El::new("button")
                .class("swatch")
                .text(head.to_string())
                .attr("id", format!("swatch-{head}"))
                .attr("type", "button")
                .attr("title", title)
                .attr("data-head", head.to_string())
                .css(
                    "--swatch",
                    format!("rgb({}, {}, {})", color.0, color.1, color.2),
                )
                .into()
        })
        .collect();
    nodes.push(
        El::new("button")
            .class("swatch-all")
            .text(format!("✓ 0–{}", heads.saturating_sub(1)))
            .attr("type", "button")
            .attr("data-head", "all")
            .into(),
    );
    out.children("head-swatches", nodes);
    for (head, on) in model.visible_heads.iter().enumerate() {
        let id = format!("swatch-{head}");
        out.attr(id.clone(), "aria-pressed", on.to_string());
        out.class(id, "current", head == model.state.head);
    }
}

fn paint_head_view<DB: DrawingBackend>(
    model: &PageModel,
    key: SentenceKey,
    area: &Area<DB>,
) -> PaintResult {
    let Some(sentence) = model.sentence(key) else {
        return message(area, model, "—");
    };
    let Some(layer) = model.current_layer(sentence) else {
        return message(area, model, &model.too_long_message());
    };
    let filter = model.pair_filter(key);
    let (rows, cols) = model.filtered_indices(sentence);
    let block = layer.select(Axis(1), &rows).select(Axis(2), &cols); // (heads, rows, cols)
    let label = |i: &usize| sentence.tokens[*i].clone();
    let query_labels: Vec<String> = rows.iter().map(label).collect();
    let key_labels: Vec<String> = cols.iter().map(label).collect();
    let focus_token = model.focus_in(key);
    let focus = focus_token.and_then(|i| rows.iter().position(|&r| r == i));
    let name = match key {
        SentenceKey::Pair => format!("{} {}", model.t("pair"), filter.label()),
        other => format!("{} {}", model.t("sentence"), other.name().to_uppercase()),
    };
    let title = format!("{name} · {} {}", model.t("layer"), model.state.layer);
    let layout = draw_head_view(
        area,
        &HeadView {
            title: &title,
            query_labels: &query_labels,
            key_labels: &key_labels,
            attention: block.view(),
            visible_heads: &model.visible_heads,
            focus,
            theme: theme(model),
        },
    )?;
    let heads: Vec<String> = model
        .visible_heads
        .iter()
        .enumerate()
        .filter(|(_, v)| **v)
        .map(|(h, _)| h.to_string())
        .collect();
    let attrs = vec![
        ("data-queries", rows.len().to_string()),
        ("data-keys", cols.len().to_string()),
        ("data-heads", heads.join(",")),
        (
            "data-focus",
            focus_token.map(|f| f.to_string()).unwrap_or_default(),
        ),
        ("data-layer", model.state.layer.to_string()),
    ];
    Ok(Painted {
        hit: Hit::Head(layout, rows, cols),
        attrs,
    })
}

/// The current layer and head as a large query × key matrix.
fn paint_matrix<DB: DrawingBackend>(model: &PageModel, area: &Area<DB>) -> PaintResult {
    let Some(sentence) = model.focus_sentence() else {
        return message(area, model, "—");
    };
    let Some(layer) = model.current_layer(sentence) else {
        return message(area, model, &model.too_long_message());
    };
    let head = model.state.head.min(layer.dim().0.saturating_sub(1));
    let values = layer.index_axis(Axis(0), head).to_owned(); // (S, S)
    let title = format!(
        "{} · {} {} · {} {} ({} ↓, {} →)",
        model.t("attention-caption"),
        model.t("layer"),
        model.state.layer,
        model.t("head"),
        head,
        model.t("query-token"),
        model.t("key-token"),
    );
    let highlight_row = model
        .selected_chip()
        .filter(|c| c.source == sentence.key)
        .map(|c| c.index);
    let layout = draw_heatmap(
        area,
        &Heatmap {
            title: &title,
            row_labels: &sentence.tokens,
            col_labels: &sentence.tokens,
            values: &values,
            palette: Palette::Sequential { max: 1.0 },
            mask_upper: model.causal(),
            highlight_row,
            theme: theme(model),
        },
    )?;
    Ok(Hit::Heatmap(layout).into())
}

/// In words: whom the selected token attends to in this layer, per shown sentence.
fn attends(model: &PageModel) -> Vec<Node> {
    let shown = model.visible_heads.iter().filter(|v| **v).count();
    let mut lines: Vec<Node> = model
        .attention_keys()
        .into_iter()
        .filter_map(|key| {
            let sentence = model.sentence(key)?;
            let query = model.focus_in(key)?;
            let line = strongest_line(model, sentence, query)?;
            let text = format!(
                "{} · “{}” → {line} ({} {}, {} {shown} {})",
                model.sentence_name(key),
                sentence.tokens[query],
                model.t("layer"),
                model.state.layer,
                model.t("mean-of"),
                model.t("heads-count"),
            );
            Some(
                El::new("p")
                    .text(text)
                    .attr("data-sentence", key.name())
                    .into(),
            )
        })
        .collect();
    if !lines.is_empty() {
        lines.push(
            El::new("p")
                .class("hint")
                .text(model.t("attends-note"))
                .into(),
        );
    }
    lines
}

/// "celebrate 0.131 · big 0.102 · …": the query's three strongest keys in this layer,
/// leaving out special tokens and keys the pair filter hides.
fn strongest_line(model: &PageModel, sentence: &SentenceData, query: usize) -> Option<String> {
    let layer = model.current_layer(sentence)?;
    let (_, shown_keys) = model.filtered_indices(sentence);
    let excluded: Vec<bool> = (0..sentence.ids.len())
        .map(|k| sentence.special[k] || !shown_keys.contains(&k))
        .collect();
    let keys = strongest_keys(layer, &model.visible_heads, query, &excluded, 3);
    (!keys.is_empty()).then(|| {
        keys.iter()
            .map(|(k, w)| format!("{} {w:.3}", sentence.tokens[*k]))
            .collect::<Vec<_>>()
            .join(" · ")
    })
}

/// The most cells an attention table has when built while its "Numbers" is closed (64
/// tokens); a larger one, 16,384 cells at 128 tokens, cost a keystroke about 40 ms of the
/// page's thread to format and parse, so it is built when opened.
const BUILT_CLOSED: usize = 64 * 64;

/// Attention of the current layer and head for one shown sentence.
fn attention_table(model: &PageModel, key: SentenceKey) -> Option<Table> {
    let sentence = model.sentence(key)?;
    let layer = model.current_layer(sentence)?;
    let head = layer.index_axis(Axis(0), model.state.head.min(layer.dim().0 - 1));
    let caption = format!(
        "{} · {} · {} {} · {} {} ({} ↓, {} →)",
        model.t("attention-caption"),
        model.sentence_name(key),
        model.t("layer"),
        model.state.layer,
        model.t("head"),
        model.state.head,
        model.t("query-token"),
        model.t("key-token"),
    );
    let table = Table::new(
        "attention-table",
        caption,
        sentence.tokens.clone(),
        sentence.tokens.clone(),
        |r, c| four(head[[r, c]]),
    )
    .highlight(model.focus_in(key))
    .masked(model.causal())
    .attr("data-sentence", key.name())
    .attr("data-layer", model.state.layer.to_string())
    .attr("data-head", model.state.head.to_string());
    Some(table)
}
