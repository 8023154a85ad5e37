//! The worker's computing job: runs the model on the sentences, flattens what the views
//! draw into protocol messages, and keeps the traces for per-head detail requests.

use ndarray::{Array2, Axis};
use tokenscope_core::analysis::{cosine_matrix, head_context, top_tokens};
use tokenscope_core::generate::{generate_timed, Sampling};
use tokenscope_core::{Ablation, Model, Segment, Trace};

use crate::protocol::{
    Analysis, Baseline, GeneratedStep, Generation, ModelFacts, NextPair, PositionTable, Prediction,
    QkvDetail, Reply, Request, RotaryDetail, SentenceData, SentenceKey, Similarity, TokenProb,
};
use tokenscope_core::rope::score_by_distance;

/// Beyond this many tokens a head view or a heatmap is a blur and the attention tensor
/// (layers × heads × S²) makes messages of many megabytes, so views ask for shorter text.
pub const MAX_VIEW_TOKENS: usize = 128;

/// The traces of the last analysis, kept in the worker so the page can ask for one head's
/// q/k/v without the worker sending every head of every layer.
#[derive(Default)]
pub struct Session {
    traces: Vec<(SentenceKey, Trace)>,
    /// What each of `traces` was run on, in the same order: a sentence asked again
    /// unchanged (B while A is typed) reuses its trace instead of running the model again.
    asked: Vec<Asked>,
    /// The embedding table's row lengths, for neighbour searches; kept across analyses.
    vocab: Option<tokenscope_core::neighbours::VocabularyIndex>,
    /// GPT-2's and the MiniLM's tokenizers (native: read from the source tree once).
    #[cfg(not(target_arch = "wasm32"))]
    tokenizers: Option<tokens::TokenizerAssets>,
}

/// What one trace was run on: its text (the pair's first text), the pair's second text,
/// and the heads switched off.
#[derive(Debug, Clone, PartialEq)]
struct Asked {
    text: String,
    pair: Option<String>,
    ablation: Ablation,
}

/// The model facts the page shows once it is loaded; `memory_bytes` is the worker's memory.
pub fn ready(name: &str, model: &Model, memory_bytes: u64) -> ModelFacts {
    let info = model.info();
    let facts = model.one_hot_facts(0);
    ModelFacts {
        name: name.to_string(),
        model_type: info.model_type.to_string(),
        num_layers: info.num_layers,
        num_heads: info.num_heads,
        num_kv_heads: info.num_kv_heads,
        head_dim: info.head_dim,
        hidden_size: info.hidden_size,
        vocab_size: info.vocab_size,
        max_positions: info.max_positions,
        causal: info.causal,
        one_hot_table_bytes: facts.one_hot_table_bytes,
        embedding_table_bytes: facts.embedding_table_bytes,
        precision: info.precision.to_string(),
        weight_bytes: info.weight_bytes,
        kernel: super::threads::kernel_name(),
        threads: super::threads::count() as u32,
        memory_bytes,
        anatomy: model.config.anatomy(),
        rotary_frequencies: model.rotary_frequencies().map(<[f32]>::to_vec),
    }
}

/// The learned position table; empty for rotary models, which have none.
pub fn positions(model: &Model) -> PositionTable {
    let Some(table) = model.position_embeddings() else {
        return PositionTable {
            rows: 0,
            cols: 0,
            values: Vec::new(),
        };
    };
    PositionTable {
        rows: table.nrows(),
        cols: table.ncols(),
        values: table.iter().copied().collect(),
    }
}

/// Farthest key distance the rotary curves go.
const ROTARY_DISTANCES: usize = 32;

