//! Which model the page shows (embedded, a site folder, opened files, a restarted worker)
//! and the generate view's runs.

use super::*;

#[test]
fn picking_the_gpt_loads_its_folder_and_a_causal_model_leaves_pair_mode() {
    let mut h = Harness::ready(&[("pair", "1"), ("filter", "ab")]);
    h.hold = true;
    h.send(Msg::PickModel(GPT_FOLDER.into()));
    assert!(
        !h.page.model_ready(),
        "the old model's flag is not the new model's"
    );
    assert!(h.page.load.progress.is_some(), "the bar shows");
    h.release();
    assert!(h.page.model_ready());
    assert_eq!(h.page.state.model.as_deref(), Some(GPT_FOLDER));
    assert!(h.page.causal());
    assert!(!h.page.state.pair && h.page.state.filter == PairFilter::All);
    assert_eq!(
        h.page.facts.as_ref().map(|f| f.name.as_str()),
        Some("tokenscope-gpt")
    );
    let (options, chosen) = h.page.model_choices();
    assert_eq!(chosen, GPT_FOLDER);
    assert_eq!(options.len(), 2);
    // The "your model" entry loads nothing.
    let sent = h.sent.len();
    h.send(Msg::PickModel("own".into()));
    assert_eq!(h.sent.len(), sent);
}

#[test]
fn a_typed_folder_must_be_on_this_site() {
    let mut h = Harness::ready(&[]);
    let sent = h.sent.len();
    h.send(Msg::FolderTyped("https://huggingface.co/gpt2".into()));
    h.send(Msg::LoadTypedFolder);
    assert_eq!(h.sent.len(), sent, "nothing is requested");
    assert!(h.page.status.error);
    assert!(h
        .page
        .status
        .text
        .contains("only reads models from its own site"));
    assert!(h.page.status.text.ends_with("http://localhost:8080"));
    h.send(Msg::FolderTyped("   ".into()));
    h.send(Msg::LoadTypedFolder);
    assert!(h.page.status.text.starts_with("Type a folder"));
    h.send(Msg::FolderTyped("models/tokenscope-gpt/".into()));
    h.send(Msg::LoadTypedFolder);
    assert_eq!(h.page.state.model.as_deref(), Some("models/tokenscope-gpt"));
}

#[test]
fn a_links_missing_folder_falls_back_to_the_embedded_model_with_the_reason() {
    let mut h = Harness::opened(&[("model", "hosted/gone")]);
    h.send(Msg::Reply(Reply::Started));
    assert_eq!(h.page.state.model, None, "the dead folder leaves the link");
    assert_eq!(
        h.page.facts.as_ref().map(|f| f.name.as_str()),
        Some("all-MiniLM-L6-v2")
    );
    assert!(h.page.status.error);
    assert!(h
        .page
        .status
        .text
        .contains("hosted/gone/config.json: HTTP 404"));
    assert!(h
        .page
        .status
        .text
        .contains("showing instead: all-MiniLM-L6-v2"));
    // The notice stays until the user moves on.
    h.send(Msg::SentenceA("a party".into()));
    assert_eq!(h.page.status.text, "Model ready.");
}

#[test]
fn a_failed_load_keeps_the_model_and_says_which() {
    let mut h = Harness::ready(&[]);
    h.send(Msg::FolderTyped("hosted/nothing".into()));
    h.send(Msg::LoadTypedFolder);
    assert!(h.page.model_ready(), "the old model is up again");
    assert!(h
        .page
        .status
        .text
        .ends_with("— still showing all-MiniLM-L6-v2"));
    assert_eq!(
        h.page.facts.as_ref().map(|f| f.name.as_str()),
        Some("all-MiniLM-L6-v2")
    );
}

#[test]
fn opened_files_are_streamed_from_blob_urls_and_released_after() {
    let mut h = Harness::ready(&[]);
    let files = ChosenFiles {
        folder: None,
        config: "blob:1".into(),
        tokenizer: "blob:2".into(),
        weights: vec![("model.safetensors".into(), "blob:3".into())],
    };
    h.send(Msg::OpenFiles(files));
    assert!(matches!(h.sent.last(), Some(Request::LoadUrls { name, .. }) if name == "your model"));
    assert_eq!(
        h.effects
            .iter()
            .rev()
            .find(|e| matches!(e, Effect::RevokeUrls(_))),
        Some(&Effect::RevokeUrls(vec![
            "blob:1".into(),
            "blob:2".into(),
            "blob:3".into()
        ]))
    );
    assert!(h
        .page
        .status
        .text
        .contains("model.safetensors: the file is truncated"));
    h.send(Msg::FilesMissing(vec![
        "tokenizer.json",
        "model.safetensors",
    ]));
    assert_eq!(
        h.page.status.text,
        "These files are missing: tokenizer.json, model.safetensors"
    );
}

