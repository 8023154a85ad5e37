//! The Train panel's state machine: its form, the commands it sends, the run it keeps.

use super::*;

fn run_facts() -> TrainFacts {
    TrainFacts {
        corpus_name: "the shipped sample".into(),
        corpus_lines: 10,
        vocab_size: 300,
        parameters: 1000,
        training_tokens: 5000,
        held_out_tokens: 500,
        steps: 100,
        batch: 4,
        context: 16,
        layers: 2,
        heads: 2,
        width: 32,
        learning_rate: 0.005,
        sample_every: 25,
    }
}

fn point(step: usize, train_loss: f32, held_out_loss: Option<f32>) -> LossPoint {
    LossPoint {
        step,
        learning_rate: 1e-3,
        train_loss,
        held_out_loss,
    }
}

fn update_of(phase: TrainPhase, step: usize, points: Vec<LossPoint>) -> Msg {
    Msg::Reply(Reply::Training(TrainingUpdate {
        phase,
        facts: Some(run_facts()),
        points,
        step,
        tokens_per_second: 1000.0,
        snapshot: None,
        error: None,
    }))
}

fn train(msg: TrainMsg) -> Msg {
    Msg::Train(msg)
}

fn last_command(h: &Harness) -> Option<&TrainCommand> {
    h.sent.iter().rev().find_map(|r| match r {
        Request::Train(c) => Some(c),
        _ => None,
    })
}

#[test]
fn train_fetches_the_sample_first_then_starts_a_run_from_the_form() {
    let mut h = Harness::ready(&[("view", "train")]);
    h.send(train(TrainMsg::Field(TrainField::Steps, "60".into())));
    let effects = h.send(train(TrainMsg::Go));
    assert!(effects.contains(&Effect::FetchTrainSample));
    assert!(h.page.train.preparing);
    assert!(
        h.send(train(TrainMsg::Go)).is_empty(),
        "one press at a time"
    );
    h.send(train(TrainMsg::SampleFetched(Ok(
        "the cat sat\nthe dog ran".into(),
    ))));
    let Some(TrainCommand::Start { setup, watch }) = last_command(&h) else {
        panic!("no run started: {:?}", h.sent.last());
    };
    assert_eq!(
        (setup.steps, setup.layers, setup.width, setup.vocab),
        (60, 2, 64, 1024)
    );
    assert_eq!(setup.corpus, "the cat sat\nthe dog ran");
    assert!(setup.corpus_name.starts_with("the shipped sample"));
    assert_eq!(watch.pairs.len(), 3, "cat dog, car banana, apple banana");
    assert_eq!(h.page.train.pair_names[0], "cat · dog");
}

#[test]
fn a_bad_training_setting_names_its_field_and_starts_nothing() {
    let mut h = Harness::ready(&[("view", "train")]);
    h.send(train(TrainMsg::OwnText("some text of mine".into())));
    assert_eq!(
        h.page.train.source,
        TrainSource::Own,
        "typing picks my text"
    );
    h.send(train(TrainMsg::Field(TrainField::Width, "thirty".into())));
    h.send(train(TrainMsg::Go));
    assert_eq!(
        h.page.train.run.error.as_deref(),
        Some("Width: “thirty” is not a whole number")
    );
    assert!(last_command(&h).is_none());
    h.send(train(TrainMsg::Field(TrainField::Width, "32".into())));
    h.send(train(TrainMsg::Field(
        TrainField::LearningRate,
        "fast".into(),
    )));
    h.send(train(TrainMsg::Go));
    assert_eq!(
        h.page.train.run.error.as_deref(),
        Some("Learning rate: “fast” is not a number")
    );
    h.send(train(TrainMsg::Field(
        TrainField::LearningRate,
        "0.01".into(),
    )));
    h.send(train(TrainMsg::Go));
    let Some(TrainCommand::Start { setup, .. }) = last_command(&h) else {
        panic!("no run");
    };
    assert_eq!(setup.corpus_name, "text given in the page (17 characters)");
}

#[test]
fn the_train_button_follows_the_runs_phase() {
    let mut h = Harness::ready(&[("view", "train")]);
    h.send(update_of(TrainPhase::Running, 0, vec![]));
    h.send(train(TrainMsg::Go));
    assert_eq!(last_command(&h), Some(&TrainCommand::Pause));
    h.send(update_of(
        TrainPhase::Paused,
        40,
        vec![point(40, 3.0, None)],
    ));
    h.send(train(TrainMsg::Go));
    assert_eq!(last_command(&h), Some(&TrainCommand::Resume));
    h.send(update_of(
        TrainPhase::Finished,
        100,
        vec![point(100, 2.0, Some(2.5))],
    ));
    h.send(train(TrainMsg::Field(TrainField::Steps, "10".into())));
    h.send(train(TrainMsg::Go));
    assert!(h.page.train.preparing || matches!(last_command(&h), Some(TrainCommand::Start { .. })));
    h.send(train(TrainMsg::Reset));
    assert_eq!(last_command(&h), Some(&TrainCommand::Reset));
}

