//! The page's side of the Tokenizers view: asking the worker for sentence A cut every way
//! (once per pair of texts, while the view is shown), and the token whose building steps
//! the view shows (`piece=gpt2.3` in the link: a tokenizer's name and a token's index).

use super::replies::send_once;
use super::{Effect, PageModel};
use crate::protocol::{Level, Request, TokenizerRow, TokenizersAsk, TokenizersData};

impl PageModel {
    pub fn tokenizers_ask(&self) -> TokenizersAsk {
        TokenizersAsk {
            a: self.state.a.clone(),
            b: self.state.b.clone(),
        }
    }

    /// The rows, if they are of the sentences on screen.
    pub fn current_tokenizers(&self) -> Option<&TokenizersData> {
        let ask = self.tokenizers_ask();
        self.tokenizers.as_ref().filter(|t| t.ask == ask)
    }

    pub(super) fn on_tokenizers(&mut self, data: TokenizersData) -> Vec<Effect> {
        if data.ask != self.tokenizers_ask() {
            return Vec::new();
        }
        self.tokenizers = Some(data);
        vec![Effect::Render]
    }

    /// Asks while the view is shown, once per pair of texts.
    pub(super) fn tokenizers_due(&mut self) -> Option<Effect> {
        if !self.needs().tokenizers || self.facts.is_none() || self.current_tokenizers().is_some() {
            return None;
        }
        let ask = self.tokenizers_ask();
        send_once(
            &mut self.requests.tokenizers_asked,
            ask,
            Request::Tokenizers,
        )
    }

    /// The picked token: its row and index, when the rows on screen have it.
    pub fn picked_piece(&self) -> Option<(usize, &TokenizerRow, usize)> {
        let (name, index) = self.state.piece.as_deref()?.split_once('.')?;
        let level = Level::from_name(name)?;
        let index: usize = index.parse().ok()?;
        let rows = &self.current_tokenizers()?.rows;
        let (r, row) = rows
            .iter()
            .enumerate()
            .find(|(_, row)| row.level == level)?;
        (index < row.row.tokens.len()).then_some((r, row, index))
    }

    /// A click on a token of the chart: show how it was built (again: hide it).
    pub(super) fn pick_piece(&mut self, row: usize, token: usize) -> Vec<Effect> {
        let Some(level) = self
            .current_tokenizers()
            .and_then(|t| t.rows.get(row))
            .map(|r| r.level)
        else {
            return Vec::new();
        };
        let piece = format!("{}.{token}", level.name());
        self.state.piece = (self.state.piece.as_deref() != Some(piece.as_str())).then_some(piece);
        vec![Effect::Render]
    }
}