/// Rotary models: the head's query and keys before rotation, and the score of the query
/// against its own token's key at every distance, with the query placed at three positions
/// within the model's context (the curves coincide: the score depends on distance only).
fn rotary_detail(
    model: &Model,
    layer: &tokenscope_core::LayerTrace,
    head: usize,
    token: usize,
) -> Option<RotaryDetail> {
    let inv_freq = model.rotary_frequencies()?;
    let query = layer
        .query_unrotated
        .as_ref()?
        .index_axis(Axis(0), head)
        .row(token)
        .to_vec();
    let keys = layer.key_unrotated.as_ref()?.index_axis(Axis(0), head);
    let own_key = keys.row(token).to_vec();
    let context = model.config.max_positions();
    let distances = ROTARY_DISTANCES.min(context / 2);
    let last = context - 1;
    let query_positions = vec![distances, distances + (last - distances) / 2, last];
    let scale = model.attention_scale(0);
    let scores_by_distance = query_positions
        .iter()
        .map(|&at| score_by_distance(&query, &own_key, inv_freq, scale, at, distances))
        .collect();
    Some(RotaryDetail {
        query,
        keys: keys.iter().copied().collect(),
        query_positions,
        scores_by_distance,
    })
}

/// How many next-token candidates the page lists per position.
pub const TOP_PREDICTIONS: usize = 10;

fn predictions(model: &Model, trace: &Trace) -> Vec<Prediction> {
    let Some(probs) = &trace.next_token_probs else {
        return Vec::new();
    };
    let token = |id: u32, prob: f32| TokenProb {
        id,
        token: model.tokenizer.id_to_token(id).unwrap_or_default(),
        prob,
    };
    let ids = &trace.input.ids;
    probs
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, row)| Prediction {
            top: top_tokens(row, TOP_PREDICTIONS)
                .into_iter()
                .map(|(id, p)| token(id, p))
                .collect(),
            actual: ids
                .get(i + 1)
                .and_then(|&next| row.get(next as usize).map(|&p| token(next, p))),
        })
        .collect()
}

fn sentence_data(model: &Model, key: SentenceKey, trace: &Trace) -> SentenceData {
    let input = &trace.input;
    let too_long = trace.len() > MAX_VIEW_TOKENS;
    let attention = if too_long {
        Vec::new()
    } else {
        trace
            .layers
            .iter()
            .flat_map(|layer| layer.attention.iter().copied())
            .collect()
    };
    SentenceData {
        key,
        tokens: input.tokens.clone(),
        ids: input.ids.clone(),
        special: input
            .segments
            .iter()
            .map(|s| *s == Segment::Special)
            .collect(),
        type_ids: input.type_ids.clone(),
        truncated: input.truncated,
        too_long,
        attention,
        embeddings: trace.embeddings.word.iter().copied().collect(),
        predictions: predictions(model, trace),
        baseline: None,
    }
}

/// How many of each run's most probable next tokens the comparison lists.
const COMPARED: usize = 5;

