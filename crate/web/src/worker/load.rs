//! The worker's loading job: fetches a model's three files with progress, builds the
//! model, and keeps the previous one answering until the new one is ready (or fails).

use tokenscope_core::tensors::parameter_count;
use tokenscope_core::{Model, Precision};

use super::compute::{ready, Session};
use super::wasm::{post, Loaded, State};
use crate::fetch::fetch_bytes;
use crate::protocol::{LoadStep, Reply};

/// Loads in the background; the previous model keeps answering until the new one is
/// ready, and stays if the new one fails.
pub fn start_load(state: &State, name: String, urls: [String; 3]) {
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match load(&urls, &name).await {
            Ok(loaded) => {
                post(&Reply::Ready(ready(
                    &loaded.name,
                    &loaded.model,
                    crate::memory_bytes(),
                )));
                state.borrow_mut().loaded = Some(loaded);
            }
            Err(message) => post(&Reply::Error { seq: None, message }),
        }
    });
}

/// `urls`: config.json, tokenizer.json, model.safetensors, in that order.
async fn load(urls: &[String; 3], name: &str) -> Result<Loaded, String> {
    const FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];
    let mut files = Vec::with_capacity(FILES.len());
    for (index, file) in FILES.iter().enumerate() {
        let step = LoadStep::File(file.to_string());
        post(&Reply::Progress {
            fraction: index as f64 / FILES.len() as f64,
            step: step.clone(),
        });
        let mut last_posted = 0.0;
        let bytes = fetch_bytes(&urls[index], |got, total| {
            let part = if total > 0 {
                got as f64 / total as f64
            } else {
                0.0
            };
            let fraction = (index as f64 + part) / FILES.len() as f64;
            // A percent at a time: a message per network chunk would flood the page.
            if fraction - last_posted >= 0.01 {
                last_posted = fraction;
                post(&Reply::Progress {
                    fraction,
                    step: step.clone(),
                });
            }
        })
        .await?;
        files.push(bytes);
    }
    post(&Reply::Progress {
        fraction: 1.0,
        step: LoadStep::Preparing,
    });
    // Only checkpoints too big for f32 in wasm32 are held in f16 (see Precision).
    let precision = Precision::for_parameters(parameter_count(&files[2]).unwrap_or(0));
    let model = Model::from_bytes_with(&files[0], &files[2], &files[1], precision)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(Loaded {
        name: name.to_string(),
        model,
        session: Session::default(),
    })
}
