//! The worker's Tokenizers job: fetches GPT-2's tokenizer and the MiniLM's WordPiece from
//! the site the first time the view asks (about 2 MB), then answers from them.

use super::compute::tokens::{
    tokenizer_rows, TokenizerAssets, GPT2_ENCODER, GPT2_MERGES, WORDPIECE,
};
use super::wasm::{post, still_loading, State};
use crate::protocol::{Reply, TokenizersAsk, TokenizersData};

pub fn answer(state: &State, ask: TokenizersAsk) {
    if state.borrow().tokenizers.is_some() {
        reply(state, ask);
        return;
    }
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let fetched = async {
            let encoder = crate::fetch::fetch_bytes(GPT2_ENCODER, |_, _| {}).await?;
            let merges = crate::fetch::fetch_bytes(GPT2_MERGES, |_, _| {}).await?;
            let wordpiece = crate::fetch::fetch_bytes(WORDPIECE, |_, _| {}).await?;
            TokenizerAssets::from_bytes(&encoder, &merges, &wordpiece)
        }
        .await;
        match fetched {
            Ok(assets) => {
                state.borrow_mut().tokenizers = Some(assets);
                reply(&state, ask);
            }
            Err(message) => post(&Reply::Tokenizers(TokenizersData {
                ask,
                rows: Vec::new(),
                error: Some(message),
            })),
        }
    });
}

fn reply(state: &State, ask: TokenizersAsk) {
    let worker = state.borrow();
    match (&worker.loaded, &worker.tokenizers) {
        (Some(loaded), Some(assets)) => post(&Reply::Tokenizers(tokenizer_rows(
            &loaded.model,
            assets,
            ask,
        ))),
        _ => post(&still_loading(0)),
    }
}
