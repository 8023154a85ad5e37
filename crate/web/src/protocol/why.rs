//! The "why" tools' messages: the logit lens of one sentence, computed in the worker only
//! while its view is shown (it runs the output head once per layer).

use serde::{Deserialize, Serialize};

use super::{SentenceKey, TokenProb};

/// One layer's reading after one position.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LensCell {
    /// The most probable next tokens, most probable first.
    pub top: Vec<TokenProb>,
    /// Entropy of the whole distribution, in bits.
    pub entropy_bits: f32,
    /// The token that really came next, with its rank (0 = first) in this layer's reading;
    /// None after the last position.
    pub actual: Option<(TokenProb, usize)>,
}

/// The logit lens of one sentence (GPT models): `cells[l][i]` is what the model would
/// predict after position i if it stopped after layer l: row 0 reads the embeddings, the
/// last row is the model's own output. (L + 1) × S
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LensData {
    pub seq: u64,
    pub sentence: SentenceKey,
    pub cells: Vec<Vec<LensCell>>,
}

impl LensData {
    pub(super) fn is_finite(&self) -> bool {
        self.cells.iter().flatten().all(|c| {
            c.entropy_bits.is_finite()
                && c.top.iter().all(|t| t.prob.is_finite())
                && c.actual.iter().all(|(t, _)| t.prob.is_finite())
        })
    }
}

/// What the neighbours view asks: the nearest tokens to one token (typed, or the selected
/// one by id), a 2-D map of a word list, and the selected token's vector layer by layer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NeighboursAsk {
    pub seq: u64,
    /// A typed word; None for the selected token (`id`).
    pub word: Option<String>,
    pub id: Option<u32>,
    /// The words of the map, in order.
    pub words: Vec<String>,
    /// The selected token, for its path through the layers.
    pub sentence: SentenceKey,
    pub token: usize,
}

/// One token and its cosine with the token asked about.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Neighbour {
    pub id: u32,
    pub token: String,
    pub cosine: f32,
}

/// The neighbours view's numbers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NeighboursData {
    pub ask: NeighboursAsk,
    /// The token looked up: its id and spelling, or why there is none.
    pub token: Result<(u32, String), String>,
    /// Its nearest tokens in the static embedding table, nearest first.
    pub nearest: Vec<Neighbour>,
    /// The map's words that are one token each, with their token and 2-D place.
    pub map_words: Vec<(String, String, [f32; 2])>,
    /// Words left off the map, with why.
    pub map_missing: Vec<(String, String)>,
    /// Share of the words' variance each map axis shows.
    pub explained: Vec<f32>,
    /// The selected token's vector at each depth (0 = static embedding, 1 = what the first
    /// layer receives, 1 + l = after layer l), projected on the map's two axes.
    pub path: Vec<[f32; 2]>,
    /// GPT models: at each depth after the embeddings, the five tokens the output head
    /// reads from the selected token's vector there (the logit lens of that position).
    pub head_reading: Vec<Vec<TokenProb>>,
}

impl NeighboursData {
    pub(super) fn is_finite(&self) -> bool {
        self.nearest.iter().all(|n| n.cosine.is_finite())
            && self
                .map_words
                .iter()
                .all(|w| w.2.iter().all(|x| x.is_finite()))
            && self.path.iter().flatten().all(|x| x.is_finite())
            && self.explained.iter().all(|x| x.is_finite())
            && self
                .head_reading
                .iter()
                .flatten()
                .all(|t| t.prob.is_finite())
    }
}

/// What the query/key map view asks: one head's queries and keys of A and B, and of `extra`
/// texts (the example sentences) when the view wants a denser map.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QkMapAsk {
    pub seq: u64,
    pub layer: usize,
    pub head: usize,
    pub extra: Vec<String>,
}

/// One token's query and key on the map. `sentence` is None for a token of an extra text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QkToken {
    pub sentence: Option<SentenceKey>,
    pub index: usize,
    pub token: String,
    pub query: [f32; 2],
    pub key: [f32; 2],
}

/// One head's queries and keys, normalised as AttentionViz does and projected together.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QkMapData {
    pub ask: QkMapAsk,
    pub tokens: Vec<QkToken>,
    /// Share of the variance each axis shows.
    pub explained: Vec<f32>,
    /// Queries were multiplied by this, keys divided by it.
    pub scale: f32,
    /// The largest change of any attention probability of A and B when recomputed from the
    /// normalised queries and keys: the normalisation keeps every row, so this is rounding.
    pub largest_change: f32,
}

impl QkMapData {
    pub(super) fn is_finite(&self) -> bool {
        self.scale.is_finite()
            && self.largest_change.is_finite()
            && self.explained.iter().all(|x| x.is_finite())
            && self
                .tokens
                .iter()
                .all(|t| t.query.iter().chain(&t.key).all(|x| x.is_finite()))
    }
}

/// What the ablation scan asks: a text (with its pair for BERT's A+B) and one position.
/// The worker tokenizes the text itself, so a scan does not depend on the last analysis and
/// goes on while heads are switched off and on (it always removes one head from the full
/// model).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScanAsk {
    pub text: String,
    pub pair: Option<String>,
    pub position: usize,
}

/// The ablation scan so far: `effects[l · heads + h]` for the heads done, in layer-then-head
/// order. The worker sends one of these after every slice of work.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScanData {
    pub ask: ScanAsk,
    pub layers: usize,
    pub heads: usize,
    /// The token at the position.
    pub token: String,
    /// A GPT: the token the full model ranks first after the position, with its probability.
    /// None for BERT, whose scan measures the final vector.
    pub top: Option<TokenProb>,
    /// A GPT: how much that token's probability falls when the head is removed. BERT: 1 −
    /// cosine between the position's final vectors with and without the head.
    pub effects: Vec<f32>,
    /// A GPT: the first-ranked token with the head removed, per head done.
    pub new_tops: Vec<Option<TokenProb>>,
    /// Why the scan stopped, if it failed.
    pub error: Option<String>,
}

impl ScanData {
    pub fn total(&self) -> usize {
        self.layers * self.heads
    }

    pub fn is_done(&self) -> bool {
        self.error.is_some() || self.effects.len() >= self.total()
    }

    /// The effect of removing head `head` of layer `layer`, once it is computed.
    pub fn effect(&self, layer: usize, head: usize) -> Option<f32> {
        (head < self.heads)
            .then(|| self.effects.get(layer * self.heads + head).copied())
            .flatten()
    }

    pub(super) fn is_finite(&self) -> bool {
        self.effects.iter().all(|e| e.is_finite())
            && self.top.iter().all(|t| t.prob.is_finite())
            && self.new_tops.iter().flatten().all(|t| t.prob.is_finite())
    }
}
