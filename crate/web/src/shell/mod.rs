//! The thin page shell: the only code that touches the DOM and the worker. It holds the
//! page model, turns events into messages, runs `page::update`, carries out its effects
//! and renders the frame and the shown view.

mod canvas;
mod dom;
mod effects;
mod wire;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use web_sys::{Document, Worker};

use crate::page::{Lang, Msg, PageModel, PageState};
use crate::views::kit::Hit;
use crate::views::View;

/// Loads the worker's wasm (www/worker-loader.js; Trunk names the wasm after its data-bin).
const WORKER_SCRIPT: &str = "./worker-loader.js";

/// The page's state that only the shell holds: the DOM, the worker, and what is on screen.
pub struct Shell {
    document: Document,
    model: PageModel,
    worker: Option<Worker>,
    applied: dom::Applied,
    /// The language the page's HTML words were last written in.
    language: Option<Lang>,
    /// What each painted canvas remembers for the pointer, by canvas name.
    hits: Vec<(&'static str, Hit)>,
    /// A chip to focus once the page is rendered (after ← / →).
    focus: Option<usize>,
}

/// The shell and the messages waiting for it. Handlers can fire while a message is being
/// handled (a click that a download's link makes): they queue, and the loop running takes
/// them, so the shell is never borrowed twice.
pub struct Page {
    shell: RefCell<Shell>,
    queue: RefCell<VecDeque<Msg>>,
    running: Cell<bool>,
}

pub type Shared = Rc<Page>;

/// What a batch of messages asks to redraw.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Redraw {
    Nothing,
    /// The chips' states and the charts.
    Pointer,
    /// The frame and the shown view, charts left as they are.
    Controls,
    /// The frame, the shown view and its charts.
    All,
}

impl Redraw {
    /// What covers both `self` and `other`.
    fn and(self, other: Redraw) -> Redraw {
        match (self, other) {
            (Redraw::Nothing, x) | (x, Redraw::Nothing) => x,
            (a, b) if a == b => a,
            _ => Redraw::All,
        }
    }
}

pub fn start() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let prefers_dark = window
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches());
    let browser_lang = window
        .navigator()
        .language()
        .and_then(|l| Lang::from_code(&l))
        .unwrap_or(Lang::En);
    let search = window.location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let pairs: Vec<(&str, String)> = PageState::KEYS
        .iter()
        .filter_map(|key| Some((*key, params.as_ref()?.get(key)?)))
        .collect();
    let specs = View::specs();
    let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    let state = PageState::from_query(
        pairs.iter().map(|(k, v)| (*k, v.as_str())),
        browser_lang,
        prefers_dark,
        &names,
    );
    let origin = window.location().origin().unwrap_or_default();
    let model = PageModel::new(state, specs, &origin);
    let page: Shared = Rc::new(Page {
        shell: RefCell::new(Shell {
            document,
            model,
            worker: None,
            applied: dom::Applied::default(),
            language: None,
            hits: Vec::new(),
            focus: None,
        }),
        queue: RefCell::new(VecDeque::new()),
        running: Cell::new(false),
    });
    wire::wire(&page);
    effects::start_worker(&page);
    let query = page.shell.borrow().model.query();
    effects::sync_url(query);
    render(&page, Redraw::All);
}

/// Handles `msg`, and every message that arrives meanwhile, then redraws once.
pub fn dispatch(page: &Shared, msg: Msg) {
    page.queue.borrow_mut().push_back(msg);
    if page.running.replace(true) {
        return; // the loop below, further up the stack, takes it
    }
    loop {
        let mut redraw = Redraw::Nothing;
        while let Some(msg) = page.queue.borrow_mut().pop_front() {
            let effects = crate::page::update(&mut page.shell.borrow_mut().model, msg);
            for effect in effects {
                redraw = redraw.and(effects::run(page, effect));
            }
        }
        render(page, redraw);
        if page.queue.borrow().is_empty() {
            break;
        }
    }
    page.running.set(false);
}

fn render(page: &Shared, redraw: Redraw) {
    match redraw {
        Redraw::Nothing => return,
        Redraw::Pointer => {
            let mut shell = page.shell.borrow_mut();
            let out = crate::views::render_pointer(&shell.model);
            let document = shell.document.clone();
            shell.applied.apply(&document, out.patches);
        }
        Redraw::Controls | Redraw::All => {
            let mut shell = page.shell.borrow_mut();
            let out = crate::views::render(&shell.model);
            let document = shell.document.clone();
            let lang = shell.model.state.lang;
            if shell.language != Some(lang) {
                dom::apply_language(&document, lang);
                shell.language = Some(lang);
            }
            shell.applied.apply(&document, out.patches);
            if let Some(body) = document.body() {
                let memory = crate::memory_bytes().to_string();
                let _ = body.set_attribute("data-page-memory", &memory);
                let live = crate::heap::live_bytes().to_string();
                let _ = body.set_attribute("data-page-heap", &live);
            }
        }
    }
    if redraw != Redraw::Controls {
        canvas::paint_all(page);
    }
    let (focus, document) = {
        let mut shell = page.shell.borrow_mut();
        (shell.focus.take(), shell.document.clone())
    };
    if let Some(chip) = focus {
        effects::focus_chip(&document, chip);
    }
    // The handout takes a step's page once its numbers are drawn; the next turn handles it.
    let taken = crate::views::lesson::handout_page(&page.shell.borrow().model);
    if let Some(taken) = taken {
        let page = page.clone();
        wasm_bindgen_futures::spawn_local(async move {
            dispatch(&page, Msg::HandoutPage(Box::new(taken)))
        });
    }
}
