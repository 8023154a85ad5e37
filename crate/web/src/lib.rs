//! TokenScope's web room: the page model (`page`, no web types), one file per view behind
//! a registry (`views`), the thin shell that alone touches the DOM (`shell`), the worker
//! that owns the model (`worker`), and the one message protocol between page and worker.
//! Imports go one way: shell → views → page → protocol. ARCHITECTURE.md is the map.

pub mod format;
pub mod i18n;
mod i18n_lesson;
mod i18n_why;
pub mod named;
pub mod page;
pub mod protocol;
pub mod views;
pub mod worker;
pub mod zip;

#[cfg(test)]
mod testing;

#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
pub mod heap;
#[cfg(target_arch = "wasm32")]
pub mod shell;

/// The size of this wasm instance's memory (the worker's or the page's, whichever calls):
/// the most it has held at once, since wasm memory never shrinks.
#[cfg(target_arch = "wasm32")]
pub fn memory_bytes() -> u64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .map(|m| m.buffer())
        .and_then(|buffer| {
            // The threads build's memory is a SharedArrayBuffer.
            let shared = buffer.dyn_ref::<js_sys::SharedArrayBuffer>();
            match shared {
                Some(shared) => Some(shared.byte_length() as u64),
                None => buffer
                    .dyn_into::<js_sys::ArrayBuffer>()
                    .ok()
                    .map(|b| b.byte_length() as u64),
            }
        })
        .unwrap_or(0)
}
