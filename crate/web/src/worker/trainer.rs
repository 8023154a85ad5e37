//! Training in the page: a small GPT learned in the worker from a text, a step at a time,
//! and what the Train view watches as it learns (a sample, word-pair cosines, one head).
//! No web types, so it is tested natively.

use tokenscope_core::analysis::cosine;
use tokenscope_core::config::Gpt2Config;
use tokenscope_core::corpus::{encode_lines, train_tokenizer, vocab_size};
use tokenscope_core::generate::{generate, Sampling};
use tokenscope_core::optim::AdamWSettings;
use tokenscope_core::train::record::{RecordSettings, TrainingRecord};
use tokenscope_core::train::{thin_history, Gpt2Params, TrainingRun, TrainingSettings};
use tokenscope_core::Model;

use crate::protocol::{LossPoint, PairCosine, TrainFacts, TrainSetup, TrainSnapshot, TrainWatch};
use crate::zip::zip_stored;

/// Bounds that keep a run inside a browser tab's memory and patience. (lowest, highest)
pub const VOCAB: (usize, usize) = (257, 8192);
pub const LAYERS: (usize, usize) = (1, 8);
pub const HEADS: (usize, usize) = (1, 8);
pub const WIDTH: (usize, usize) = (8, 256);
pub const CONTEXT: (usize, usize) = (8, 256);
pub const BATCH: (usize, usize) = (1, 64);
pub const STEPS: (usize, usize) = (1, 100_000);
/// The largest text a run learns from, in bytes.
pub const MAX_CORPUS_BYTES: usize = 8 << 20;
/// Tokens a sample adds after its prompt.
const SAMPLE_TOKENS: usize = 32;
/// Samples are drawn, not greedy: a small model's greedy text loops on one word, which
/// hides how much it knows. A fixed seed makes samples of different steps comparable.
const SAMPLE_TEMPERATURE: f64 = 0.8;
const SAMPLE_SEED: u64 = 0;
/// Points in a downloaded training.json.
const RECORD_POINTS: usize = 500;

/// A run and what it learns from.
pub struct Trainer {
    pub run: TrainingRun,
    config: Gpt2Config,
    tokenizer_json: Vec<u8>,
    pub facts: TrainFacts,
    /// History points already sent to the page.
    reported: usize,
}

fn check(name: &str, value: usize, (lo, hi): (usize, usize)) -> Result<(), String> {
    if value < lo || value > hi {
        return Err(format!("{name} must be from {lo} to {hi} (got {value})"));
    }
    Ok(())
}

