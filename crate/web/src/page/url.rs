//! What the page shows, as it lives in the URL query: sentences, pair mode, layer, head,
//! view, selected token, language and theme. A link reproduces the view exactly.

pub use crate::i18n::Lang;
use crate::named_enum;
use tokenscope_core::Ablation;

named_enum! {
    /// The head view's filter when A and B run as one pair; the names are the link's
    /// `filter=` and the filter box's option values.
    pub enum PairFilter {
        All = "all",
        AToA = "aa",
        AToB = "ab",
        BToA = "ba",
        BToB = "bb",
    }
}

impl PairFilter {
    /// Which type ids (0 = A, 1 = B) the query rows and key columns keep; None keeps all.
    pub fn sides(self) -> (Option<u32>, Option<u32>) {
        match self {
            PairFilter::All => (None, None),
            PairFilter::AToA => (Some(0), Some(0)),
            PairFilter::AToB => (Some(0), Some(1)),
            PairFilter::BToA => (Some(1), Some(0)),
            PairFilter::BToB => (Some(1), Some(1)),
        }
    }

    /// How a chart's title names the filter.
    pub fn label(self) -> &'static str {
        match self {
            PairFilter::All => "A+B",
            PairFilter::AToA => "A → A",
            PairFilter::AToB => "A → B",
            PairFilter::BToA => "B → A",
            PairFilter::BToB => "B → B",
        }
    }
}

pub const SEED_A: &str = "students celebrate the graduation with a big party";
pub const SEED_B: &str = "deputy leader is highly respected in the party";

/// Everything a link has to carry to reproduce the page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageState {
    pub a: String,
    pub b: String,
    pub pair: bool,
    pub layer: usize,
    pub head: usize,
    /// The shown view's name (the registry's list of views decides which names exist).
    pub view: String,
    /// Index into the token chips in order (A's, then B's); None → the page picks one.
    pub token: Option<usize>,
    pub lang: Lang,
    pub dark: bool,
    pub filter: PairFilter,
    /// Similarity depth: 0 static embeddings, 1 embedding output, 1 + k after layer k.
    pub depth: usize,
    /// Decoding settings: 0 is greedy.
    pub temperature: f64,
    pub top_k: usize,
    pub top_p: f64,
    /// The sampler's seed: the same seed replays the same continuation.
    pub seed: u64,
    /// A model folder on this site (`models/gpt2`), loaded instead of the embedded model;
    /// None for the embedded model (and for opened files, which a link cannot carry).
    pub model: Option<String>,
    /// Attention heads switched off (`ablate=0.1,2.3`): every view shows the model
    /// without them.
    pub ablate: Ablation,
    /// The lesson's step, counted from 1 (`lesson=1&step=8`); None outside the lesson.
    pub lesson: Option<usize>,
    /// Presentation mode (`present=1`): large type, editing controls hidden.
    pub present: bool,
    /// The Tokenizers view's picked token (`piece=gpt2.3`: a tokenizer and a token index).
    pub piece: Option<String>,
}

impl PageState {
    /// The seed's sentences in the first view.
    pub fn new(lang: Lang, dark: bool, first_view: &str) -> Self {
        PageState {
            a: SEED_A.to_string(),
            b: SEED_B.to_string(),
            pair: false,
            layer: 0,
            head: 0,
            view: first_view.to_string(),
            token: None,
            lang,
            dark,
            filter: PairFilter::All,
            depth: 0,
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            seed: 0,
            model: None,
            ablate: Ablation::none(),
            lesson: None,
            present: false,
            piece: None,
        }
    }

    /// Every query key a link may carry.
    pub const KEYS: [&'static str; 21] = [
        "a", "b", "model", "pair", "layer", "head", "view", "token", "lang", "theme", "filter",
        "depth", "temp", "topk", "topp", "seed", "ablate", "lesson", "step", "present", "piece",
    ];

