//! A model folder's `training.json`, read for the learning view: the core's one record type.
pub use tokenscope_core::train::record::*;
