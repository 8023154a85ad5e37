//! The one message enum pair between the page and the worker that owns the model, so both
//! sides share these exact types. The page and worker exchange them as postcard bytes (the
//! tensors of an analysis as raw little-endian floats, transferred without a copy); a client
//! that speaks JSON strings, such as `bench/`, is answered in JSON.

use serde::{Deserialize, Serialize};
use tokenscope_core::anatomy::Anatomy;

use crate::named_enum;

mod tokens;
mod train;
mod why;
pub use tokens::*;
pub use train::*;
pub use why::*;

named_enum! {
    /// Which token sequence a piece of data belongs to: sentence A or B encoded on its own,
    /// or both run as one BERT sentence pair. The names are the page's `data-sentence`.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum SentenceKey {
        A = "a",
        B = "b",
        Pair = "pair",
    }
}

/// Page → worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Request {
    /// Fetch `config.json`, `tokenizer.json` and `model.safetensors` (or
    /// `model.safetensors.index.json` and its shards) from `folder` (same origin) and make
    /// that the worker's model.
    Load { folder: String, name: String },
    /// Run the model on A (and B: separately, and as a pair when `pair`) with the heads in
    /// `ablate` (layer, head) switched off. `seq` lets the page drop answers to text it has
    /// since replaced.
    Analyze {
        seq: u64,
        a: String,
        b: String,
        pair: bool,
        #[serde(default)]
        ablate: Vec<(usize, usize)>,
    },
    /// Fetch a model from URLs (blob: URLs of files the user picked or dropped, or
    /// same-origin addresses) and make it the worker's model. `weights` are (file name,
    /// URL): one safetensors file, or `model.safetensors.index.json` and its shards.
    LoadUrls {
        name: String,
        config: String,
        tokenizer: String,
        weights: Vec<(String, String)>,
    },
    /// The q/k/v detail of one head for one query token of the last analysis.
    Qkv {
        seq: u64,
        sentence: SentenceKey,
        layer: usize,
        head: usize,
        token: usize,
    },
    /// The model's whole position-embedding table.
    Positions,
    /// The logit lens of one sentence of the last analysis (GPT models).
    Lens { seq: u64, sentence: SentenceKey },
    /// Vocabulary neighbours, a word map and the selected token's path over it.
    Neighbours(NeighboursAsk),
    /// One head's queries and keys on one plane (AttentionViz).
    QkMap(QkMapAsk),
    /// Remove each head alone and measure the effect at one position (the ablation scan);
    /// answered with a [`ScanData`] after each slice of work, and replaced by the next scan.
    Scan(ScanAsk),
    /// Sentence A through every tokenizer, and B's token count in each (the Tokenizers view).
    Tokenizers(TokenizersAsk),
    /// Time the forward trace of `text` (what every view draws from), and the worker's whole
    /// analysis of it as the page asks for it: `warmup` runs, then `runs` timed ones. For
    /// `bench/`; the page never sends it.
    Benchmark {
        text: String,
        warmup: usize,
        runs: usize,
    },
    /// Continue `text` by up to `max_tokens` with a GPT model, and give the attention of
    /// each generated token's step at `layer` and `head`.
    Generate {
        seq: u64,
        text: String,
        max_tokens: usize,
        temperature: f64,
        top_k: usize,
        top_p: f64,
        seed: u64,
        layer: usize,
        head: usize,
    },
    /// Training in the page (the Train view).
    Train(TrainCommand),
}

/// One generated token and the candidates it was drawn from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GeneratedStep {
    pub id: u32,
    pub token: String,
    pub prob: f64,
    pub kept: usize,
    pub draw: Option<f64>,
    /// The most probable candidates: (id, token, probability, kept by top-k/top-p).
    pub top: Vec<(u32, String, f64, bool)>,
}

/// A token and its probability.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenProb {
    pub id: u32,
    pub token: String,
    pub prob: f32,
}

/// What a GPT model predicted after one position: its most probable next tokens, and the
/// probability it gave the token that really came next (none after the last position).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Prediction {
    pub top: Vec<TokenProb>,
    pub actual: Option<TokenProb>,
}

