//! The worker's training job: the Train view's run, stepped in slices of about 100 ms so
//! the worker still hears Pause and the page's analyses, with a snapshot every few steps.

use super::compute::{ready, Session};
use super::trainer::Trainer;
use super::wasm::{now, post, yield_now, Loaded, State};
use crate::protocol::{Reply, TrainCommand, TrainPhase, TrainSnapshot, TrainWatch, TrainingUpdate};

/// How long the worker trains before it lets messages (Pause, an analysis) in.
const SLICE_MS: f64 = 100.0;

/// The Train view's run.
pub struct Training {
    trainer: Trainer,
    watch: TrainWatch,
    phase: TrainPhase,
    /// Milliseconds spent in steps (not paused, not drawing), for tokens/s and the record.
    busy_ms: f64,
    /// The step of the last snapshot sent.
    snapshot_step: usize,
}

impl Training {
    fn tokens_per_second(&self) -> f64 {
        let facts = &self.trainer.facts;
        let tokens = (self.trainer.run.step * facts.batch * facts.context) as f64;
        if self.busy_ms > 0.0 {
            tokens / (self.busy_ms / 1000.0)
        } else {
            0.0
        }
    }

    /// The run's state as one reply, with the points not yet sent.
    fn update(&mut self, snapshot: Option<TrainSnapshot>, error: Option<String>) -> Reply {
        Reply::Training(TrainingUpdate {
            phase: self.phase,
            facts: Some(self.trainer.facts.clone()),
            points: self.trainer.new_points(),
            step: self.trainer.run.step,
            tokens_per_second: self.tokens_per_second(),
            snapshot,
            error,
        })
    }

    /// A snapshot of the model now, or the error that stopped it.
    fn snapshot(&self) -> (Option<TrainSnapshot>, Option<String>) {
        match self.trainer.snapshot(&self.watch) {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        }
    }
}

fn idle(error: Option<String>) -> Reply {
    Reply::Training(TrainingUpdate::idle(error))
}

pub fn command(state: &State, command: TrainCommand) {
    let mut guard = state.borrow_mut();
    let worker = &mut *guard;
    match command {
        TrainCommand::Start { setup, watch } => match Trainer::new(&setup) {
            Ok(trainer) => {
                let mut training = Training {
                    trainer,
                    watch,
                    phase: TrainPhase::Running,
                    busy_ms: 0.0,
                    snapshot_step: 0,
                };
                // Step 0: the random model's sample, cosines and attention.
                let (snapshot, error) = training.snapshot();
                post(&training.update(snapshot, error));
                worker.training = Some(training);
                drop(guard);
                start_loop(state);
            }
            Err(message) => post(&match worker.training.as_mut() {
                Some(training) => training.update(None, Some(message)),
                None => idle(Some(message)),
            }),
        },
        TrainCommand::Resume => {
            if let Some(training) = worker.training.as_mut() {
                if training.phase == TrainPhase::Paused {
                    training.phase = TrainPhase::Running;
                    post(&training.update(None, None));
                    drop(guard);
                    start_loop(state);
                }
            }
        }
        TrainCommand::Pause => {
            if let Some(training) = worker.training.as_mut() {
                if training.phase == TrainPhase::Running {
                    training.phase = TrainPhase::Paused;
                }
                post(&training.update(None, None));
            }
        }
        TrainCommand::Reset => {
            worker.training = None;
            post(&idle(None));
        }
        TrainCommand::Watch(watch) => {
            if let Some(training) = worker.training.as_mut() {
                training.watch = watch;
                let (snapshot, error) = training.snapshot();
                post(&training.update(snapshot, error));
            }
        }
        TrainCommand::Use => use_run(&mut guard),
        TrainCommand::Download => download(&mut guard),
    }
}

/// Makes the run the model every other view draws from.
fn use_run(worker: &mut super::wasm::WorkerState) {
    let Some(training) = worker.training.as_mut() else {
        post(&idle(Some("there is no trained model yet".into())));
        return;
    };
    match training.trainer.model() {
        Ok(model) => {
            let facts = &training.trainer.facts;
            let name = format!(
                "trained here ({}×{}, width {}, step {})",
                facts.layers, facts.heads, facts.width, training.trainer.run.step
            );
            post(&Reply::Ready(ready(&name, &model, crate::memory_bytes())));
            worker.loaded = Some(Loaded {
                name,
                model,
                session: Session::default(),
                scan: None,
            });
        }
        Err(message) => post(&training.update(None, Some(message))),
    }
}

/// The run as a zipped Hugging Face folder, at a blob: URL for the page.
fn download(worker: &mut super::wasm::WorkerState) {
    let Some(training) = worker.training.as_mut() else {
        post(&idle(Some("there is no trained model yet".into())));
        return;
    };
    let folder = format!("tokenscope-trained-step{}", training.trainer.run.step);
    let reply = training
        .trainer
        .folder_zip(&folder, training.busy_ms / 1000.0)
        .and_then(|zip| blob_url(&zip, "application/zip"))
        .map(|url| Reply::TrainDownload {
            url,
            file_name: format!("{folder}.zip"),
        });
    post(&match reply {
        Ok(reply) => reply,
        Err(message) => training.update(None, Some(message)),
    });
}

/// Bytes as a blob: URL the page can download (same origin, so the page may use it).
fn blob_url(bytes: &[u8], mime: &str) -> Result<String, String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser could not make the download".to_string())?;
    web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser could not make the download".to_string())
}

/// Trains in slices of about [`SLICE_MS`], yielding between them.
fn start_loop(state: &State) {
    {
        let mut worker = state.borrow_mut();
        if worker.looping {
            return;
        }
        worker.looping = true;
    }
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        while slice(&state) {
            yield_now().await;
        }
        state.borrow_mut().looping = false;
    });
}

/// Steps for one slice and reports; false when the run is no longer running.
fn slice(state: &State) -> bool {
    let mut worker = state.borrow_mut();
    let Some(training) = worker.training.as_mut() else {
        return false;
    };
    if training.phase != TrainPhase::Running {
        return false;
    }
    let started = now();
    let every = training.trainer.facts.sample_every.max(1);
    let mut error = None;
    loop {
        if let Err(message) = training.trainer.step() {
            training.phase = TrainPhase::Paused;
            error = Some(message);
            break;
        }
        if training.trainer.finished() {
            training.phase = TrainPhase::Finished;
            break;
        }
        // A slice ends at a sample step, so every sample is of its exact step.
        if training.trainer.run.step.is_multiple_of(every) || now() - started >= SLICE_MS {
            break;
        }
    }
    training.busy_ms += now() - started;
    let step = training.trainer.run.step;
    let due = step.is_multiple_of(every) || training.phase == TrainPhase::Finished;
    let snapshot = if due && step != training.snapshot_step {
        training.snapshot_step = step;
        let (snapshot, failed) = training.snapshot();
        error = error.or(failed);
        snapshot
    } else {
        None
    };
    post(&training.update(snapshot, error));
    training.phase == TrainPhase::Running
}
