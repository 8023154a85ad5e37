//! TokenScope's web room: the page, the worker that owns the model, and the one message
//! protocol between them. The only crate that uses wasm-bindgen and web-sys.

pub mod analysis;
pub mod format;
pub mod i18n;
pub mod page_data;
pub mod protocol;
pub mod state;
pub mod trainer;
pub mod training_record;
pub mod zip;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod dom;
#[cfg(target_arch = "wasm32")]
pub mod fetch;
#[cfg(target_arch = "wasm32")]
pub mod paint;
#[cfg(target_arch = "wasm32")]
pub mod train_page;
#[cfg(target_arch = "wasm32")]
pub mod worker;
