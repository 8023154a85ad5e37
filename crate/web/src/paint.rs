//! Draws each of the page's canvases from the model's numbers with the views crate. Generic
//! over the plotters backend: the page paints a canvas, the SVG download paints a string.

use ndarray::{ArrayView2, ArrayView3, Axis};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tokenscope_views::bars::{draw_bars, Bars};
use tokenscope_views::dense_map::{draw_dense_map, DenseLayout, DenseMap};
use tokenscope_views::head_view::{draw_head_view, head_color, HeadView, HeadViewLayout};
use tokenscope_views::heatmap::HeatmapLayout;
use tokenscope_views::id_line::{draw_id_line, IdLine, IdMark};
use tokenscope_views::line_chart::{draw_line_chart, LineChart, Series};
use tokenscope_views::loss_curve::{draw_loss_curve, LossCurve, LossSeries};
use tokenscope_views::model_view::{draw_model_view, ModelLayout, ModelView};
use tokenscope_views::neuron_view::{draw_neuron_view, NeuronHeaders, NeuronLayout, NeuronView};
use tokenscope_views::strips::{draw_strips, Strip, Strips};
use tokenscope_views::vector::{draw_one_hot, draw_vector, OneHot, VectorStrip};
use tokenscope_views::{draw_heatmap, Heatmap, Palette, Theme, ViewError};

use crate::app::App;
use crate::i18n::text;
use crate::page_data::{
    filter_indices, layer_attention, partner, readable, series, shared_words, similarity_at, Side,
};
use crate::protocol::SentenceKey;
use crate::state::PairFilter;

/// Every canvas on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanvasKind {
    Ids,
    OneHot,
    Embedding,
    Similarity,
    Drift,
    Head(SentenceKey),
    /// The current layer and head as a large query × key matrix.
    Matrix,
    Model,
    Neuron,
    Position,
    /// The selected token's word vector, its position vector, and their sum.
    Sum,
    Order,
    /// A GPT model's most probable next tokens after the selected position.
    Next,
    /// Each generated token's attention row over the text before it.
    Generate,
    /// The loaded model's recorded loss curve.
    Loss,
    /// The Train view's live loss curve.
    TrainLoss,
    /// The Train view's word-pair cosines, step by step.
    TrainPairs,
    /// The Train view's probe sentence at one head.
    TrainAttention,
}

impl CanvasKind {
    pub fn element_id(self) -> String {
        match self {
            CanvasKind::Head(key) => format!("canvas-head-{}", key.as_str()),
            other => format!("canvas-{}", other.name()),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CanvasKind::Ids => "ids",
            CanvasKind::OneHot => "onehot",
            CanvasKind::Embedding => "embedding",
            CanvasKind::Similarity => "similarity",
            CanvasKind::Drift => "drift",
            CanvasKind::Head(SentenceKey::A) => "head-a",
            CanvasKind::Head(SentenceKey::B) => "head-b",
            CanvasKind::Head(SentenceKey::Pair) => "head-pair",
            CanvasKind::Matrix => "matrix",
            CanvasKind::Model => "model",
            CanvasKind::Neuron => "neuron",
            CanvasKind::Position => "position",
            CanvasKind::Sum => "sum",
            CanvasKind::Order => "order",
            CanvasKind::Next => "next",
            CanvasKind::Generate => "generate",
            CanvasKind::Loss => "loss",
            CanvasKind::TrainLoss => "train-loss",
            CanvasKind::TrainPairs => "train-pairs",
            CanvasKind::TrainAttention => "train-attention",
        }
    }

