//! The model view rendered to SVG from MiniLM: 6 layers × 12 heads of real attention, every
//! cell drawn, headers in place, pointer positions mapping back to (layer, head).

mod common;

use std::collections::BTreeMap;

use common::{count, drawn, render, save, trace, SEED};
use ndarray::{Array3, ArrayView3};
use tokenscope_views::{draw_model_view, ModelLayout, ModelView, Theme};

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
        kv_groups: None,
        off: &[],
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

/// 2 layers of the same 2-head causal attention over `tokens` tokens (each query spreads its
/// weight evenly over itself and the past), drawn masked.
fn causal_model_view(tokens: usize, theme: Theme, size: (u32, u32)) -> (String, ModelLayout) {
    let causal = Array3::from_shape_fn((2, tokens, tokens), |(_, q, k)| {
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
        theme,
        layer_label: "层",
        head_label: "头",
        kv_groups: None,
        off: &[],
    };
    let (svg, layout) = render(size, |root| draw_model_view(root, &view));
    (svg, layout.expect("draws"))
}

/// Checks that in every thumbnail of `svg` exactly the blocks right of the diagonal are
/// drawn in `theme`'s masked grey; returns how many blocks a side the thumbnails have.
///
/// Each thumbnail is a square grid of blocks: a block's row and column are the ranks of its
/// top and left edge among its thumbnail's, so this holds however pixels round. The diagonal
/// block itself holds past tokens too, so it is not masked.
fn assert_masked_right_of_diagonal(svg: &str, layout: &ModelLayout, theme: Theme) -> usize {
    let masked_fill = hex(theme.masked());
    let mut thumbnails: BTreeMap<(usize, usize), Vec<Rect>> = BTreeMap::new();
    for rect in rects(svg).into_iter().skip(1) {
        let centre = (rect.x + rect.width / 2.0, rect.y + rect.height / 2.0);
        let cell = layout.cell_at(centre.0 as i32, centre.1 as i32);
        thumbnails
            .entry(cell.expect("every block is in a thumbnail"))
            .or_default()
            .push(rect);
    }
    assert_eq!(thumbnails.len(), 4, "2 layers × 2 heads");
    let mut sides = Vec::new();
    for ((layer, head), blocks) in &thumbnails {
        let edges = |edge: fn(&Rect) -> f64| {
            let mut edges: Vec<f64> = blocks.iter().map(edge).collect();
            edges.sort_by(f64::total_cmp);
            edges.dedup();
            edges
        };
        let (tops, lefts) = (edges(|r| r.y), edges(|r| r.x));
        let side = tops.len();
        assert_eq!(lefts.len(), side, "as many columns as rows");
        assert_eq!(blocks.len(), side * side, "a full square of blocks");
        let mut masked = 0;
        for block in blocks {
            let row = tops.iter().position(|&y| y == block.y).expect("a row");
            let column = lefts.iter().position(|&x| x == block.x).expect("a column");
            let is_masked = block.fill == masked_fill;
            assert_eq!(
                is_masked,
                column > row,
                "block (row {row}, column {column}) of thumbnail ({layer}, {head}) is {}",
                block.fill
            );
            masked += is_masked as usize;
        }
        assert_eq!(masked, side * (side - 1) / 2, "thumbnail ({layer}, {head})");
        sides.push(side);
    }
    sides.dedup();
    assert_eq!(
        sides.len(),
        1,
        "every thumbnail has the same blocks: {sides:?}"
    );
    sides[0]
}

#[test]
fn long_causal_input_aggregates_and_masks_blocks() {
    // 200 tokens in thumbnails of about a hundred pixels: blocks, not 40 000 cells per head.
    let (svg, layout) = causal_model_view(200, Theme::Dark, (300, 300));
    let per_thumb = (count(&svg, "rect") - 1) / 4;
    assert!(
        per_thumb < (layout.thumb as usize + 1).pow(2),
        "{per_thumb} blocks per thumbnail"
    );
    let side = assert_masked_right_of_diagonal(&svg, &layout, Theme::Dark);
    assert!((4..200).contains(&side), "{side} blocks a side");
    assert_eq!(drawn(&svg, "层 1"), 1);
}

#[test]
fn short_causal_input_masks_every_future_cell() {
    // Few enough tokens that each cell is its own block: the mask is exactly key > query.
    let (svg, layout) = causal_model_view(6, Theme::Light, (400, 400));
    assert_eq!(
        assert_masked_right_of_diagonal(&svg, &layout, Theme::Light),
        6
    );
}

/// A filled `<rect>` as the SVG backend writes it.
struct Rect {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    fill: String,
}

/// Every `<rect>` in drawing order.
fn rects(svg: &str) -> Vec<Rect> {
    svg.split("<rect ")
        .skip(1)
        .map(|r| {
            // The split ate the space before the first attribute.
            let r = format!(" {r}");
            let attribute = |name: &str| {
                let start = r.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
                let rest = &r[start..];
                rest[..rest.find('"').expect("closing quote")].to_string()
            };
            let number = |name: &str| attribute(name).parse::<f64>().expect("a number");
            Rect {
                x: number("x"),
                y: number("y"),
                width: number("width"),
                height: number("height"),
                fill: attribute("fill"),
            }
        })
        .collect()
}

/// A colour as the SVG backend writes it, "#RRGGBB".
fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
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
            kv_groups: None,
            off: &[],
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

/// Grouped-query attention: a bracket and a label over each run of heads sharing a
/// key/value head, and the thumbnails and their pointer mapping move down to make room.
#[test]
fn shared_key_value_heads_are_bracketed_over_their_heads() {
    let trace = trace(SEED);
    let attention: Vec<ArrayView3<f32>> = trace.layers.iter().map(|l| l.attention.view()).collect();
    let view = |kv_groups| ModelView {
        attention: &attention,
        selected: None,
        mask_upper: false,
        theme: Theme::Light,
        layer_label: "Layer",
        head_label: "Head",
        kv_groups,
        off: &[],
    };
    let (plain, plain_layout) = render((1000, 560), |root| draw_model_view(root, &view(None)));
    let (grouped, layout) = render((1000, 560), |root| {
        draw_model_view(root, &view(Some((4, "K/V"))))
    });
    let (plain_layout, layout) = (plain_layout.expect("draws"), layout.expect("draws"));
    for group in 0..3 {
        assert_eq!(drawn(&grouped, &format!("K/V {group}")), 1, "group {group}");
        assert_eq!(drawn(&plain, &format!("K/V {group}")), 0);
    }
    assert_eq!(
        count(&grouped, "polyline"),
        count(&plain, "polyline") + 3,
        "one bracket per group"
    );
    assert!(layout.top > plain_layout.top);
    let (x, y) = (
        layout.left + (0.5 * layout.pitch) as i32,
        layout.top + (0.5 * layout.pitch) as i32,
    );
    assert_eq!(layout.cell_at(x, y), Some((0, 0)));
    // Groups that do not divide the heads draw no brackets rather than wrong ones.
    let (odd, _) = render((1000, 560), |root| {
        draw_model_view(root, &view(Some((5, "K/V"))))
    });
    assert_eq!(drawn(&odd, "K/V 0"), 0);
}
