//! Writes a `Trace` as the CLI's JSON schema, streaming arrays so a long trace never
//! exists twice in memory.

use std::io::{self, Write};

use ndarray::{ArrayBase, Data, Dimension};
use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::json;
use tokenscope_core::analysis::top_tokens;
use tokenscope_core::generate::Generation;
use tokenscope_core::lens::LogitLens;
use tokenscope_core::{Ablation, Model, Trace};

/// Serialises an n-dimensional array as nested JSON lists, outermost axis first.
struct Nested<'a, S: Data<Elem = f32>, D: Dimension>(&'a ArrayBase<S, D>);

impl<S: Data<Elem = f32>, D: Dimension> Serialize for Nested<'_, S, D> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let view = self.0.view().into_dyn();
        nested(&view, serializer)
    }
}

fn nested<Z: Serializer>(
    view: &ndarray::ArrayViewD<f32>,
    serializer: Z,
) -> Result<Z::Ok, Z::Error> {
    if view.ndim() <= 1 {
        let mut seq = serializer.serialize_seq(Some(view.len()))?;
        for v in view.iter() {
            seq.serialize_element(v)?;
        }
        return seq.end();
    }
    let mut seq = serializer.serialize_seq(Some(view.len_of(ndarray::Axis(0))))?;
    for sub in view.outer_iter() {
        seq.serialize_element(&NestedDyn(sub))?;
    }
    seq.end()
}

struct NestedDyn<'a>(ndarray::ArrayViewD<'a, f32>);

impl Serialize for NestedDyn<'_> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        nested(&self.0, serializer)
    }
}

/// A list of per-layer arrays serialised as one outer list.
struct Stack<T: Serialize>(Vec<T>);

impl<T: Serialize> Serialize for Stack<T> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in &self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

fn stack<T: Serialize>(items: Vec<T>) -> Stack<T> {
    Stack(items)
}

/// Which keys to print: all, or those named by `--fields` (top-level names like `qkv`, or
/// dotted sub-keys like `qkv.query`).
pub struct Fields(Option<Vec<String>>);

impl Fields {
    pub const KNOWN: [&'static str; 25] = [
        "model",
        "tokens",
        "ids",
        "offsets",
        "type_ids",
        "segments",
        "truncated",
        "embeddings",
        "embeddings.word",
        "embeddings.position",
        "embeddings.token_type",
        "embeddings.output",
        "hidden_states",
        "attentions",
        "scores",
        "qkv",
        "qkv.query",
        "qkv.key",
        "qkv.value",
        "qkv.query_unrotated",
        "qkv.key_unrotated",
        "next_token",
        "next_token.top",
        "one_hot",
        "logit_lens",
    ];

    pub fn parse(spec: Option<&str>) -> Result<Self, String> {
        let Some(spec) = spec else {
            return Ok(Fields(None));
        };
        let names: Vec<String> = spec
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(bad) = names.iter().find(|n| !Self::KNOWN.contains(&n.as_str())) {
            return Err(format!(
                "--fields: unknown field \"{bad}\" (known: {})",
                Self::KNOWN.join(", ")
            ));
        }
        Ok(Fields(Some(names)))
    }

    /// Whether `key` was named itself: for costly keys printed only on request.
    pub fn named(&self, key: &str) -> bool {
        self.0
            .as_ref()
            .is_some_and(|names| names.iter().any(|n| n == key))
    }

    /// Whether `key` (possibly dotted) is printed: named itself, or its parent or child is.
    fn wants(&self, key: &str) -> bool {
        match &self.0 {
            None => true,
            Some(names) => names.iter().any(|n| {
                n == key || key.starts_with(&format!("{n}.")) || n.starts_with(&format!("{key}."))
            }),
        }
    }
}

/// Writes `"key":value` pairs of one JSON object, commas between.
struct ObjectWriter<'w, W: Write> {
    out: &'w mut W,
    first: bool,
}