    pub fn from_name(name: &str) -> Option<CanvasKind> {
        [
            CanvasKind::Ids,
            CanvasKind::OneHot,
            CanvasKind::Embedding,
            CanvasKind::Similarity,
            CanvasKind::Drift,
            CanvasKind::Head(SentenceKey::A),
            CanvasKind::Head(SentenceKey::B),
            CanvasKind::Head(SentenceKey::Pair),
            CanvasKind::Matrix,
            CanvasKind::Model,
            CanvasKind::Neuron,
            CanvasKind::Position,
            CanvasKind::Sum,
            CanvasKind::Order,
            CanvasKind::Next,
            CanvasKind::Generate,
            CanvasKind::Loss,
            CanvasKind::TrainLoss,
            CanvasKind::TrainPairs,
            CanvasKind::TrainAttention,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// What a drawn canvas remembers so pointer positions map back to tokens and heads.
#[derive(Debug, Clone)]
pub enum Hit {
    None,
    /// The layout and, for each drawn row and column, its index in the sentence.
    Head(HeadViewLayout, Vec<usize>, Vec<usize>),
    Model(ModelLayout),
    Similarity(HeatmapLayout),
    Neuron(NeuronLayout),
    Position(DenseLayout),
}

const FONT: &str = "sans-serif";

fn theme(app: &App) -> Theme {
    if app.state.dark {
        Theme::Dark
    } else {
        Theme::Light
    }
}

/// A sentence in place of a chart: what is missing and why.
fn message<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    theme: Theme,
    line: &str,
) -> Result<Hit, ViewError> {
    area.fill(&theme.background())?;
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        line.to_string(),
        (w as i32 / 2, h as i32 / 2),
        (FONT, 17.0)
            .into_font()
            .color(&theme.text())
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    area.present()?;
    Ok(Hit::None)
}

/// Labels for depths: static, emb, L0 … L(n-1).
pub fn depth_labels(app: &App, depths: usize) -> Vec<String> {
    let lang = app.state.lang;
    (0..depths)
        .map(|d| match d {
            0 => text(lang, "static").to_string(),
            1 => text(lang, "emb").to_string(),
            k => format!("L{}", k - 2),
        })
        .collect()
}

pub fn paint<DB: DrawingBackend>(
    app: &App,
    kind: CanvasKind,
    area: &DrawingArea<DB, Shift>,
) -> Result<Hit, ViewError> {
    let theme = theme(app);
    let lang = app.state.lang;
    if matches!(
        kind,
        CanvasKind::TrainLoss | CanvasKind::TrainPairs | CanvasKind::TrainAttention
    ) {
        // The Train view draws its own run, whatever model the other views show.
        return paint_train(app, kind, area, theme);
    }
    let (Some(facts), Some(analysis)) = (&app.facts, &app.analysis) else {
        return message(area, theme, text(lang, "loading"));
    };
    let selected = app.selected();
    let chip = selected.and_then(|i| app.chips.get(i));
    match kind {
        CanvasKind::Ids => {
            // One mark per distinct id: a token that appears twice has one place on the line.
            let mut marks: Vec<IdMark> = Vec::new();
            for (i, c) in app.chips.iter().enumerate() {
                let is_selected = Some(i) == selected;
                match marks.iter_mut().find(|m| m.id == c.id) {
                    Some(mark) => mark.selected |= is_selected,
                    None => marks.push(IdMark {
                        token: &c.token,
                        id: c.id,
                        selected: is_selected,
                    }),
                }
            }
            draw_id_line(
                area,
                &IdLine {
                    title: text(lang, "ids-title"),
                    vocab_size: facts.vocab_size,
                    marks: &marks,
                    theme,
                },
            )?;
            Ok(Hit::None)
        }
        CanvasKind::OneHot => {
            let Some(chip) = chip else {
                return message(area, theme, "—");
            };
            let title = format!(
                "{} “{}” (id {})",
                text(lang, "onehot-title"),
                chip.token,
                chip.id
            );
            draw_one_hot(
                area,
                &OneHot {
                    title: &title,
                    vocab_size: facts.vocab_size,
                    index: chip.id as usize,
                    token: &chip.token,
                    theme,
                },
            )?;
            Ok(Hit::None)
        }
        CanvasKind::Embedding => {
            let Some(values) = app.selected_embedding() else {
                return message(area, theme, "—");
            };
            let Some(chip) = chip else {
                return message(area, theme, "—");
            };
            let title = format!(
                "{} “{}” — {} {}",
                text(lang, "embedding-title"),
                chip.token,
                values.len(),
                text(lang, "dimensions"),
            );
            draw_vector(
                area,
                &VectorStrip {
                    title: &title,
                    values,
                    theme,
                },
            )?;
            Ok(Hit::None)
        }
        CanvasKind::Similarity => {
            let Some((sim, rows, cols)) = app.similarity() else {
                return message(area, theme, &app.too_long_message());
            };
            let depth = app.state.depth.min(sim.depths.saturating_sub(1));
            let Some(values) = similarity_at(sim, rows.len(), cols.len(), depth) else {
                return message(area, theme, "—");
            };
            let values = values.to_owned();
            let labels = depth_labels(app, sim.depths);
            let title = format!(
                "{} · {}",
                text(lang, "similarity-title"),
                app.depth_name(depth, &labels)
            );
            let highlight_row = app
                .selected_separate()
                .and_then(|(side, i)| (side == Side::A).then_some(i));
            let layout = draw_heatmap(
                area,
                &Heatmap {
                    title: &title,
                    row_labels: rows,
                    col_labels: cols,
                    values: &values,
                    palette: Palette::Diverging,
                    mask_upper: false,
                    highlight_row,
                    theme,
                },
            )?;
            Ok(Hit::Similarity(layout))
        }
        CanvasKind::Drift => {
            let Some((sim, rows, cols)) = app.similarity() else {
                return message(area, theme, &app.too_long_message());
            };
            let Some(selected) = app.selected_separate() else {
                return message(area, theme, "—");
            };
            let Some(cell) = partner(sim, rows.len(), cols.len(), rows, cols, selected) else {
                return message(area, theme, "—");
            };
            let values = series(sim, rows.len(), cols.len(), cell);
            let labels = depth_labels(app, sim.depths);
            let b_side = if sim.rows == sim.cols { "A" } else { "B" };
            let name = format!("“{}” (A) · “{}” ({b_side})", rows[cell.0], cols[cell.1]);
            let title = format!("{name}: {}", text(lang, "drift-title"));
            draw_line_chart(
                area,
                &LineChart {
                    title: &title,
                    x_labels: &labels,
                    y_label: "cos",
                    y_range: (values.iter().copied().fold(0.0f32, f32::min).min(0.0), 1.0),
                    series: &[Series {
                        label: &name,
                        values: &values,
                        color: head_color(0),
                    }],
                    highlight_x: Some(app.state.depth.min(labels.len().saturating_sub(1))),
                    theme,
                },
            )?;
            Ok(Hit::None)
        }
        CanvasKind::Head(key) => {
            let Some(sentence) = analysis.sentences.iter().find(|s| s.key == key) else {
                return message(area, theme, "—");
            };
            let Some(layer) = app.current_layer(sentence) else {
                return message(area, theme, &app.too_long_message());
            };
            let filter = crate::app::pair_filter(app, key);
            let (rows, cols) = filter_indices(&sentence.type_ids, filter);
            let block = layer.select(Axis(1), &rows).select(Axis(2), &cols); // (heads, rows, cols)
            let label = |i: &usize| sentence.tokens[*i].clone();
            let query_labels: Vec<String> = rows.iter().map(label).collect();
            let key_labels: Vec<String> = cols.iter().map(label).collect();
            let focus = app
                .focus_in(key)
                .and_then(|i| rows.iter().position(|&r| r == i));
            let name = match key {
                SentenceKey::A => format!("{} A", text(lang, "sentence")),
                SentenceKey::B => format!("{} B", text(lang, "sentence")),
                SentenceKey::Pair => format!("{} {}", text(lang, "pair"), filter_label(filter)),
            };
            let title = format!("{name} · {} {}", text(lang, "layer"), app.state.layer);
            let layout = draw_head_view(
                area,
                &HeadView {
                    title: &title,
                    query_labels: &query_labels,
                    key_labels: &key_labels,
                    attention: block.view(),
                    visible_heads: &app.visible_heads,
                    focus,
                    theme,
                },
            )?;
            Ok(Hit::Head(layout, rows, cols))
        }
        CanvasKind::Matrix => {
            let Some(sentence) = app.focus_sentence() else {
                return message(area, theme, "—");
            };
            let Some(layer) = app.current_layer(sentence) else {
                return message(area, theme, &app.too_long_message());
            };
            let head = app.state.head.min(analysis.num_heads.saturating_sub(1));
            let values = layer.index_axis(Axis(0), head).to_owned(); // (S, S)
            let title = format!(
                "{} · {} {} · {} {} ({} ↓, {} →)",
                text(lang, "attention-caption"),
                text(lang, "layer"),
                app.state.layer,
                text(lang, "head"),
                head,
                text(lang, "query-token"),
                text(lang, "key-token"),
            );
            let highlight_row = chip.filter(|c| c.source == sentence.key).map(|c| c.index);
            let layout = draw_heatmap(
                area,
                &Heatmap {
                    title: &title,
                    row_labels: &sentence.tokens,
                    col_labels: &sentence.tokens,
                    values: &values,
                    palette: Palette::Sequential { max: 1.0 },
                    mask_upper: facts.causal,
                    highlight_row,
                    theme,
                },
            )?;
            Ok(Hit::Similarity(layout))
        }
        CanvasKind::Model => {
            let Some(sentence) = app.focus_sentence() else {
                return message(area, theme, "—");
            };
            let layers: Vec<ArrayView3<f32>> = (0..analysis.num_layers)
                .filter_map(|l| {
                    layer_attention(sentence, analysis.num_layers, analysis.num_heads, l)
                })
                .collect();
            if layers.is_empty() {
                return message(area, theme, &app.too_long_message());
            }
            let layout = draw_model_view(
                area,
                &ModelView {
                    attention: &layers,
                    selected: Some((app.state.layer, app.state.head)),
                    mask_upper: facts.causal,
                    theme,
                    layer_label: text(lang, "layer"),
                    head_label: text(lang, "head"),
                },
            )?;
            Ok(Hit::Model(layout))
        }
        CanvasKind::Neuron => {
            let Some(neuron) = app.current_neuron() else {
                return message(area, theme, text(lang, "running"));
            };
            let Some(sentence) = analysis.sentences.iter().find(|s| s.key == neuron.sentence)
            else {
                return message(area, theme, "—");
            };
            let s = neuron.probs.len();
            let d = neuron.head_dim;
            let (Ok(keys), Ok(values)) = (
                ArrayView2::from_shape((s, d), &neuron.keys),
                ArrayView2::from_shape((s, d), &neuron.values),
            ) else {
                return message(area, theme, "—");
            };
            let query_label = sentence
                .tokens
                .get(neuron.token)
                .cloned()
                .unwrap_or_default();
            let title = format!(
                "“{query_label}” · {} {} · {} {} · d = {d}",
                text(lang, "layer"),
                neuron.layer,
                text(lang, "head"),
                neuron.head
            );
            let headers = NeuronHeaders {
                key: text(lang, "n-key"),
                k: text(lang, "n-k"),
                product: text(lang, "n-qk"),
                score: text(lang, "n-score"),
                softmax: text(lang, "n-softmax"),
                value: text(lang, "n-value"),
                query: text(lang, "n-query"),
                context: text(lang, "n-context"),
            };
            let layout = draw_neuron_view(
                area,
                &NeuronView {
                    title: &title,
                    headers,
                    query_label: &query_label,
                    key_labels: &sentence.tokens,
                    query: &neuron.query,
                    keys,
                    values,
                    scores: &neuron.scores,
                    probs: &neuron.probs,
                    context: &neuron.context,
                    masked_from: neuron.masked_from,
                    theme,
                },
            )?;
            Ok(Hit::Neuron(layout))
        }
        CanvasKind::Position => {
            let Some((rows, cols, values)) = &app.positions else {
                return message(area, theme, text(lang, "loading"));
            };
            let Ok(table) = ArrayView2::from_shape((*rows, *cols), values) else {
                return message(area, theme, "—");
            };
            let used = app.focus_sentence().map(|s| s.ids.len()).unwrap_or(0);
            // A 10-token sentence is 10 rows of 512: show the first 64 positions (or twice
            // what the sentence uses) so its rows are big enough to see.
            let shown = (used * 2).max(64).min(*rows);
            let table = table.slice(ndarray::s![..shown, ..]);
            let highlight: Vec<usize> = (0..used.min(shown)).collect();
            let title = format!(
                "{} ({rows} × {cols}) · {} 0–{}",
                text(lang, "position-title"),
                text(lang, "position-zoom"),
                shown - 1
            );
            let layout = draw_dense_map(
                area,
                &DenseMap {
                    title: &title,
                    values: table,
                    row_axis: text(lang, "position-axis"),
                    col_axis: text(lang, "dimension-axis"),
                    highlight_rows: &highlight,
                    theme,
                },
            )?;
            Ok(Hit::Position(layout))
        }
        CanvasKind::TrainLoss | CanvasKind::TrainPairs | CanvasKind::TrainAttention => {
            paint_train(app, kind, area, theme)
        }
        CanvasKind::Generate => {
            let Some(generation) = &app.generation else {
                return message(area, theme, text(lang, "gen-empty"));
            };
            let steps = generation.steps.len();
            if steps == 0 {
                return message(area, theme, text(lang, "gen-empty"));
            }
            let prompt = generation.prompt_ids.len();
            let width = prompt + steps - 1;
            let mut cols: Vec<String> = generation
                .prompt_tokens
                .iter()
                .map(|t| readable(t))
                .collect();
            cols.extend(
                generation.steps[..steps - 1]
                    .iter()
                    .map(|s| readable(&s.token)),
            );
            let rows: Vec<String> = generation
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{} {}", i + 1, readable(&s.token)))
                .collect();
            // Keys after the step's own position did not exist yet: drawn as masked.
            let values = ndarray::Array2::from_shape_fn((steps, width), |(i, j)| {
                if j < prompt + i {
                    generation
                        .attention
                        .get(i * width + j)
                        .copied()
                        .unwrap_or(f32::NAN)
                } else {
                    f32::NAN
                }
            });
            let title = format!(
                "{} · {} {} · {} {}",
                text(lang, "gen-title"),
                text(lang, "layer"),
                generation.layer,
                text(lang, "head"),
                generation.head
            );
            let layout = draw_heatmap(
                area,
                &Heatmap {
                    title: &title,
                    row_labels: &rows,
                    col_labels: &cols,
                    values: &values,
                    palette: Palette::Sequential { max: 1.0 },
                    mask_upper: false,
                    highlight_row: None,
                    theme,
                },
            )?;
            Ok(Hit::Similarity(layout))
        }
        CanvasKind::Loss => {
            let Some(record) = &app.training_record else {
                return message(area, theme, text(lang, "learn-none"));
            };
            let as_points = |points: Vec<(usize, f32)>| -> Vec<(f32, f32)> {
                points.into_iter().map(|(s, l)| (s as f32, l)).collect()
            };
            // A model that went on training from another is drawn as one history: each
            // run after the first begins at a marked step, with its own held-out text.
            let stages: Vec<StageCurve> = record
                .stages()
                .iter()
                .map(|stage| StageCurve {
                    train: as_points(stage.train()),
                    held: as_points(stage.held_out()),
                    first_step: stage.first_step as f32,
                })
                .collect();
            draw_training_loss(area, app, &stages, record.vocab_size, None)?;
            Ok(Hit::None)
        }
        CanvasKind::Next => {
            let Some((sentence, index)) = app
                .selected()
                .and_then(|i| app.chips.get(i))
                .and_then(|c| app.sentence(c.source).map(|s| (s, c.index)))
            else {
                return message(area, theme, "—");
            };
            let Some(prediction) = sentence.predictions.get(index) else {
                return message(area, theme, text(lang, "next-bert"));
            };
            let mut labels: Vec<String> =
                prediction.top.iter().map(|t| readable(&t.token)).collect();
            let mut values: Vec<f32> = prediction.top.iter().map(|t| t.prob).collect();
            // The token that really came next, marked, and added below when outside the top.
            let mut highlight = None;
            if let Some(actual) = &prediction.actual {
                match prediction.top.iter().position(|t| t.id == actual.id) {
                    Some(rank) => highlight = Some(rank),
                    None => {
                        labels.push(format!(
                            "{} ({})",
                            readable(&actual.token),
                            text(lang, "next-actual")
                        ));
                        values.push(actual.prob);
                        highlight = Some(labels.len() - 1);
                    }
                }
            }
            let context: Vec<String> = sentence.tokens[..=index.min(sentence.tokens.len() - 1)]
                .iter()
                .map(|t| readable(t))
                .collect();
            let title = format!("{} “{}”", text(lang, "next-title"), context.join("").trim());
            draw_bars(
                area,
                &Bars {
                    title: &title,
                    labels: &labels,
                    values: &values,
                    highlight,
                    theme,
                },
            )?;
            Ok(Hit::None)
        }
        CanvasKind::Sum => {
            let Some(rows) = app.word_position_rows() else {
                return message(area, theme, text(lang, "loading"));
            };
            let Some(chip) = chip else {
                return message(area, theme, "—");
            };
            let labels = [
                format!("{} “{}”", text(lang, "word-row"), chip.token),
                format!("+ {} {}", text(lang, "position-axis"), chip.index),
                format!("= {}", text(lang, "sum-row")),
            ];
            let strips: Vec<Strip> = labels
                .iter()
                .zip(&rows)
                .map(|(label, values)| Strip { label, values })
                .collect();
            let title = format!("“{}” {}", chip.token, text(lang, "sum-title"));
            draw_strips(
                area,
                &Strips {
                    title: &title,
                    strips: &strips,
                    theme,
                },
            )?;
            Ok(Hit::None)
        }
        CanvasKind::Order => {
            let Some((sim, rows, cols)) = app.similarity() else {
                return message(area, theme, &app.too_long_message());
            };
            if sim.rows == sim.cols {
                return message(area, theme, text(lang, "no-b"));
            }
            let shared = shared_words(rows, cols);
            if shared.is_empty() {
                return message(area, theme, text(lang, "order-none"));
            }
            let all: Vec<(String, Vec<f32>)> = shared
                .iter()
                .take(12)
                .map(|(word, i, j)| {
                    (
                        format!("{word} (A{i}, B{j})"),
                        series(sim, rows.len(), cols.len(), (*i, *j)),
                    )
                })
                .collect();
            let lines: Vec<Series> = all
                .iter()
                .enumerate()
                .map(|(n, (label, values))| Series {
                    label,
                    values,
                    color: head_color(n),
                })
                .collect();
            let labels = depth_labels(app, sim.depths);
            let low = all
                .iter()
                .flat_map(|(_, v)| v.iter().copied())
                .fold(0.0f32, f32::min);
            draw_line_chart(
                area,
                &LineChart {
                    title: text(lang, "order-title"),
                    x_labels: &labels,
                    y_label: "cos",
                    y_range: (low, 1.0),
                    series: &lines,
                    highlight_x: None,
                    theme,
                },
            )?;
            Ok(Hit::None)
        }
    }
}

pub fn filter_label(filter: PairFilter) -> &'static str {
    match filter {
        PairFilter::All => "A+B",
        PairFilter::AToA => "A → A",
        PairFilter::AToB => "A → B",
        PairFilter::BToA => "B → A",
        PairFilter::BToB => "B → B",
    }
}

/// A loss curve of training batches and held-out text against the guessing level: the
/// Learning view's recorded run and the Train view's live one look the same.
fn draw_training_loss<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    app: &App,
    stages: &[StageCurve],
    vocab_size: usize,
    x_max: Option<f32>,
) -> Result<(), ViewError> {
    let lang = app.state.lang;
    let (train_label, held_label) = (text(lang, "learn-train"), text(lang, "learn-held"));
    let series: Vec<LossSeries> = stages
        .iter()
        .enumerate()
        .flat_map(|(i, stage)| {
            // Only the first stage names its curves: the later ones continue them.
            let named = |label| if i == 0 { label } else { "" };
            [
                LossSeries {
                    label: named(train_label),
                    points: &stage.train,
                    color: RGBColor(110, 140, 210),
                    markers: false,
                },
                LossSeries {
                    label: named(held_label),
                    points: &stage.held,
                    color: RGBColor(220, 90, 30),
                    markers: true,
                },
            ]
        })
        .collect();
    let marks: Vec<(f32, &str)> = stages
        .iter()
        .skip(1)
        .map(|stage| (stage.first_step, text(lang, "learn-more-text")))
        .collect();
    draw_loss_curve(
        area,
        &LossCurve {
            title: text(lang, "learn-title"),
            x_label: text(lang, "learn-step"),
            y_label: text(lang, "learn-loss"),
            series: &series,
            reference: Some(((vocab_size as f32).ln(), text(lang, "learn-guess"))),
            y_floor: Some(0.0),
            x_max,
            marks: &marks,
            theme: theme(app),
        },
    )
}

