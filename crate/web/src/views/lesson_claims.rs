//! What each lesson step says, computed from what is on screen: every number in the text is
//! a claim element (`data-claim`, `data-sentence`, `data-token`, `data-value`) filled from the
//! live model, so the text follows the student's edits and tests can read it.

use tokenscope_core::analysis::cosine;

use super::kit::four;
use super::out::{El, Node};
use crate::format::{grouped, human_bytes};
use crate::page::{plain, readable, PageModel, Step};
use crate::protocol::{SentenceData, SentenceKey};

#[path = "lesson_steps.rs"]
mod steps;

/// One number (or token) the text states, with what a test needs to check it.
pub struct Claim {
    pub kind: &'static str,
    pub sentence: Option<SentenceKey>,
    pub token: Option<String>,
    pub value: String,
    /// How the text shows it.
    pub shown: String,
}

/// A placeholder's filling: plain words, or a claim.
pub enum Piece {
    Text(String),
    Claim(Claim),
}

pub(super) fn text(s: impl Into<String>) -> Piece {
    Piece::Text(s.into())
}

pub(super) fn claim(
    kind: &'static str,
    sentence: Option<SentenceKey>,
    token: Option<&str>,
    value: String,
    shown: String,
) -> Piece {
    Piece::Claim(Claim {
        kind,
        sentence,
        token: token.map(String::from),
        value,
        shown,
    })
}

/// A number claim shown as it is.
pub(super) fn number(
    kind: &'static str,
    sentence: Option<SentenceKey>,
    token: Option<&str>,
    v: String,
) -> Piece {
    claim(kind, sentence, token, v.clone(), v)
}

/// The template with each `{name}` replaced by its piece, as spans (claims as `<strong>`).
pub fn fill(template: &str, vars: &[(&str, Piece)]) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        if open > 0 {
            nodes.push(El::new("span").text(&rest[..open]).into());
        }
        let name = &rest[open + 1..close];
        match vars.iter().find(|(n, _)| *n == name).map(|(_, p)| p) {
            Some(Piece::Text(t)) => nodes.push(El::new("span").text(t.clone()).into()),
            Some(Piece::Claim(c)) => {
                let mut el = El::new("strong")
                    .class("claim")
                    .attr("data-claim", c.kind)
                    .attr("data-value", c.value.clone())
                    .text(c.shown.clone());
                if let Some(s) = c.sentence {
                    el = el.attr("data-sentence", s.name());
                }
                if let Some(t) = &c.token {
                    el = el.attr("data-token", t.clone());
                }
                nodes.push(el.into());
            }
            None => nodes.push(El::new("span").text(&rest[open..=close]).into()),
        }
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        nodes.push(El::new("span").text(rest).into());
    }
    nodes
}

/// What a step says: its body, the "what to notice" line, or why the edit broke its point.
pub struct Said {
    pub body: Vec<Node>,
    pub notice: Vec<Node>,
}

/// Why a step cannot say its point: a word it needs is gone, or the numbers are coming.
pub(super) type Missing = String;

pub(super) struct Ctx<'a> {
    pub(super) model: &'a PageModel,
}

impl<'a> Ctx<'a> {
    pub(super) fn sentence(&self, key: SentenceKey) -> Result<&'a SentenceData, Missing> {
        self.model
            .sentence(key)
            .ok_or_else(|| self.model.t("lesson-computing").to_string())
    }

    /// Where `word` is in a sentence, or the plain message that it is gone.
    pub(super) fn find(&self, key: SentenceKey, word: &str) -> Result<usize, Missing> {
        let sentence = self.sentence(key)?;
        sentence
            .tokens
            .iter()
            .position(|t| plain(t) == word)
            .ok_or_else(|| {
                self.model
                    .t("lesson-word-gone")
                    .replace("{word}", word)
                    .replace("{side}", if key == SentenceKey::B { "B" } else { "A" })
            })
    }

    /// Why a number is not there yet: the model is still computing it.
    pub(super) fn computing(&self) -> Missing {
        self.t("lesson-computing").to_string()
    }

    /// The loaded model's facts (they come before any analysis).
    pub(super) fn facts(&self) -> Result<&'a crate::protocol::ModelFacts, Missing> {
        self.model.facts.as_ref().ok_or_else(|| self.computing())
    }

    pub(super) fn t(&self, key: &str) -> &'static str {
        self.model.t(key)
    }

    /// The cosine of token `i` of A with token `j` of the similarity's columns at `depth`.
    pub(super) fn similarity(&self, depth: usize, i: usize, j: usize) -> Result<f32, Missing> {
        let sim = self
            .model
            .analysis
            .as_ref()
            .and_then(|a| a.similarity.as_ref())
            .ok_or_else(|| self.computing())?;
        let rows = self.sentence(sim.rows)?.tokens.len();
        let cols = self.sentence(sim.cols)?.tokens.len();
        let depth = depth.min(sim.depths.saturating_sub(1));
        sim.values
            .get(depth * rows * cols + i * cols + j)
            .copied()
            .ok_or_else(|| self.computing())
    }

    pub(super) fn last_depth(&self) -> usize {
        self.model
            .analysis
            .as_ref()
            .and_then(|a| a.similarity.as_ref())
            .map_or(0, |s| s.depths.saturating_sub(1))
    }
}

