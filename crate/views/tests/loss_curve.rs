//! The loss curve rendered to SVG from a real (small) training run of the core: the
//! held-out loss is marked at every measurement and ends below guessing.

mod common;

use common::{count, drawn, render, save, texts};
use plotters::style::RGBColor;
use tokenscope_core::config::{Activation, Gpt2Config};
use tokenscope_core::corpus::{encode_lines, train_tokenizer, vocab_size};
use tokenscope_core::train::{Gpt2Params, TrainingRun, TrainingSettings};
use tokenscope_views::{draw_loss_curve, LossCurve, LossSeries, Theme};

#[test]
fn a_training_runs_loss_curve_renders() {
    let lines: Vec<String> = (0..60)
        .map(|i| {
            format!(
                "the students celebrate {} with a big party",
                ["graduation", "victory", "birthday"][i % 3]
            )
        })
        .collect();
    let tokenizer = train_tokenizer(&lines, 300).expect("tokenizer");
    let ids = encode_lines(&tokenizer, &lines).expect("ids");
    let vocab_size = vocab_size(&tokenizer).expect("vocabulary");
    let config = Gpt2Config {
        vocab_size,
        n_embd: 32,
        n_layer: 1,
        n_head: 2,
        n_inner: 128,
        n_positions: 16,
        activation: Activation::GeluTanh,
        layer_norm_epsilon: 1e-5,
        scale_attn_weights: true,
        scale_attn_by_inverse_layer_idx: false,
        eos_token_id: Some(0),
    };
    let settings = TrainingSettings {
        batch: 4,
        seq: 16,
        steps: 40,
        warmup: 4,
        eval_every: 10,
        eval_batches: 2,
        learning_rate: 1e-2,
        min_learning_rate: 1e-3,
        ..TrainingSettings::default()
    };
    let params = Gpt2Params::init(&config, 3).expect("init");
    let split = ids.len() * 9 / 10;
    let mut run = TrainingRun::new(
        params,
        ids[..split].to_vec(),
        ids[split..].to_vec(),
        settings,
    )
    .expect("run");
    while !run.finished() {
        run.train_step().expect("step");
    }
    let train: Vec<(f32, f32)> = run
        .history
        .iter()
        .map(|p| (p.step as f32, p.train_loss))
        .collect();
    let held: Vec<(f32, f32)> = run
        .history
        .iter()
        .filter_map(|p| p.held_out_loss.map(|l| (p.step as f32, l)))
        .collect();
    assert_eq!(held.len(), 4);
    let guessing = (vocab_size as f32).ln();
    assert!(
        held[3].1 < guessing - 1.0,
        "it learned: {held:?} vs {guessing}"
    );
    let series = [
        LossSeries {
            label: "training batches",
            points: &train,
            color: RGBColor(120, 140, 200),
            markers: false,
        },
        LossSeries {
            label: "held-out text",
            points: &held,
            color: RGBColor(220, 90, 30),
            markers: true,
        },
    ];
    let chart = LossCurve {
        title: "Loss while training",
        x_label: "step",
        y_label: "loss (cross-entropy)",
        series: &series,
        reference: Some((guessing, "guessing")),
        y_floor: Some(0.0),
        x_max: None,
        marks: &[],
        theme: Theme::Light,
    };
    let (svg, done) = render((800, 400), |root| draw_loss_curve(root, &chart));
    done.expect("draws");
    save("loss-curve.svg", &svg);
    assert_eq!(
        count(&svg, "circle"),
        4 + 1,
        "held-out points and their legend marker"
    );
    assert_eq!(drawn(&svg, "training batches"), 1);
    assert_eq!(drawn(&svg, "held-out text"), 1);
    assert_eq!(
        drawn(&svg, &format!("{:.2}", held[3].1)),
        1,
        "the last held-out loss is printed"
    );
    assert!(texts(&svg).iter().any(|t| t.starts_with("guessing ")));
    assert!(
        drawn(&svg, "40") == 1 || drawn(&svg, "35") == 1 || texts(&svg).contains(&"30".to_string())
    );
    // Nothing to draw is an error, not a panic.
    let empty = LossCurve {
        series: &[],
        ..chart
    };
    let (_, result) = render((800, 400), |root| draw_loss_curve(root, &empty));
    assert!(result.is_err());

    // A second stage (training went on with more text): its held-out points join the
    // curve without a second legend entry, and a labelled line marks where it began.
    let later: Vec<(f32, f32)> = vec![(40.0, 5.5), (50.0, 5.0), (60.0, 4.8)];
    let staged = [
        LossSeries {
            label: "held-out text",
            points: &held,
            color: RGBColor(220, 90, 30),
            markers: true,
        },
        LossSeries {
            label: "",
            points: &later,
            color: RGBColor(220, 90, 30),
            markers: true,
        },
    ];
    let chart = LossCurve {
        series: &staged,
        marks: &[(40.0, "+ more text")],
        ..chart
    };
    let (svg, done) = render((800, 400), |root| draw_loss_curve(root, &chart));
    done.expect("draws");
    assert_eq!(
        drawn(&svg, "+ more text"),
        1,
        "the stage's mark is labelled"
    );
    assert_eq!(
        drawn(&svg, "held-out text"),
        1,
        "one legend entry for both stages"
    );
    assert_eq!(
        count(&svg, "circle"),
        held.len() + later.len() + 1,
        "both stages' points and one legend marker"
    );
}