impl<'w, W: Write> ObjectWriter<'w, W> {
    fn open(out: &'w mut W) -> io::Result<Self> {
        out.write_all(b"{")?;
        Ok(ObjectWriter { out, first: true })
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        serde_json::to_writer(&mut *self.out, key)?;
        self.out.write_all(b":")
    }

    fn field<T: Serialize>(&mut self, key: &str, value: &T) -> io::Result<()> {
        self.key(key)?;
        serde_json::to_writer(&mut *self.out, value).map_err(io::Error::from)
    }

    fn close(self) -> io::Result<()> {
        self.out.write_all(b"}")
    }
}

/// What `write_trace` prints besides the trace itself.
pub struct Extras<'a> {
    pub top_k: usize,
    /// The heads switched off, printed as `ablated` when there are any.
    pub ablation: &'a Ablation,
    /// Printed as `logit_lens` when given.
    pub lens: Option<&'a LogitLens>,
}

pub fn write_trace<W: Write>(
    out: &mut W,
    model: &Model,
    trace: &Trace,
    fields: &Fields,
    extras: &Extras,
) -> io::Result<()> {
    let top_k = extras.top_k;
    let input = &trace.input;
    let token = |id: u32| model.tokenizer.id_to_token(id).unwrap_or_default();
    let mut obj = ObjectWriter::open(out)?;
    if fields.wants("model") {
        obj.field("model", &model.info())?;
    }
    if !extras.ablation.is_empty() {
        obj.field("ablated", &extras.ablation.to_string())?;
    }
    if fields.wants("tokens") {
        obj.field("tokens", &input.tokens)?;
    }
    if fields.wants("ids") {
        obj.field("ids", &input.ids)?;
    }
    if fields.wants("offsets") {
        obj.field("offsets", &input.offsets)?;
    }
    if fields.wants("type_ids") {
        obj.field("type_ids", &input.type_ids)?;
    }
    if fields.wants("segments") {
        obj.field("segments", &input.segments)?;
    }
    if fields.wants("truncated") {
        obj.field("truncated", &input.truncated)?;
    }
    if fields.wants("embeddings") {
        obj.key("embeddings")?;
        let e = &trace.embeddings;
        let mut sub = ObjectWriter::open(&mut *obj.out)?;
        if fields.wants("embeddings.word") {
            sub.field("word", &Nested(&e.word))?;
        }
        // Rotary models have no position rows: their positions turn q and k instead.
        if fields.wants("embeddings.position") {
            if let Some(p) = &e.position {
                sub.field("position", &Nested(p))?;
            }
        }
        if fields.wants("embeddings.token_type") {
            if let Some(t) = &e.token_type {
                sub.field("token_type", &Nested(t))?;
            }
        }
        if fields.wants("embeddings.output") {
            sub.field("output", &Nested(&e.output))?;
        }
        sub.close()?;
    }
    if fields.wants("hidden_states") {
        obj.field(
            "hidden_states",
            &stack(trace.hidden_states.iter().map(Nested).collect()),
        )?;
    }
    if fields.wants("attentions") {
        obj.field(
            "attentions",
            &stack(trace.layers.iter().map(|l| Nested(&l.attention)).collect()),
        )?;
    }
    if fields.wants("scores") {
        obj.field(
            "scores",
            &stack(trace.layers.iter().map(|l| Nested(&l.scores)).collect()),
        )?;
    }
    if fields.wants("qkv") {
        write_qkv(&mut obj, trace, fields)?;
    }
    if fields.wants("next_token") {
        if let Some(probs) = &trace.next_token_probs {
            let last = probs.row(probs.nrows() - 1);
            let top: Vec<_> = top_tokens(last, top_k)
                .into_iter()
                .map(|(id, prob)| {
                    json!({
                        "id": id,
                        "token": token(id),
                        "prob": prob,
                    })
                })
                .collect();
            obj.field("next_token", &json!({ "top": top }))?;
        }
    }
    if fields.wants("one_hot") {
        let facts: Vec<_> = input
            .ids
            .iter()
            .map(|&id| model.one_hot_facts(id))
            .collect();
        obj.field("one_hot", &facts)?;
    }
    if let Some(lens) = extras.lens {
        obj.field("logit_lens", &lens_json(model, lens))?;
    }
    obj.close()?;
    out.write_all(b"\n")
}

