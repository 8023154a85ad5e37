//! Tokenizers side by side: sentence A as characters, UTF-8 bytes, words, BERT's WordPiece,
//! GPT-2's byte-level BPE and the loaded model's own tokenizer, one band each, boundaries
//! aligned and disagreements marked; what each costs for A and B; and, for a clicked
//! token, the merges (or WordPiece's greedy steps) that built it.

use plotters::prelude::DrawingBackend;
use tokenscope_core::token_rows::Replay;
use tokenscope_views::{draw_token_rows, token_rows_height, RowToken, TokenRow, TokenRows};

use super::kit::{loaded, message, theme, Area, CanvasPlan, Hit, PaintResult, Panel, Pointer};
use super::out::{Out, Table};
use crate::format::grouped;
use crate::page::{readable, Msg, PageModel, ViewNeeds};
use crate::protocol::{Level, TokenizerRow};

pub struct Tokenizers;

/// A row's name: the level's, or the loaded model's for its own tokenizer.
fn row_name(model: &PageModel, row: &TokenizerRow) -> String {
    match row.level {
        Level::Model => format!(
            "{} ({})",
            model.t("tok-model"),
            model.facts.as_ref().map_or("", |f| f.name.as_str())
        ),
        level => model.t(&format!("tok-{}", level.name())).to_string(),
    }
}

/// How a token is labelled: BPE's byte alphabet made readable (Ġ as ␣).
fn label(row: &TokenizerRow, token: &str) -> String {
    match row.level {
        Level::Chars | Level::Bytes | Level::Words => {
            if token.chars().all(char::is_whitespace) {
                "␣".to_string()
            } else {
                token.to_string()
            }
        }
        _ => readable(token),
    }
}

fn chart_rows(model: &PageModel, rows: &[TokenizerRow]) -> Vec<TokenRow> {
    rows.iter()
        .map(|row| TokenRow {
            name: row_name(model, row),
            compared: !matches!(row.level, Level::Chars | Level::Bytes),
            tokens: row
                .row
                .tokens
                .iter()
                .enumerate()
                .map(|(i, t)| RowToken {
                    label: label(row, t),
                    id: row.row.ids[i],
                    span: row.row.spans[i],
                    unknown: t == "[UNK]" || t == "<unk>",
                })
                .collect(),
        })
        .collect()
}

impl Panel for Tokenizers {
    const NEEDS: ViewNeeds = ViewNeeds {
        tokenizers: true,
        ..ViewNeeds::NONE
    };

    fn canvases(model: &PageModel) -> Vec<CanvasPlan> {
        let height = model.current_tokenizers().map_or(360, |t| {
            let names: Vec<String> = t.rows.iter().map(|r| row_name(model, r)).collect();
            // Planned for a narrow page; a wider one leaves room to spare.
            token_rows_height(&model.state.a, t.rows.len(), 900, &names)
        });
        vec![CanvasPlan::tall("tokenizers", height.clamp(200, 2400))]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        if loaded(model).is_none() {
            return message(area, model, model.t("loading"));
        }
        let Some(data) = model.current_tokenizers() else {
            return message(area, model, model.t("tok-computing"));
        };
        if let Some(error) = &data.error {
            return message(area, model, error);
        }
        let rows = chart_rows(model, &data.rows);
        let layout = draw_token_rows(
            area,
            &TokenRows {
                title: model.t("tok-chart-title"),
                text: &data.ask.a,
                rows: &rows,
                selected: model.picked_piece().map(|(r, _, i)| (r, i)),
                theme: theme(model),
            },
        )?;
        Ok(Hit::TokenRows(layout).into())
    }

