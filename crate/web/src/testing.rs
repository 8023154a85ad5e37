//! A page model wired to a worker that runs natively: messages go through `page::update`,
//! requests are answered by the worker's own compute code on the real embedded models, and
//! the answers come back as messages, in the order the real worker would send them.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::OnceLock;

use tokenscope_core::Model;

use crate::page::{update, Effect, Lang, Msg, PageModel, PageState};
use crate::protocol::{Reply, Request};
use crate::views::View;
use crate::worker::compute::{answer, ready, Session};
use tokenscope_core::Trace;

fn load(relative: &str) -> Model {
    Model::from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(relative),
    )
    .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The embedded BERT (all-MiniLM-L6-v2).
pub fn minilm() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| load("assets/models/all-MiniLM-L6-v2"))
}

/// The embedded GPT (tokenscope-gpt).
pub fn gpt() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| load("assets/models/tokenscope-gpt"))
}

/// A tiny random llama (tests/reference/fixtures): rotary positions, 8 query heads over
/// 2 key/value heads, an untied head; served as the site folder `models/tiny-llama`.
pub fn tiny_llama() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| load("tests/reference/fixtures/tiny-llama"))
}

/// A page and its native worker.
pub struct Harness {
    pub page: PageModel,
    model: Option<&'static Model>,
    session: Session,
    /// Every effect other than a request, in order.
    pub effects: Vec<Effect>,
    /// Every request the page sent, in order.
    pub sent: Vec<Request>,
    /// Answers held back (while `hold` is on), as a slow worker would.
    pub held: VecDeque<Reply>,
    pub hold: bool,
}

impl Harness {
    /// A page opened with this link, before its worker has started.
    pub fn opened(query: &[(&str, &str)]) -> Self {
        let specs = View::specs();
        let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        let state = PageState::from_query(query.iter().copied(), Lang::En, false, &names);
        Harness {
            page: PageModel::new(state, specs, "http://localhost:8080"),
            model: None,
            session: Session::default(),
            effects: Vec::new(),
            sent: Vec::new(),
            held: VecDeque::new(),
            hold: false,
        }
    }

    /// A page opened with this link, its model loaded and run on the sentences.
    pub fn ready(query: &[(&str, &str)]) -> Self {
        let mut harness = Harness::opened(query);
        harness.send(Msg::Reply(Reply::Started));
        assert!(harness.page.model_ready(), "{:?}", harness.page.status);
        assert!(!harness.page.busy());
        harness
    }

    /// Handles `msg` and everything the worker answers, until nothing is left.
    pub fn send(&mut self, msg: Msg) -> Vec<Effect> {
        let mut queue = VecDeque::from([msg]);
        let mut all = Vec::new();
        while let Some(msg) = queue.pop_front() {
            for effect in update(&mut self.page, msg) {
                match effect {
                    Effect::Send(request) => {
                        self.sent.push(request.clone());
                        if let Some(reply) = self.answer(request) {
                            if self.hold {
                                self.held.push_back(reply);
                            } else {
                                queue.push_back(Msg::Reply(reply));
                            }
                        }
                        all.push(Effect::Send(self.sent[self.sent.len() - 1].clone()));
                    }
                    other => {
                        self.effects.push(other.clone());
                        all.push(other);
                    }
                }
            }
        }
        all
    }

    /// Delivers the held answers (and whatever they lead to).
    pub fn release(&mut self) {
        self.hold = false;
        while let Some(reply) = self.held.pop_front() {
            self.send(Msg::Reply(reply));
        }
    }

    /// The requests sent from now on.
    pub fn sent_since(&self, from: usize) -> &[Request] {
        &self.sent[from..]
    }

    /// The model the worker has loaded.
    pub fn model(&self) -> &'static Model {
        self.model.expect("a model is loaded")
    }

    /// The model's trace of `text`, as the core computes it.
    pub fn trace(&self, text: &str) -> Trace {
        self.model().trace(text, None).expect("traces")
    }

    /// What the worker answers, computed natively on the embedded models by the worker's
    /// own code (training runs in the worker's loop: tests feed its updates by hand).
    fn answer(&mut self, request: Request) -> Option<Reply> {
        Some(match request {
            Request::Load { folder, name } => {
                let model = match folder.as_str() {
                    "models/all-MiniLM-L6-v2" => minilm(),
                    "models/tokenscope-gpt" => gpt(),
                    "models/tiny-llama" => tiny_llama(),
                    other => {
                        return Some(Reply::Error {
                            seq: None,
                            message: format!(
                                "{other}/config.json: HTTP 404 (not found on this site)"
                            ),
                        })
                    }
                };
                self.model = Some(model);
                self.session = Session::default();
                Reply::Ready(ready(&name, model, 0))
            }
            Request::LoadUrls { .. } => Reply::Error {
                seq: None,
                message: "model.safetensors: the file is truncated".into(),
            },
            other => return answer(self.model(), &mut self.session, other),
        })
    }
}
