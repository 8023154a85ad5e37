//! Head ablation: switch attention heads off (their outputs zeroed before the layer's output
//! projection) and see what changes: a GPT's next-token candidates before and after, or for
//! BERT how the selected token's final vector moves and which tokens of its sentence it is
//! now closest to. Every other view also shows the model without those heads.

use ndarray::ArrayView1;
use plotters::prelude::DrawingBackend;
use tokenscope_core::analysis::cosine;
use tokenscope_views::{draw_paired_bars, PairedBars};

use super::kit::{
    four, loaded, message, theme, Area, CanvasPlan, Hit, PaintResult, Panel, Pointer,
};
use super::out::{Out, Table};
use super::scan::{paint_grid, scan_in_words, scan_table};
use crate::page::{readable, Msg, PageModel, ViewNeeds};
use crate::protocol::{Baseline, NextPair, SentenceData};

pub struct Ablate;

impl Panel for Ablate {
    const NEEDS: ViewNeeds = ViewNeeds {
        scan: true,
        ..ViewNeeds::NONE
    };

    fn canvases(model: &PageModel) -> Vec<CanvasPlan> {
        let layers = model.facts.as_ref().map_or(6, |f| f.num_layers) as u32;
        vec![
            CanvasPlan::tall("ablate-grid", (layers * 36 + 120).clamp(240, 1000)),
            // With every head on there is nothing to compare: one line, not an empty chart.
            if model.state.ablate.is_empty() {
                CanvasPlan::tall("ablate-effect", 80)
            } else {
                CanvasPlan::fixed("ablate-effect")
            },
        ]
    }

    fn paint<DB: DrawingBackend>(name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        let Some(facts) = loaded(model) else {
            return message(area, model, model.t("loading"));
        };
        if name == "ablate-grid" {
            return paint_grid(model, facts.num_layers, facts.num_heads, area);
        }
        if model.state.ablate.is_empty() {
            return message(area, model, model.t("ablate-none"));
        }
        let Some((sentence, index, baseline)) = compared(model) else {
            return message(area, model, model.t("loading"));
        };
        let title = format!(
            "{} “{}”",
            model.t("ablate-effect-title"),
            readable(&sentence.tokens[index])
        );
        let names = (model.t("ablate-before"), model.t("ablate-after"));
        let (labels, before, after): (Vec<String>, Vec<f32>, Vec<f32>) =
            match baseline.next.get(index) {
                Some(pairs) => (
                    pairs.iter().map(|p| readable(&p.token)).collect(),
                    pairs.iter().map(|p| p.before).collect(),
                    pairs.iter().map(|p| p.after).collect(),
                ),
                None => {
                    let near = nearest(model, sentence, index, baseline);
                    (
                        near.iter()
                            .map(|n| readable(&sentence.tokens[n.0]))
                            .collect(),
                        near.iter().map(|n| n.1).collect(),
                        near.iter().map(|n| n.2).collect(),
                    )
                }
            };
        draw_paired_bars(
            area,
            &PairedBars {
                title: &title,
                labels: &labels,
                before: &before,
                after: &after,
                names,
                theme: theme(model),
            },
        )?;
        Ok(Hit::None.into())
    }

    fn on_pointer(name: &str, hit: &Hit, pointer: Pointer, _model: &PageModel) -> Vec<Msg> {
        match (name, hit, pointer) {
            ("ablate-grid", Hit::Heatmap(layout), Pointer::Click(x, y)) => layout
                .cell_at(x, y)
                .map(|(layer, head)| vec![Msg::ToggleAblate { layer, head }])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn render(model: &PageModel, out: &mut Out) {
        out.table("ablate-scan-table", scan_table(model));
        out.text("ablate-scan-text", scan_in_words(model));
        let found = compared(model);
        out.table(
            "ablate-table",
            found.and_then(|(s, i, b)| effect_table(model, s, i, b)),
        );
        out.text(
            "ablate-text",
            found
                .and_then(|(s, i, b)| in_words(model, s, i, b))
                .unwrap_or_else(|| model.t("ablate-none").to_string()),
        );
    }
}

/// The selected token's sentence, its index, and the run with every head on.
fn compared(model: &PageModel) -> Option<(&SentenceData, usize, &Baseline)> {
    let chip = model.selected_chip()?;
    let sentence = model.sentence(chip.source)?;
    Some((sentence, chip.index, sentence.baseline.as_ref()?))
}

fn row<'a>(flat: &'a [f32], index: usize, width: usize) -> Option<ArrayView1<'a, f32>> {
    flat.get(index * width..(index + 1) * width)
        .map(ArrayView1::from)
}