/// One token sequence the model ran on, with what every view draws. Heavy per-head q/k/v
/// stay in the worker and come one head at a time ([`Reply::Qkv`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SentenceData {
    pub key: SentenceKey,
    pub tokens: Vec<String>,
    pub ids: Vec<u32>,
    pub special: Vec<bool>,
    /// 0 for sentence A's tokens, 1 for B's in a pair.
    pub type_ids: Vec<u32>,
    /// Tokens dropped because the text was longer than the model's positions.
    pub truncated: usize,
    /// More tokens than the views draw legibly: `attention` is then empty.
    pub too_long: bool,
    /// Attention probabilities, row = query, column = key. (layers, heads, S, S) row-major
    pub attention: Vec<f32>,
    /// Each token's static word-embedding row. (S, hidden) row-major
    pub embeddings: Vec<f32>,
    /// GPT models: the prediction after every position. Empty for BERT.
    #[serde(default)]
    pub predictions: Vec<Prediction>,
    /// With heads switched off: the same sentence run with every head on, to compare.
    #[serde(default)]
    pub baseline: Option<Baseline>,
}

/// One candidate next token with every head on (`before`) and with the heads off (`after`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NextPair {
    pub id: u32,
    pub token: String,
    pub before: f32,
    pub after: f32,
}

/// With heads switched off, what the model computes with all of them, and the final vectors
/// both ways (the views above draw the ablated run).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Baseline {
    /// GPT models, after every position: the five most probable next tokens of each run
    /// (together), with both runs' probabilities, most probable with every head on first.
    /// Empty for BERT.
    pub next: Vec<Vec<NextPair>>,
    /// Each token's last hidden state with every head on. (S, hidden) row-major
    pub final_vectors: Vec<f32>,
    /// The same with the heads off. (S, hidden) row-major
    pub ablated_final_vectors: Vec<f32>,
}

/// Cosine similarity of every token of `rows` with every token of `cols` at every depth:
/// depth 0 = static word embeddings, 1 = embedding-layer output, 1 + k = after layer k.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Similarity {
    pub rows: SentenceKey,
    pub cols: SentenceKey,
    pub depths: usize,
    /// (depths, rows, cols) row-major
    pub values: Vec<f32>,
}

/// The loaded model's facts, shown beside its name and used by every view.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelFacts {
    pub name: String,
    pub model_type: String,
    pub num_layers: usize,
    pub num_heads: usize,
    /// Key/value heads: fewer than `num_heads` in grouped-query attention, where query head
    /// h reads key/value head h / (num_heads / num_kv_heads).
    pub num_kv_heads: usize,
    pub head_dim: usize,
    pub hidden_size: usize,
    pub vocab_size: usize,
    pub max_positions: usize,
    pub causal: bool,
    /// Memory of a vocab × vocab one-hot table and of the vocab × hidden embedding table,
    /// both as 32-bit floats.
    pub one_hot_table_bytes: u64,
    pub embedding_table_bytes: u64,
    /// How the large weight matrices are held ("F32" or "F16") and their bytes.
    pub precision: String,
    pub weight_bytes: u64,
    /// The worker build's product kernel ("relaxed-simd", "simd128", "relaxed-simd-threads",
    /// "simd128-threads" or "native"), so the page can say how it computes.
    pub kernel: String,
    /// Threads the worker computes on: its pool's size in the threads build once the pool
    /// is ready, else 1.
    pub threads: u32,
    /// The worker's whole memory after loading (its peak: wasm memory never shrinks); 0
    /// where it cannot be measured.
    pub memory_bytes: u64,
    /// The model's build and each part's parameters (the architecture panel).
    pub anatomy: Anatomy,
    /// Rotary models: the angle per position of each dimension pair, θ_i. (d/2)
    pub rotary_frequencies: Option<Vec<f32>>,
}

/// The model's run over the sentences: everything the views draw at a keystroke.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Analysis {
    pub seq: u64,
    pub num_layers: usize,
    pub num_heads: usize,
    pub hidden_size: usize,
    /// A, then B when given, then the pair when asked for.
    pub sentences: Vec<SentenceData>,
    /// A × B (or A × A when there is no B), each encoded on its own.
    pub similarity: Option<Similarity>,
    /// The worker's wasm memory after this analysis (0 where not measured): a page that
    /// runs for a whole lesson must not grow.
    #[serde(default)]
    pub memory_bytes: u64,
}

