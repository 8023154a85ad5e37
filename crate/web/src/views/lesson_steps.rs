//! The lesson's later steps, from attention to decoding: what each says, computed from the
//! model's attention, q/k/v, cosines, next-token predictions and training record.

use super::{across, claim, cos_claim, number, text, vocab, Ctx, Missing, Vars};
use crate::format::grouped;
use crate::page::readable;
use crate::protocol::SentenceKey;
use crate::views::kit::four;

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
        .ok_or_else(|| ctx.computing())
}

pub(super) fn attention(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
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

pub(super) fn qkv(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let b = ctx.sentence(SentenceKey::B)?;
    ctx.find(SentenceKey::B, "party")?;
    let detail = ctx.model.current_qkv().ok_or_else(|| ctx.computing())?;
    let source = ctx.sentence(detail.sentence).unwrap_or(b);
    let asked = readable(&source.tokens[detail.token.min(source.tokens.len() - 1)]);
    let (best, weight) = detail
        .probs
        .iter()
        .enumerate()
        .max_by(|x, y| x.1.total_cmp(y.1))
        .ok_or_else(|| ctx.computing())?;
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

pub(super) fn position(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
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

pub(super) fn next(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    if !ctx.model.causal() {
        return Err(ctx.t("lesson-loading-gpt").to_string());
    }
    let a = ctx.sentence(SentenceKey::A)?;
    let i = ctx.find(SentenceKey::A, "big")?;
    let prediction = a.predictions.get(i).ok_or_else(|| ctx.computing())?;
    let top = prediction.top.first().ok_or_else(|| ctx.computing())?;
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
            let phrase = match rank {
                Some(r) => ctx.t("lesson-rank").replace("{rank}", &(r + 1).to_string()),
                None => ctx.t("lesson-not-top").to_string(),
            };
            body.push(("rank", text(phrase)));
        }
        None => {
            body.push(("actual", text("—")));
            body.push(("rank", text("—")));
        }
    }
    let vocab = vocab(ctx)?;
    Ok((body, vec![("vocab", text(grouped(vocab as u64)))]))
}

pub(super) fn learning(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    let record = ctx
        .model
        .training_record
        .as_ref()
        .ok_or_else(|| ctx.computing())?;
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
        return Err(ctx.computing());
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

pub(super) fn decoding(ctx: &Ctx) -> Result<(Vars, Vars), Missing> {
    if !ctx.model.causal() {
        return Err(ctx.t("lesson-loading-gpt").to_string());
    }
    let a = ctx.sentence(SentenceKey::A)?;
    let last = a.predictions.last().ok_or_else(|| ctx.computing())?;
    let top = last.top.first().ok_or_else(|| ctx.computing())?;
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