/// BERT: the other tokens of the sentence closest to the selected token's final vector
/// with every head on, and their cosine with the heads off: (token, before, after).
fn nearest(
    model: &PageModel,
    sentence: &SentenceData,
    index: usize,
    baseline: &Baseline,
) -> Vec<(usize, f32, f32)> {
    let Some(width) = model.analysis.as_ref().map(|a| a.hidden_size) else {
        return Vec::new();
    };
    let (Some(me_before), Some(me_after)) = (
        row(&baseline.final_vectors, index, width),
        row(&baseline.ablated_final_vectors, index, width),
    ) else {
        return Vec::new();
    };
    let mut near: Vec<(usize, f32, f32)> = (0..sentence.tokens.len())
        .filter(|&k| k != index && !sentence.special.get(k).copied().unwrap_or(false))
        .filter_map(|k| {
            let before = row(&baseline.final_vectors, k, width)?;
            let after = row(&baseline.ablated_final_vectors, k, width)?;
            Some((k, cosine(me_before, before), cosine(me_after, after)))
        })
        .collect();
    near.sort_by(|a, b| b.1.total_cmp(&a.1));
    near.truncate(8);
    near
}

/// The numbers of the effect chart.
fn effect_table(
    model: &PageModel,
    sentence: &SentenceData,
    index: usize,
    baseline: &Baseline,
) -> Option<Table> {
    let cols = vec![
        model.t("ablate-before").to_string(),
        model.t("ablate-after").to_string(),
        model.t("ablate-change").to_string(),
    ];
    let caption = format!(
        "{} “{}”",
        model.t("ablate-effect-title"),
        readable(&sentence.tokens[index])
    );
    let rows: Vec<(String, f32, f32)> = match baseline.next.get(index) {
        Some(pairs) => pairs
            .iter()
            .map(|p: &NextPair| (readable(&p.token), p.before, p.after))
            .collect(),
        None => nearest(model, sentence, index, baseline)
            .into_iter()
            .map(|(k, b, a)| (readable(&sentence.tokens[k]), b, a))
            .collect(),
    };
    if rows.is_empty() {
        return None;
    }
    let labels = rows.iter().map(|r| r.0.clone()).collect();
    let corner = if baseline.next.is_empty() {
        model.t("ablate-near-corner")
    } else {
        model.t("token")
    };
    let table = Table::new("ablate-table", caption, cols, labels, |r, c| {
        let (_, before, after) = &rows[r];
        match c {
            0 => four(*before),
            1 => four(*after),
            _ => format!("{:+.4}", after - before),
        }
    })
    .corner(corner)
    .attr("data-ablated", model.state.ablate.to_string())
    .attr("data-position", index.to_string());
    Some(table)
}

/// What switching the heads off did, in one sentence.
fn in_words(
    model: &PageModel,
    sentence: &SentenceData,
    index: usize,
    baseline: &Baseline,
) -> Option<String> {
    let token = readable(&sentence.tokens[index]);
    if let Some(pairs) = baseline.next.get(index) {
        let best = |f: fn(&NextPair) -> f32| {
            pairs
                .iter()
                .max_by(|a, b| f(a).total_cmp(&f(b)))
                .map(|p| (readable(&p.token), f(p)))
        };
        let (was, was_p) = best(|p| p.before)?;
        let (now, now_p) = best(|p| p.after)?;
        let key = if was == now {
            "ablate-gpt-same"
        } else {
            "ablate-gpt-changed"
        };
        return Some(
            model
                .t(key)
                .replace("{token}", &token)
                .replace("{was}", &was)
                .replace("{was_p}", &four(was_p))
                .replace("{now}", &now)
                .replace("{now_p}", &four(now_p)),
        );
    }
    let width = model.analysis.as_ref()?.hidden_size;
    let before = row(&baseline.final_vectors, index, width)?;
    let after = row(&baseline.ablated_final_vectors, index, width)?;
    Some(
        model
            .t("ablate-bert")
            .replace("{token}", &token)
            .replace("{cos}", &four(cosine(before, after))),
    )
}

#[cfg(test)]
mod tests {
    use tokenscope_core::analysis::cosine;
    use tokenscope_core::scan::{AblationScan, ScanMeasure};
    use tokenscope_core::Ablation;

    use crate::page::Msg;
    use crate::protocol::{Reply, Request};
    use crate::testing::Harness;
    use crate::views::render;

    const TEXT: &str = "students celebrate the graduation with a big party";

