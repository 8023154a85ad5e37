//! What each lesson step says, computed from what is on screen: every number in the text is
//! a claim element (`data-claim`, `data-sentence`, `data-token`, `data-value`) filled from the
//! live model, so the text follows the student's edits and tests can read it.

use tokenscope_core::analysis::cosine;

use super::kit::four;
use super::out::{El, Node};
use crate::format::{grouped, human_bytes};
use crate::page::{plain, readable, PageModel, Step};
use crate::protocol::{SentenceData, SentenceKey};

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

fn text(s: impl Into<String>) -> Piece {
    Piece::Text(s.into())
}

fn claim(
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
fn number(
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
type Missing = String;

struct Ctx<'a> {
    model: &'a PageModel,
}

impl<'a> Ctx<'a> {
    fn sentence(&self, key: SentenceKey) -> Result<&'a SentenceData, Missing> {
        self.model
            .sentence(key)
            .ok_or_else(|| self.model.t("lesson-computing").to_string())
    }

    /// Where `word` is in a sentence, or the plain message that it is gone.
    fn find(&self, key: SentenceKey, word: &str) -> Result<usize, Missing> {
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

    fn t(&self, key: &str) -> &'static str {
        self.model.t(key)
    }

    /// The cosine of token `i` of A with token `j` of the similarity's columns at `depth`.
    fn similarity(&self, depth: usize, i: usize, j: usize) -> Result<f32, Missing> {
        let sim = self
            .model
            .analysis
            .as_ref()
            .and_then(|a| a.similarity.as_ref())
            .ok_or_else(|| self.t("lesson-computing").to_string())?;
        let rows = self.sentence(sim.rows)?.tokens.len();
        let cols = self.sentence(sim.cols)?.tokens.len();
        let depth = depth.min(sim.depths.saturating_sub(1));
        sim.values
            .get(depth * rows * cols + i * cols + j)
            .copied()
            .ok_or_else(|| self.t("lesson-computing").to_string())
    }

    fn last_depth(&self) -> usize {
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
        Step::Attention => attention(&ctx)?,
        Step::Qkv => qkv(&ctx)?,
        Step::Position => position(&ctx)?,
        Step::Next => next(&ctx)?,
        Step::Learning => learning(&ctx)?,
        Step::Decoding => decoding(&ctx)?,
    };
    Ok(Said {
        body: fill(model.t(&key("body")), &body_vars),
        notice: fill(model.t(&key("notice")), &notice_vars),
    })
}

type Vars = Vec<(&'static str, Piece)>;

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
        .ok_or_else(|| ctx.t("lesson-computing").to_string())
}

fn id_claim(key: SentenceKey, token: &str, id: u32) -> Piece {
    number("token-id", Some(key), Some(token), id.to_string())
}

