//! Entry point of the model worker's threads build with relaxed SIMD's fused multiply-add:
//! what cross-origin isolated pages get where the browser validates relaxed SIMD (Chrome,
//! Edge); `scripts/build-threads-worker.sh` builds it beside the plain threads build.

fn main() {
    #[cfg(target_arch = "wasm32")]
    tokenscope_web::worker::start();
}
