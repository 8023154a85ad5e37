//! Each view's texts and tables against a real trace of the embedded models.

use super::*;

#[test]
fn the_tokens_view_lists_each_sentences_ids_and_shape() {
    let h = Harness::ready(&[]);
    let ids = shown(&h).shown_text("ids-list").expect("ids");
    assert!(
        ids.contains("A: [101, 2493, 8439, 1996, 7665, 2007, 1037, 2502, 2283, 102]"),
        "{ids}"
    );
    assert!(
        ids.contains("10 tokens → embeddings of shape [1, 10, 384]"),
        "{ids}"
    );
    assert!(ids.contains("B: [101, "), "{ids}");
}

#[test]
fn the_one_hot_view_shows_the_real_embedding_row_and_the_memory_it_saves() {
    let mut h = Harness::ready(&[("view", "onehot")]);
    h.send(Msg::SelectToken(2)); // "celebrate"
    let out = shown(&h);
    let trace = h.trace(CELEBRATION);
    let table = out.the_table("embedding-table").expect("the table");
    assert_eq!(table.rows.len(), 384 / 8);
    assert_cells(
        table,
        |r, c| trace.embeddings.word[[2, r * 8 + c]],
        "embedding of celebrate",
    );
    let facts = out.shown_text("onehot-facts").expect("facts");
    assert!(
        facts.contains("“celebrate”: 1 at index 8439 — non-zero numbers: 1 of 30,522"),
        "{facts}"
    );
    assert!(
        facts.contains("3.5 GiB") && facts.contains("44.7 MiB"),
        "{facts}"
    );
}

#[test]
fn the_similarity_view_is_the_cosine_of_the_traces_vectors_at_every_depth() {
    let mut h = Harness::ready(&[("view", "similarity")]);
    let (a, b) = (h.trace(CELEBRATION), h.trace(POLITICS));
    let cos = |x: ndarray::ArrayView1<f32>, y: ndarray::ArrayView1<f32>| {
        tokenscope_core::analysis::cosine(x, y)
    };
    let out = shown(&h);
    let table = out.the_table("similarity-table").expect("static");
    assert_cells(
        table,
        |r, c| cos(a.embeddings.word.row(r), b.embeddings.word.row(c)),
        "static",
    );
    assert_eq!(table.cells[8][8], "1.0000", "party·party before context");
    let last = a.hidden_states.len() - 1;
    h.send(Msg::Depth(last + 1));
    let out = shown(&h);
    let table = out.the_table("similarity-table").expect("last layer");
    assert_eq!(table.get("data-depth"), Some(&*(last + 1).to_string()));
    let (ha, hb) = (&a.hidden_states[last], &b.hidden_states[last]);
    assert_cells(
        table,
        |r, c| cos(ha.row(r), hb.row(c)),
        "after the last layer",
    );
    let drift = out.text_of("drift-text").expect("drift");
    let party = cos(ha.row(8), hb.row(8));
    assert!(drift.contains(&format!("L5 {party:.4}")), "{drift}");
    assert!(drift.starts_with("“party” · “party” (partner)"), "{drift}");
    let toy = out.the_table("toy-table").expect("toy");
    assert_eq!(toy.cells[0][1], "0.9832");
    assert_eq!(toy.cells[2][3], "0.1511");
}

#[test]
fn the_head_view_tables_are_the_traces_attention_and_party_attends_to_celebrate() {
    let h = Harness::ready(&[("view", "head"), ("layer", "2"), ("head", "5")]);
    let out = shown(&h);
    for (key, text) in [(SentenceKey::A, CELEBRATION), (SentenceKey::B, POLITICS)] {
        let trace = h.trace(text);
        let tables = out.tables("attention-table");
        let table = tables
            .iter()
            .find(|t| t.get("data-sentence") == Some(key.name()))
            .expect("a table per sentence");
        let attention = &trace.layers[2].attention;
        assert_cells(table, |r, c| attention[[5, r, c]], key.name());
        assert_eq!(table.highlight_row, Some(8), "party's row");
        assert!(!table.mask_above_diagonal, "BERT sees both ways");
    }
    let h0 = Harness::ready(&[("view", "head"), ("layer", "0")]);
    let attends = shown(&h0).shown_text("attends").expect("words");
    assert!(attends.contains("A · “party” → celebrate 0."), "{attends}");
    assert!(attends.contains("B · “party” → deputy 0."), "{attends}");
    assert!(attends.contains("mean of 12 heads"), "{attends}");
    let swatches = out.children_of("head-swatches").expect("swatches");
    assert_eq!(swatches.len(), 13, "twelve heads and one for all");
    assert_eq!(out.children_of("head-canvases").map(<[Node]>::len), Some(2));
}

