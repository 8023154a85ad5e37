//! Entry point of the Web Worker that owns the model.

fn main() {
    #[cfg(target_arch = "wasm32")]
    tokenscope_web::worker::start();
}
