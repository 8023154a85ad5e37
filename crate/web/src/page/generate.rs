//! The generate view's run: its decoding settings (carried by the link) and the steps asked
//! of the worker. The sampler is seeded, so Step after Step gives the same tokens as Run.

use super::{Effect, PageModel};
use crate::named_enum;
use crate::protocol::Request;

/// The most tokens one Run asks for.
pub const MAX_GENERATED: usize = 200;
/// What Run asks for when its field is empty or not a number.
const DEFAULT_RUN: usize = 20;

named_enum! {
    /// A decoding setting; the names are the fields' ids without `gen-`.
    pub enum DecodingField {
        Temperature = "temperature",
        TopK = "top-k",
        TopP = "top-p",
        Seed = "seed",
    }
}

impl PageModel {
    /// A new setting is a new run: what was generated with the old one goes.
    pub(super) fn set_decoding(&mut self, field: DecodingField, value: f64) -> Vec<Effect> {
        if !value.is_finite() {
            return Vec::new();
        }
        let state = &mut self.state;
        let accepted = match field {
            DecodingField::Temperature if value >= 0.0 => {
                state.temperature = value;
                true
            }
            DecodingField::TopK if value >= 0.0 => {
                state.top_k = value as usize;
                true
            }
            DecodingField::TopP if value > 0.0 && value <= 1.0 => {
                state.top_p = value;
                true
            }
            DecodingField::Seed if value >= 0.0 => {
                state.seed = value as u64;
                true
            }
            _ => false,
        };
        if !accepted {
            return Vec::new();
        }
        self.reset_generation();
        vec![Effect::Render]
    }

    /// The number of tokens Run asks for (1 to 200; 20 for anything else).
    pub(super) fn set_gen_max(&mut self, value: f64) -> Vec<Effect> {
        self.gen_max = if value.is_finite() && value >= 1.0 {
            (value as usize).min(MAX_GENERATED)
        } else {
            DEFAULT_RUN
        };
        Vec::new()
    }

    /// Step: one token more. Run: as many as the Tokens field says.
    pub(super) fn generate_more(&mut self, run: bool) -> Vec<Effect> {
        self.gen_steps = if run {
            self.gen_max
        } else {
            self.gen_steps + 1
        };
        self.request_generation()
    }

    /// Asks the worker for the first `gen_steps` tokens of the continuation of A.
    pub(super) fn request_generation(&mut self) -> Vec<Effect> {
        if self.gen_steps == 0 || self.facts.is_none() {
            return Vec::new();
        }
        self.requests.generating = true;
        vec![
            Effect::Send(Request::Generate {
                seq: self.requests.seq,
                text: self.state.a.clone(),
                max_tokens: self.gen_steps,
                temperature: self.state.temperature,
                top_k: self.state.top_k,
                top_p: self.state.top_p,
                seed: self.state.seed,
                layer: self.state.layer,
                head: self.state.head,
            }),
            Effect::Render,
        ]
    }

    pub(super) fn reset_generation(&mut self) {
        self.gen_steps = 0;
        self.generation = None;
    }
}