#[test]
fn a_long_sentences_attention_table_is_built_when_its_numbers_are_opened() {
    let mut h = Harness::ready(&[("view", "head"), ("layer", "1"), ("head", "3")]);
    let long = [CELEBRATION; 8].join(" "); // 66 tokens with [CLS] and [SEP]
    h.send(Msg::SentenceA(long.clone()));
    let closed = shown(&h);
    let tables = closed.tables("attention-table");
    let keys: Vec<_> = tables
        .iter()
        .filter_map(|t| t.get("data-sentence"))
        .collect();
    assert_eq!(keys, ["b"], "B's 10 × 10 is built; A's 66 × 66 waits");
    let later = closed.children_of("attention-tables").expect("the box");
    let Node::El(note) = &later[0] else {
        panic!("A's place holds a note: {later:?}");
    };
    assert_eq!(
        note.text.as_deref(),
        Some("A table of 66 × 66 numbers: it is built while this is open.")
    );
    h.send(Msg::AttentionNumbers(true));
    let open = shown(&h);
    let tables = open.tables("attention-table");
    let a = tables
        .iter()
        .find(|t| t.get("data-sentence") == Some("a"))
        .expect("A's table once opened");
    let attention = &h.trace(&long).layers[1].attention;
    assert_eq!(a.rows.len(), 66);
    assert_cells(a, |r, c| attention[[3, r, c]], "a");
}

#[test]
fn a_gpts_attention_table_marks_the_future_and_its_next_token_table_is_the_traces() {
    let mut h = Harness::ready(&[
        ("model", "models/tokenscope-gpt"),
        ("view", "head"),
        ("b", ""),
    ]);
    let table_count = shown(&h).tables("attention-table").len();
    assert_eq!(table_count, 1);
    let out = shown(&h);
    let table = out.the_table("attention-table").expect("A");
    assert!(table.mask_above_diagonal);
    let trace = h.trace(CELEBRATION);
    assert_cells(
        table,
        |r, c| trace.layers[0].attention[[0, r, c]],
        "GPT layer 0 head 0",
    );
    h.send(Msg::ShowView("next".into()));
    let out = shown(&h);
    let next = out.the_table("next-token-table").expect("next tokens");
    let probs = trace.next_token_probs.as_ref().expect("a GPT predicts");
    let last = probs.row(probs.nrows() - 1);
    let top = tokenscope_core::analysis::top_tokens(last, 10);
    for (r, (id, prob)) in top.iter().enumerate() {
        assert_eq!(next.cells[r][1], id.to_string(), "rank {}", r + 1);
        assert_eq!(next.cells[r][2], format!("{prob:.4}"), "rank {}", r + 1);
    }
    let predictions = out.the_table("predictions-table").expect("every position");
    assert_eq!(predictions.rows.len(), trace.len());
}

#[test]
fn a_bert_model_says_why_it_has_no_next_token_and_offers_the_gpt() {
    let mut h = Harness::ready(&[("view", "next")]);
    let out = shown(&h);
    let text = out.shown_text("next-table").expect("words");
    assert!(text.contains("does not predict the next token"), "{text}");
    let Some(Node::El(button)) = out.children_of("next-table").and_then(|n| n.last()) else {
        panic!("a button");
    };
    assert_eq!(button.get("data-action"), Some("use-gpt"));
    h.send(Msg::ShowView("generate".into()));
    let out = shown(&h);
    let Some(Node::El(button)) = out.children_of("generation-table").and_then(|n| n.last()) else {
        panic!("the generate view offers it too");
    };
    assert_eq!(button.get("data-action"), Some("use-gpt"));
}