impl Trainer {
    /// Learns a tokenizer from the text, holds out its last tenth, and starts a model from
    /// random weights.
    pub fn new(setup: &TrainSetup) -> Result<Self, String> {
        check("the vocabulary", setup.vocab, VOCAB)?;
        check("layers", setup.layers, LAYERS)?;
        check("heads", setup.heads, HEADS)?;
        check("the width", setup.width, WIDTH)?;
        check("the context", setup.context, CONTEXT)?;
        check("the batch", setup.batch, BATCH)?;
        check("steps", setup.steps, STEPS)?;
        if !setup.width.is_multiple_of(setup.heads) {
            return Err(format!(
                "the width ({}) must divide evenly among the heads ({})",
                setup.width, setup.heads
            ));
        }
        if !(setup.learning_rate.is_finite()
            && setup.learning_rate > 0.0
            && setup.learning_rate <= 1.0)
        {
            return Err(format!(
                "the learning rate must be above 0 and at most 1 (got {})",
                setup.learning_rate
            ));
        }
        if setup.corpus.len() > MAX_CORPUS_BYTES {
            return Err(format!(
                "the text is {} MB; the page trains on at most {} MB",
                setup.corpus.len() >> 20,
                MAX_CORPUS_BYTES >> 20
            ));
        }
        let lines: Vec<String> = setup
            .corpus
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        if lines.is_empty() {
            return Err("the text is empty: paste or drop some text, or use the sample".into());
        }
        let tokenizer_json = train_tokenizer(&lines, setup.vocab).map_err(|e| e.to_string())?;
        let ids = encode_lines(&tokenizer_json, &lines).map_err(|e| e.to_string())?;
        let window = setup.context + 1;
        // The last tenth is held out, but never less than one window.
        let held_out = (ids.len() / 10).max(window);
        if ids.len() < held_out + window {
            return Err(format!(
                "the text has {} tokens; training with a context of {} needs at least {} \
                 (a window to learn from and one held out): add text or lower the context",
                ids.len(),
                setup.context,
                2 * window
            ));
        }
        let (train_ids, held_out_ids) = ids.split_at(ids.len() - held_out);
        let vocab_size = vocab_size(&tokenizer_json).map_err(|e| e.to_string())?;
        let config = Gpt2Config::for_training(
            vocab_size,
            setup.width,
            setup.layers,
            setup.heads,
            setup.context,
        );
        let params = Gpt2Params::init(&config, setup.seed).map_err(|e| e.to_string())?;
        let settings = TrainingSettings {
            batch: setup.batch,
            seq: setup.context,
            steps: setup.steps,
            learning_rate: setup.learning_rate,
            min_learning_rate: setup.learning_rate / 10.0,
            warmup: (setup.steps / 10).min(100),
            max_grad_norm: 1.0,
            adamw: AdamWSettings::default(),
            eval_every: setup.sample_every.max(1),
            eval_batches: 2,
            seed: setup.seed,
        };
        let facts = TrainFacts {
            corpus_name: setup.corpus_name.clone(),
            corpus_lines: lines.len(),
            vocab_size,
            parameters: params.len(),
            training_tokens: train_ids.len(),
            held_out_tokens: held_out_ids.len(),
            steps: setup.steps,
            batch: setup.batch,
            context: setup.context,
            layers: setup.layers,
            heads: setup.heads,
            width: setup.width,
            learning_rate: setup.learning_rate,
            sample_every: setup.sample_every.max(1),
        };
        let run = TrainingRun::new(params, train_ids.to_vec(), held_out_ids.to_vec(), settings)
            .map_err(|e| e.to_string())?;
        Ok(Trainer {
            run,
            config,
            tokenizer_json,
            facts,
            reported: 0,
        })
    }

    /// One optimiser step.
    pub fn step(&mut self) -> Result<(), String> {
        self.run.train_step().map(|_| ()).map_err(|e| e.to_string())
    }

    pub fn finished(&self) -> bool {
        self.run.finished()
    }

    /// Loss points not yet sent to the page.
    pub fn new_points(&mut self) -> Vec<LossPoint> {
        let points = self.run.history[self.reported.min(self.run.history.len())..].to_vec();
        self.reported = self.run.history.len();
        points
    }

    /// Every point so far (for a page that lost them).
    pub fn rewind(&mut self) {
        self.reported = 0;
    }

    /// The model as it is now, as the inference path loads any GPT-2 folder.
    pub fn model(&self) -> Result<Model, String> {
        let weights = self
            .run
            .params
            .to_safetensors()
            .map_err(|e| e.to_string())?;
        Model::from_bytes(
            self.config.to_json().as_bytes(),
            &weights,
            &self.tokenizer_json,
        )
        .map_err(|e| e.to_string())
    }

