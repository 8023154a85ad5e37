//! Which model the page shows and how it gets there: the embedded ones, a folder on this
//! site, files a person opened, a restarted worker; a load that fails keeps the old model.

use super::{hosted_folder, Effect, FolderError, Msg, PageModel};
use crate::protocol::Request;
use tokenscope_core::checkpoint::{INDEX_FILE, SINGLE_FILE};
use tokenscope_core::train::record::TrainingRecord;

/// The default model, embedded in the page.
pub const MODEL_FOLDER: &str = "models/all-MiniLM-L6-v2";
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// The GPT trained by this project (`tokenscope train`), for the next-token and generate
/// views; loaded like a site folder.
pub const GPT_FOLDER: &str = "models/tokenscope-gpt";

/// The models that ship with the page: the folder (None: the default) and its label.
pub const EMBEDDED_MODELS: [(Option<&str>, &str); 2] = [
    (None, "all-MiniLM-L6-v2 · BERT"),
    (Some(GPT_FOLDER), "tokenscope-gpt · GPT-2"),
];

/// Crashes in a row (within a minute) after which the page stops restarting the worker.
const MAX_RESTARTS: usize = 3;

/// Where a model load stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loading {
    /// A load was asked for and not answered yet.
    pub in_progress: bool,
    /// The download's progress while the bar shows, 0..=1.
    pub progress: Option<f64>,
    /// The site folder being loaded (None: embedded model or opened files); it becomes
    /// the link's `model` once that model is ready.
    pub requested_folder: Option<String>,
    /// A load error to keep on screen after the fallback model is ready.
    pub notice: Option<String>,
    /// Why the worker was restarted, shown once its model is ready again.
    pub restart_notice: Option<String>,
    /// When the worker was restarted (ms since the epoch), to stop after repeated crashes.
    pub restarts: Vec<f64>,
    /// The worker is being restarted: the page waits for its model.
    pub restarting: bool,
    /// blob: URLs of files the user opened, released once the worker has read them.
    pub blob_urls: Vec<String>,
    /// The Train view's run is becoming the model, with this record for the learning view.
    pub pending_trained_record: Option<Option<TrainingRecord>>,
}

impl Loading {
    /// The page has just started: its worker will announce itself, then load.
    pub fn starting() -> Self {
        Loading {
            in_progress: true,
            ..Loading::default()
        }
    }
}

/// A model folder's files, opened or dropped, as blob: URLs the worker can fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct ChosenFiles {
    /// The folder they came from, when a whole folder was picked.
    pub folder: Option<String>,
    pub config: String,
    pub tokenizer: String,
    /// (file name, URL): one safetensors file, or the index and every shard opened with it.
    pub weights: Vec<(String, String)>,
}

/// Which of the given files (name, path in a picked folder) make a model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFiles {
    pub config: usize,
    pub tokenizer: usize,
    /// `model.safetensors` (else any one .safetensors file); or, when the index is among the
    /// files, the index first and then every .safetensors file (the worker takes the shards
    /// the index names and says which one is missing).
    pub weights: Vec<usize>,
    /// The picked folder's name.
    pub folder: Option<String>,
}

/// Finds a model's files by name among those opened, or lists the ones that are missing.
pub fn choose_model_files(files: &[(String, String)]) -> Result<ModelFiles, Vec<&'static str>> {
    let find = |name: &str| files.iter().position(|(n, _)| n == name);
    let safetensors: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].0.ends_with(".safetensors"))
        .collect();
    let weights = match find(INDEX_FILE) {
        Some(index) => Some(std::iter::once(index).chain(safetensors).collect()),
        None => find(SINGLE_FILE)
            .or_else(|| safetensors.first().copied())
            .map(|i| vec![i]),
    };
    let (config, tokenizer) = (find("config.json"), find("tokenizer.json"));
    let missing: Vec<&'static str> = [
        ("config.json", config.is_some()),
        ("tokenizer.json", tokenizer.is_some()),
        (SINGLE_FILE, weights.is_some()),
    ]
    .into_iter()
    .filter(|(_, found)| !found)
    .map(|(name, _)| name)
    .collect();
    let (Some(config), Some(tokenizer), Some(weights)) = (config, tokenizer, weights) else {
        return Err(missing);
    };
    let folder = files.iter().find_map(|(_, path)| {
        let (dir, _) = path.rsplit_once('/')?;
        Some(dir.rsplit('/').next().unwrap_or(dir).to_string())
    });
    Ok(ModelFiles {
        config,
        tokenizer,
        weights,
        folder,
    })
}