#[test]
fn the_model_view_names_the_key_each_head_looks_at_most() {
    let h = Harness::ready(&[("view", "model")]);
    let out = shown(&h);
    let table = out.the_table("model-table").expect("its text alternative");
    let trace = h.trace(CELEBRATION);
    assert_eq!((table.rows.len(), table.cols.len()), (6, 12));
    for (layer, row) in table.cells.iter().enumerate() {
        for (head, cell) in row.iter().enumerate() {
            let attention = trace.layers[layer]
                .attention
                .slice(ndarray::s![head, 8, ..]);
            let (key, weight) = attention
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .expect("keys");
            assert_eq!(
                *cell,
                format!("{} {weight:.4}", trace.input.tokens[key]),
                "L{layer} H{head}"
            );
        }
    }
    assert!(out
        .text_of("model-which")
        .is_some_and(|t| t.starts_with("Sentence A: [CLS] students")));
}

#[test]
fn the_qkv_table_is_the_traces_scores_and_probabilities() {
    let h = Harness::ready(&[("view", "neuron"), ("layer", "1"), ("head", "3")]);
    let out = shown(&h);
    let table = out.the_table("neuron-table").expect("the detail arrived");
    let trace = h.trace(CELEBRATION);
    let layer = &trace.layers[1];
    assert_cells(
        table,
        |r, c| match c {
            0 => layer.scores[[3, 8, r]],
            1 => layer.attention[[3, 8, r]],
            _ => {
                let q = layer.query.slice(ndarray::s![3, 8, ..]);
                let k = layer.key.slice(ndarray::s![3, r, ..]);
                q.iter().zip(k.iter()).map(|(a, b)| a * b).sum::<f32>()
            }
        },
        "party at layer 1 head 3",
    );
    assert_eq!(table.caption, "“party” · Layer 1 · Head 3");
}

#[test]
fn the_position_view_shows_the_models_rows_and_word_plus_position() {
    let h = Harness::ready(&[("view", "position")]);
    let out = shown(&h);
    let positions = h
        .model()
        .position_embeddings()
        .expect("MiniLM has a position table");
    let table = out.the_table("position-table").expect("positions");
    assert_eq!(table.rows.len(), 10, "the rows this sentence uses");
    assert_cells(table, |r, c| positions[[r, c]], "position rows");
    let trace = h.trace(CELEBRATION);
    let word = trace.embeddings.word.row(8);
    let place = positions.row(8);
    let sum = out.the_table("sum-table").expect("word + position");
    assert_cells(
        sum,
        |r, c| match r {
            0 => word[c],
            1 => place[c],
            _ => word[c] + place[c],
        },
        "party's word + position",
    );
    assert_eq!(
        out.text_of("position-text"),
        Some("512 × 384. This sentence uses positions 0 to 9.")
    );
    let order = Harness::ready(&[
        ("view", "position"),
        ("a", "Tim chased clouds all his life"),
        ("b", "clouds chased Tim all his life"),
    ]);
    let text = shown(&order)
        .text_of("order-text")
        .map(String::from)
        .expect("order");
    assert!(text.starts_with("tim: 1.0000 → "), "{text}");
}

#[test]
fn the_generate_view_lists_each_step_and_writes_the_continuation() {
    let mut h = Harness::ready(&[
        ("model", "models/tokenscope-gpt"),
        ("view", "generate"),
        ("b", ""),
    ]);
    h.send(Msg::GenMax(5.0));
    h.send(Msg::GenRun);
    let out = shown(&h);
    let generation = h.page.generation.as_ref().expect("generated");
    let table = out.the_table("generation-table").expect("steps");
    assert_eq!(table.rows.len(), 5);
    for (row, step) in table.cells.iter().zip(&generation.steps) {
        assert_eq!(row[1], step.id.to_string());
        assert_eq!(row[2], format!("{:.4}", step.prob));
        assert_eq!(row[3], step.kept.to_string());
    }
    let text = out.shown_text("gen-output").expect("output");
    assert!(text.starts_with(CELEBRATION));
    assert!(
        text.ends_with(&generation.text),
        "the exact text, for tests and screen readers"
    );
    // The worker's clock (here the native one) gives the speed of the four later tokens.
    assert!(generation.decode_ms > 0.0);
    let speed = out.shown_text("gen-speed").expect("the speed line");
    let rate = format!("{:.1}", 4000.0 / generation.decode_ms);
    assert!(
        speed.contains(&format!("{rate} tokens per second")),
        "{speed}"
    );
    assert!(out.patches.contains(&Patch::Value {
        id: "gen-max".into(),
        value: "5".into()
    }));
}

