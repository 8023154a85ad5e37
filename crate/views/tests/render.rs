//! The views rendered natively to SVG: the same functions the page draws on canvas.

use ndarray::arr2;
use plotters::prelude::*;
use tokenscope_views::{draw_heatmap, Heatmap, Palette, Theme};

fn labels(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The text content of every `<text>` element, in drawing order.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..t.find("</text>")?];
            Some(body.trim().to_string())
        })
        .collect()
}

fn render(map: &Heatmap, size: (u32, u32)) -> (String, tokenscope_views::heatmap::HeatmapLayout) {
    let mut svg = String::new();
    let layout = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_heatmap(&root, map).expect("draws")
    };
    (svg, layout)
}

#[test]
fn attention_heatmap_draws_every_cell_label_and_value() {
    let tokens = labels(&["[CLS]", "big", "party", "[SEP]"]);
    let values = arr2(&[
        [0.7f32, 0.1, 0.1, 0.1],
        [0.2, 0.5, 0.2, 0.1],
        [0.05, 0.6, 0.3, 0.05],
        [0.25, 0.25, 0.25, 0.25],
    ]);
    let map = Heatmap {
        title: "Layer 1 · head 3",
        row_labels: &tokens,
        col_labels: &tokens,
        values: &values,
        palette: Palette::Sequential { max: 1.0 },
        mask_upper: false,
        highlight_row: Some(2),
        theme: Theme::Light,
    };
    let (svg, layout) = render(&map, (640, 480));
    let drawn = texts(&svg);
    for label in &tokens {
        let count = drawn.iter().filter(|t| *t == label).count();
        assert_eq!(count, 2, "{label} labels a row and a column");
    }
    let values_drawn = drawn.iter().filter(|t| t.parse::<f32>().is_ok()).count();
    assert_eq!(values_drawn, 16, "every cell prints its value");
    assert!(drawn.iter().any(|t| t == "0.60"));
    assert_eq!(drawn[0], "Layer 1 · head 3");
    // Cell (2, 1) is under its centre pixel, and nothing is outside the grid.
    let x = layout.left + (1.5 * layout.cell_width) as i32;
    let y = layout.top + (2.5 * layout.cell_height) as i32;
    assert_eq!(layout.cell_at(x, y), Some((2, 1)));
    assert_eq!(layout.cell_at(layout.left - 2, y), None);
    assert_eq!(layout.cell_at(x, 10_000), None);
}

#[test]
fn causal_mask_leaves_future_cells_without_values() {
    let tokens = labels(&["Hello", "Ġworld", "!"]);
    let values = arr2(&[[1.0f32, 0.0, 0.0], [0.4, 0.6, 0.0], [0.2, 0.3, 0.5]]);
    let map = Heatmap {
        title: "",
        row_labels: &tokens,
        col_labels: &tokens,
        values: &values,
        palette: Palette::Sequential { max: 1.0 },
        mask_upper: true,
        highlight_row: None,
        theme: Theme::Dark,
    };
    let (svg, _) = render(&map, (400, 300));
    // Six visible cells print values; the three masked ones print none.
    let drawn = texts(&svg);
    let values: Vec<&String> = drawn.iter().filter(|t| t.parse::<f32>().is_ok()).collect();
    assert_eq!(values, ["1.00", "0.40", "0.60", "0.20", "0.30", "0.50"]);
}

#[test]
fn mismatched_labels_are_an_error_not_a_panic() {
    let tokens = labels(&["a", "b"]);
    let values = arr2(&[[1.0f32]]);
    let map = Heatmap {
        title: "",
        row_labels: &tokens,
        col_labels: &tokens,
        values: &values,
        palette: Palette::Diverging,
        mask_upper: false,
        highlight_row: None,
        theme: Theme::Light,
    };
    let mut svg = String::new();
    let root = SVGBackend::with_string(&mut svg, (100, 100)).into_drawing_area();
    assert!(draw_heatmap(&root, &map).is_err());
}

/// The real model's numbers through the real chart: layer 0 of MiniLM on the seed sentence,
/// averaged over heads. Written to target/views/ so a person can look at it.
#[test]
fn seed_sentence_attention_renders_from_the_model() {
    use std::path::Path;
    use tokenscope_core::analysis::mean_over_heads;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = tokenscope_core::Model::from_dir(&root.join("assets/models/all-MiniLM-L6-v2"))
        .expect("embedded model loads");
    let trace = model
        .trace("students celebrate the graduation with a big party", None)
        .expect("runs");
    let values = mean_over_heads(&trace.layers[0].attention);
    let party = trace.input.tokens.iter().position(|t| t == "party");
    let map = Heatmap {
        title: "Layer 0 · mean of 12 heads · row = query, column = key",
        row_labels: &trace.input.tokens,
        col_labels: &trace.input.tokens,
        values: &values,
        palette: Palette::Sequential { max: 1.0 },
        mask_upper: false,
        highlight_row: party,
        theme: Theme::Light,
    };
    let (svg, _) = render(&map, (900, 700));
    let drawn = texts(&svg);
    let printed: Vec<f32> = drawn.iter().filter_map(|t| t.parse().ok()).collect();
    assert_eq!(printed.len(), 100);
    for (shown, real) in printed.iter().zip(values.iter()) {
        assert!((shown - real).abs() <= 0.005, "{shown} is {real} rounded");
    }
    let out = root.join("target/views");
    std::fs::create_dir_all(&out).expect("target dir");
    std::fs::write(out.join("attention-layer0.svg"), svg).expect("writes");
}