/// The run with every head on beside the ablated one: next-token candidates of both and the
/// final vectors of both.
fn baseline(model: &Model, clean: &Trace, ablated: &Trace) -> Baseline {
    let last = |t: &Trace| {
        t.hidden_states
            .last()
            .map(|h| h.iter().copied().collect())
            .unwrap_or_default()
    };
    let next = match (&clean.next_token_probs, &ablated.next_token_probs) {
        (Some(before), Some(after)) => before
            .rows()
            .into_iter()
            .zip(after.rows())
            .map(|(b, a)| {
                let mut ids: Vec<u32> = top_tokens(b, COMPARED).into_iter().map(|t| t.0).collect();
                for (id, _) in top_tokens(a, COMPARED) {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids.into_iter()
                    .map(|id| NextPair {
                        id,
                        token: model.tokenizer.id_to_token(id).unwrap_or_default(),
                        before: b[id as usize],
                        after: a[id as usize],
                    })
                    .collect()
            })
            .collect(),
        _ => Vec::new(),
    };
    Baseline {
        next,
        final_vectors: last(clean),
        ablated_final_vectors: last(ablated),
    }
}

/// Cosine of every row of `rows` with every row of `cols`, at every depth.
fn similarity(rows: (SentenceKey, &Trace), cols: (SentenceKey, &Trace)) -> Option<Similarity> {
    let (row_key, a) = rows;
    let (col_key, b) = cols;
    if a.len() > MAX_VIEW_TOKENS || b.len() > MAX_VIEW_TOKENS {
        return None;
    }
    let mut matrices: Vec<Array2<f32>> = vec![cosine_matrix(
        a.embeddings.word.view(),
        b.embeddings.word.view(),
    )];
    for (x, y) in a.hidden_states.iter().zip(&b.hidden_states) {
        matrices.push(cosine_matrix(x.view(), y.view())); // (Sa, Sb)
    }
    Some(Similarity {
        rows: row_key,
        cols: col_key,
        depths: matrices.len(),
        values: matrices.iter().flat_map(|m| m.iter().copied()).collect(),
    })
}

/// Runs the model on A, on B when it is not empty, and on the pair A+B when `pair` asks.
/// A and B are always also encoded on their own: similarity compares those, as the seed does.
/// With `ablation`'s heads switched off, every trace is of the ablated model, and each
/// sentence also carries its run with every head on ([`Baseline`]).
pub fn analyze(
    model: &Model,
    seq: u64,
    a: &str,
    b: &str,
    pair: bool,
    ablation: &Ablation,
) -> Result<(Analysis, Session), String> {
    analyze_again(model, seq, (a, b, pair), ablation, &Session::default())
}

/// [`analyze`], reusing the traces of `previous` (the same model's last analysis) for the
/// sentences asked again unchanged.
fn analyze_again(
    model: &Model,
    seq: u64,
    (a, b, pair): (&str, &str, bool),
    ablation: &Ablation,
    previous: &Session,
) -> Result<(Analysis, Session), String> {
    let info = model.info();
    let mut asked = Vec::new();
    let mut run = |text: &str, pair: Option<&str>| -> Result<Trace, String> {
        let this = Asked {
            text: text.to_string(),
            pair: pair.map(str::to_string),
            ablation: ablation.clone(),
        };
        let earlier = previous.asked.iter().position(|a| *a == this);
        asked.push(this);
        if let Some((_, trace)) = earlier.and_then(|i| previous.traces.get(i)) {
            return Ok(trace.clone());
        }
        let input = model.tokenize(text, pair).map_err(|e| e.to_string())?;
        model
            .trace_ablated(input, ablation)
            .map_err(|e| e.to_string())
    };
    let mut traces = vec![(SentenceKey::A, run(a, None)?)];
    let has_b = !b.trim().is_empty();
    if has_b {
        traces.push((SentenceKey::B, run(b, None)?));
        // A GPT model reads one text; there is no pair to run.
        if pair && !info.causal {
            traces.push((SentenceKey::Pair, run(a, Some(b))?));
        }
    }
    let mut sentences: Vec<SentenceData> = traces
        .iter()
        .map(|(key, trace)| sentence_data(model, *key, trace))
        .collect();
    if !ablation.is_empty() {
        for (data, (_, trace)) in sentences.iter_mut().zip(&traces) {
            let clean = model
                .trace_tokens(trace.input.clone())
                .map_err(|e| e.to_string())?;
            data.baseline = Some(baseline(model, &clean, trace));
        }
    }
    let first = (SentenceKey::A, &traces[0].1);
    let similarity = match traces.get(1) {
        Some((SentenceKey::B, b)) => similarity(first, (SentenceKey::B, b)),
        _ => similarity(first, first),
    };
    let analysis = Analysis {
        seq,
        num_layers: info.num_layers,
        num_heads: info.num_heads,
        hidden_size: info.hidden_size,
        sentences,
        similarity,
        memory_bytes: 0,
    };
    Ok((
        analysis,
        Session {
            traces,
            asked,
            ..Session::default()
        },
    ))
}

/// Generates with the core and packs each step for the page, with the attention row of the
/// position that predicted each generated token at `layer` and `head`.
#[allow(clippy::too_many_arguments)]
pub fn generation(
    model: &Model,
    seq: u64,
    text: &str,
    max_tokens: usize,
    sampling: &Sampling,
    layer: usize,
    head: usize,
) -> Result<Generation, String> {
    let run = generate_timed(model, text, max_tokens, sampling, TOP_PREDICTIONS, &clock)
        .map_err(|e| e.to_string())?;
    let token = |id: u32| model.tokenizer.id_to_token(id).unwrap_or_default();
    let prompt_len = run.prompt_ids.len();
    let steps = run.generated_ids.len();
    let mut attention = Vec::new();
    if steps > 0 {
        // Causal attention never looks ahead, so one run over the final text gives every
        // step's row exactly as it was when that token was chosen.
        let mut ids = run.prompt_ids.clone();
        ids.extend(&run.generated_ids[..steps - 1]);
        let trace = model
            .trace_tokens(model.tokens_from_ids(&ids))
            .map_err(|e| e.to_string())?;
        let layer_trace = trace
            .layers
            .get(layer)
            .ok_or_else(|| format!("the model has no layer {layer}"))?;
        if head >= layer_trace.attention.dim().0 {
            return Err(format!("the model has no head {head}"));
        }
        for step in 0..steps {
            let row = layer_trace
                .attention
                .slice(ndarray::s![head, prompt_len - 1 + step, ..]);
            attention.extend(row.iter().copied());
        }
    }
    Ok(Generation {
        seq,
        prompt_tokens: run.prompt_ids.iter().map(|&id| token(id)).collect(),
        text: model
            .tokenizer
            .decode(&run.generated_ids)
            .map_err(|e| e.to_string())?,
        steps: run
            .steps
            .iter()
            .map(|step| GeneratedStep {
                id: step.id,
                token: token(step.id),
                prob: step.prob,
                kept: step.kept,
                draw: step.draw,
                top: step
                    .top
                    .iter()
                    .map(|c| (c.id, token(c.id), c.prob, c.kept))
                    .collect(),
            })
            .collect(),
        prompt_ids: run.prompt_ids,
        layer,
        head,
        attention,
        prompt_ms: run.prompt_ms,
        decode_ms: run.decode_ms,
    })
}

/// Milliseconds from a fixed origin: the worker's own clock in the browser (`performance.now`,
/// shared with its benchmark and scan slices), a process-wide instant natively (the native
/// harness and tests).
fn clock() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        super::wasm::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }
}

