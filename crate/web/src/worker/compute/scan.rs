//! The worker's side of the ablation scan: one job that removes a head per step, shared by
//! the browser worker (which steps it in slices between messages) and the native harness
//! (which runs it through at once).

use tokenscope_core::scan::{AblationScan, ScanMeasure};
use tokenscope_core::Model;

use crate::protocol::{ScanAsk, ScanData, TokenProb};

/// A scan the worker is working through.
pub struct ScanJob {
    pub ask: ScanAsk,
    scan: AblationScan,
    error: Option<String>,
}

fn spelled(model: &Model, (id, prob): (u32, f32)) -> TokenProb {
    TokenProb {
        id,
        token: model.tokenizer.id_to_token(id).unwrap_or_default(),
        prob,
    }
}

impl ScanJob {
    /// Tokenizes the ask's text and runs the full model once; a failure is the answer.
    pub fn begin(model: &Model, ask: ScanAsk) -> Result<ScanJob, Box<ScanData>> {
        let started = model
            .tokenize(&ask.text, ask.pair.as_deref())
            .and_then(|input| AblationScan::new(model, input, ask.position));
        match started {
            Ok(scan) => Ok(ScanJob {
                ask,
                scan,
                error: None,
            }),
            Err(e) => {
                let info = model.info();
                Err(Box::new(ScanData {
                    ask,
                    layers: info.num_layers,
                    heads: info.num_heads,
                    token: String::new(),
                    top: None,
                    effects: Vec::new(),
                    new_tops: Vec::new(),
                    error: Some(e.to_string()),
                }))
            }
        }
    }

    pub fn is_done(&self) -> bool {
        self.error.is_some() || self.scan.is_done()
    }

    /// Removes heads one at a time while `more()` says there is time left (at least one).
    pub fn work(&mut self, model: &Model, mut more: impl FnMut() -> bool) {
        while !self.is_done() {
            if let Err(e) = self.scan.step(model) {
                self.error = Some(e.to_string());
            }
            if !more() {
                break;
            }
        }
    }

    /// The scan so far, for the page.
    pub fn data(&self, model: &Model) -> ScanData {
        let scan = &self.scan;
        ScanData {
            ask: self.ask.clone(),
            layers: scan.layers,
            heads: scan.heads,
            token: scan
                .input()
                .tokens
                .get(scan.position)
                .cloned()
                .unwrap_or_default(),
            top: match scan.measure {
                ScanMeasure::TopToken { id, prob } => Some(spelled(model, (id, prob))),
                ScanMeasure::FinalVector(_) => None,
            },
            effects: scan.cells.iter().map(|c| c.effect).collect(),
            new_tops: scan
                .cells
                .iter()
                .map(|c| c.new_top.map(|t| spelled(model, t)))
                .collect(),
            error: self.error.clone(),
        }
    }
}

/// The whole scan at once (the native harness; the browser worker goes in slices).
pub fn scan_all(model: &Model, ask: ScanAsk) -> ScanData {
    match ScanJob::begin(model, ask) {
        Ok(mut job) => {
            job.work(model, || true);
            job.data(model)
        }
        Err(data) => *data,
    }
}
