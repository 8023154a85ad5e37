//! The page's side of the "why" tools: asking for the logit lens while its view is shown,
//! keeping the answer that matches the text on screen, and the lens row a click chose.

use super::replies::send_once;
use super::Example;
use super::{Effect, PageModel};
use crate::protocol::{
    LensData, NeighboursAsk, NeighboursData, QkMapAsk, QkMapData, Request, SentenceKey,
};
use tokenscope_core::Ablation;

/// The word map's first words: the article's cat, dog, car and banana, with more animals,
/// vehicles and fruit so the groups show.
pub const MAP_WORDS: &str = "cat dog horse tiger car bus truck train banana apple orange grape";

impl PageModel {
    /// What the neighbours view needs now: the typed word (or the selected token), the map's
    /// words and the selected token for its path.
    pub fn neighbours_ask(&self) -> Option<NeighboursAsk> {
        let chip = self.selected_chip()?;
        let word = self.neighbour_word.trim();
        Some(NeighboursAsk {
            seq: self.requests.seq,
            word: (!word.is_empty()).then(|| word.to_string()),
            id: Some(chip.id),
            words: self
                .map_words
                .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect(),
            sentence: chip.source,
            token: chip.index,
        })
    }

    /// The neighbours answer, if it is for what the view shows now.
    pub fn current_neighbours(&self) -> Option<&NeighboursData> {
        let ask = self.neighbours_ask()?;
        self.neighbours.as_ref().filter(|n| n.ask == ask)
    }

    /// What the query/key map needs now: the layer bar's head, and the examples when asked.
    pub fn qk_ask(&self) -> QkMapAsk {
        let extra = if self.qk_examples {
            Example::ALL
                .iter()
                .flat_map(|e| {
                    let (a, b) = e.sentences();
                    [a, b]
                })
                .filter(|t| !t.is_empty() && *t != self.state.a && *t != self.state.b)
                .map(String::from)
                .collect()
        } else {
            Vec::new()
        };
        QkMapAsk {
            seq: self.requests.seq,
            layer: self.state.layer,
            head: self.state.head,
            extra,
        }
    }

    /// The query/key map, if it is for the head and text on screen now.
    pub fn current_qk_map(&self) -> Option<&QkMapData> {
        let ask = self.qk_ask();
        self.qk_map.as_ref().filter(|m| m.ask == ask)
    }

    pub(super) fn on_qk_map(&mut self, data: QkMapData) -> Vec<Effect> {
        if data.ask.seq != self.requests.seq {
            return Vec::new();
        }
        self.qk_map = Some(data);
        vec![Effect::Render]
    }

    /// Asks for the query/key map while its view is shown, once per head, text and choice.
    pub(super) fn qk_map_due(&mut self) -> Option<Effect> {
        if !self.needs().qk_map
            || self.requests.analysis_in_flight
            || self.analysis.is_none()
            || self.current_qk_map().is_some()
        {
            return None;
        }
        let ask = self.qk_ask();
        send_once(&mut self.requests.qk_asked, ask, Request::QkMap)
    }

    pub(super) fn on_neighbours(&mut self, data: NeighboursData) -> Vec<Effect> {
        if data.ask.seq != self.requests.seq {
            return Vec::new();
        }
        self.neighbours = Some(data);
        vec![Effect::Render]
    }

    /// Asks for the neighbours while their view is shown, once per change of what it needs.
    pub(super) fn neighbours_due(&mut self) -> Option<Effect> {
        if !self.needs().neighbours
            || self.requests.analysis_in_flight
            || self.analysis.is_none()
            || self.current_neighbours().is_some()
        {
            return None;
        }
        let ask = self.neighbours_ask()?;
        send_once(
            &mut self.requests.neighbours_asked,
            ask,
            Request::Neighbours,
        )
    }

    /// The sentence the lens reads: the selected token's (A or B; a GPT runs no pair).
    pub fn lens_sentence(&self) -> SentenceKey {
        self.selected_chip()
            .map(|c| c.source)
            .filter(|&key| key != SentenceKey::Pair)
            .unwrap_or(SentenceKey::A)
    }

    /// The lens, if the worker's answer is for the text and sentence on screen now.
    pub fn current_lens(&self) -> Option<&LensData> {
        let key = self.lens_sentence();
        self.lens
            .as_ref()
            .filter(|l| l.seq == self.requests.seq && l.sentence == key)
    }

    /// The lens row whose table is shown: the one clicked, else the model's own output.
    pub fn lens_row(&self) -> Option<usize> {
        let rows = self.current_lens()?.cells.len();
        Some(
            self.lens_row
                .filter(|&r| r < rows)
                .unwrap_or(rows.checked_sub(1)?),
        )
    }

    pub(super) fn set_lens_row(&mut self, row: usize) -> Vec<Effect> {
        self.lens_row = Some(row);
        vec![Effect::Render]
    }

    /// Switches a head of the loaded model off or back on; every view is recomputed.
    pub(super) fn toggle_ablate(&mut self, layer: usize, head: usize) -> Vec<Effect> {
        let Some(facts) = &self.facts else {
            return Vec::new();
        };
        if layer >= facts.num_layers || head >= facts.num_heads {
            return Vec::new();
        }
        let mut ablation = self.state.ablate.clone();
        ablation.toggle(layer, head);
        self.set_ablation(ablation)
    }

    pub(super) fn set_ablation(&mut self, ablation: Ablation) -> Vec<Effect> {
        if ablation == self.state.ablate {
            return Vec::new();
        }
        self.state.ablate = ablation;
        self.schedule_analysis()
    }

    pub(super) fn on_lens(&mut self, lens: LensData) -> Vec<Effect> {
        if lens.seq != self.requests.seq {
            return Vec::new();
        }
        self.lens = Some(lens);
        vec![Effect::Render]
    }

    /// Asks for the lens of the shown sentence once per analysis, while the lens view is
    /// on screen with a GPT loaded (it runs the output head once per layer).
    pub(super) fn lens_due(&mut self) -> Option<Effect> {
        if !self.needs().lens
            || !self.causal()
            || self.requests.analysis_in_flight
            || self.analysis.is_none()
            || self.current_lens().is_some()
        {
            return None;
        }
        let ask = (self.requests.seq, self.lens_sentence());
        send_once(&mut self.requests.lens_asked, ask, |(seq, sentence)| {
            Request::Lens { seq, sentence }
        })
    }
}