/// The step's text for what is on screen now.
pub fn said(model: &PageModel, step: Step) -> Result<Said, Missing> {
    let ctx = Ctx { model };
    let key = |name: &str| format!("lesson-{}-{name}", step.name());
    let (body_vars, notice_vars) = match step {
        Step::Tokens => tokens(&ctx)?,
        Step::Ids => ids(&ctx)?,
        Step::NotNumbers => not_numbers(&ctx)?,
        Step::OneHot => one_hot(&ctx)?,
        Step::Embedding => embedding(&ctx)?,
        Step::Cosine => return cosines(&ctx),
        Step::Static => static_vectors(&ctx)?,
        Step::Attention => steps::attention(&ctx)?,
        Step::Qkv => steps::qkv(&ctx)?,
        Step::Position => steps::position(&ctx)?,
        Step::Next => steps::next(&ctx)?,
        Step::Learning => steps::learning(&ctx)?,
        Step::Decoding => steps::decoding(&ctx)?,
    };
    Ok(Said {
        body: fill(model.t(&key("body")), &body_vars),
        notice: fill(model.t(&key("notice")), &notice_vars),
    })
}

pub(super) type Vars = Vec<(&'static str, Piece)>;

fn tokens(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let a = ctx.sentence(SentenceKey::A)?;
    let list = a
        .tokens
        .iter()
        .map(|t| readable(t))
        .collect::<Vec<_>>()
        .join(" · ");
    let count = a.tokens.len().to_string();
    Ok((
        vec![
            ("text", text(ctx.model.state.a.clone())),
            (
                "count",
                number("token-count", Some(SentenceKey::A), None, count),
            ),
            ("tokens", text(list)),
        ],
        Vec::new(),
    ))
}

/// The first word of A that is not a marker, and its id.
fn first_word(ctx: &Ctx) -> Result<(String, u32), Missing> {
    let a = ctx.sentence(SentenceKey::A)?;
    (0..a.tokens.len())
        .find(|&i| !a.special.get(i).copied().unwrap_or(false))
        .map(|i| (readable(&a.tokens[i]), a.ids[i]))
        .ok_or_else(|| ctx.computing())
}

fn id_claim(key: SentenceKey, token: &str, id: u32) -> Piece {
    number("token-id", Some(key), Some(token), id.to_string())
}

pub(super) fn vocab(ctx: &Ctx) -> Result<usize, Missing> {
    ctx.facts().map(|f| f.vocab_size)
}

fn ids(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let a = ctx.sentence(SentenceKey::A)?;
    let party = ctx.find(SentenceKey::A, "party")?;
    let (word, word_id) = first_word(ctx)?;
    let vocab = vocab(ctx)?;
    let ids = a
        .ids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let body = vec![
        (
            "vocab",
            claim(
                "vocab-size",
                None,
                None,
                vocab.to_string(),
                grouped(vocab as u64),
            ),
        ),
        ("word", text(word.clone())),
        ("word_id", id_claim(SentenceKey::A, &word, word_id)),
        ("party_id", id_claim(SentenceKey::A, "party", a.ids[party])),
        ("ids", text(ids)),
    ];
    let in_b = ctx
        .find(SentenceKey::B, "party")
        .ok()
        .and_then(|i| Some(ctx.sentence(SentenceKey::B).ok()?.ids[i]));
    let notice = match in_b {
        Some(id) => vec![("party_b_id", id_claim(SentenceKey::B, "party", id))],
        None => vec![("party_b_id", text(a.ids[party].to_string()))],
    };
    Ok((body, notice))
}

fn not_numbers(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let a = ctx.sentence(SentenceKey::A)?;
    let party = ctx.find(SentenceKey::A, "party")?;
    let (word, word_id) = first_word(ctx)?;
    let ratio = a.ids[party] as f64 / word_id.max(1) as f64;
    let shown = format!("{ratio:.2}");
    Ok((
        vec![
            ("word", text(word.clone())),
            ("word_id", id_claim(SentenceKey::A, &word, word_id)),
            ("party_id", id_claim(SentenceKey::A, "party", a.ids[party])),
            (
                "ratio",
                claim(
                    "id-ratio",
                    Some(SentenceKey::A),
                    Some("party"),
                    shown.clone(),
                    shown,
                ),
            ),
        ],
        Vec::new(),
    ))
}

fn one_hot(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let a = ctx.sentence(SentenceKey::A)?;
    let party = ctx.find(SentenceKey::A, "party")?;
    let facts = ctx.facts()?;
    let v = facts.vocab_size as u64;
    Ok((
        vec![
            (
                "vocab",
                claim("one-hot-length", None, None, v.to_string(), grouped(v)),
            ),
            ("party_id", id_claim(SentenceKey::A, "party", a.ids[party])),
            (
                "cells",
                claim(
                    "one-hot-cells",
                    None,
                    None,
                    (v * v).to_string(),
                    grouped(v * v),
                ),
            ),
            (
                "bytes",
                claim(
                    "one-hot-bytes",
                    None,
                    None,
                    facts.one_hot_table_bytes.to_string(),
                    human_bytes(facts.one_hot_table_bytes),
                ),
            ),
        ],
        vec![(
            "zeros",
            number("one-hot-zeros", None, Some("party"), grouped(v - 1)),
        )],
    ))
}

fn embedding(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let a = ctx.sentence(SentenceKey::A)?;
    let party = ctx.find(SentenceKey::A, "party")?;
    let facts = ctx.facts()?;
    let dim = facts.hidden_size;
    let row = a
        .embeddings
        .get(party * dim..(party + 1) * dim)
        .ok_or_else(|| ctx.computing())?;
    let first = row
        .iter()
        .take(4)
        .map(|v| format!("{v:.4}"))
        .collect::<Vec<_>>();
    let ratio = facts.one_hot_table_bytes as f64 / facts.embedding_table_bytes.max(1) as f64;
    Ok((
        vec![
            ("dim", number("embedding-size", None, None, dim.to_string())),
            ("vocab", text(grouped(facts.vocab_size as u64))),
            (
                "first",
                claim(
                    "embedding-values",
                    Some(SentenceKey::A),
                    Some("party"),
                    first.join(","),
                    first.join(", "),
                ),
            ),
            (
                "bytes",
                claim(
                    "embedding-bytes",
                    None,
                    None,
                    facts.embedding_table_bytes.to_string(),
                    human_bytes(facts.embedding_table_bytes),
                ),
            ),
            (
                "ratio",
                number("size-ratio", None, None, format!("{ratio:.0}")),
            ),
        ],
        vec![("dim", text(dim.to_string()))],
    ))
}

fn toy_cosine(ctx: &Ctx, x: &str, y: &str) -> Option<f32> {
    let find = |name: &str| {
        ctx.model
            .toy
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    };
    let (a, b) = (find(x)?, find(y)?);
    Some(cosine(
        ndarray::ArrayView1::from(&a),
        ndarray::ArrayView1::from(&b),
    ))
}

fn cosines(ctx: &Ctx) -> Result<Said, Missing> {
    let pair = |x: &str, y: &str| -> Result<f32, Missing> {
        let (i, j) = (ctx.find(SentenceKey::A, x)?, ctx.find(SentenceKey::A, y)?);
        ctx.similarity(0, i, j)
    };
    let cd = pair("cat", "dog")?;
    let cb = pair("car", "banana")?;
    let toy = |x, y| toy_cosine(ctx, x, y).map_or_else(|| "—".to_string(), four);
    let model_claim = |v: f32, words: &str| {
        claim(
            "model-cosine",
            Some(SentenceKey::A),
            Some(words),
            four(v),
            four(v),
        )
    };
    let body = vec![
        (
            "toy_cd",
            number("toy-cosine", None, Some("cat,dog"), toy("cat", "dog")),
        ),
        (
            "toy_cb",
            number("toy-cosine", None, Some("car,banana"), toy("car", "banana")),
        ),
        ("model_cd", model_claim(cd, "cat,dog")),
        ("model_cb", model_claim(cb, "car,banana")),
    ];
    let notice = if cd > cb {
        "lesson-cosine-notice"
    } else {
        "lesson-cosine-notice-not"
    };
    Ok(Said {
        body: fill(ctx.t("lesson-cosine-body"), &body),
        notice: fill(ctx.t(notice), &[]),
    })
}

/// "party" in A against "party" in B at a similarity depth.
pub(super) fn across(ctx: &Ctx, word: &str, depth: usize) -> Result<f32, Missing> {
    let i = ctx.find(SentenceKey::A, word)?;
    let j = ctx.find(SentenceKey::B, word)?;
    ctx.similarity(depth, i, j)
}

pub(super) fn cos_claim(kind: &'static str, word: &str, v: f32) -> Piece {
    claim(kind, None, Some(word), four(v), four(v))
}

fn static_vectors(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let same = across(ctx, "party", 0)?;
    let last = across(ctx, "party", ctx.last_depth())?;
    Ok((
        vec![("static", cos_claim("static-cosine", "party", same))],
        vec![("final", cos_claim("contextual-cosine", "party", last))],
    ))
}