impl Session {
    /// The trace of one sentence of the last analysis.
    fn trace(&self, sentence: SentenceKey) -> Result<&Trace, String> {
        self.traces
            .iter()
            .find(|(key, _)| *key == sentence)
            .map(|(_, trace)| trace)
            .ok_or_else(|| format!("no sentence {} in the last analysis", sentence.name()))
    }

    /// The q/k/v detail of one head for one query token.
    pub fn qkv(
        &self,
        model: &Model,
        seq: u64,
        sentence: SentenceKey,
        layer: usize,
        head: usize,
        token: usize,
    ) -> Result<QkvDetail, String> {
        let causal = model.info().causal;
        let trace = self.trace(sentence)?;
        let layer_trace = trace
            .layers
            .get(layer)
            .ok_or_else(|| format!("the model has no layer {layer}"))?;
        let (heads, len, head_dim) = layer_trace.query.dim();
        if head >= heads {
            return Err(format!("the model has no head {head}"));
        }
        if token >= len {
            return Err(format!("the sentence has no token {token}"));
        }
        let head_slice = |tensor: &ndarray::Array3<f32>| -> Vec<f32> {
            tensor.index_axis(Axis(0), head).iter().copied().collect() // (S, d)
        };
        let context = head_context(layer_trace, head, token)
            .map(|c| c.to_vec())
            .unwrap_or_default();
        Ok(QkvDetail {
            seq,
            sentence,
            layer,
            head,
            token,
            head_dim,
            query: layer_trace
                .query
                .index_axis(Axis(0), head)
                .row(token)
                .to_vec(),
            keys: head_slice(&layer_trace.key),
            values: head_slice(&layer_trace.value),
            scores: layer_trace
                .scores
                .index_axis(Axis(0), head)
                .row(token)
                .to_vec(),
            probs: layer_trace
                .attention
                .index_axis(Axis(0), head)
                .row(token)
                .to_vec(),
            context,
            masked_from: causal.then_some(token + 1),
            kv_head: head / (model.config.num_heads() / model.config.num_kv_heads()).max(1),
            rotary: rotary_detail(model, layer_trace, head, token),
        })
    }
}

