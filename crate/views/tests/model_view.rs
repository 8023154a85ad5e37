//! The model view rendered to SVG from MiniLM: 6 layers × 12 heads of real attention, every
//! cell drawn, headers in place, pointer positions mapping back to (layer, head).

mod common;

use common::{count, drawn, render, save, trace, SEED};
use ndarray::{Array3, ArrayView3};
use tokenscope_views::{draw_model_view, ModelView, Theme};

#[test]
fn every_head_of_every_layer_draws_from_the_model() {
    let trace = trace(SEED);
    let attention: Vec<ArrayView3<f32>> = trace.layers.iter().map(|l| l.attention.view()).collect();
    let (layers, heads, tokens) = (attention.len(), attention[0].dim().0, trace.len());
    assert_eq!((layers, heads, tokens), (6, 12, 10));
    let view = ModelView {
        attention: &attention,
        selected: Some((3, 7)),
        mask_upper: false,
        theme: Theme::Light,
        layer_label: "Layer",
        head_label: "Head",
    };
    let started = std::time::Instant::now();
    let (svg, layout) = render((1000, 560), |root| draw_model_view(root, &view));
    let layout = layout.expect("draws");
    println!("model view drawn in {:?}", started.elapsed());
    assert_eq!(
        count(&svg, "rect"),
        1 + layers * heads * tokens * tokens + 1,
        "background, every cell, the selection outline"
    );
    for layer in 0..layers {
        assert_eq!(drawn(&svg, &format!("Layer {layer}")), 1);
    }
    for head in 0..heads {
        assert_eq!(drawn(&svg, &head.to_string()), 1, "head {head} header");
    }
    assert_eq!(drawn(&svg, "Head"), 1);
    let centre = |layer: usize, head: usize| {
        (
            layout.left + ((head as f64 + 0.5) * layout.pitch) as i32,
            layout.top + ((layer as f64 + 0.5) * layout.pitch) as i32,
        )
    };
    let (x, y) = centre(3, 7);
    assert_eq!(layout.cell_at(x, y), Some((3, 7)));
    let (x, y) = centre(5, 11);
    assert_eq!(layout.cell_at(x, y), Some((5, 11)));
    assert_eq!(layout.cell_at(layout.left - 1, y), None);
    let (x, y) = centre(6, 0);
    assert_eq!(layout.cell_at(x, y), None, "below the last layer");
    save("model-view.svg", &svg);
}

#[test]
fn long_causal_input_aggregates_and_masks_blocks() {
    // 200 tokens in thumbnails of a few dozen pixels: blocks, not 40 000 cells per head.
    let causal = Array3::from_shape_fn((2, 200, 200), |(_, q, k)| {
        if k <= q {
            1.0 / (q + 1) as f32
        } else {
            0.0
        }
    });
    let attention = [causal.view(), causal.view()];
    let view = ModelView {
        attention: &attention,
        selected: None,
        mask_upper: true,
        theme: Theme::Dark,
        layer_label: "层",
        head_label: "头",
    };
    let (svg, layout) = render((300, 300), |root| draw_model_view(root, &view));
    let layout = layout.expect("draws");
    let per_thumb = (count(&svg, "rect") - 1) / 4;
    assert!(
        per_thumb < (layout.thumb as usize + 1).pow(2),
        "{per_thumb} blocks per thumbnail"
    );
    assert_eq!(drawn(&svg, "层 1"), 1);
}

#[test]
fn mismatched_layers_are_an_error_not_a_panic() {
    let square = Array3::<f32>::zeros((2, 3, 3));
    let other = Array3::<f32>::zeros((2, 4, 4));
    let oblong = Array3::<f32>::zeros((2, 3, 4));
    fn fails<'a>(attention: &'a [ArrayView3<'a, f32>]) -> bool {
        let view = ModelView {
            attention,
            selected: Some((9, 9)),
            mask_upper: false,
            theme: Theme::Light,
            layer_label: "Layer",
            head_label: "Head",
        };
        render((400, 300), |root| draw_model_view(root, &view))
            .1
            .is_err()
    }
    assert!(
        !fails(&[square.view()]),
        "an out-of-range selection is ignored"
    );
    assert!(fails(&[]));
    assert!(fails(&[square.view(), other.view()]));
    assert!(fails(&[oblong.view()]));
}
