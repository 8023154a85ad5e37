//! TokenScope's web room: the page, the worker that owns the model, and the one message
//! protocol between them. The only crate that uses wasm-bindgen and web-sys.

pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod fetch;
#[cfg(target_arch = "wasm32")]
pub mod worker;