    fn on_pointer(_name: &str, hit: &Hit, pointer: Pointer, _model: &PageModel) -> Vec<Msg> {
        match (hit, pointer) {
            (Hit::TokenRows(layout), Pointer::Click(x, y)) => layout
                .token_at(x, y)
                .map(|(row, token)| vec![Msg::PickPiece { row, token }])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn render(model: &PageModel, out: &mut Out) {
        let data = model.current_tokenizers();
        out.table("tokenizers-table", data.and_then(|d| costs(model, &d.rows)));
        out.table("tokenizer-steps", steps(model));
        out.text(
            "tokenizers-text",
            data.map(|d| in_words(model, &d.rows)).unwrap_or_default(),
        );
        let nodes = data
            .map(|d| d.rows.iter().map(|r| row_table(model, r).into()).collect())
            .unwrap_or_default();
        out.children("tokenizer-rows", nodes);
    }
}

/// What the text costs each way: tokens for A and B, vocabulary, one-hot length, and
/// characters per token.
fn costs(model: &PageModel, rows: &[TokenizerRow]) -> Option<Table> {
    if rows.is_empty() {
        return None;
    }
    let a_chars = model.state.a.chars().count();
    let cols = [
        "tok-col-a",
        "tok-col-b",
        "tok-col-vocab",
        "tok-col-onehot",
        "tok-col-chars",
    ]
    .iter()
    .map(|k| model.t(k).to_string())
    .collect();
    let labels = rows.iter().map(|r| row_name(model, r)).collect();
    let table = Table::new(
        "tokenizers-table",
        model.t("tok-table-caption"),
        cols,
        labels,
        |r, c| {
            let row = &rows[r];
            let spanned = row.row.tokens.len();
            match c {
                0 => spanned.to_string(),
                1 => row.b_tokens.to_string(),
                2 | 3 => row
                    .row
                    .vocab_size
                    .map_or_else(|| "—".to_string(), |v| grouped(v as u64)),
                _ => format!("{:.2}", a_chars as f64 / spanned.max(1) as f64),
            }
        },
    )
    .corner(model.t("tok-corner"));
    Some(table)
}

/// One row's tokens, ids and byte spans: the chart's text alternative.
fn row_table(model: &PageModel, row: &TokenizerRow) -> Table {
    let cols = (0..row.row.tokens.len()).map(|i| i.to_string()).collect();
    let labels = vec![
        model.t("token").to_string(),
        "id".to_string(),
        model.t("tok-span").to_string(),
    ];
    Table::new(
        "tokenizer-row",
        row_name(model, row),
        cols,
        labels,
        |r, c| match r {
            0 => label(row, &row.row.tokens[c]),
            1 => row.row.ids[c].map_or_else(|| "—".to_string(), |id| id.to_string()),
            _ => row.row.spans[c].map_or_else(|| "—".to_string(), |(a, b)| format!("{a}–{b}")),
        },
    )
    .attr("data-level", row.level.name())
}

/// How the picked token was built, step by step.
fn steps(model: &PageModel) -> Option<Table> {
    let (_, row, index) = model.picked_piece()?;
    let token = label(row, &row.row.tokens[index]);
    let caption = model.t("tok-steps-caption").replace("{token}", &token);
    let table = match row.row.replays.get(index)?.as_ref()? {
        Replay::Bpe { bytes, merges } => {
            let mut symbols: Vec<String> = bytes.iter().map(|b| readable(b)).collect();
            let mut lines = vec![(
                model.t("tok-start").to_string(),
                String::new(),
                symbols.join(" · "),
            )];
            for m in merges {
                let (l, r) = (readable(&m.left), readable(&m.right));
                if let Some(at) = symbols.windows(2).position(|w| w[0] == l && w[1] == r) {
                    let right = symbols.remove(at + 1);
                    symbols[at].push_str(&right);
                }
                lines.push((
                    format!("{l} + {r}"),
                    m.rank.to_string(),
                    symbols.join(" · "),
                ));
            }
            let cols = vec![
                model.t("tok-rank").to_string(),
                model.t("tok-symbols").to_string(),
            ];
            let labels = lines.iter().map(|l| l.0.clone()).collect();
            Table::new("tokenizer-steps", caption, cols, labels, |r, c| {
                if c == 0 {
                    lines[r].1.clone()
                } else {
                    lines[r].2.clone()
                }
            })
            .corner(model.t("tok-merge"))
        }
        Replay::WordPiece(step) => {
            let cols = vec![
                model.t("tok-longest").to_string(),
                model.t("tok-tried").to_string(),
            ];
            Table::new(
                "tokenizer-steps",
                caption,
                cols,
                vec![step.rest.clone()],
                |_, c| {
                    if c == 0 {
                        step.piece.clone()
                    } else {
                        step.tried.to_string()
                    }
                },
            )
            .corner(model.t("tok-rest"))
        }
    };
    Some(table.attr("data-token", token))
}

/// The counts in one sentence: how many tokens A costs in GPT-2 and in WordPiece, and B.
fn in_words(model: &PageModel, rows: &[TokenizerRow]) -> String {
    let find = |level| rows.iter().find(|r| r.level == level);
    let (Some(wp), Some(bpe), Some(chars)) = (
        find(Level::WordPiece),
        find(Level::Gpt2),
        find(Level::Chars),
    ) else {
        return String::new();
    };
    model
        .t("tok-summary")
        .replace("{chars}", &chars.row.tokens.len().to_string())
        .replace("{wordpiece}", &wp.row.tokens.len().to_string())
        .replace("{gpt2}", &bpe.row.tokens.len().to_string())
        .replace("{b_chars}", &chars.b_tokens.to_string())
        .replace("{b_wordpiece}", &wp.b_tokens.to_string())
        .replace("{b_gpt2}", &bpe.b_tokens.to_string())
}
