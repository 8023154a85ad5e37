//! The cosine-by-depth chart rendered to SVG from MiniLM: the two "party"s start identical
//! and drift apart, one marked point per depth.

mod common;

use common::{count, drawn, labels, position, render, save, texts, trace, OTHER_PARTY, SEED};
use plotters::style::RGBColor;
use tokenscope_core::analysis::layerwise_cosine;
use tokenscope_views::{draw_line_chart, head_color, LineChart, Series, Theme};

fn depths() -> Vec<String> {
    labels(&["static", "emb", "L0", "L1", "L2", "L3", "L4", "L5"])
}

#[test]
fn party_cosine_by_depth_renders_from_the_model() {
    let (a, b) = (trace(SEED), trace(OTHER_PARTY));
    let values =
        layerwise_cosine(&a, position(&a, "party"), &b, position(&b, "party")).expect("same model");
    assert_eq!(values.len(), 8);
    let x_labels = depths();
    let series = [Series {
        label: "party · party",
        values: &values,
        color: RGBColor(37, 78, 200),
    }];
    let chart = LineChart {
        title: "cos(party in sentence A, party in sentence B) by depth",
        x_labels: &x_labels,
        y_label: "cosine",
        y_range: (0.5, 1.0),
        series: &series,
        highlight_x: Some(4),
        theme: Theme::Light,
    };
    let (svg, done) = render((800, 420), |root| draw_line_chart(root, &chart));
    done.expect("draws");
    assert_eq!(count(&svg, "circle"), 8, "one marker per depth");
    for label in &x_labels {
        assert_eq!(drawn(&svg, label), 1, "{label} on the x axis");
    }
    let last = format!("{:.2}", values[7]);
    assert!(texts(&svg).contains(&last), "last value {last} printed");
    assert_eq!(drawn(&svg, "cosine"), 1);
    assert_eq!(
        drawn(&svg, "party · party"),
        0,
        "one series needs no legend"
    );
    for tick in ["0.5", "0.6", "0.7", "0.8", "0.9", "1.0"] {
        assert_eq!(drawn(&svg, tick), 1, "y tick {tick}");
    }
    save("cosine-by-depth.svg", &svg);
}

#[test]
fn several_series_get_a_legend_and_nan_breaks_the_line() {
    let x_labels = depths();
    let first = [1.0f32, 1.0, 0.9, 0.86, 0.81, 0.81, 0.83, 0.74];
    let second = [1.0f32, 0.95, f32::NAN, 0.7, 0.6, 0.5, 0.45, 0.4];
    let series = [
        Series {
            label: "party · party",
            values: &first,
            color: head_color(0),
        },
        Series {
            label: "bank · bank",
            values: &second,
            color: head_color(1),
        },
    ];
    let chart = LineChart {
        title: "",
        x_labels: &x_labels,
        y_label: "",
        y_range: (0.0, 1.0),
        series: &series,
        highlight_x: None,
        theme: Theme::Dark,
    };
    let (svg, done) = render((640, 360), |root| draw_line_chart(root, &chart));
    done.expect("draws");
    assert_eq!(drawn(&svg, "party · party"), 1);
    assert_eq!(drawn(&svg, "bank · bank"), 1);
    assert_eq!(
        count(&svg, "circle"),
        2 + 8 + 7,
        "legend swatches and finite points"
    );
    assert!(texts(&svg).contains(&"0.40".to_string()));
    save("cosine-two-series.svg", &svg);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let x_labels = depths();
    let short = [1.0f32, 0.5];
    let full = [0.5f32; 8];
    let chart = |series: &[Series], y_range, highlight_x| {
        let chart = LineChart {
            title: "",
            x_labels: &x_labels,
            y_label: "",
            y_range,
            series,
            highlight_x,
            theme: Theme::Light,
        };
        render((400, 300), |root| draw_line_chart(root, &chart)).1
    };
    let series = |values| {
        [Series {
            label: "s",
            values,
            color: head_color(2),
        }]
    };
    assert!(chart(&series(&full), (0.0, 1.0), Some(7)).is_ok());
    assert!(chart(&series(&short), (0.0, 1.0), None).is_err());
    assert!(chart(&series(&full), (1.0, 1.0), None).is_err());
    assert!(chart(&series(&full), (0.0, 1.0), Some(8)).is_err());
}