/// One training run's curves, on the step axis of the model's whole history.
struct StageCurve {
    train: Vec<(f32, f32)>,
    held: Vec<(f32, f32)>,
    /// Where the run began (0 for a model trained from scratch).
    first_step: f32,
}

/// The Train view's charts, from the run the worker reports.
fn paint_train<DB: DrawingBackend>(
    app: &App,
    kind: CanvasKind,
    area: &DrawingArea<DB, Shift>,
    theme: Theme,
) -> Result<Hit, ViewError> {
    let lang = app.state.lang;
    let panel = &app.train;
    let steps = panel.facts.as_ref().map(|f| f.steps as f32);
    match kind {
        CanvasKind::TrainLoss => {
            let Some(facts) = &panel.facts else {
                return message(area, theme, text(lang, "train-idle"));
            };
            // Long runs are drawn as means of consecutive steps: a path of 100,000 points
            // redrawn ten times a second would stall the page.
            let window = panel.points.len().div_ceil(1500).max(1);
            let train: Vec<(f32, f32)> = panel
                .points
                .chunks(window)
                .filter_map(|chunk| {
                    let last = chunk.last()?;
                    let mean = chunk.iter().map(|p| p.train_loss).sum::<f32>() / chunk.len() as f32;
                    Some((last.step as f32, mean))
                })
                .collect();
            let held: Vec<(f32, f32)> = panel
                .points
                .iter()
                .filter_map(|p| p.held_out_loss.map(|l| (p.step as f32, l)))
                .collect();
            if train.is_empty() {
                return message(area, theme, text(lang, "train-preparing"));
            }
            let run = [StageCurve {
                train,
                held,
                first_step: 0.0,
            }];
            draw_training_loss(area, app, &run, facts.vocab_size, steps)?;
            Ok(Hit::None)
        }
        CanvasKind::TrainPairs => {
            if panel.cosines.is_empty() || panel.pair_names.is_empty() {
                return message(area, theme, text(lang, "train-idle"));
            }
            let lines: Vec<Vec<(f32, f32)>> = (0..panel.pair_names.len())
                .map(|pair| {
                    panel
                        .cosines
                        .iter()
                        .filter_map(|(step, values)| {
                            values
                                .get(pair)
                                .copied()
                                .flatten()
                                .map(|c| (*step as f32, c))
                        })
                        .collect()
                })
                .collect();
            let series: Vec<LossSeries> = panel
                .pair_names
                .iter()
                .zip(&lines)
                .enumerate()
                .map(|(i, (name, points))| LossSeries {
                    label: name,
                    points,
                    color: head_color(i),
                    markers: true,
                })
                .collect();
            if lines.iter().all(Vec::is_empty) {
                return message(area, theme, "—");
            }
            draw_loss_curve(
                area,
                &LossCurve {
                    title: text(lang, "train-cosine-title"),
                    x_label: text(lang, "learn-step"),
                    y_label: text(lang, "train-cosine"),
                    series: &series,
                    reference: Some((0.0, "")),
                    y_floor: None,
                    x_max: steps,
                    marks: &[],
                    theme,
                },
            )?;
            Ok(Hit::None)
        }
        CanvasKind::TrainAttention => {
            let Some(snapshot) = panel
                .snapshot
                .as_ref()
                .filter(|s| !s.probe_tokens.is_empty())
            else {
                return message(area, theme, text(lang, "train-idle"));
            };
            let size = snapshot.probe_tokens.len();
            let Ok(values) =
                ndarray::Array2::from_shape_vec((size, size), snapshot.attention.clone())
            else {
                return message(area, theme, "—");
            };
            let labels: Vec<String> = snapshot.probe_tokens.iter().map(|t| readable(t)).collect();
            let title = format!(
                "{} · {} {} · {} {} · {} {}",
                text(lang, "train-attention-title"),
                text(lang, "train-step"),
                snapshot.step,
                text(lang, "layer"),
                snapshot.layer,
                text(lang, "head"),
                snapshot.head,
            );
            draw_heatmap(
                area,
                &Heatmap {
                    title: &title,
                    row_labels: &labels,
                    col_labels: &labels,
                    values: &values,
                    palette: Palette::Sequential { max: 1.0 },
                    mask_upper: true,
                    highlight_row: None,
                    theme,
                },
            )?;
            Ok(Hit::None)
        }
        _ => message(area, theme, "—"),
    }
}