#[test]
fn the_learning_view_lists_the_embedded_gpts_recorded_losses() {
    let mut h = Harness::ready(&[("model", "models/tokenscope-gpt"), ("view", "learn")]);
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/models/tokenscope-gpt/training.json"),
    )
    .expect("the record");
    let record = tokenscope_core::train::record::TrainingRecord::parse(&bytes).expect("parses");
    h.send(Msg::TrainingRecord {
        folder: "models/tokenscope-gpt".into(),
        result: Ok(record.clone()),
    });
    let out = shown(&h);
    let table = out.the_table("loss-table").expect("losses");
    let held: Vec<(usize, f32)> = record.stages().iter().flat_map(|s| s.held_out()).collect();
    assert_eq!(table.rows.len(), held.len());
    for (r, (_, loss)) in held.iter().enumerate() {
        assert_eq!(table.cells[r][0], format!("{loss:.4}"));
        assert_eq!(table.cells[r][1], format!("{:.1}", loss.exp()));
    }
    let facts = out.text_of("learn-facts").expect("facts");
    assert!(
        facts.contains(&format!("perplexity {:.1}", record.held_out_perplexity)),
        "{facts}"
    );
    assert!(out.patches.contains(&Patch::Hidden {
        id: "learn-use-gpt".into(),
        hidden: true
    }));
}

#[test]
fn the_train_views_form_and_buttons_follow_its_run() {
    let mut h = Harness::ready(&[("view", "train")]);
    let out = shown(&h);
    assert_eq!(
        out.text_of("train-status"),
        Some("Press Train to start from random weights.")
    );
    assert!(out.patches.contains(&Patch::Disabled {
        id: "train-use".into(),
        disabled: true
    }));
    assert!(out.patches.contains(&Patch::Value {
        id: "train-layers".into(),
        value: "2".into()
    }));
    h.send(Msg::Reply(crate::protocol::Reply::Training(
        crate::protocol::TrainingUpdate {
            phase: crate::protocol::TrainPhase::Paused,
            facts: Some(crate::protocol::TrainFacts {
                corpus_name: "x".into(),
                corpus_lines: 1,
                vocab_size: 300,
                parameters: 1234,
                training_tokens: 900,
                held_out_tokens: 100,
                steps: 100,
                batch: 4,
                context: 16,
                layers: 3,
                heads: 2,
                width: 32,
                learning_rate: 0.005,
                sample_every: 25,
            }),
            points: vec![crate::protocol::LossPoint {
                step: 1,
                learning_rate: 0.005,
                train_loss: 5.5,
                held_out_loss: Some(5.6),
            }],
            step: 1,
            tokens_per_second: 640.0,
            snapshot: None,
            error: None,
        },
    )));
    let out = shown(&h);
    let status = out.text_of("train-status").expect("status");
    assert!(
        status.starts_with("Paused · step 1 / 100 · 640 tokens/s · training loss 5.500"),
        "{status}"
    );
    assert!(status.contains("held-out loss 5.600"), "{status}");
    assert_eq!(out.text_of("train-go"), Some("Continue"));
    for (id, disabled) in [
        ("train-use", false),
        ("train-layers", true),
        ("train-reset", false),
    ] {
        assert!(
            out.patches.contains(&Patch::Disabled {
                id: id.into(),
                disabled
            }),
            "{id}"
        );
    }
    let layers = out.patches.iter().find_map(|p| match p {
        Patch::Options { id, options, .. } if id == "train-layer" => Some(options.len()),
        _ => None,
    });
    assert_eq!(layers, Some(3), "the probe's layers are the run's");
    let tab = out.text_of("tab-train").expect("the tab");
    assert!(tab.ends_with(" · Train"), "no badge while paused: {tab}");
}

