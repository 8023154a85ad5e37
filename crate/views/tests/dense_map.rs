//! The position-embedding table rendered to SVG from MiniLM: 512 × 384 values in a bounded
//! number of blocks, index ticks on both axes, the sentence's positions bracketed.

mod common;

use common::{count, drawn, model, render, save, trace, SEED};
use ndarray::{arr2, Array2};
use tokenscope_views::{draw_dense_map, DenseMap, Theme};

#[test]
fn position_embeddings_render_from_the_model() {
    let table = model()
        .position_embeddings()
        .expect("MiniLM has a position table"); // (512, 384)
    assert_eq!(table.dim(), (512, 384));
    let used: Vec<usize> = (0..trace(SEED).len()).collect();
    let map = DenseMap {
        title: "Position embeddings · 512 positions × 384 dimensions",
        values: table.view(),
        row_axis: "position",
        col_axis: "dimension",
        highlight_rows: &used,
        theme: Theme::Light,
    };
    let started = std::time::Instant::now();
    let (svg, layout) = render((900, 640), |root| draw_dense_map(root, &map));
    let layout = layout.expect("draws");
    println!("512×384 drawn in {:?}", started.elapsed());
    let rects = count(&svg, "rect");
    assert!(rects <= 49_152 + 2, "{rects} rectangles");
    assert!(rects > 10_000, "still a fine picture: {rects}");
    for tick in ["64", "128", "256", "448"] {
        assert!(drawn(&svg, tick) >= 1, "tick {tick}");
    }
    assert_eq!(drawn(&svg, "position"), 1);
    assert_eq!(drawn(&svg, "dimension"), 1);
    assert_eq!(polylines_of(&svg, 4), 1, "one bracket for positions 0..10");
    let max = table.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(
        layout.scale > 0.0 && layout.scale < max,
        "99th percentile, below the max {max}"
    );

    // The centre of cell (100, 200) maps back to it.
    let x = layout.left + (200.5 * layout.cell_width) as i32;
    let y = layout.top + (100.5 * layout.cell_height) as i32;
    assert_eq!(layout.cell_at(x, y), Some((100, 200)));
    assert_eq!(layout.cell_at(layout.left - 1, y), None);
    save("position-embeddings.svg", &svg);
}

/// How many polylines have `points` points: a bracket has 4, a tick mark 2.
fn polylines_of(svg: &str, points: usize) -> usize {
    svg.split("<polyline")
        .skip(1)
        .filter_map(|p| p.split("points=\"").nth(1)?.split('"').next())
        .filter(|list| list.split_whitespace().count() == points)
        .count()
}

#[test]
fn small_matrix_draws_every_cell() {
    let values = arr2(&[
        [1.0f32, -1.0, 0.0],
        [0.5, 0.25, -0.5],
        [2.0, 0.0, 0.0],
        [0.0, 0.0, 0.1],
    ]);
    let map = DenseMap {
        title: "",
        values: values.view(),
        row_axis: "",
        col_axis: "",
        highlight_rows: &[1, 3],
        theme: Theme::Dark,
    };
    let (svg, layout) = render((400, 300), |root| draw_dense_map(root, &map));
    let layout = layout.expect("draws");
    // Background, 12 cells, an outline per highlighted run (rows 1 and 3 are two runs).
    assert_eq!(count(&svg, "rect"), 1 + 12 + 2);
    assert_eq!(
        layout.cell_at(layout.left + 1, layout.top + 1),
        Some((0, 0))
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let empty = Array2::<f32>::zeros((0, 4));
    let values = Array2::<f32>::zeros((4, 4));
    fn fails<'a>(values: ndarray::ArrayView2<'a, f32>, highlight_rows: &'a [usize]) -> bool {
        let map = DenseMap {
            title: "",
            values,
            row_axis: "",
            col_axis: "",
            highlight_rows,
            theme: Theme::Light,
        };
        render((300, 200), |root| draw_dense_map(root, &map))
            .1
            .is_err()
    }
    assert!(!fails(values.view(), &[0, 3]));
    assert!(fails(empty.view(), &[]));
    assert!(fails(values.view(), &[4]));
}