/// The answer to a request about the loaded model: an analysis (which becomes the
/// session), one head's q/k/v, a generation or the position table; a failure is an error
/// carrying the request's number. None for requests other jobs answer (loading, training,
/// timing).
pub fn answer(model: &Model, session: &mut Session, request: Request) -> Option<Reply> {
    let failed = |seq: u64| {
        move |message: String| Reply::Error {
            seq: Some(seq),
            message,
        }
    };
    Some(match request {
        Request::Analyze {
            seq,
            a,
            b,
            pair,
            ablate,
        } => match analyze_again(model, seq, (&a, &b, pair), &Ablation::new(ablate), session) {
            Ok((analysis, mut traces)) => {
                traces.vocab = session.vocab.take();
                #[cfg(not(target_arch = "wasm32"))]
                {
                    traces.tokenizers = session.tokenizers.take();
                }
                *session = traces;
                Reply::Analysis(analysis)
            }
            Err(message) => failed(seq)(message),
        },
        Request::Qkv {
            seq,
            sentence,
            layer,
            head,
            token,
        } => session
            .qkv(model, seq, sentence, layer, head, token)
            .map_or_else(failed(seq), Reply::Qkv),
        Request::Generate {
            seq,
            text,
            max_tokens,
            temperature,
            top_k,
            top_p,
            seed,
            layer,
            head,
        } => {
            let sampling = Sampling {
                temperature,
                top_k,
                top_p,
                seed,
            };
            generation(model, seq, &text, max_tokens, &sampling, layer, head)
                .map_or_else(failed(seq), Reply::Generation)
        }
        Request::Positions => Reply::Positions(positions(model)),
        Request::Neighbours(ask) => {
            let seq = ask.seq;
            session
                .neighbours(model, ask)
                .map_or_else(failed(seq), Reply::Neighbours)
        }
        Request::QkMap(ask) => {
            let seq = ask.seq;
            session
                .qk_map(model, ask)
                .map_or_else(failed(seq), Reply::QkMap)
        }
        Request::Scan(ask) => Reply::Scan(scan::scan_all(model, ask)),
        #[cfg(not(target_arch = "wasm32"))]
        Request::Tokenizers(ask) => {
            if session.tokenizers.is_none() {
                match tokens::assets_from_disk() {
                    Ok(assets) => session.tokenizers = Some(assets),
                    Err(message) => return Some(Reply::Error { seq: None, message }),
                }
            }
            let assets = session.tokenizers.as_ref()?;
            Reply::Tokenizers(tokens::tokenizer_rows(model, assets, ask))
        }
        // The browser's worker fetches the tokenizers first (worker/tokens.rs).
        #[cfg(target_arch = "wasm32")]
        Request::Tokenizers(_) => return None,
        Request::Lens { seq, sentence } => session
            .lens(model, seq, sentence)
            .map_or_else(failed(seq), Reply::Lens),
        Request::Load { .. }
        | Request::LoadUrls { .. }
        | Request::Train(_)
        | Request::Benchmark { .. } => return None,
    })
}

mod qk;
pub mod scan;
#[cfg(test)]
mod tests;
pub mod tokens;
mod why;
