//! Entry point of the model worker's relaxed-SIMD build: the same worker, with the product
//! kernel's fused multiply-add (`worker-loader.js` starts it where the browser validates
//! relaxed SIMD, and the plain build elsewhere).

fn main() {
    #[cfg(target_arch = "wasm32")]
    tokenscope_web::worker::start();
}