impl PageModel {
    pub(super) fn on_model_msg(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::PickModel(value) => {
                // The "your model" entry only names what is loaded; it loads nothing.
                match EMBEDDED_MODELS
                    .iter()
                    .find(|(folder, _)| folder.unwrap_or("") == value)
                {
                    Some((folder, _)) => self.load_folder(folder.map(String::from)),
                    None => Vec::new(),
                }
            }
            Msg::UseGpt => self.load_folder(Some(GPT_FOLDER.to_string())),
            Msg::FolderTyped(text) => {
                self.folder_text = text;
                Vec::new()
            }
            Msg::LoadTypedFolder => self.load_typed_folder(),
            Msg::OpenFiles(files) => self.load_files(files),
            Msg::FilesMissing(missing) => {
                // The current model stays; only the message changes.
                let text = format!("{} {}", self.t("missing-files"), missing.join(", "));
                self.set_status(text, true);
                vec![Effect::Render]
            }
            Msg::FilesUnreadable => {
                self.set_status(self.t("files-unreadable"), true);
                vec![Effect::Render]
            }
            Msg::WorkerFailed { reason, now_ms } => self.worker_failed(&reason, now_ms),
            Msg::NoWorker => {
                self.load.in_progress = false;
                self.load.restarting = false;
                self.set_status(self.t("no-worker"), true);
                vec![Effect::Render]
            }
            Msg::TrainingRecord { folder, result } => self.on_training_record(folder, result),
            _ => Vec::new(),
        }
    }

    /// Asks the worker for a model folder on this site (or the embedded one with `None`).
    pub(super) fn load_folder(&mut self, folder: Option<String>) -> Vec<Effect> {
        let request = Self::load_request(&folder);
        self.load.progress = Some(0.0);
        self.load.requested_folder = folder;
        self.load.notice = None;
        self.load.in_progress = true;
        vec![Effect::Send(request), Effect::Render]
    }

    /// The address typed into the folder field, checked to be on this site, then loaded.
    fn load_typed_folder(&mut self) -> Vec<Effect> {
        match hosted_folder(&self.folder_text, &self.origin) {
            Ok(folder) => self.load_folder(Some(folder)),
            Err(FolderError::Empty) => {
                self.set_status(self.t("model-url-empty"), true);
                vec![Effect::Render]
            }
            Err(FolderError::NotThisSite) => {
                let text = format!("{} {}", self.t("model-url-foreign"), self.origin);
                self.set_status(text, true);
                vec![Effect::Render]
            }
        }
    }

    /// The user's own model, as blob: URLs the worker streams with the same progress as
    /// the embedded model.
    fn load_files(&mut self, files: ChosenFiles) -> Vec<Effect> {
        let name = files
            .folder
            .clone()
            .unwrap_or_else(|| self.t("your-model").to_string());
        let mut effects = self.revoke_blobs();
        self.load.blob_urls = [files.config.clone(), files.tokenizer.clone()]
            .into_iter()
            .chain(files.weights.iter().map(|(_, url)| url.clone()))
            .collect();
        self.load.progress = Some(0.0);
        self.load.requested_folder = None;
        self.load.notice = None;
        self.load.in_progress = true;
        effects.push(Effect::Send(Request::LoadUrls {
            name,
            config: files.config,
            tokenizer: files.tokenizer,
            weights: files.weights,
        }));
        effects.push(Effect::Render);
        effects
    }

    /// The worker has read (or failed to read) the opened files: free their memory.
    pub(super) fn revoke_blobs(&mut self) -> Vec<Effect> {
        let urls = std::mem::take(&mut self.load.blob_urls);
        if urls.is_empty() {
            Vec::new()
        } else {
            vec![Effect::RevokeUrls(urls)]
        }
    }

    /// The worker failed: its model and any training run can no longer be trusted. A fresh
    /// worker announces itself with `Started`, which reloads the page's model; the sentences
    /// live in the page, so they survive. After three crashes in a minute the page stops.
    fn worker_failed(&mut self, reason: &str, now_ms: f64) -> Vec<Effect> {
        self.requests.analysis_in_flight = false;
        self.requests.analysis_dirty = false;
        self.requests.generating = false;
        self.load.restarts.retain(|&at| now_ms - at < 60_000.0);
        if self.load.restarts.len() >= MAX_RESTARTS {
            let text = format!(
                "{} {reason} — {}",
                self.t("worker-failed"),
                self.t("worker-gave-up")
            );
            self.load.restarting = false;
            self.load.in_progress = false;
            self.set_status(text, true);
            return vec![Effect::Render];
        }
        self.load.restarts.push(now_ms);
        self.generation = None;
        self.gen_steps = 0;
        self.train.lose_run();
        self.load.pending_trained_record = None;
        self.load.restarting = true;
        let notice = format!(
            "{} {reason} — {}",
            self.t("worker-failed"),
            self.t("worker-restarted")
        );
        self.set_status(notice.clone(), true);
        self.load.restart_notice = Some(notice);
        vec![Effect::RestartWorker, Effect::Render]
    }

    /// The model picker's entries (value, label) and the chosen value: the embedded models,
    /// plus one naming the loaded model when it is the user's own.
    pub fn model_choices(&self) -> (Vec<(String, String)>, String) {
        let folder = self.state.model.as_deref();
        let name = self.facts.as_ref().map_or(MODEL_NAME, |f| f.name.as_str());
        let mut options: Vec<(String, String)> = EMBEDDED_MODELS
            .iter()
            .map(|(f, label)| (f.unwrap_or("").to_string(), label.to_string()))
            .collect();
        let chosen = EMBEDDED_MODELS
            .iter()
            .find(|(f, _)| *f == folder && (folder.is_some() || name == MODEL_NAME))
            .map(|(f, _)| f.unwrap_or("").to_string());
        match chosen {
            Some(value) => (options, value),
            None => {
                options.push(("own".into(), name.to_string()));
                (options, "own".into())
            }
        }
    }
}
