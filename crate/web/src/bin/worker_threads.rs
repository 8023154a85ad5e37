//! Entry point of the model worker's threads build: the same worker, with a rayon pool of
//! Web Workers sharing its memory (`worker-loader.js` starts it on cross-origin isolated
//! pages; `scripts/build-threads-worker.sh` builds it).

fn main() {
    #[cfg(target_arch = "wasm32")]
    tokenscope_web::worker::start();
}
