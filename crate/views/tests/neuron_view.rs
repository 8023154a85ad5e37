//! The neuron view rendered to SVG from MiniLM's real q, k, v of one head: the softmax it
//! prints is the model's attention row, and the output row is Σ softmax · v.

mod common;

use common::{bold_texts, count, drawn, labels, position, render, save, texts, trace, SEED};
use ndarray::{s, Array1, Array2, Axis};
use tokenscope_views::{draw_neuron_view, NeuronHeaders, NeuronView, Theme};

#[test]
fn party_in_layer0_head0_prints_the_models_softmax() {
    let trace = trace(SEED);
    let layer = &trace.layers[0];
    let (head, party) = (0, position(&trace, "party"));
    let query = layer.query.slice(s![head, party, ..]).to_vec(); // (d)
    let keys = layer.key.index_axis(Axis(0), head); // (S, d)
    let values = layer.value.index_axis(Axis(0), head); // (S, d)
    let scores = layer.scores.slice(s![head, party, ..]).to_vec(); // (S)
    let probs = layer.attention.slice(s![head, party, ..]).to_vec(); // (S)
    let context: Array1<f32> = probs
        .iter()
        .zip(values.axis_iter(Axis(0)))
        .fold(Array1::zeros(values.ncols()), |sum, (&p, v)| sum + &v * p); // (d)
    let context = context.to_vec();
    let (tokens, dim) = (trace.len(), query.len());
    assert_eq!(dim, 32, "MiniLM: 384 hidden / 12 heads");
    let view = NeuronView {
        title: "Layer 0 · head 0 · query \"party\"",
        headers: NeuronHeaders::english(),
        query_label: "party",
        key_labels: &trace.input.tokens,
        query: &query,
        keys,
        values,
        scores: &scores,
        probs: &probs,
        context: &context,
        masked_from: None,
        theme: Theme::Light,
    };
    let (svg, layout) = render((1100, 480), |root| draw_neuron_view(root, &view));
    let layout = layout.expect("draws");

    let drawn_texts = texts(&svg);
    let printed: Vec<&String> = drawn_texts
        .iter()
        .filter(|t| t.len() == 5 && t.starts_with("0."))
        .collect();
    let expected: Vec<String> = probs.iter().map(|p| format!("{p:.3}")).collect();
    assert_eq!(
        printed,
        expected.iter().collect::<Vec<_>>(),
        "softmax column"
    );
    for score in &scores {
        assert!(
            drawn_texts.contains(&format!("{score:.2}")),
            "score {score}"
        );
    }
    let english = NeuronHeaders::english();
    for header in [
        english.key,
        english.k,
        english.product,
        english.score,
        english.softmax,
        english.value,
        english.query,
        english.context,
    ] {
        assert_eq!(drawn(&svg, header), 1, "header {header}");
    }
    assert_eq!(
        bold_texts(&svg).iter().filter(|t| *t == "party").count(),
        1,
        "the query label"
    );
    // Bands: q and the context, then k, q × k and v for every key, each cell a rect, plus
    // an outline per band, the background, and a track and a bar per softmax.
    let bands = 2 + 3 * tokens;
    let bars = 2 * tokens - probs.iter().filter(|p| **p * 72.0 < 0.5).count();
    assert_eq!(count(&svg, "rect"), 1 + bands * (dim + 1) + bars);

    let y = |row: usize| layout.top + ((row as f64 + 0.5) * layout.row_height) as i32;
    assert_eq!(layout.row_at(300, y(party)), Some(party));
    assert_eq!(layout.row_at(300, y(0)), Some(0));
    assert_eq!(
        layout.row_at(300, layout.top - 3),
        None,
        "the query row is not a key"
    );
    assert_eq!(layout.row_at(300, y(tokens)), None, "nor is the output row");
    save("neuron-view-party.svg", &svg);
}

#[test]
fn masked_keys_print_no_numbers_and_headers_can_be_translated() {
    let keys = Array2::from_shape_fn((4, 8), |(j, i)| ((j * 8 + i) as f32).sin());
    let values = Array2::from_shape_fn((4, 8), |(j, i)| ((j + i) as f32).cos());
    let query: Vec<f32> = (0..8).map(|i| i as f32 / 8.0 - 0.5).collect();
    let probs = [0.25f32, 0.75, 0.0, 0.0];
    let scores = [0.1f32, 1.2, -3.0, 4.0];
    let context: Vec<f32> = (0..8)
        .map(|i| probs[0] * values[[0, i]] + probs[1] * values[[1, i]])
        .collect();
    let tokens = labels(&["The", "Ġcat", "Ġsat", "Ġdown"]);
    let headers = NeuronHeaders {
        key: "键",
        k: "k",
        product: "q × k",
        score: "分数",
        softmax: "softmax",
        value: "值 v",
        query: "查询 q",
        context: "Σ 权重·v",
    };
    let view = NeuronView {
        title: "",
        headers,
        query_label: "Ġcat",
        key_labels: &tokens,
        query: &query,
        keys: keys.view(),
        values: values.view(),
        scores: &scores,
        probs: &probs,
        context: &context,
        masked_from: Some(2),
        theme: Theme::Dark,
    };
    let (svg, layout) = render((900, 300), |root| draw_neuron_view(root, &view));
    layout.expect("draws");
    let drawn_texts = texts(&svg);
    let numbers: Vec<&String> = drawn_texts
        .iter()
        .filter(|t| t.parse::<f32>().is_ok())
        .collect();
    assert_eq!(
        numbers,
        ["0.10", "0.250", "1.20", "0.750"],
        "only the visible keys"
    );
    for header in ["键", "分数", "值 v", "查询 q", "Σ 权重·v"] {
        assert_eq!(drawn(&svg, header), 1, "header {header}");
    }
    assert_eq!(drawn(&svg, "Ġdown"), 1, "masked keys keep their label");
    save("neuron-view-masked.svg", &svg);
}

#[test]
fn mismatched_lengths_are_errors_not_panics() {
    let keys = Array2::<f32>::zeros((2, 4));
    let tokens = labels(&["a", "b"]);
    let four = [0.0f32; 4];
    let two = [0.5f32; 2];
    let base = NeuronView {
        title: "",
        headers: NeuronHeaders::english(),
        query_label: "a",
        key_labels: &tokens,
        query: &four,
        keys: keys.view(),
        values: keys.view(),
        scores: &two,
        probs: &two,
        context: &four,
        masked_from: None,
        theme: Theme::Light,
    };
    let fails = |view: &NeuronView| {
        render((900, 300), |root| draw_neuron_view(root, view))
            .1
            .is_err()
    };
    assert!(!fails(&base));
    let wide = Array2::<f32>::zeros((2, 5));
    assert!(fails(&NeuronView {
        values: wide.view(),
        ..base
    }));
    assert!(fails(&NeuronView {
        query: &two,
        ..base
    }));
    assert!(fails(&NeuronView {
        context: &two,
        ..base
    }));
    assert!(fails(&NeuronView {
        scores: &four,
        ..base
    }));
    assert!(fails(&NeuronView {
        probs: &[1.0],
        ..base
    }));
    assert!(fails(&NeuronView {
        key_labels: &tokens[..1],
        ..base
    }));
}