#[test]
fn a_models_files_are_found_by_name_in_a_picked_folder() {
    let files = |names: &[(&str, &str)]| -> Vec<(String, String)> {
        names
            .iter()
            .map(|(n, p)| (n.to_string(), p.to_string()))
            .collect()
    };
    let picked = files(&[
        ("README.md", "gpt2/README.md"),
        ("flax.safetensors", "gpt2/flax.safetensors"),
        ("model.safetensors", "gpt2/model.safetensors"),
        ("tokenizer.json", "gpt2/tokenizer.json"),
        ("config.json", "gpt2/config.json"),
    ]);
    let chosen = |config, tokenizer, weights: &[usize], folder: Option<&str>| {
        Ok(ModelFiles {
            config,
            tokenizer,
            weights: weights.to_vec(),
            folder: folder.map(String::from),
        })
    };
    assert_eq!(
        choose_model_files(&picked),
        chosen(4, 3, &[2], Some("gpt2"))
    );
    let loose = files(&[
        ("config.json", ""),
        ("tokenizer.json", ""),
        ("w.safetensors", ""),
    ]);
    assert_eq!(choose_model_files(&loose), chosen(0, 1, &[2], None));
    // A sharded checkpoint: the index first, then every safetensors file opened with it.
    let sharded = files(&[
        (
            "model-00002-of-00002.safetensors",
            "SmolLM2/model-00002-of-00002.safetensors",
        ),
        ("config.json", "SmolLM2/config.json"),
        (
            "model.safetensors.index.json",
            "SmolLM2/model.safetensors.index.json",
        ),
        (
            "model-00001-of-00002.safetensors",
            "SmolLM2/model-00001-of-00002.safetensors",
        ),
        ("tokenizer.json", "SmolLM2/tokenizer.json"),
    ]);
    assert_eq!(
        choose_model_files(&sharded),
        chosen(1, 4, &[2, 0, 3], Some("SmolLM2"))
    );
    assert_eq!(
        choose_model_files(&files(&[("config.json", "")])),
        Err(vec!["tokenizer.json", "model.safetensors"])
    );
}

#[test]
fn a_crashed_worker_is_restarted_three_times_a_minute_then_no_more() {
    let mut h = Harness::ready(&[("model", "models/tokenscope-gpt")]);
    for (n, at) in [0.0, 10_000.0, 20_000.0].into_iter().enumerate() {
        let effects = h.send(Msg::WorkerFailed {
            reason: "RuntimeError: unreachable".into(),
            now_ms: at,
        });
        assert!(effects.contains(&Effect::RestartWorker), "restart {n}");
        assert!(h.page.busy(), "the page waits for the new worker");
        h.send(Msg::Reply(Reply::Started));
        assert!(
            h.page
                .status
                .text
                .contains("restarted and the model reloaded"),
            "{}",
            h.page.status.text
        );
        assert_eq!(
            h.page.state.model.as_deref(),
            Some("models/tokenscope-gpt"),
            "same model"
        );
        assert_eq!(h.page.state.a, SEED_A, "the sentences survive");
    }
    let effects = h.send(Msg::WorkerFailed {
        reason: "again".into(),
        now_ms: 30_000.0,
    });
    assert!(!effects.contains(&Effect::RestartWorker));
    assert!(h
        .page
        .status
        .text
        .contains("failed three times within a minute"));
    assert!(!h.page.busy());
    // A minute after the first crashes, a crash is restarted again.
    let effects = h.send(Msg::WorkerFailed {
        reason: "later".into(),
        now_ms: 95_000.0,
    });
    assert!(effects.contains(&Effect::RestartWorker));
}

#[test]
fn decoding_settings_are_checked_and_a_new_setting_is_a_new_run() {
    let mut h = Harness::ready(&[("model", GPT_FOLDER), ("view", "generate")]);
    h.send(Msg::GenStep);
    assert!(h.page.generation.is_some());
    for (field, bad) in [
        (DecodingField::Temperature, -1.0),
        (DecodingField::TopP, 1.5),
        (DecodingField::TopP, 0.0),
        (DecodingField::TopK, f64::NAN),
    ] {
        assert!(
            h.send(Msg::Decoding(field, bad)).is_empty(),
            "{field:?} {bad}"
        );
    }
    assert!(h.page.generation.is_some(), "refused settings keep the run");
    h.send(Msg::Decoding(DecodingField::TopK, 5.0));
    assert_eq!(h.page.state.top_k, 5);
    assert!(h.page.generation.is_none() && h.page.gen_steps == 0);
    h.send(Msg::GenMax(500.0));
    assert_eq!(h.page.gen_max, MAX_GENERATED);
    h.send(Msg::GenMax(f64::NAN));
    assert_eq!(h.page.gen_max, 20);
}