    #[test]
    fn a_gpts_next_tokens_with_heads_off_are_the_cores_and_the_link_keeps_them() {
        let mut h = Harness::ready(&[
            ("view", "ablate"),
            ("model", "models/tokenscope-gpt"),
            ("ablate", "2.3,0.1"),
            ("token", "9"),
        ]);
        assert!(h.sent.iter().any(|r| matches!(
            r,
            Request::Analyze { ablate, .. } if ablate == &vec![(0, 1), (2, 3)]
        )));
        assert!(h.page.query().contains(&("ablate", "0.1,2.3".to_string())));
        let model = h.model();
        let input = model.tokenize(TEXT, None).expect("tokenizes");
        let clean = model.trace_tokens(input.clone()).expect("runs");
        let off = model
            .trace_ablated(input, &Ablation::new([(0, 1), (2, 3)]))
            .expect("runs");
        let out = render(&h.page);
        let table = out.the_table("ablate-table").expect("the comparison");
        assert_eq!(table.get("data-ablated"), Some("0.1,2.3"));
        let before = clean.next_token_probs.as_ref().expect("a GPT");
        let after = off.next_token_probs.as_ref().expect("a GPT");
        let position = 9;
        for (label, cells) in table.rows.iter().zip(&table.cells) {
            let id = (0..before.ncols() as u32)
                .find(|&id| {
                    crate::page::readable(&model.tokenizer.id_to_token(id).unwrap_or_default())
                        == *label
                })
                .expect("a vocabulary token");
            assert_eq!(cells[0], format!("{:.4}", before[[position, id as usize]]));
            assert_eq!(cells[1], format!("{:.4}", after[[position, id as usize]]));
        }
        // The other views draw the ablated model: the next-token view's first guess.
        let analysis = h.page.analysis.as_ref().expect("an analysis");
        let shown = &analysis.sentences[0].predictions[position].top[0];
        assert_eq!(shown.prob, after[[position, shown.id as usize]]);
        // Switching a head back on asks again; switching all on drops the comparison.
        h.send(Msg::ToggleAblate { layer: 2, head: 3 });
        assert_eq!(h.page.state.ablate.to_string(), "0.1");
        h.send(Msg::ClearAblation);
        assert!(h.page.state.ablate.is_empty());
        assert!(!h.page.query().iter().any(|(k, _)| *k == "ablate"));
        let out = render(&h.page);
        assert!(out.the_table("ablate-table").is_none());
    }

    #[test]
    fn berts_final_vector_moves_by_the_cosine_the_core_computes() {
        let mut h = Harness::ready(&[("view", "ablate"), ("token", "8")]);
        h.send(Msg::ToggleAblate { layer: 0, head: 5 });
        h.send(Msg::ToggleShownHead); // layer 0, head 0 from the layer bar
        assert_eq!(h.page.state.ablate.to_string(), "0.0,0.5");
        let model = h.model();
        let input = model.tokenize(TEXT, None).expect("tokenizes");
        let clean = model.trace_tokens(input.clone()).expect("runs");
        let off = model
            .trace_ablated(input, &Ablation::new([(0, 0), (0, 5)]))
            .expect("runs");
        let last =
            |t: &tokenscope_core::Trace| t.hidden_states.last().expect("states").row(8).to_owned();
        let expected = cosine(last(&clean).view(), last(&off).view());
        let out = render(&h.page);
        let text = out.text_of("ablate-text").expect("in words");
        assert!(
            text.contains(&format!("{expected:.4}")),
            "{text} vs {expected}"
        );
        assert!(expected < 0.9999, "the heads mattered");
        let banner = out.text_of("ablation-text").expect("the banner");
        assert!(banner.contains("0.0, 0.5"), "{banner}");
        // Out-of-range heads in a link are dropped when the model loads.
        let h = Harness::ready(&[("view", "ablate"), ("ablate", "0.1,9.9")]);
        assert_eq!(h.page.state.ablate.to_string(), "0.1");
    }