/// The `qkv` object: per-head queries, keys and values, and for rotary models q and k before
/// rotation.
fn write_qkv<W: Write>(
    obj: &mut ObjectWriter<'_, W>,
    trace: &Trace,
    fields: &Fields,
) -> io::Result<()> {
    obj.key("qkv")?;
    let mut sub = ObjectWriter::open(&mut *obj.out)?;
    if fields.wants("qkv.query") {
        sub.field(
            "query",
            &stack(trace.layers.iter().map(|l| Nested(&l.query)).collect()),
        )?;
    }
    if fields.wants("qkv.key") {
        sub.field(
            "key",
            &stack(trace.layers.iter().map(|l| Nested(&l.key)).collect()),
        )?;
    }
    if fields.wants("qkv.value") {
        sub.field(
            "value",
            &stack(trace.layers.iter().map(|l| Nested(&l.value)).collect()),
        )?;
    }
    // Rotary models: q and k before rotation (the entries above are after it).
    let unrotated: Vec<_> = trace
        .layers
        .iter()
        .filter_map(|l| l.query_unrotated.as_ref().zip(l.key_unrotated.as_ref()))
        .collect();
    if unrotated.len() == trace.layers.len() && !unrotated.is_empty() {
        if fields.wants("qkv.query_unrotated") {
            sub.field(
                "query_unrotated",
                &stack(unrotated.iter().map(|(q, _)| Nested(*q)).collect()),
            )?;
        }
        if fields.wants("qkv.key_unrotated") {
            sub.field(
                "key_unrotated",
                &stack(unrotated.iter().map(|(_, k)| Nested(*k)).collect()),
            )?;
        }
    }
    sub.close()?;
    Ok(())
}

/// `logit_lens` as [L+1][S] lists of `{id, token, prob}`.
fn lens_json(model: &Model, lens: &LogitLens) -> Vec<Vec<Vec<serde_json::Value>>> {
    let token = |id: u32| model.tokenizer.id_to_token(id).unwrap_or_default();
    lens.cells
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| {
                    cell.top
                        .iter()
                        .map(|&(id, prob)| json!({"id": id, "token": token(id), "prob": prob}))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// `tokenscope generate --json`: the prompt and generated ids, the continuation as text, and
/// per step the chosen token and the candidates it was drawn from.
pub fn write_generation<W: Write>(
    out: &mut W,
    model: &Model,
    run: &Generation,
    continuation: &str,
) -> io::Result<()> {
    let token = |id: u32| model.tokenizer.id_to_token(id).unwrap_or_default();
    let steps: Vec<serde_json::Value> = run
        .steps
        .iter()
        .map(|step| {
            json!({
                "id": step.id,
                "token": token(step.id),
                "prob": step.prob,
                "kept": step.kept,
                "draw": step.draw,
                "top": step.top.iter().map(|c| json!({
                    "id": c.id,
                    "token": token(c.id),
                    "prob": c.prob,
                    "kept": c.kept,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let value = json!({
        "prompt_ids": run.prompt_ids,
        "generated_ids": run.generated_ids,
        "text": continuation,
        "steps": steps,
    });
    serde_json::to_writer(&mut *out, &value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// `tokenscope neighbours`: the token looked up and its nearest tokens by cosine.
pub fn write_neighbours<W: Write>(
    out: &mut W,
    model: &Model,
    id: u32,
    near: &[(u32, f32)],
) -> io::Result<()> {
    let token = |id: u32| model.tokenizer.id_to_token(id).unwrap_or_default();
    let value = json!({
        "id": id,
        "token": token(id),
        "space": "static embedding table (cosine of rows)",
        "neighbours": near.iter().map(|&(id, cosine)| json!({
            "id": id,
            "token": token(id),
            "cosine": cosine,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_writer(&mut *out, &value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
