//! The worker's loading job: fetches a model's files with progress (config, tokenizer, and
//! one `model.safetensors` or an index and its shards), builds the model, and keeps the
//! previous one answering until the new one is ready (or fails).

use tokenscope_core::checkpoint::{shard_names, Checkpoint, INDEX_FILE, SINGLE_FILE};
use tokenscope_core::{Model, Precision};

use super::compute::{ready, Session};
use super::wasm::{post, Loaded, State};
use crate::fetch::fetch_bytes;
use crate::protocol::{LoadStep, Reply};

/// Where a model's weight files come from.
pub enum Weights {
    /// Files the user opened, as (file name, blob: URL): one safetensors file, or an index
    /// with the shards it names.
    Files(Vec<(String, String)>),
    /// A folder on this site: `model.safetensors`, else `model.safetensors.index.json` and
    /// the shards it names.
    Folder(String),
}

/// Loads in the background; the previous model keeps answering until the new one is
/// ready, and stays if the new one fails.
pub fn start_load(
    state: &State,
    name: String,
    config: String,
    tokenizer: String,
    weights: Weights,
) {
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match load(&name, &config, &tokenizer, &weights).await {
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

/// Downloads files one after another, posting progress over all of them.
struct Downloads {
    done: usize,
    /// How many files there are in all, as far as is known (an index adds its shards).
    total: usize,
}

impl Downloads {
    async fn fetch(&mut self, file: &str, url: &str) -> Result<Vec<u8>, String> {
        let step = LoadStep::File(file.to_string());
        let (done, total) = (self.done as f64, self.total.max(1) as f64);
        post(&Reply::Progress {
            fraction: done / total,
            step: step.clone(),
        });
        let mut last_posted = 0.0;
        let bytes = fetch_bytes(url, |got, size| {
            let part = if size > 0 {
                got as f64 / size as f64
            } else {
                0.0
            };
            let fraction = (done + part) / total;
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
        self.done += 1;
        Ok(bytes)
    }
}

impl Weights {
    /// Where the file `name` is, if it is among them.
    fn url(&self, name: &str) -> Option<String> {
        match self {
            Weights::Files(files) => files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, url)| url.clone()),
            Weights::Folder(folder) => Some(format!("{folder}/{name}")),
        }
    }
}

/// The weight files as (name, bytes): the single file, or the index first and its shards.
async fn fetch_weights(
    downloads: &mut Downloads,
    weights: &Weights,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let opened_index =
        matches!(weights, Weights::Files(files) if files.iter().any(|(n, _)| n == INDEX_FILE));
    if !opened_index {
        let (name, url) = match weights {
            Weights::Files(files) => files
                .first()
                .cloned()
                .ok_or_else(|| format!("no {SINGLE_FILE} among the files"))?,
            Weights::Folder(folder) => (SINGLE_FILE.to_string(), format!("{folder}/{SINGLE_FILE}")),
        };
        match downloads.fetch(&name, &url).await {
            Ok(bytes) => return Ok(vec![(name, bytes)]),
            // A folder without the single file may hold a sharded checkpoint instead.
            Err(e) if matches!(weights, Weights::Folder(_)) && e.contains("HTTP 404") => {}
            Err(e) => return Err(e),
        }
    }
    let index_url = weights
        .url(INDEX_FILE)
        .ok_or_else(|| format!("no {INDEX_FILE} among the files"))?;
    let index = downloads.fetch(INDEX_FILE, &index_url).await.map_err(|e| {
        match e.contains("HTTP 404") {
            true => format!("no {SINGLE_FILE} in the folder, and {e}"),
            false => e,
        }
    })?;
    let shards = shard_names(&index).map_err(|e| e.to_string())?;
    downloads.total += shards.len();
    let mut files = vec![(INDEX_FILE.to_string(), index)];
    for shard in shards {
        // A shard that was not opened is named by the core when the checkpoint is assembled.
        if let Some(url) = weights.url(&shard) {
            let bytes = downloads.fetch(&shard, &url).await?;
            files.push((shard, bytes));
        }
    }
    Ok(files)
}

async fn load(
    name: &str,
    config_url: &str,
    tokenizer_url: &str,
    weights: &Weights,
) -> Result<Loaded, String> {
    let mut downloads = Downloads { done: 0, total: 3 };
    let config = downloads.fetch("config.json", config_url).await?;
    let tokenizer = downloads.fetch("tokenizer.json", tokenizer_url).await?;
    let files = fetch_weights(&mut downloads, weights).await?;
    post(&Reply::Progress {
        fraction: 1.0,
        step: LoadStep::Preparing,
    });
    let named: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let fail = |e: tokenscope_core::Error| format!("{name}: {e}");
    let checkpoint = match named.iter().find(|(n, _)| *n == INDEX_FILE) {
        Some((_, index)) => Checkpoint::sharded(index, &named).map_err(fail)?,
        None => Checkpoint::single(named.first().map(|(_, b)| *b).unwrap_or_default()),
    };
    // Only checkpoints too big for f32 in wasm32 are held in half precision (see Precision).
    let precision = Precision::for_parameters(checkpoint.parameter_count().unwrap_or(0));
    let model =
        Model::from_checkpoint(&config, &checkpoint, &tokenizer, precision).map_err(fail)?;
    Ok(Loaded {
        name: name.to_string(),
        model,
        session: Session::default(),
        scan: None,
    })
}