    /// The model at this step: a sample after the prompt, the word pairs' cosines and the
    /// probe's attention at one head.
    pub fn snapshot(&self, watch: &TrainWatch) -> Result<TrainSnapshot, String> {
        let model = self.model()?;
        let context = self.config.n_positions;
        let sample = if watch.prompt.trim().is_empty() {
            String::new()
        } else {
            let prompt_tokens = model
                .tokenize(&watch.prompt, None)
                .map_err(|e| e.to_string())?
                .ids
                .len();
            if prompt_tokens >= context {
                return Err(format!(
                    "the prompt is {prompt_tokens} tokens; this model sees {context}: shorten it"
                ));
            }
            let sampling = Sampling {
                temperature: SAMPLE_TEMPERATURE,
                top_k: 0,
                top_p: 1.0,
                seed: SAMPLE_SEED,
            };
            let max_tokens = SAMPLE_TOKENS.min(context - prompt_tokens);
            let run = generate(&model, &watch.prompt, max_tokens, &sampling, 1)
                .map_err(|e| e.to_string())?;
            model
                .tokenizer
                .decode(&run.generated_ids)
                .map_err(|e| e.to_string())?
        };
        let pairs = watch
            .pairs
            .iter()
            .map(|(a, b)| {
                let (va, na) = word_vector(&model, a);
                let (vb, nb) = word_vector(&model, b);
                PairCosine {
                    a: a.clone(),
                    b: b.clone(),
                    cosine: va.zip(vb).map(|(va, vb)| cosine(va.view(), vb.view())),
                    tokens: (na, nb),
                }
            })
            .collect();
        let layer = watch.layer.min(self.config.n_layer - 1);
        let head = watch.head.min(self.config.n_head - 1);
        let (probe_tokens, attention) = if watch.probe.trim().is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let mut ids = model
                .tokenize(&watch.probe, None)
                .map_err(|e| e.to_string())?
                .ids;
            ids.truncate(context);
            let trace = model
                .trace_tokens(model.tokens_from_ids(&ids))
                .map_err(|e| e.to_string())?;
            let attention = trace.layers[layer]
                .attention
                .slice(ndarray::s![head, .., ..])
                .iter()
                .copied()
                .collect(); // (S, S)
            let tokens = ids
                .iter()
                .map(|&id| model.tokenizer.id_to_token(id).unwrap_or_default())
                .collect();
            (tokens, attention)
        };
        Ok(TrainSnapshot {
            step: self.run.step,
            prompt: watch.prompt.clone(),
            sample,
            pairs,
            probe_tokens,
            layer,
            head,
            attention,
        })
    }

    /// The trained model as a zip of a Hugging Face folder: config.json,
    /// model.safetensors (F32), tokenizer.json, and training.json with the loss curve.
    pub fn folder_zip(&self, folder: &str, seconds: f64) -> Result<Vec<u8>, String> {
        let weights = self
            .run
            .params
            .to_safetensors()
            .map_err(|e| e.to_string())?;
        let record = self.record(seconds)?;
        let config = self.config.to_json();
        let files: [(&str, &[u8]); 4] = [
            ("config.json", config.as_bytes()),
            ("model.safetensors", &weights),
            ("tokenizer.json", &self.tokenizer_json),
            ("training.json", record.as_bytes()),
        ];
        let named: Vec<(String, &[u8])> = files
            .iter()
            .map(|(name, bytes)| (format!("{folder}/{name}"), *bytes))
            .collect();
        Ok(zip_stored(&named))
    }

    /// training.json in the shape `tokenscope train` writes, so the learning view reads it.
    pub fn record(&self, seconds: f64) -> Result<String, String> {
        let held_out_loss = match self.run.history.iter().rev().find_map(|p| p.held_out_loss) {
            Some(loss) => loss,
            None => self.run.held_out_loss().map_err(|e| e.to_string())?,
        };
        let record = TrainingRecord {
            corpus: self.facts.corpus_name.clone(),
            training_lines: Some(self.facts.corpus_lines),
            held_out: Some("the last tenth of the text's tokens".into()),
            training_tokens: self.facts.training_tokens,
            held_out_tokens: self.facts.held_out_tokens,
            vocab_size: self.facts.vocab_size,
            parameters: self.facts.parameters,
            settings: RecordSettings {
                steps_taken: Some(self.run.step),
                ..RecordSettings::from_settings(&self.run.settings)
            },
            held_out_loss,
            held_out_perplexity: held_out_loss.exp(),
            seconds,
            trained_in: Some("the TokenScope page (WebAssembly worker)".into()),
            history: thin_history(&self.run.history, RECORD_POINTS),
            ..TrainingRecord::default()
        };
        record.to_json()
    }
}

