//! The one message enum pair between the page and the worker that owns the model. Sent as
//! JSON strings through postMessage, so both sides share these exact types.

use serde::{Deserialize, Serialize};

/// Page → worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Request {
    /// Fetch `config.json`, `tokenizer.json` and `model.safetensors` from `folder` (same
    /// origin) and make that the worker's model.
    Load { folder: String, name: String },
    /// Tokenize `text`; `seq` lets the page drop answers to text it has since replaced.
    Tokenize { seq: u64, text: String },
}

/// Worker → page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Reply {
    /// The worker's wasm is running and listening; messages sent before this are lost.
    Started,
    /// Download progress, 0..=1, with what is being done.
    Progress { fraction: f64, message: String },
    /// The model is loaded; facts the page shows beside its name.
    Ready {
        name: String,
        model_type: String,
        num_layers: usize,
        num_heads: usize,
        hidden_size: usize,
        vocab_size: usize,
        max_positions: usize,
    },
    Tokens {
        seq: u64,
        tokens: Vec<String>,
        ids: Vec<u32>,
        special: Vec<bool>,
        hidden_size: usize,
        max_positions: usize,
        truncated: usize,
    },
    /// Something failed; the worker keeps whatever model it had.
    Error { seq: Option<u64>, message: String },
}

impl Request {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("bad request from the page: {e}"))
    }
}

impl Reply {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("bad reply from the worker: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_json() {
        let requests = [
            Request::Load {
                folder: "models/x".into(),
                name: "x".into(),
            },
            Request::Tokenize {
                seq: 7,
                text: "a \"quoted\" <b>text</b> 派对".into(),
            },
        ];
        for r in requests {
            assert_eq!(Request::from_json(&r.to_json()), Ok(r));
        }
        let reply = Reply::Tokens {
            seq: 3,
            tokens: vec!["[CLS]".into()],
            ids: vec![101],
            special: vec![true],
            hidden_size: 384,
            max_positions: 512,
            truncated: 0,
        };
        assert_eq!(Reply::from_json(&reply.to_json()), Ok(reply));
        assert!(Reply::from_json("{}").is_err());
    }
}
