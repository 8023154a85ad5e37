//! The word + position strips and the id number line, drawn from the real model to SVG.

mod common;

use common::{count, drawn, position, render, save, texts, trace, SEED};
use tokenscope_views::id_line::{draw_id_line, IdLine, IdMark};
use tokenscope_views::strips::{draw_strips, Strip, Strips};
use tokenscope_views::Theme;

#[test]
fn word_plus_position_draws_three_strips_of_the_model_rows() {
    let trace = trace(SEED);
    let party = position(&trace, "party");
    let word = trace.embeddings.word.row(party).to_vec();
    let place = trace
        .embeddings
        .position
        .as_ref()
        .expect("MiniLM has position rows")
        .row(party)
        .to_vec();
    let sum: Vec<f32> = word.iter().zip(&place).map(|(w, p)| w + p).collect();
    let strips = [
        Strip {
            label: "word “party”",
            values: &word,
        },
        Strip {
            label: "+ position 8",
            values: &place,
        },
        Strip {
            label: "= word + position",
            values: &sum,
        },
    ];
    let (svg, layout) = render((900, 260), |area| {
        draw_strips(
            area,
            &Strips {
                title: "“party” enters the model",
                strips: &strips,
                theme: Theme::Light,
            },
        )
    });
    let layout = layout.expect("draws");
    save("strips-party.svg", &svg);
    // One cell per number in each strip, plus the title frame outlines.
    assert!(
        count(&svg, "rect") >= 3 * 384,
        "{} rects",
        count(&svg, "rect")
    );
    assert_eq!(drawn(&svg, "+ position 8"), 1);
    // The shared scale is the largest |value| of all three strips.
    let largest = word
        .iter()
        .chain(&place)
        .chain(&sum)
        .fold(0.0f32, |m, v| m.max(v.abs()));
    assert_eq!(layout.scale, largest);
    // Hit-testing: the middle of strip 1, dimension 100.
    let x = layout.left + (layout.cell_width * 100.5) as i32;
    let y = layout.top + layout.pitch + layout.height / 2;
    assert_eq!(layout.cell_at(x, y, 3), Some((1, 100)));
    assert_eq!(
        layout.cell_at(x, layout.top + 3 * layout.pitch + 1, 3),
        None
    );
}

#[test]
fn strips_of_different_lengths_are_an_error() {
    let (_, result) = render((300, 100), |area| {
        draw_strips(
            area,
            &Strips {
                title: "",
                strips: &[
                    Strip {
                        label: "a",
                        values: &[1.0, 2.0],
                    },
                    Strip {
                        label: "b",
                        values: &[1.0],
                    },
                ],
                theme: Theme::Dark,
            },
        )
    });
    assert!(result.is_err());
    let (_, empty) = render((300, 100), |area| {
        draw_strips(
            area,
            &Strips {
                title: "",
                strips: &[],
                theme: Theme::Dark,
            },
        )
    });
    assert!(empty.is_err());
}

#[test]
fn id_line_labels_every_token_with_its_id() {
    let trace = trace(SEED);
    let marks: Vec<IdMark> = trace
        .input
        .tokens
        .iter()
        .zip(&trace.input.ids)
        .map(|(token, &id)| IdMark {
            token,
            id,
            selected: token == "party",
        })
        .collect();
    let (svg, layout) = render((1000, 300), |area| {
        draw_id_line(
            area,
            &IdLine {
                title: "ids",
                vocab_size: 30522,
                marks: &marks,
                theme: Theme::Light,
            },
        )
    });
    let layout = layout.expect("draws");
    save("id-line.svg", &svg);
    let labels = texts(&svg);
    for (token, id) in trace.input.tokens.iter().zip(&trace.input.ids) {
        assert!(labels.contains(&format!("{token} {id}")), "{token} {id}");
    }
    // Ticks sit in id order from left to right.
    let party = trace
        .input
        .tokens
        .iter()
        .position(|t| t == "party")
        .expect("party");
    let celebrate = trace
        .input
        .tokens
        .iter()
        .position(|t| t == "celebrate")
        .expect("celebrate");
    assert!(
        layout.ticks[party].0 < layout.ticks[celebrate].0,
        "2283 left of 8439"
    );
    let (_, bad) = render((300, 100), |area| {
        draw_id_line(
            area,
            &IdLine {
                title: "",
                vocab_size: 10,
                marks: &[IdMark {
                    token: "x",
                    id: 10,
                    selected: false,
                }],
                theme: Theme::Light,
            },
        )
    });
    assert!(bad.is_err(), "an id outside the vocabulary");
}

#[test]
fn next_token_bars_print_every_label_and_probability() {
    use tokenscope_views::bars::{draw_bars, Bars};
    let labels: Vec<String> = ["␣party", "␣the", ","]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let values = [0.5f32, 0.25, 0.125];
    let (svg, layout) = render((600, 200), |area| {
        draw_bars(
            area,
            &Bars {
                title: "next token",
                labels: &labels,
                values: &values,
                highlight: Some(1),
                theme: Theme::Dark,
            },
        )
    });
    let layout = layout.expect("draws");
    save("next-token-bars.svg", &svg);
    for (label, value) in labels.iter().zip(values) {
        assert_eq!(drawn(&svg, label), 1);
        assert_eq!(drawn(&svg, &format!("{value:.4}")), 1);
    }
    assert_eq!(layout.row_at(layout.top + layout.pitch + 1), Some(1));
    assert_eq!(layout.row_at(layout.top + 3 * layout.pitch + 1), None);
    let (_, bad) = render((100, 100), |area| {
        draw_bars(
            area,
            &Bars {
                title: "",
                labels: &labels,
                values: &[0.1],
                highlight: None,
                theme: Theme::Light,
            },
        )
    });
    assert!(bad.is_err());
}