fn vocab(ctx: &Ctx) -> Result<usize, Missing> {
    ctx.model
        .facts
        .as_ref()
        .map(|f| f.vocab_size)
        .ok_or_else(|| ctx.t("lesson-computing").to_string())
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
    let facts = ctx
        .model
        .facts
        .as_ref()
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
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
    let facts = ctx
        .model
        .facts
        .as_ref()
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
    let dim = facts.hidden_size;
    let row = a
        .embeddings
        .get(party * dim..(party + 1) * dim)
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
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
fn across(ctx: &Ctx, word: &str, depth: usize) -> Result<f32, Missing> {
    let i = ctx.find(SentenceKey::A, word)?;
    let j = ctx.find(SentenceKey::B, word)?;
    ctx.similarity(depth, i, j)
}

fn cos_claim(kind: &'static str, word: &str, v: f32) -> Piece {
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

/// The token the focus word attends to most in layer 0, averaged over heads, leaving out
/// the markers and the word itself: (token, weight).
fn partner(ctx: &Ctx, key: SentenceKey, word: &str) -> Result<(String, f32), Missing> {
    let s = ctx.sentence(key)?;
    let i = ctx.find(key, word)?;
    let n = s.tokens.len();
    let heads = ctx.model.facts.as_ref().map_or(1, |f| f.num_heads);
    if s.attention.len() < heads * n * n {
        return Err(ctx.t("lesson-too-long").to_string());
    }
    let weight = |j: usize| {
        (0..heads)
            .map(|h| s.attention[h * n * n + i * n + j])
            .sum::<f32>()
            / heads as f32
    };
    (0..n)
        .filter(|&j| j != i && !s.special.get(j).copied().unwrap_or(false))
        .map(|j| (readable(&s.tokens[j]), weight(j)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or_else(|| ctx.t("lesson-computing").to_string())
}

fn attention(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let (pa, wa) = partner(ctx, SentenceKey::A, "party")?;
    let (pb, wb) = partner(ctx, SentenceKey::B, "party")?;
    let last = across(ctx, "party", ctx.last_depth())?;
    let heads = ctx.model.facts.as_ref().map_or(0, |f| f.num_heads);
    let partner_claim = |key, token: &str, w: f32| {
        claim(
            "attention-partner",
            Some(key),
            Some(token),
            four(w),
            format!("“{token}” ({})", four(w)),
        )
    };
    Ok((
        vec![
            ("heads", text(heads.to_string())),
            ("partner_a", partner_claim(SentenceKey::A, &pa, wa)),
            ("partner_b", partner_claim(SentenceKey::B, &pb, wb)),
            ("final", cos_claim("contextual-cosine", "party", last)),
        ],
        Vec::new(),
    ))
}

fn qkv(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let b = ctx.sentence(SentenceKey::B)?;
    ctx.find(SentenceKey::B, "party")?;
    let detail = ctx
        .model
        .current_qkv()
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
    let source = ctx.sentence(detail.sentence).unwrap_or(b);
    let asked = readable(&source.tokens[detail.token.min(source.tokens.len() - 1)]);
    let (best, weight) = detail
        .probs
        .iter()
        .enumerate()
        .max_by(|x, y| x.1.total_cmp(y.1))
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
    let token = readable(&source.tokens[best]);
    let score = detail.scores.get(best).copied().unwrap_or(f32::NAN);
    Ok((
        vec![
            ("layer", text(detail.layer.to_string())),
            ("head", text(detail.head.to_string())),
            ("token", text(asked.clone())),
            ("sentence", text(detail.sentence.name().to_uppercase())),
            (
                "best",
                claim(
                    "best-key",
                    Some(detail.sentence),
                    Some(&token),
                    four(*weight),
                    format!("“{token}”"),
                ),
            ),
            (
                "score",
                number(
                    "best-score",
                    Some(detail.sentence),
                    Some(&token),
                    format!("{score:.3}"),
                ),
            ),
            (
                "weight",
                number(
                    "best-weight",
                    Some(detail.sentence),
                    Some(&token),
                    four(*weight),
                ),
            ),
        ],
        vec![("d", text(detail.head_dim.to_string()))],
    ))
}

fn position(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let same = across(ctx, "tim", 0)?;
    let placed = across(ctx, "tim", 1)?;
    let last = across(ctx, "tim", ctx.last_depth())?;
    Ok((
        vec![
            ("static", cos_claim("static-cosine", "tim", same)),
            ("placed", cos_claim("position-cosine", "tim", placed)),
            ("final", cos_claim("contextual-cosine", "tim", last)),
        ],
        Vec::new(),
    ))
}

fn next(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    if !ctx.model.causal() {
        return Err(ctx.t("lesson-loading-gpt").to_string());
    }
    let a = ctx.sentence(SentenceKey::A)?;
    let i = ctx.find(SentenceKey::A, "big")?;
    let prediction = a
        .predictions
        .get(i)
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
    let top = prediction
        .top
        .first()
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
    let top_word = readable(&top.token);
    let mut body = vec![
        ("prev", text(readable(&a.tokens[i]))),
        (
            "top",
            claim(
                "next-token",
                Some(SentenceKey::A),
                Some(&top_word),
                four(top.prob),
                format!("“{top_word}” ({})", four(top.prob)),
            ),
        ),
    ];
    match &prediction.actual {
        Some(actual) => {
            let word = readable(&actual.token);
            let rank = prediction.top.iter().position(|t| t.id == actual.id);
            body.push((
                "actual",
                claim(
                    "actual-next",
                    Some(SentenceKey::A),
                    Some(&word),
                    four(actual.prob),
                    format!("“{word}” ({})", four(actual.prob)),
                ),
            ));
            body.push((
                "rank",
                text(rank.map_or_else(
                    || ctx.t("lesson-not-top").to_string(),
                    |r| (r + 1).to_string(),
                )),
            ));
        }
        None => {
            body.push(("actual", text("—")));
            body.push(("rank", text("—")));
        }
    }
    let vocab = vocab(ctx)?;
    Ok((body, vec![("vocab", text(grouped(vocab as u64)))]))
}

fn learning(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let record = ctx
        .model
        .training_record
        .as_ref()
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
    let stages = record.stages();
    let first = stages.first().and_then(|s| {
        s.record
            .history
            .first()
            .map(|p| (s.first_step + p.step, p.train_loss))
    });
    let last = stages.last().and_then(|s| {
        s.record
            .history
            .last()
            .map(|p| (s.first_step + p.step, p.train_loss))
    });
    let (Some((s0, l0)), Some((s1, l1))) = (first, last) else {
        return Err(ctx.t("lesson-computing").to_string());
    };
    let uniform = (record.vocab_size as f32).ln();
    let loss = |kind, v: f32| number(kind, None, None, four(v));
    Ok((
        vec![
            ("start", loss("loss-start", l0)),
            ("s0", text(grouped(s0 as u64))),
            ("vocab", text(grouped(record.vocab_size as u64))),
            ("uniform", loss("loss-uniform", uniform)),
            ("end", loss("loss-end", l1)),
            ("s1", text(grouped(s1 as u64))),
            ("held", loss("held-out-loss", record.held_out_loss)),
        ],
        vec![("uniform", text(four(uniform)))],
    ))
}

fn decoding(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    if !ctx.model.causal() {
        return Err(ctx.t("lesson-loading-gpt").to_string());
    }
    let a = ctx.sentence(SentenceKey::A)?;
    let last = a
        .predictions
        .last()
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
    let top = last
        .top
        .first()
        .ok_or_else(|| ctx.t("lesson-computing").to_string())?;
    let word = readable(&top.token);
    Ok((
        vec![
            ("prompt", text(ctx.model.state.a.clone())),
            (
                "top",
                claim(
                    "greedy-choice",
                    Some(SentenceKey::A),
                    Some(&word),
                    four(top.prob),
                    format!("“{word}” ({})", four(top.prob)),
                ),
            ),
            ("percent", text(format!("{:.1}", top.prob * 100.0))),
        ],
        Vec::new(),
    ))
}