    /// Reads URL query pairs over the defaults. Unknown keys and unreadable values (a view
    /// not in `views`, the first of which is the default) are ignored rather than refused:
    /// an old or hand-edited link still opens.
    pub fn from_query<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        lang: Lang,
        dark: bool,
        views: &[&str],
    ) -> Self {
        let mut state = PageState::new(lang, dark, views.first().copied().unwrap_or_default());
        let (mut lesson, mut step) = (false, None);
        for (key, value) in pairs {
            match key {
                "a" => state.a = value.to_string(),
                "b" => state.b = value.to_string(),
                "pair" => state.pair = value == "1" || value == "true",
                "layer" => state.layer = value.parse().unwrap_or(state.layer),
                "head" => state.head = value.parse().unwrap_or(state.head),
                "view" if views.contains(&value) => state.view = value.to_string(),
                "token" => state.token = value.parse().ok(),
                "lang" => state.lang = Lang::from_code(value).unwrap_or(state.lang),
                "theme" => state.dark = value == "dark",
                "filter" => state.filter = PairFilter::from_name(value).unwrap_or(state.filter),
                "depth" => state.depth = value.parse().unwrap_or(state.depth),
                "temp" => {
                    state.temperature = value
                        .parse()
                        .ok()
                        .filter(|t: &f64| t.is_finite() && *t >= 0.0)
                        .unwrap_or(state.temperature)
                }
                "topk" => state.top_k = value.parse().unwrap_or(state.top_k),
                "topp" => {
                    state.top_p = value
                        .parse()
                        .ok()
                        .filter(|p: &f64| *p > 0.0 && *p <= 1.0)
                        .unwrap_or(state.top_p)
                }
                "seed" => state.seed = value.parse().unwrap_or(state.seed),
                "model" => state.model = hosted_folder(value, "").ok(),
                "ablate" => state.ablate = Ablation::parse(value).unwrap_or_default(),
                "lesson" => lesson = value == "1" || value == "true",
                "step" => step = value.parse::<usize>().ok().filter(|s| *s >= 1),
                "present" => state.present = value == "1" || value == "true",
                "piece" => state.piece = Some(value.to_string()),
                _ => {}
            }
        }
        // The step is checked against the lesson's length when the page starts.
        state.lesson = lesson.then(|| step.unwrap_or(1));
        state
    }

    /// The query pairs of this state, defaults left out so links stay short; the decoding
    /// settings only where the view uses them (`decoding`).
    pub fn to_query(&self, decoding: bool) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("a", self.a.clone()), ("b", self.b.clone())];
        if let Some(folder) = &self.model {
            pairs.push(("model", folder.clone()));
        }
        if self.pair {
            pairs.push(("pair", "1".into()));
        }
        pairs.push(("layer", self.layer.to_string()));
        pairs.push(("head", self.head.to_string()));
        pairs.push(("view", self.view.clone()));
        if let Some(token) = self.token {
            pairs.push(("token", token.to_string()));
        }
        pairs.push(("lang", self.lang.name().into()));
        if self.dark {
            pairs.push(("theme", "dark".into()));
        }
        if self.filter != PairFilter::All {
            pairs.push(("filter", self.filter.name().into()));
        }
        if self.depth != 0 {
            pairs.push(("depth", self.depth.to_string()));
        }
        if !self.ablate.is_empty() {
            pairs.push(("ablate", self.ablate.to_string()));
        }
        if let Some(step) = self.lesson {
            pairs.push(("lesson", "1".into()));
            pairs.push(("step", step.to_string()));
        }
        if self.present {
            pairs.push(("present", "1".into()));
        }
        if let Some(piece) = &self.piece {
            pairs.push(("piece", piece.clone()));
        }
        if decoding {
            pairs.push(("temp", self.temperature.to_string()));
            pairs.push(("topk", self.top_k.to_string()));
            pairs.push(("topp", self.top_p.to_string()));
            pairs.push(("seed", self.seed.to_string()));
        }
        pairs
    }

    /// Keeps layer, head and depth inside the loaded model, so a link made for a bigger
    /// model still opens on this one.
    pub fn clamp_to(&mut self, num_layers: usize, num_heads: usize) {
        self.layer = self.layer.min(num_layers.saturating_sub(1));
        self.head = self.head.min(num_heads.saturating_sub(1));
        self.depth = self.depth.min(num_layers + 1);
        self.ablate = Ablation::new(
            self.ablate
                .heads()
                .filter(|&(l, h)| l < num_layers && h < num_heads),
        );
    }
}

/// Why a typed model folder address cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderError {
    Empty,
    /// Another site, or a scheme other than http(s) on this one: the page only ever reads
    /// its own origin (its Content-Security-Policy would block anything else anyway).
    NotThisSite,
}

/// Turns what a user typed or a link carries into a model folder on this site: a relative
/// path (`models/gpt2`), an absolute path (`/models/gpt2`) or a full URL starting with
/// `origin`. A pasted file address (`…/config.json`) and trailing slashes are tolerated.
pub fn hosted_folder(value: &str, origin: &str) -> Result<String, FolderError> {
    let mut folder = value.trim();
    if !origin.is_empty() {
        match folder.strip_prefix(origin) {
            Some("") => folder = "/",
            Some(rest) if rest.starts_with('/') => folder = rest,
            _ => {}
        }
    }
    if folder.starts_with("//") || folder.contains('\\') {
        return Err(FolderError::NotThisSite);
    }
    // A scheme ("https:", "data:", "javascript:") before any slash means another site or
    // not a folder at all.
    let first_slash = folder.find('/').unwrap_or(folder.len());
    if folder[..first_slash].contains(':') {
        return Err(FolderError::NotThisSite);
    }
    let folder = folder.split(['?', '#']).next().unwrap_or_default();
    let mut folder = folder.trim_end_matches('/');
    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        if let Some(dir) = folder.strip_suffix(file) {
            folder = dir.trim_end_matches('/');
        }
    }
    if folder.is_empty() || folder == "." {
        return Err(FolderError::Empty);
    }
    Ok(folder.to_string())
}