/// A word's vector in the model's embedding table: its row, or the mean of its tokens'
/// rows, as it appears after a space (mid-sentence). (C), and how many tokens it is.
fn word_vector(model: &Model, word: &str) -> (Option<ndarray::Array1<f32>>, usize) {
    let word = word.trim();
    if word.is_empty() {
        return (None, 0);
    }
    let Ok(tokens) = model.tokenize(&format!(" {word}"), None) else {
        return (None, 0);
    };
    let rows: Vec<ndarray::Array1<f32>> = tokens
        .ids
        .iter()
        .filter_map(|&id| model.embedding_of(id))
        .collect();
    let count = rows.len();
    let mean = rows
        .into_iter()
        .reduce(|sum, row| sum + row)
        .map(|sum| sum / count as f32);
    (mean, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(corpus: &str) -> TrainSetup {
        TrainSetup {
            corpus: corpus.into(),
            corpus_name: "test".into(),
            vocab: 300,
            layers: 1,
            heads: 2,
            width: 16,
            context: 16,
            batch: 4,
            steps: 40,
            learning_rate: 1e-2,
            sample_every: 10,
            seed: 1,
        }
    }

    fn text() -> String {
        let mut text = String::new();
        for animal in ["cat", "dog", "bird", "fish"] {
            for place in ["garden", "house", "park"] {
                text.push_str(&format!("the {animal} sleeps in the {place} all day\n"));
            }
        }
        text.repeat(4)
    }

    #[test]
    fn a_run_learns_and_its_folder_loads_back() {
        let mut trainer = Trainer::new(&setup(&text())).expect("starts");
        let watch = TrainWatch {
            prompt: "the cat".into(),
            pairs: vec![("cat".into(), "dog".into()), ("cat".into(), "".into())],
            probe: "the dog sleeps in the park".into(),
            layer: 5,
            head: 1,
        };
        let before = trainer.snapshot(&watch).expect("snapshot");
        assert_eq!(before.step, 0);
        assert_eq!(
            (before.layer, before.head),
            (0, 1),
            "layer clamped to the model"
        );
        let s = before.probe_tokens.len();
        assert_eq!(before.attention.len(), s * s);
        for row in before.attention.chunks(s) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        assert!(before.pairs[0]
            .cosine
            .is_some_and(|c| (-1.0..=1.0).contains(&c)));
        assert_eq!(before.pairs[1].cosine, None, "an empty word has no vector");
        while !trainer.finished() {
            trainer.step().expect("steps");
        }
        let points = trainer.new_points();
        assert_eq!(points.len(), 40);
        assert!(trainer.new_points().is_empty(), "points are sent once");
        let held: Vec<f32> = points.iter().filter_map(|p| p.held_out_loss).collect();
        assert_eq!(held.len(), 4, "held-out loss at every sample");
        assert!(
            held[3] < held[0] - 0.5,
            "held-out loss falls on repetitive text: {held:?}"
        );
        let after = trainer.snapshot(&watch).expect("snapshot");
        assert_eq!(after.step, 40);
        assert!(!after.sample.is_empty());
        // The zip holds a folder the inference path loads, and the record the learning
        // view reads.
        let zip = trainer.folder_zip("trained", 12.5).expect("zips");
        let files = crate::zip::tests::read_stored(&zip);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "trained/config.json",
                "trained/model.safetensors",
                "trained/tokenizer.json",
                "trained/training.json"
            ]
        );
        let model = Model::from_bytes(&files[0].1, &files[1].1, &files[2].1).expect("loads");
        let ours = trainer.model().expect("model");
        let a = model.trace("the cat sleeps", None).expect("runs");
        let b = ours.trace("the cat sleeps", None).expect("runs");
        assert_eq!(a.layers[0].attention, b.layers[0].attention);
        let record =
            tokenscope_core::train::record::TrainingRecord::parse(&files[3].1).expect("parses");
        assert_eq!(record.history.last().map(|p| p.step), Some(40));
        assert_eq!(record.parameters, trainer.facts.parameters);
        assert!((record.seconds - 12.5).abs() < 1e-9);
    }

    #[test]
    fn bad_settings_and_short_texts_are_refused_with_a_reason() {
        let cases = [
            (
                TrainSetup {
                    width: 18,
                    heads: 4,
                    ..setup(&text())
                },
                "divide evenly",
            ),
            (
                TrainSetup {
                    vocab: 100,
                    ..setup(&text())
                },
                "vocabulary must be from 257",
            ),
            (
                TrainSetup {
                    learning_rate: f32::NAN,
                    ..setup(&text())
                },
                "learning rate",
            ),
            (setup("   \n\n "), "the text is empty"),
            (setup("just a few words"), "needs at least 34"),
            (
                TrainSetup {
                    context: 1000,
                    ..setup(&text())
                },
                "context must be from 8 to 256",
            ),
        ];
        for (setup, expected) in cases {
            match Trainer::new(&setup) {
                Ok(_) => panic!("accepted {expected}"),
                Err(message) => assert!(message.contains(expected), "{message}"),
            }
        }
    }

    #[test]
    fn a_prompt_longer_than_the_context_is_named() {
        let trainer = Trainer::new(&setup(&text())).expect("starts");
        let watch = TrainWatch {
            prompt: "the cat sleeps in the garden all day ".repeat(4),
            ..TrainWatch::default()
        };
        let message = trainer.snapshot(&watch).expect_err("too long");
        assert!(message.contains("this model sees 16"), "{message}");
    }
}