/// One head's query, keys and values for one query token: what the q/k/v view draws.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QkvDetail {
    pub seq: u64,
    pub sentence: SentenceKey,
    pub layer: usize,
    pub head: usize,
    pub token: usize,
    pub head_dim: usize,
    /// (d)
    pub query: Vec<f32>,
    /// (S, d) row-major
    pub keys: Vec<f32>,
    /// (S, d) row-major
    pub values: Vec<f32>,
    /// q·k scaled as the model scales it. (S)
    pub scores: Vec<f32>,
    /// (S)
    pub probs: Vec<f32>,
    /// Σ probs_j · v_j, the head's output for this token. (d)
    pub context: Vec<f32>,
    /// Causal models hide keys from this index on.
    pub masked_from: Option<usize>,
    /// The key/value head this query head reads (its own index without grouped queries).
    pub kv_head: usize,
    /// Rotary models: what rotation did to this head's query and keys.
    pub rotary: Option<RotaryDetail>,
}

/// Rotary models: one head's query and keys before they were turned by their positions, and
/// what the turn makes of the query and its own token's key at every distance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RotaryDetail {
    /// (d)
    pub query: Vec<f32>,
    /// (S, d) row-major
    pub keys: Vec<f32>,
    /// Where the query is placed for each curve.
    pub query_positions: Vec<usize>,
    /// Per query position, the scaled score against the key placed t = 0, 1, … tokens
    /// before it. (curves, distances)
    pub scores_by_distance: Vec<Vec<f32>>,
}

/// The model's learned position-embedding table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PositionTable {
    pub rows: usize,
    pub cols: usize,
    /// (rows, cols) row-major
    pub values: Vec<f32>,
}

impl PositionTable {
    /// Row `r` (one position's vector), if the table has it.
    pub fn row(&self, r: usize) -> Option<&[f32]> {
        (r < self.rows).then(|| &self.values[r * self.cols..(r + 1) * self.cols])
    }
}

/// Milliseconds of each timed run (`performance.now()` in the worker): the trace alone, and
/// the whole analysis the page asks for (which runs its own trace).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Benchmark {
    pub tokens: usize,
    pub trace_ms: Vec<f64>,
    pub analysis_ms: Vec<f64>,
}

/// A continuation the model wrote, step by step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Generation {
    pub seq: u64,
    pub prompt_tokens: Vec<String>,
    pub prompt_ids: Vec<u32>,
    pub steps: Vec<GeneratedStep>,
    /// The continuation as text.
    pub text: String,
    pub layer: usize,
    pub head: usize,
    /// For step i, the attention of the position that predicted it over every token before
    /// it (0 where masked). (steps, prompt + steps − 1) row-major
    pub attention: Vec<f32>,
    /// Milliseconds the worker took to read the prompt and choose the first token, then to
    /// write every later token (one step each, against the key/value cache).
    pub prompt_ms: f64,
    pub decode_ms: f64,
}

/// What the worker is doing while it loads a model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum LoadStep {
    /// Downloading this file of the folder.
    File(String),
    /// Building the model from the downloaded bytes.
    Preparing,
}

/// Worker → page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Reply {
    /// The worker's wasm is running and listening; messages sent before this are lost.
    Started,
    /// Download progress, 0..=1, with what is being done.
    Progress {
        fraction: f64,
        step: LoadStep,
    },
    /// The model is loaded.
    Ready(ModelFacts),
    Analysis(Analysis),
    Qkv(QkvDetail),
    Lens(LensData),
    Neighbours(NeighboursData),
    QkMap(QkMapData),
    Scan(ScanData),
    Tokenizers(TokenizersData),
    Positions(PositionTable),
    Benchmark(Benchmark),
    Generation(Generation),
    Training(TrainingUpdate),
    /// The trained model's folder as a zip, at a blob: URL made by the worker.
    TrainDownload {
        url: String,
        file_name: String,
    },
    /// Something failed; the worker keeps whatever model it had.
    Error {
        seq: Option<u64>,
        message: String,
    },
}

