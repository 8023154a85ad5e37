//! The page's side of the ablation scan: which scan the shown ablation view needs (the
//! selected token's text and position), asking for it once, and keeping the worker's
//! progress replies while they still match what is on screen.

use super::replies::send_once;
use super::{Effect, PageModel};
use crate::protocol::{Request, ScanAsk, ScanData, SentenceKey};

impl PageModel {
    /// The scan the selected token calls for: its sentence's text (A and B for a pair
    /// token) and its position there.
    pub fn scan_ask(&self) -> Option<ScanAsk> {
        let chip = self.selected_chip()?;
        let (text, pair) = match chip.source {
            SentenceKey::A => (self.state.a.clone(), None),
            SentenceKey::B => (self.state.b.clone(), None),
            SentenceKey::Pair => (self.state.a.clone(), Some(self.state.b.clone())),
        };
        Some(ScanAsk {
            text,
            pair,
            position: chip.index,
        })
    }

    /// The scan so far, if it is of the selected token and its text.
    pub fn current_scan(&self) -> Option<&ScanData> {
        let ask = self.scan_ask()?;
        self.scan.as_ref().filter(|s| s.ask == ask)
    }

    /// A slice of the scan arrived; one for a token no longer selected is dropped.
    pub(super) fn on_scan(&mut self, data: ScanData) -> Vec<Effect> {
        if self.scan_ask().as_ref() != Some(&data.ask) {
            return Vec::new();
        }
        self.scan = Some(data);
        vec![Effect::Render]
    }

    /// Asks for the scan while the ablation view is shown, once per text and position. The
    /// worker answers in slices, and the next ask replaces a scan under way.
    pub(super) fn scan_due(&mut self) -> Option<Effect> {
        if !self.needs().scan
            || self.requests.analysis_in_flight
            || self.analysis.is_none()
            || self.current_scan().is_some()
        {
            return None;
        }
        let ask = self.scan_ask()?;
        send_once(&mut self.requests.scan_asked, ask, Request::Scan)
    }
}
