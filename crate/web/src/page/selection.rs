//! What a person changes about what the page shows: the sentences, the selected token, the
//! view, layer, head and filter, the heads shown, the toy vectors.

use super::{Effect, Example, PageModel, PairFilter};

impl PageModel {
    pub(super) fn edit_sentence(&mut self, text: String, first: bool) -> Vec<Effect> {
        if first {
            self.state.a = text;
        } else {
            self.state.b = text;
        }
        // The user has moved on from a failed link's model.
        self.load.notice = None;
        self.reset_generation();
        let answer_coming = self.facts.is_some();
        let mut effects = self.schedule_analysis();
        if answer_coming {
            for effect in &mut effects {
                if *effect == Effect::Render {
                    *effect = Effect::RenderControls;
                }
            }
        }
        effects
    }

    pub(super) fn set_pair(&mut self, on: bool) -> Vec<Effect> {
        self.state.pair = on;
        self.state.token = None;
        if !on {
            self.state.filter = PairFilter::All;
        }
        self.request_analysis()
    }

    pub(super) fn use_example(&mut self, example: Example) -> Vec<Effect> {
        let (a, b) = example.sentences();
        self.state.a = a.into();
        self.state.b = b.into();
        self.state.token = None;
        self.reset_generation();
        self.request_analysis()
    }

    pub(super) fn select(&mut self, chip: usize) -> Vec<Effect> {
        if chip >= self.chips.len() {
            return Vec::new();
        }
        self.state.token = Some(chip);
        vec![Effect::Render]
    }

    /// ← / →: stops at the first and the last chip.
    pub(super) fn move_selection(&mut self, step: isize) -> Vec<Effect> {
        let count = self.chips.len();
        let Some(current) = self.selected().filter(|_| count > 0) else {
            return Vec::new();
        };
        let next = (current as isize + step).clamp(0, count as isize - 1) as usize;
        self.state.token = Some(next);
        vec![Effect::Render, Effect::FocusChip(next)]
    }

    pub(super) fn hover(&mut self, chip: Option<usize>) -> Vec<Effect> {
        let chip = chip.filter(|&c| c < self.chips.len());
        if chip == self.hover {
            return Vec::new();
        }
        self.hover = chip;
        vec![Effect::RenderPointer]
    }

    pub(super) fn show_view(&mut self, name: &str) -> Vec<Effect> {
        if !self.views.iter().any(|v| v.name == name) {
            return Vec::new();
        }
        self.state.view = name.to_string();
        vec![Effect::Render]
    }

    /// A new layer or head; a generation's attention rows follow it.
    pub(super) fn set_layer_head(
        &mut self,
        layer: Option<usize>,
        head: Option<usize>,
    ) -> Vec<Effect> {
        let (layers, heads) = self
            .facts
            .as_ref()
            .map_or((usize::MAX, usize::MAX), |f| (f.num_layers, f.num_heads));
        if let Some(layer) = layer.filter(|&l| l < layers) {
            self.state.layer = layer;
        }
        if let Some(head) = head.filter(|&h| h < heads) {
            self.state.head = head;
        }
        let mut effects = vec![Effect::Render];
        if self.generation.is_some() {
            effects.extend(self.request_generation());
        }
        effects
    }

    /// A filter over A and B only exists when they run as one pair: choosing one turns pair
    /// mode on.
    pub(super) fn set_filter(&mut self, filter: PairFilter) -> Vec<Effect> {
        self.state.filter = filter;
        if filter != PairFilter::All && !self.state.pair {
            self.state.pair = true;
            self.state.token = None;
            return self.request_analysis();
        }
        vec![Effect::Render]
    }

    /// That layer and that head alone (the model view's click, which then shows the head
    /// view).
    pub(super) fn open_head(&mut self, layer: usize, head: usize) -> Vec<Effect> {
        let mut effects = self.set_layer_head(Some(layer), Some(head));
        let head = self.state.head;
        for (i, v) in self.visible_heads.iter_mut().enumerate() {
            *v = i == head;
        }
        effects.push(Effect::Render);
        effects
    }

    pub(super) fn toggle_head(&mut self, head: usize) -> Vec<Effect> {
        match self.visible_heads.get_mut(head) {
            Some(v) => {
                *v = !*v;
                vec![Effect::Render]
            }
            None => Vec::new(),
        }
    }

    /// Shows one head alone and makes it the head of the tables and the q/k/v view.
    pub(super) fn solo_head(&mut self, head: usize) -> Vec<Effect> {
        if head >= self.visible_heads.len() {
            return Vec::new();
        }
        for (i, v) in self.visible_heads.iter_mut().enumerate() {
            *v = i == head;
        }
        self.set_layer_head(None, Some(head))
    }

    pub(super) fn edit_toy(&mut self, row: usize, col: usize, value: f32) -> Vec<Effect> {
        match self.toy.get_mut(row).and_then(|(_, v)| v.get_mut(col)) {
            Some(cell) if value.is_finite() => {
                *cell = value;
                vec![Effect::Render]
            }
            _ => Vec::new(),
        }
    }
}