/// The ids of the tokens generated so far.
fn generated_ids(h: &Harness) -> Vec<u32> {
    let generation = h.page.generation.as_ref().expect("steps");
    generation.steps.iter().map(|s| s.id).collect()
}

#[test]
fn step_by_step_generation_replays_the_cores_seeded_run() {
    let mut h = Harness::ready(&[("model", GPT_FOLDER), ("view", "generate"), ("b", "")]);
    h.send(Msg::Decoding(DecodingField::Seed, 2.0));
    h.send(Msg::GenStep);
    h.send(Msg::GenStep);
    let asked: Vec<usize> = h
        .sent
        .iter()
        .filter_map(|r| match r {
            Request::Generate { max_tokens, .. } => Some(*max_tokens),
            _ => None,
        })
        .collect();
    assert_eq!(asked, [1, 2]);
    let two = generated_ids(&h);
    h.send(Msg::GenMax(6.0));
    h.send(Msg::GenRun);
    let six = generated_ids(&h);
    assert_eq!(six.len(), 6);
    assert_eq!(
        &six[..2],
        &two[..],
        "Step after Step gives the start of Run"
    );
    let sampling = tokenscope_core::generate::Sampling {
        temperature: 0.8,
        top_k: 40,
        top_p: 0.95,
        seed: 2,
    };
    let core = tokenscope_core::generate::generate(h.model(), SEED_A, 6, &sampling, 10)
        .expect("generates");
    assert_eq!(six, core.generated_ids);
    // The attention rows follow the layer and head.
    let sent = h.sent.len();
    h.send(Msg::Layer(2));
    assert!(matches!(
        h.sent_since(sent),
        [Request::Generate {
            layer: 2,
            max_tokens: 6,
            ..
        }]
    ));
    assert_eq!(h.page.generation.as_ref().map(|g| g.layer), Some(2));
    h.send(Msg::GenReset);
    assert!(h.page.generation.is_none());
}

#[test]
fn examples_toy_vectors_heads_language_and_theme() {
    let mut h = Harness::ready(&[]);
    h.send(Msg::Example(Example::Order));
    assert_eq!(
        (h.page.state.a.as_str(), h.page.state.b.as_str()),
        Example::Order.sentences()
    );
    assert_eq!(h.page.chips[1].token, "tim");
    h.send(Msg::Toy {
        row: 1,
        col: 0,
        value: -0.6,
    });
    assert_eq!(h.page.toy[1].1[0], -0.6);
    assert!(h
        .send(Msg::Toy {
            row: 1,
            col: 0,
            value: f32::NAN
        })
        .is_empty());
    assert!(h
        .send(Msg::Toy {
            row: 9,
            col: 0,
            value: 1.0
        })
        .is_empty());
    h.send(Msg::ToggleHead(3));
    assert!(!h.page.visible_heads[3]);
    h.send(Msg::SoloHead(5));
    assert_eq!(h.page.visible_heads.iter().filter(|v| **v).count(), 1);
    assert_eq!(h.page.state.head, 5, "the soloed head is the current head");
    h.send(Msg::ShowAllHeads);
    assert!(h.page.visible_heads.iter().all(|v| *v));
    h.send(Msg::OpenHead { layer: 4, head: 9 });
    assert_eq!((h.page.state.layer, h.page.state.head), (4, 9));
    assert!(h.page.visible_heads[9] && !h.page.visible_heads[0]);
    assert_eq!(h.page.status.text, crate::i18n::text(Lang::En, "ready"));
    h.send(Msg::Lang(Lang::Zh));
    assert_eq!(h.page.t("layer"), "层");
    // The status line is said again in Chinese.
    assert_eq!(h.page.status.text, crate::i18n::text(Lang::Zh, "ready"));
    h.send(Msg::ToggleTheme);
    assert!(h.page.state.dark);
    assert_eq!(h.send(Msg::CopyLink), [Effect::CopyLink]);
    h.send(Msg::LinkCopied(true));
    assert_eq!(
        h.page.status.text,
        "链接已复制——打开它会显示完全相同的视图。"
    );
}

#[test]
fn text_too_long_for_the_views_and_for_the_model_is_said_in_words() {
    let mut h = Harness::ready(&[("b", "")]);
    h.send(Msg::SentenceA("word ".repeat(300)));
    assert!(h
        .page
        .too_long_message()
        .starts_with("A is too long for the views"));
    assert_eq!(h.page.truncation_message(), "");
    h.send(Msg::SentenceA("party ".repeat(600)));
    assert_eq!(
        h.page.truncation_message(),
        "Sentence A is longer than the model's 512 positions: 512 tokens kept, 90 dropped."
    );
    assert_eq!(h.page.chips.len(), 512);
    h.send(Msg::Garbled("bad reply from the worker: x".into()));
    assert!(h.page.status.error && h.page.status.text.contains("bad reply"));
}