impl Request {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("bad request from the page: {e}"))
    }
}

impl Reply {
    /// Non-finite floats have no JSON form; serde_json writes them as null, which would
    /// then fail to parse, so the page would see an error rather than a wrong number.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            serde_json::to_string(&Reply::Error {
                seq: None,
                message: format!("the worker could not encode its answer: {e}"),
            })
            .unwrap_or_default()
        })
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("bad reply from the worker: {e}"))
    }

    /// The binary form the page reads. A 32-token analysis was 1.1 MB of JSON text, written
    /// by the worker and parsed by the page at every keystroke; as bytes its floats are
    /// copied, not printed and read back. Non-finite numbers are refused here as the JSON
    /// form refuses them, so a page never draws a NaN as if it were a number.
    pub fn to_bytes(&self) -> Vec<u8> {
        let encoded = if self.is_finite() {
            postcard::to_allocvec(self).map_err(|e| e.to_string())
        } else {
            Err("the model produced a number that is not finite (NaN or infinity)".to_string())
        };
        encoded.unwrap_or_else(|message| {
            postcard::to_allocvec(&Reply::Error {
                seq: self.seq(),
                message: format!("the worker could not encode its answer: {message}"),
            })
            .unwrap_or_default()
        })
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("bad reply from the worker: {e}"))
    }

    /// The request number an answer belongs to, where it has one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Reply::Analysis(Analysis { seq, .. })
            | Reply::Qkv(QkvDetail { seq, .. })
            | Reply::Lens(LensData { seq, .. })
            | Reply::Neighbours(NeighboursData {
                ask: NeighboursAsk { seq, .. },
                ..
            })
            | Reply::QkMap(QkMapData {
                ask: QkMapAsk { seq, .. },
                ..
            })
            | Reply::Generation(Generation { seq, .. }) => Some(*seq),
            Reply::Error { seq, .. } => *seq,
            _ => None,
        }
    }

    /// Whether every number the views would draw is finite.
    fn is_finite(&self) -> bool {
        let all = |values: &[f32]| values.iter().all(|v| v.is_finite());
        let prob = |t: &TokenProb| t.prob.is_finite();
        match self {
            Reply::Progress { fraction, .. } => fraction.is_finite(),
            Reply::Analysis(analysis) => {
                analysis.sentences.iter().all(|s| {
                    all(&s.attention)
                        && all(&s.embeddings)
                        && s.baseline.iter().all(|b| {
                            all(&b.final_vectors)
                                && all(&b.ablated_final_vectors)
                                && b.next
                                    .iter()
                                    .flatten()
                                    .all(|p| p.before.is_finite() && p.after.is_finite())
                        })
                        && s.predictions
                            .iter()
                            .all(|p| p.top.iter().all(prob) && p.actual.iter().all(prob))
                }) && analysis.similarity.iter().all(|sim| all(&sim.values))
            }
            Reply::Qkv(q) => [
                &q.query, &q.keys, &q.values, &q.scores, &q.probs, &q.context,
            ]
            .iter()
            .all(|v| all(v)),
            Reply::Positions(table) => all(&table.values),
            Reply::Lens(lens) => lens.is_finite(),
            Reply::Neighbours(data) => data.is_finite(),
            Reply::QkMap(data) => data.is_finite(),
            Reply::Scan(data) => data.is_finite(),
            Reply::Tokenizers(_) => true,
            Reply::Benchmark(b) => b
                .trace_ms
                .iter()
                .chain(&b.analysis_ms)
                .all(|v| v.is_finite()),
            Reply::Generation(g) => {
                all(&g.attention)
                    && g.steps.iter().all(|step| {
                        step.prob.is_finite()
                            && step.draw.is_none_or(f64::is_finite)
                            && step.top.iter().all(|t| t.2.is_finite())
                    })
            }
            Reply::Training(update) => {
                update.tokens_per_second.is_finite()
                    && update.points.iter().all(|p| {
                        p.learning_rate.is_finite()
                            && p.train_loss.is_finite()
                            && p.held_out_loss.is_none_or(f32::is_finite)
                    })
                    && update.snapshot.iter().all(|s| {
                        all(&s.attention)
                            && s.pairs.iter().all(|p| p.cosine.is_none_or(f32::is_finite))
                    })
            }
            Reply::Started
            | Reply::Ready(_)
            | Reply::TrainDownload { .. }
            | Reply::Error { .. } => true,
        }
    }
}

