//! The head view rendered to SVG from MiniLM's real attention: one line per weight that
//! shows, labels in both columns, and pointer positions that map back to tokens.

mod common;

use common::{bold_texts, count, drawn, labels, position, render, save, texts, trace, SEED};
use ndarray::{Array3, Axis};
use tokenscope_views::{draw_head_view, Column, HeadView, Theme};

/// How many (head, query, key) weights of `attention` are drawn as lines. (heads, Q, K)
fn lines_expected(attention: &Array3<f32>, heads: &[bool], rows: &[usize]) -> usize {
    attention
        .axis_iter(Axis(0))
        .zip(heads)
        .filter(|(_, &on)| on)
        .map(|(head, _)| {
            rows.iter()
                .map(|&q| head.row(q).iter().filter(|&&w| w >= 0.01).count())
                .sum::<usize>()
        })
        .sum()
}

#[test]
fn every_head_draws_one_line_per_visible_weight() {
    let trace = trace(SEED);
    let attention = &trace.layers[0].attention; // (heads, S, S)
    let tokens = &trace.input.tokens;
    let heads = vec![true; attention.dim().0];
    let view = HeadView {
        title: "Layer 0 · all heads",
        query_labels: tokens,
        key_labels: tokens,
        attention: attention.view(),
        visible_heads: &heads,
        focus: None,
        theme: Theme::Light,
    };
    let (svg, layout) = render((700, 500), |root| draw_head_view(root, &view));
    let layout = layout.expect("draws");
    let rows: Vec<usize> = (0..tokens.len()).collect();
    let expected = lines_expected(attention, &heads, &rows);
    assert!(
        expected > 100,
        "MiniLM's layer 0 spreads attention: {expected}"
    );
    assert_eq!(count(&svg, "polyline"), expected);
    for token in tokens {
        let copies = tokens.iter().filter(|t| *t == token).count();
        assert_eq!(drawn(&svg, token), 2 * copies, "{token} in both columns");
    }
    assert_eq!(texts(&svg)[0], "Layer 0 · all heads");
    // BertViz's pitch: a 10-token sentence does not stretch to fill 500 px.
    assert_eq!(layout.row_height, 28.0);
    save("head-view-layer0.svg", &svg);
}

#[test]
fn focus_draws_only_that_query_for_visible_heads() {
    let trace = trace(SEED);
    let attention = &trace.layers[2].attention;
    let tokens = &trace.input.tokens;
    let party = position(&trace, "party");
    let heads: Vec<bool> = (0..attention.dim().0).map(|h| h < 3).collect();
    let view = HeadView {
        title: "Layer 2 · heads 0–2 · party",
        query_labels: tokens,
        key_labels: tokens,
        attention: attention.view(),
        visible_heads: &heads,
        focus: Some(party),
        theme: Theme::Dark,
    };
    let (svg, layout) = render((700, 500), |root| draw_head_view(root, &view));
    let layout = layout.expect("draws");
    assert_eq!(
        count(&svg, "polyline"),
        lines_expected(attention, &heads, &[party])
    );
    assert_eq!(
        bold_texts(&svg),
        ["party"],
        "only the focused label is bold"
    );

    // Centre of each label maps back to it; the space between the columns maps to nothing.
    let y = |top: i32, row: usize| top + ((row as f64 + 0.5) * layout.row_height) as i32;
    let query_x = (layout.query_left + layout.query_right) / 2;
    let key_x = (layout.key_left + layout.key_right) / 2;
    assert_eq!(
        layout.token_at(query_x, y(layout.query_top, party)),
        Some((Column::Query, party))
    );
    assert_eq!(
        layout.token_at(key_x, y(layout.key_top, 3)),
        Some((Column::Key, 3))
    );
    let between = (layout.query_right + layout.key_left) / 2;
    assert_eq!(layout.token_at(between, y(layout.key_top, 3)), None);
    assert_eq!(layout.token_at(query_x, layout.query_top - 5), None);
    save("head-view-party-focus.svg", &svg);
}

#[test]
fn sentence_pair_block_has_different_columns() {
    // An A→B filter: queries from one part, keys from another, so the columns differ.
    let queries = labels(&["a", "b"]);
    let keys = labels(&["x", "y", "z"]);
    let attention = Array3::from_shape_fn(
        (2, 2, 3),
        |(h, q, k)| if k == (h + q) % 3 { 0.8 } else { 0.1 },
    );
    let heads = [true, true];
    let view = HeadView {
        title: "",
        query_labels: &queries,
        key_labels: &keys,
        attention: attention.view(),
        visible_heads: &heads,
        focus: None,
        theme: Theme::Light,
    };
    let (svg, layout) = render((400, 300), |root| draw_head_view(root, &view));
    let layout = layout.expect("draws");
    assert_eq!(count(&svg, "polyline"), 12);
    assert!(
        layout.key_top < layout.query_top,
        "the shorter column is centred"
    );
}

#[test]
fn mismatched_shapes_are_errors_not_panics() {
    let tokens = labels(&["a", "b"]);
    let attention = Array3::<f32>::zeros((2, 2, 2));
    let good_heads = [true, false];
    let base = HeadView {
        title: "",
        query_labels: &tokens,
        key_labels: &tokens,
        attention: attention.view(),
        visible_heads: &good_heads,
        focus: None,
        theme: Theme::Light,
    };
    let fails = |view: &HeadView| {
        render((300, 200), |root| draw_head_view(root, view))
            .1
            .is_err()
    };
    assert!(!fails(&base));
    let three = labels(&["a", "b", "c"]);
    assert!(fails(&HeadView {
        query_labels: &three,
        ..base
    }));
    assert!(fails(&HeadView {
        key_labels: &three,
        ..base
    }));
    assert!(fails(&HeadView {
        visible_heads: &[true],
        ..base
    }));
    assert!(fails(&HeadView {
        focus: Some(2),
        ..base
    }));
}
