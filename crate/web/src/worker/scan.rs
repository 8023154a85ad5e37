//! The worker's ablation-scan loop: removes heads for slices of about 50 ms, posting the
//! heatmap so far after each, so analyses and other requests get in between and the page
//! fills the heatmap as it goes. A new scan replaces the one under way.

use super::compute::scan::ScanJob;
use super::wasm::{now, post, still_loading, yield_now, State};
use crate::protocol::{Reply, ScanAsk};

/// How long the worker scans before it lets the page's messages in.
const SLICE_MS: f64 = 50.0;

pub fn start(state: &State, ask: ScanAsk) {
    {
        let mut worker = state.borrow_mut();
        let Some(loaded) = worker.loaded.as_mut() else {
            post(&still_loading(0));
            return;
        };
        match ScanJob::begin(&loaded.model, ask) {
            Ok(job) => {
                post(&Reply::Scan(job.data(&loaded.model)));
                loaded.scan = Some(job);
            }
            Err(data) => {
                loaded.scan = None;
                post(&Reply::Scan(*data));
                return;
            }
        }
        if worker.scanning {
            return; // the loop under way picks up the new job
        }
        worker.scanning = true;
    }
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            yield_now().await;
            if !slice(&state) {
                break;
            }
        }
        state.borrow_mut().scanning = false;
    });
}

/// Works for one slice and reports; false when there is nothing left to scan.
fn slice(state: &State) -> bool {
    let mut worker = state.borrow_mut();
    let Some(loaded) = worker.loaded.as_mut() else {
        return false;
    };
    let Some(job) = loaded.scan.as_mut() else {
        return false;
    };
    // On the pool the slice runs in another Web Worker: its clock is read there.
    let model = &loaded.model;
    super::threads::run(|| {
        let started = now();
        job.work(model, || now() - started < SLICE_MS);
    });
    post(&Reply::Scan(job.data(&loaded.model)));
    if job.is_done() {
        loaded.scan = None;
        return false;
    }
    true
}