/// The folder's last part, as the model's name on the page.
pub fn folder_name(folder: &str) -> &str {
    folder
        .rsplit('/')
        .find(|part| !part.is_empty() && *part != "." && *part != "..")
        .unwrap_or(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIEWS: [&str; 3] = ["tokens", "head", "generate"];

    fn from(pairs: &[(&str, &str)]) -> PageState {
        PageState::from_query(pairs.iter().copied(), Lang::En, false, &VIEWS)
    }

    #[test]
    fn a_link_round_trips() {
        let mut state = PageState::new(Lang::En, false, "tokens");
        state.a = "Tim chased clouds & all his life".into();
        state.b = String::new();
        state.pair = true;
        state.layer = 2;
        state.head = 5;
        state.view = "generate".into();
        state.temperature = 0.7;
        state.top_k = 5;
        state.top_p = 0.9;
        state.seed = 2026;
        state.token = Some(3);
        state.lang = Lang::Zh;
        state.dark = true;
        state.filter = PairFilter::AToB;
        state.depth = 4;
        state.model = Some("models/gpt2".into());
        state.lesson = Some(8);
        state.present = true;
        state.piece = Some("gpt2.3".into());
        let query = state.to_query(true);
        for (key, _) in &query {
            assert!(PageState::KEYS.contains(key), "the page reads no {key:?}");
        }
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(from(&pairs), state);
        // Without decoding in the view, the link leaves the sampler's settings out.
        assert!(!state.to_query(false).iter().any(|(k, _)| *k == "seed"));
    }

    #[test]
    fn defaults_are_the_seed_sentences_and_bad_values_are_ignored() {
        let state = from(&[
            ("layer", "two"),
            ("view", "nonsense"),
            ("lang", "fr"),
            ("head", "-1"),
            ("token", "x"),
            ("temp", "-1"),
            ("topp", "2"),
            ("unknown", "1"),
        ]);
        assert_eq!(state, PageState::new(Lang::En, false, "tokens"));
        assert_eq!(state.a, SEED_A);
        assert_eq!(state.b, SEED_B);
        assert_eq!(from(&[("lang", "zh-CN")]).lang, Lang::Zh);
        assert_eq!(from(&[("lang", "en-GB")]).lang, Lang::En);
        assert_eq!(from(&[("view", "head")]).view, "head");
        assert_eq!(from(&[("lesson", "1")]).lesson, Some(1));
        assert_eq!(from(&[("step", "4"), ("lesson", "1")]).lesson, Some(4));
        assert_eq!(from(&[("lesson", "1"), ("step", "0")]).lesson, Some(1));
        assert_eq!(
            from(&[("step", "4")]).lesson,
            None,
            "a step alone is no lesson"
        );
    }

    #[test]
    fn clamping_keeps_a_big_models_link_inside_a_small_model() {
        let mut state = from(&[("layer", "11"), ("head", "40"), ("depth", "99")]);
        state.clamp_to(6, 12);
        assert_eq!((state.layer, state.head, state.depth), (5, 11, 7));
    }

    #[test]
    fn model_folders_stay_on_this_site() {
        let origin = "https://class.example";
        let ok = |v: &str| hosted_folder(v, origin);
        assert_eq!(ok("models/gpt2"), Ok("models/gpt2".into()));
        assert_eq!(ok(" models/gpt2/ "), Ok("models/gpt2".into()));
        assert_eq!(ok("/m/gpt2/config.json"), Ok("/m/gpt2".into()));
        assert_eq!(
            ok("https://class.example/m/distilgpt2/"),
            Ok("/m/distilgpt2".into())
        );
        assert_eq!(ok("models/gpt2?x=1"), Ok("models/gpt2".into()));
        for foreign in [
            "https://huggingface.co/gpt2",
            "//evil.example/m",
            "http://class.example/m",
            "https://class.example.evil/m",
            "javascript:alert(1)",
            "data:text/plain,x",
            "blob:https://class.example/123",
        ] {
            assert_eq!(ok(foreign), Err(FolderError::NotThisSite), "{foreign}");
        }
        assert_eq!(ok("  "), Err(FolderError::Empty));
        assert_eq!(ok("/"), Err(FolderError::Empty));
        assert_eq!(folder_name("/m/distilgpt2"), "distilgpt2");
        assert_eq!(folder_name("gpt2"), "gpt2");
        // A link cannot smuggle another site in either.
        assert_eq!(from(&[("model", "https://x.example/m")]).model, None);
    }

    #[test]
    fn pair_filters_pick_sides_and_names_round_trip() {
        assert_eq!(PairFilter::AToB.sides(), (Some(0), Some(1)));
        for f in PairFilter::ALL {
            assert_eq!(PairFilter::from_name(f.name()), Some(*f));
            assert_eq!(from(&[("filter", f.name())]).filter, *f);
        }
        assert_eq!(Lang::Zh.html_lang(), "zh-Hans");
    }
}
