//! Questions the views ask the page model: which token is selected, which sentence it
//! belongs to, the slices of the analysis they draw. Read-only.

use ndarray::ArrayView3;

use super::data::{default_token, filter_indices, layer_attention, Chip, Side};
use super::{PageModel, PairFilter};
use crate::format::grouped;
use crate::protocol::{QkvDetail, SentenceData, SentenceKey, Similarity};

impl PageModel {
    /// The selected chip: from the link, else the last word of A ("party" in the seed).
    pub fn selected(&self) -> Option<usize> {
        self.state
            .token
            .filter(|&t| t < self.chips.len())
            .or_else(|| default_token(&self.chips))
    }

    pub fn selected_chip(&self) -> Option<&Chip> {
        self.chips.get(self.selected()?)
    }

    /// The selected chip as (side, index in that sentence encoded on its own): similarity
    /// compares A and B each run alone, also in pair mode.
    pub fn selected_separate(&self) -> Option<(Side, usize)> {
        let chip = self.selected_chip()?;
        if chip.source != SentenceKey::Pair {
            return Some((chip.side, chip.index));
        }
        let a_len = self.chips.iter().filter(|c| c.side == Side::A).count();
        Some(match chip.side {
            Side::A => (Side::A, chip.index),
            // B alone starts with its own [CLS]; in the pair that place is A's last [SEP].
            Side::B => (Side::B, chip.index + 1 - a_len),
        })
    }

    pub fn sentence(&self, key: SentenceKey) -> Option<&SentenceData> {
        self.analysis
            .as_ref()?
            .sentences
            .iter()
            .find(|s| s.key == key)
    }

    /// The sentence the selected token belongs to (the pair in pair mode).
    pub fn focus_sentence(&self) -> Option<&SentenceData> {
        self.sentence(self.selected_chip()?.source)
    }

    /// The selected token's static embedding row. (hidden)
    pub fn selected_embedding(&self) -> Option<&[f32]> {
        let chip = self.selected_chip()?;
        let sentence = self.sentence(chip.source)?;
        let hidden = self.analysis.as_ref()?.hidden_size;
        sentence
            .embeddings
            .get(chip.index * hidden..(chip.index + 1) * hidden)
    }

    /// The selected token's word row, its position row and their sum: what goes into the
    /// model before token type and LayerNorm. [(H); 3]
    pub fn word_position_rows(&self) -> Option<[Vec<f32>; 3]> {
        let chip = self.selected_chip()?;
        let word = self.selected_embedding()?.to_vec();
        let table = self.positions.as_ref()?;
        let place = table.row(chip.index).filter(|r| r.len() == word.len())?;
        let sum = word.iter().zip(place).map(|(w, p)| w + p).collect();
        Some([word, place.to_vec(), sum])
    }