#[test]
fn the_tokenizers_view_cuts_a_every_way_and_replays_a_picked_token() {
    use tokenscope_core::token_rows::Replay;
    let mut h = Harness::ready(&[("view", "tokenizers")]);
    let data = h.page.current_tokenizers().expect("the rows").clone();
    let levels: Vec<&str> = data.rows.iter().map(|r| r.level.name()).collect();
    // MiniLM's own tokenizer is the WordPiece row: no sixth row.
    assert_eq!(levels, ["chars", "bytes", "words", "wordpiece", "gpt2"]);
    let gpt2 = &data.rows[4].row;
    assert_eq!(gpt2.tokens[..2], ["stud".to_string(), "ents".to_string()]);
    assert_eq!(
        data.rows[3].row.ids,
        h.trace(CELEBRATION)
            .input
            .ids
            .iter()
            .map(|&i| Some(i))
            .collect::<Vec<_>>()
    );
    let out = shown(&h);
    let costs = out.the_table("tokenizers-table").expect("the costs");
    assert_eq!(costs.cells[4][0], gpt2.tokens.len().to_string());
    assert_eq!(costs.cells[4][2], "50,257");
    assert_eq!(
        costs.cells[3][3], "30,522",
        "the one-hot length is the vocabulary"
    );
    // Pick "Ġcelebrate": its merges rebuild it, step by step; the link keeps the pick.
    h.send(Msg::PickPiece { row: 4, token: 2 });
    assert!(h.page.query().contains(&("piece", "gpt2.2".to_string())));
    let out = shown(&h);
    let steps = out.the_table("tokenizer-steps").expect("the merges");
    assert_eq!(steps.get("data-token"), Some("␣celebrate"));
    assert_eq!(steps.cells.last().expect("a step")[1], "␣celebrate");
    let Some(Replay::Bpe { merges, .. }) = &gpt2.replays[2] else {
        panic!("BPE merges");
    };
    assert_eq!(
        steps.rows.len(),
        merges.len() + 1,
        "its bytes, then one line per merge"
    );
    // The embedded GPT has its own tokenizer: a sixth row.
    let h = Harness::ready(&[("view", "tokenizers"), ("model", "models/tokenscope-gpt")]);
    let rows = &h.page.current_tokenizers().expect("rows").rows;
    assert_eq!(rows.last().map(|r| r.level.name()), Some("model"));
    assert_eq!(rows.last().and_then(|r| r.row.vocab_size), Some(8192));
}

/// Tables reach the page as one HTML string: every text a person could type is escaped,
/// and the structure (caption, head, selected row, masked cells) is the one the tests read.
#[test]
fn a_tables_html_escapes_every_text_and_keeps_its_structure() {
    let table = Table::new(
        "attention-table",
        "caption & <b>",
        vec!["<script>alert(1)</script>".into(), "\"q\" 'k'".into()],
        vec!["a<b".into(), "c>d".into()],
        |r, c| format!("{r}{c}&"),
    )
    .corner("x")
    .highlight(Some(1))
    .masked(true);
    let html = table.inner_html();
    assert_eq!(
        html,
        "<caption>caption &amp; &lt;b&gt;</caption><thead><tr><th>x</th>\
         <th scope=\"col\">&lt;script&gt;alert(1)&lt;/script&gt;</th>\
         <th scope=\"col\">&quot;q&quot; &#39;k&#39;</th></tr></thead><tbody>\
         <tr><th scope=\"row\">a&lt;b</th><td>00&amp;</td><td class=\"masked\">01&amp;</td></tr>\
         <tr class=\"selected\"><th scope=\"row\">c&gt;d</th><td>10&amp;</td><td>11&amp;</td></tr>\
         </tbody>"
    );
}