#[test]
fn the_panel_keeps_the_runs_points_samples_and_cosines_and_a_new_run_clears_them() {
    let mut h = Harness::ready(&[("view", "train")]);
    let snapshot = |step: usize| TrainSnapshot {
        step,
        prompt: "the".into(),
        sample: format!("sample {step}"),
        pairs: vec![crate::protocol::PairCosine {
            a: "cat".into(),
            b: "dog".into(),
            cosine: Some(0.1 * step as f32),
            tokens: (1, 1),
        }],
        probe_tokens: vec!["the".into()],
        layer: 0,
        head: 0,
        attention: vec![1.0],
    };
    for step in [0, 25] {
        h.send(Msg::Reply(Reply::Training(TrainingUpdate {
            phase: TrainPhase::Running,
            facts: Some(run_facts()),
            points: (step.max(1) - 1..step)
                .map(|s| point(s + 1, 4.0, None))
                .collect(),
            step,
            tokens_per_second: 500.0,
            snapshot: Some(snapshot(step)),
            error: None,
        })));
    }
    let panel = &h.page.train;
    assert_eq!(panel.samples.len(), 2);
    assert_eq!(panel.cosines, [(0, vec![Some(0.0)]), (25, vec![Some(2.5)])]);
    assert_eq!(panel.run.step, 25);
    // A reply of a new run (step 0, no points) starts the panel over.
    h.send(update_of(TrainPhase::Running, 0, vec![]));
    assert!(h.page.train.samples.is_empty() && h.page.train.cosines.is_empty());
    h.send(update_of(TrainPhase::Idle, 0, vec![]));
    assert!(!h.page.train.has_run());
}

#[test]
fn watching_other_words_tells_a_running_worker_and_restarts_the_pairs_history() {
    let mut h = Harness::ready(&[("view", "train")]);
    h.send(train(TrainMsg::Prompt("once upon".into())));
    assert!(last_command(&h).is_none(), "no run to tell");
    assert_eq!(h.page.train.watch.prompt, "once upon");
    h.send(update_of(TrainPhase::Running, 5, vec![point(5, 4.0, None)]));
    h.page.train.cosines.push((5, vec![Some(0.2)]));
    h.send(train(TrainMsg::Pairs("king queen".into())));
    assert!(
        matches!(last_command(&h), Some(TrainCommand::Watch(w)) if w.pairs == [("king".to_string(), "queen".to_string())])
    );
    assert!(h.page.train.cosines.is_empty());
    assert_eq!(h.page.train.pair_names, ["king · queen"]);
    h.send(train(TrainMsg::ProbeHead(1)));
    assert!(matches!(last_command(&h), Some(TrainCommand::Watch(w)) if w.head == 1));
}

#[test]
fn using_the_run_makes_it_the_model_with_its_record() {
    let mut h = Harness::ready(&[("view", "train")]);
    h.send(update_of(
        TrainPhase::Paused,
        50,
        vec![point(25, 4.0, Some(4.5)), point(50, 3.0, Some(3.5))],
    ));
    h.send(train(TrainMsg::Use));
    assert_eq!(last_command(&h), Some(&TrainCommand::Use));
    assert!(!h.page.model_ready(), "the run is on its way");
    // The worker answers Use with the trained model's facts.
    let facts = crate::worker::compute::ready(
        "trained here (2×2, width 32, step 50)",
        crate::testing::gpt(),
        0,
    );
    h.send(Msg::Reply(Reply::Ready(facts)));
    assert!(h.page.model_ready());
    assert_eq!(
        h.page.state.model, None,
        "no folder: a link cannot carry it"
    );
    let record = h.page.training_record.as_ref().expect("the run's record");
    assert_eq!(record.settings.steps, 50);
    assert_eq!(record.held_out_loss, 3.5);
    assert_eq!(record.history.len(), 2);
    assert_eq!(h.page.train.used_at, Some(50));
    let (_, chosen) = h.page.model_choices();
    assert_eq!(chosen, "own");
}

#[test]
fn a_crashed_worker_loses_the_run_but_not_the_form() {
    let mut h = Harness::ready(&[("view", "train")]);
    h.send(train(TrainMsg::Field(TrainField::Layers, "3".into())));
    h.send(update_of(
        TrainPhase::Running,
        10,
        vec![point(10, 4.0, None)],
    ));
    h.send(Msg::WorkerFailed {
        reason: "trap".into(),
        now_ms: 0.0,
    });
    assert!(!h.page.train.has_run());
    assert_eq!(h.page.train.field(TrainField::Layers), "3");
    assert_eq!(h.page.train.probe_sizes(), (3, 2));
}

#[test]
fn memorising_is_told_from_learning() {
    let learning = [point(1, 5.0, Some(5.2)), point(2, 4.0, Some(4.4))];
    assert!(!overfitting(&learning));
    let memorising = [
        point(1, 3.0, Some(4.9)),
        point(2, 0.5, Some(6.8)),
        point(3, 0.2, Some(9.5)),
    ];
    assert!(overfitting(&memorising));
    // A noisy bump of the held-out loss is not memorising.
    let bump = [point(1, 4.0, Some(4.5)), point(2, 4.0, Some(4.6))];
    assert!(!overfitting(&bump));
    assert!(!overfitting(&[]));
}

#[test]
fn pairs_are_read_two_words_at_a_time() {
    assert_eq!(
        parse_pairs("cat dog, car banana;  lonely ,\nparty  celebration extra"),
        [
            ("cat".to_string(), "dog".to_string()),
            ("car".into(), "banana".into()),
            ("party".into(), "celebration".into())
        ]
    );
    assert!(parse_pairs("").is_empty());
}

#[test]
fn every_train_field_has_a_label_and_a_default_a_run_accepts() {
    let panel = TrainPanel::new();
    for field in TrainField::ALL {
        assert!(crate::i18n::has(field.label_key()), "{field:?}");
        let value = panel.field(*field);
        assert!(value.parse::<f64>().is_ok(), "{field:?} = {value}");
    }
    assert_eq!(panel.probe_sizes(), (2, 2));
}