    /// The attention of `sentence` at the current layer, every head. (heads, S, S)
    pub fn current_layer<'a>(&self, sentence: &'a SentenceData) -> Option<ArrayView3<'a, f32>> {
        let analysis = self.analysis.as_ref()?;
        layer_attention(
            sentence,
            analysis.num_layers,
            analysis.num_heads,
            self.state.layer,
        )
    }

    /// The token whose lines a head view of `key` shows: the hovered one, else the selected
    /// one unless every token's lines were asked for.
    pub fn focus_in(&self, key: SentenceKey) -> Option<usize> {
        let chip_index = match self.hover {
            Some(h) => Some(h),
            None if self.all_lines => None,
            None => self.selected(),
        }?;
        let chip = self.chips.get(chip_index)?;
        if chip.source == key {
            return Some(chip.index);
        }
        // The other sentence follows along on the same word, so both "party"s show at once.
        self.chips
            .iter()
            .find(|c| c.source == key && !c.special && c.token == chip.token)
            .map(|c| c.index)
    }

    /// The similarity and the tokens of its rows and columns.
    pub fn similarity(&self) -> Option<(&Similarity, &Vec<String>, &Vec<String>)> {
        let sim = self.analysis.as_ref()?.similarity.as_ref()?;
        let rows = &self.sentence(sim.rows)?.tokens;
        let cols = &self.sentence(sim.cols)?.tokens;
        Some((sim, rows, cols))
    }

    /// The sentences the attention views show: the pair in pair mode, else A and (when
    /// given) B side by side.
    pub fn attention_keys(&self) -> Vec<SentenceKey> {
        let Some(analysis) = &self.analysis else {
            return Vec::new();
        };
        let has_pair = analysis
            .sentences
            .iter()
            .any(|s| s.key == SentenceKey::Pair);
        if self.state.pair && has_pair {
            vec![SentenceKey::Pair]
        } else {
            analysis
                .sentences
                .iter()
                .map(|s| s.key)
                .filter(|k| *k != SentenceKey::Pair)
                .collect()
        }
    }

    /// The filter a head view of `key` uses: only the pair has A and B to filter.
    pub fn pair_filter(&self, key: SentenceKey) -> PairFilter {
        if key == SentenceKey::Pair {
            self.state.filter
        } else {
            PairFilter::All
        }
    }

    /// The query rows and key columns a head view of `key` draws.
    pub fn filtered_indices(&self, sentence: &SentenceData) -> (Vec<usize>, Vec<usize>) {
        filter_indices(&sentence.type_ids, self.pair_filter(sentence.key))
    }

    /// Whether the loaded model is a GPT (causal attention, next-token predictions).
    pub fn causal(&self) -> bool {
        self.facts.as_ref().is_some_and(|f| f.causal)
    }

    /// The model turns queries and keys by position (RoPE) instead of adding a position
    /// vector.
    pub fn rotary(&self) -> bool {
        self.facts
            .as_ref()
            .is_some_and(|f| f.rotary_frequencies.is_some())
    }

    /// The key/value head that query head `head` reads (its own index without grouped
    /// queries).
    pub fn kv_group(&self, head: usize) -> usize {
        self.facts.as_ref().map_or(head, |f| {
            head / (f.num_heads / f.num_kv_heads.max(1)).max(1)
        })
    }

    /// "Sentence A is longer than the model's 512 positions: 512 tokens kept, 9,488
    /// dropped." for each input the tokenizer cut; empty when nothing was cut.
    pub fn truncation_message(&self) -> String {
        let max_positions = self.facts.as_ref().map_or(0, |f| f.max_positions);
        self.analysis
            .iter()
            .flat_map(|a| a.sentences.iter())
            .filter(|s| s.truncated > 0)
            .map(|s| {
                let name = match s.key {
                    SentenceKey::A => self.t("sentence-a-short"),
                    SentenceKey::B => self.t("sentence-b-short"),
                    SentenceKey::Pair => self.t("sentence-pair-short"),
                };
                self.t("truncated-notice")
                    .replace("{name}", name)
                    .replace("{max}", &grouped(max_positions as u64))
                    .replace("{kept}", &grouped(s.ids.len() as u64))
                    .replace("{dropped}", &grouped(s.truncated as u64))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Which inputs are too long for the charts, in words ("—" when none).
    pub fn too_long_message(&self) -> String {
        let long: Vec<&str> = self
            .analysis
            .iter()
            .flat_map(|a| a.sentences.iter())
            .filter(|s| s.too_long)
            .map(|s| match s.key {
                SentenceKey::A => "A",
                SentenceKey::B => "B",
                SentenceKey::Pair => "A + B",
            })
            .collect();
        if long.is_empty() {
            "—".into()
        } else {
            format!("{} {}", long.join(", "), self.t("too-long"))
        }
    }

    /// Labels for depths: static, emb, L0 … L(n-1).
    pub fn depth_labels(&self, depths: usize) -> Vec<String> {
        (0..depths)
            .map(|d| match d {
                0 => self.t("static").to_string(),
                1 => self.t("emb").to_string(),
                k => format!("L{}", k - 2),
            })
            .collect()
    }

    /// A depth in words: "static embeddings", "after layer 3" …
    pub fn depth_name(&self, depth: usize) -> String {
        match depth {
            0 => self.t("depth-static").to_string(),
            1 => self.t("depth-embeddings").to_string(),
            d => format!("{} {}", self.t("depth-layer"), d - 2),
        }
    }

    /// How a chart or table names a sentence: "A", "B" or "Pair".
    pub fn sentence_name(&self, key: SentenceKey) -> String {
        match key {
            SentenceKey::Pair => self.t("pair").to_string(),
            other => other.name().to_uppercase(),
        }
    }

    /// Where the q/k/v view looks: the selected token's sentence and index, when the
    /// sentence is short enough to have been traced for the views.
    pub fn qkv_target(&self) -> Option<(SentenceKey, usize)> {
        let chip = self.selected_chip()?;
        let sentence = self.sentence(chip.source)?;
        (!sentence.too_long).then_some((chip.source, chip.index))
    }

    /// The q/k/v detail, if the worker's answer matches what is selected now.
    pub fn current_qkv(&self) -> Option<&QkvDetail> {
        let (key, token) = self.qkv_target()?;
        self.qkv.as_ref().filter(|n| {
            n.sentence == key
                && n.token == token
                && n.layer == self.state.layer
                && n.head == self.state.head
                && n.seq == self.requests.seq
        })
    }
}
