//! The "why" tools' charts drawn to SVG: the logit-lens word grid, before/after bars, the word
//! map and the query/key plane; every word and number they are given is drawn, and data that
//! does not fit is an error, not a panic.

mod common;

use common::{count, drawn, labels, render, save};
use tokenscope_views::{
    draw_paired_bars, draw_qk_scatter, draw_token_grid, draw_word_map, PairedBars, Palette,
    QkPoint, QkScatter, Theme, TokenGrid, WordMap,
};

#[test]
fn the_token_grid_writes_every_word_and_refuses_ragged_rows() {
    let rows = labels(&["embeddings", "after layer 0", "output"]);
    let cols = labels(&["the", "party"]);
    let words = vec![
        labels(&["the", "party"]),
        labels(&["and", "was"]),
        labels(&["cat", "."]),
    ];
    let values = vec![vec![0.9, 0.2], vec![0.4, 0.1], vec![0.3, 0.6]];
    let grid = TokenGrid {
        title: "lens",
        row_labels: &rows,
        col_labels: &cols,
        words: &words,
        values: &values,
        selected: Some((2, 1)),
        marked: &[(2, 1)],
        palette: Palette::Sequential { max: 1.0 },
        theme: Theme::Light,
    };
    let (svg, layout) = render((600, 300), |area| draw_token_grid(area, &grid));
    let layout = layout.expect("draws");
    save("token_grid.svg", &svg);
    for word in ["cat", "was", "and"] {
        assert_eq!(drawn(&svg, word), 1, "{word}");
    }
    assert_eq!((layout.rows, layout.cols), (3, 2));
    let ragged = vec![vec![0.9], vec![0.4, 0.1], vec![0.3, 0.6]];
    let bad = TokenGrid {
        values: &ragged,
        ..grid
    };
    assert!(render((600, 300), |area| draw_token_grid(area, &bad))
        .1
        .is_err());
}

#[test]
fn a_diverging_grid_colours_both_signs_and_greys_a_cell_with_no_value() {
    // The ablation scan: rows are layers, columns heads, a switched-off head greyed.
    let rows = labels(&["layer 0", "layer 1"]);
    let cols = labels(&["head 0", "head 1"]);
    let words = vec![labels(&["+0.500", "-0.500"]), labels(&["✕ +0.010", "…"])];
    let values = vec![vec![1.0, -1.0], vec![f32::NAN, 0.0]];
    let grid = TokenGrid {
        title: "scan",
        row_labels: &rows,
        col_labels: &cols,
        words: &words,
        values: &values,
        selected: None,
        marked: &[],
        palette: Palette::Diverging,
        theme: Theme::Light,
    };
    let (svg, layout) = render((500, 260), |area| draw_token_grid(area, &grid));
    layout.expect("draws");
    save("token_grid_diverging.svg", &svg);
    let fill =
        |c: plotters::style::RGBColor| format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
    for (value, what) in [(1.0, "blue"), (-1.0, "red"), (f32::NAN, "grey")] {
        let colour = fill(Palette::Diverging.color(value, Theme::Light));
        assert!(svg.contains(&colour), "no {what} cell ({colour})");
    }
    for word in ["+0.500", "-0.500", "✕ +0.010"] {
        assert_eq!(drawn(&svg, word), 1, "{word}");
    }
}

#[test]
fn paired_bars_print_both_numbers_of_every_label() {
    let names = labels(&["␣party", "␣car"]);
    let bars = PairedBars {
        title: "before / after",
        labels: &names,
        before: &[0.41, 0.02],
        after: &[0.12, 0.3],
        names: ("every head on", "heads off"),
        theme: Theme::Dark,
    };
    let (svg, result) = render((600, 260), |area| draw_paired_bars(area, &bars));
    result.expect("draws");
    save("paired_bars.svg", &svg);
    for number in ["0.4100", "0.0200", "0.1200", "0.3000"] {
        assert_eq!(drawn(&svg, number), 1, "{number}");
    }
    let short = PairedBars {
        after: &[0.1],
        ..bars
    };
    assert!(render((600, 260), |area| draw_paired_bars(area, &short))
        .1
        .is_err());
}

#[test]
fn the_word_map_and_the_query_key_plane_draw_every_point() {
    let words = vec![
        ("cat".to_string(), 1.0, 0.5),
        ("dog".to_string(), 1.2, 0.4),
        ("car".to_string(), -1.0, -0.8),
    ];
    let map = WordMap {
        title: "map",
        words: &words,
        path: &[(0.0, 0.0), (0.5, 0.2), (0.9, 0.1)],
        path_label: "party",
        axes: ("axis 1", "axis 2"),
        theme: Theme::Light,
    };
    let (svg, result) = render((500, 400), |area| draw_word_map(area, &map));
    result.expect("draws");
    save("word_map.svg", &svg);
    assert_eq!(drawn(&svg, "dog"), 1);
    assert_eq!(count(&svg, "circle"), 3 + 3, "three words and three depths");
    let points = vec![
        QkPoint {
            label: "party".into(),
            group: 0,
            query: (0.1, 0.2),
            key: (0.3, -0.1),
        },
        QkPoint {
            label: "celebrate".into(),
            group: 0,
            query: (-0.4, 0.0),
            key: (0.2, 0.2),
        },
    ];
    let plane = QkScatter {
        title: "L0 H0",
        points: &points,
        groups: &["A"],
        markers: ("query", "key"),
        selected: Some((0, &[0.3, 0.7])),
        labels: true,
        theme: Theme::Light,
    };
    let (svg, result) = render((500, 400), |area| draw_qk_scatter(area, &plane));
    result.expect("draws");
    save("qk_scatter.svg", &svg);
    assert_eq!(drawn(&svg, "celebrate"), 1);
    // Nothing to place: an empty plane, not a panic.
    let empty = QkScatter {
        points: &[],
        selected: None,
        ..plane
    };
    assert!(render((500, 400), |area| draw_qk_scatter(area, &empty))
        .1
        .is_ok());
}