impl Request {
    /// The binary form the page sends; a worker answers a request in the form it came in.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("bad request from the page: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_json() {
        let requests = [
            Request::Load {
                folder: "models/x".into(),
                name: "x".into(),
            },
            Request::Analyze {
                seq: 7,
                a: "a \"quoted\" <b>text</b> 派对".into(),
                b: String::new(),
                pair: true,
                ablate: vec![(0, 1), (2, 3)],
            },
            Request::Qkv {
                seq: 8,
                sentence: SentenceKey::Pair,
                layer: 2,
                head: 5,
                token: 3,
            },
            Request::Positions,
            Request::Benchmark {
                text: "students celebrate".into(),
                warmup: 2,
                runs: 5,
            },
            Request::LoadUrls {
                name: "gpt2".into(),
                config: "blob:x/1".into(),
                tokenizer: "blob:x/2".into(),
                weights: vec![
                    ("model.safetensors.index.json".into(), "blob:x/3".into()),
                    ("model-00001-of-00002.safetensors".into(), "blob:x/4".into()),
                ],
            },
        ];
        for r in requests {
            assert_eq!(Request::from_bytes(&r.to_bytes()), Ok(r.clone()));
            assert_eq!(Request::from_json(&r.to_json()), Ok(r));
        }
        let reply = Reply::Analysis(Analysis {
            seq: 3,
            num_layers: 1,
            num_heads: 1,
            hidden_size: 2,
            sentences: vec![SentenceData {
                key: SentenceKey::A,
                tokens: vec!["[CLS]".into()],
                ids: vec![101],
                special: vec![true],
                type_ids: vec![0],
                truncated: 0,
                too_long: false,
                attention: vec![1.0],
                embeddings: vec![0.25, -0.5],
                predictions: vec![Prediction {
                    top: vec![TokenProb {
                        id: 3,
                        token: "Ġparty".into(),
                        prob: 0.5,
                    }],
                    actual: None,
                }],
                baseline: None,
            }],
            similarity: Some(Similarity {
                rows: SentenceKey::A,
                cols: SentenceKey::A,
                depths: 1,
                values: vec![1.0],
            }),
            memory_bytes: 150 << 20,
        });
        assert_eq!(Reply::from_bytes(&reply.to_bytes()), Ok(reply.clone()));
        assert_eq!(Reply::from_json(&reply.to_json()), Ok(reply));
        assert!(Reply::from_json("{}").is_err());
        assert!(Reply::from_bytes(&[0xff, 0xff]).is_err());
        assert!(Request::from_bytes(&[]).is_err());
        assert!(serde_json::to_string(&SentenceKey::Pair).is_ok_and(|s| s == "\"pair\""));
    }

    #[test]
    fn a_non_finite_number_never_reaches_the_page_as_a_number() {
        let reply = Reply::Positions(PositionTable {
            rows: 1,
            cols: 1,
            values: vec![f32::NAN],
        });
        // serde_json writes NaN as null; the page must refuse it rather than draw a 0.
        assert!(Reply::from_json(&reply.to_json()).is_err());
        // The binary form would carry NaN faithfully; it answers with an error instead.
        match Reply::from_bytes(&reply.to_bytes()) {
            Ok(Reply::Error { seq: None, message }) => assert!(message.contains("not finite")),
            other => panic!("expected an error, got {other:?}"),
        }
        let analysis = Reply::Analysis(Analysis {
            seq: 9,
            num_layers: 0,
            num_heads: 0,
            hidden_size: 0,
            sentences: Vec::new(),
            similarity: Some(Similarity {
                rows: SentenceKey::A,
                cols: SentenceKey::B,
                depths: 1,
                values: vec![0.5, f32::INFINITY],
            }),
            memory_bytes: 0,
        });
        // The error keeps the request number, so the page knows which answer failed.
        assert!(matches!(
            Reply::from_bytes(&analysis.to_bytes()),
            Ok(Reply::Error { seq: Some(9), .. })
        ));
    }
}