    #[test]
    fn the_scan_is_the_cores_goes_on_while_heads_switch_and_follows_the_selection() {
        let mut h = Harness::ready(&[
            ("view", "ablate"),
            ("model", "models/tokenscope-gpt"),
            ("token", "7"),
        ]);
        let scans = |h: &Harness| {
            h.sent
                .iter()
                .filter(|r| matches!(r, Request::Scan(_)))
                .count()
        };
        assert_eq!(scans(&h), 1, "asked once");
        let model = h.model();
        let input = model.tokenize(TEXT, None).expect("tokenizes");
        let core = AblationScan::run(model, input, 7).expect("scans");
        let out = render(&h.page);
        let table = out
            .the_table("ablate-scan-table")
            .expect("the scan's numbers");
        let total = (core.layers * core.heads).to_string();
        assert_eq!(table.get("data-done"), Some(total.as_str()));
        assert_eq!(table.get("data-total"), Some(total.as_str()));
        assert_eq!(table.get("data-measure"), Some("top-token"));
        let ScanMeasure::TopToken { id, prob } = core.measure else {
            panic!("a GPT's scan measures its top token")
        };
        assert_eq!(table.get("data-top"), Some(id.to_string().as_str()));
        for (l, cells) in table.cells.iter().enumerate() {
            for (hd, cell) in cells.iter().enumerate() {
                let effect = core.cells[l * core.heads + hd].effect;
                assert_eq!(*cell, format!("{effect:.4}"), "head {l}.{hd}");
            }
        }
        // The sentence names the head that matters most and its number.
        let (most, best) = core
            .cells
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.effect.total_cmp(&b.1.effect))
            .expect("heads");
        let text = out.text_of("ablate-scan-text").expect("in words");
        let head = format!("{}.{}", most / core.heads, most % core.heads);
        assert!(text.contains(&format!("head {head} ")), "{text}");
        assert!(
            text.contains(&format!("{:.4}", prob - best.effect)),
            "{text}"
        );
        assert!(best.effect > 1e-3, "some head matters");
        // Switching heads off reruns the analysis but not the scan, which is of the full model.
        h.send(Msg::ToggleAblate {
            layer: most / core.heads,
            head: most % core.heads,
        });
        assert_eq!(scans(&h), 1);
        assert!(render(&h.page).the_table("ablate-scan-table").is_some());
        // Another token: another scan.
        h.send(Msg::SelectToken(3));
        assert_eq!(scans(&h), 2);
        let out = render(&h.page);
        let table = out.the_table("ablate-scan-table").expect("the new scan");
        assert_eq!(table.get("data-position"), Some("3"));
    }

    #[test]
    fn a_scan_answer_for_a_token_no_longer_selected_is_dropped() {
        let mut h = Harness::ready(&[("view", "ablate"), ("token", "8")]);
        let out = render(&h.page);
        let table = out.the_table("ablate-scan-table").expect("BERT's scan");
        assert_eq!(table.get("data-measure"), Some("final-vector"));
        assert_eq!(table.get("data-total"), Some("72"), "6 layers × 12 heads");
        let text = out.text_of("ablate-scan-text").expect("in words");
        assert!(
            text.contains("moves the final vector of “party” most"),
            "{text}"
        );
        // A slow worker: the answer for token 8 arrives after token 2 was selected.
        h.hold = true;
        h.send(Msg::SelectToken(2));
        let stale = h
            .held
            .iter()
            .any(|r| matches!(r, Reply::Scan(s) if s.ask.position == 2));
        assert!(stale, "a scan of token 2 was asked");
        let old = crate::protocol::ScanData {
            ask: crate::protocol::ScanAsk {
                position: 8,
                ..h.page.scan_ask().expect("an ask")
            },
            ..h.page.scan.clone().expect("the old scan")
        };
        h.held.push_front(Reply::Scan(old));
        h.release();
        let scan = h.page.current_scan().expect("token 2's scan");
        assert_eq!(scan.ask.position, 2);
        assert!(scan.is_done());
    }

    #[test]
    fn a_llama_models_scan_covers_every_query_head() {
        let h = Harness::ready(&[
            ("view", "ablate"),
            ("model", "models/tiny-llama"),
            ("b", ""),
        ]);
        let out = render(&h.page);
        let table = out.the_table("ablate-scan-table").expect("the scan");
        // 2 layers × 8 query heads (over 2 key/value heads): each query head removed alone.
        assert_eq!(table.get("data-total"), Some("16"));
        assert_eq!(table.get("data-done"), Some("16"));
        assert_eq!(table.get("data-measure"), Some("top-token"));
        let chip = h.page.selected_chip().expect("a token");
        let input = h
            .model()
            .tokenize(&h.page.state.a, None)
            .expect("tokenizes");
        let core = AblationScan::run(h.model(), input, chip.index).expect("scans");
        let shown: Vec<&String> = table.cells.iter().flatten().collect();
        let expected: Vec<String> = core
            .cells
            .iter()
            .map(|c| format!("{:.4}", c.effect))
            .collect();
        assert_eq!(shown, expected.iter().collect::<Vec<_>>());
    }
}
