//! Entry point of TokenScope's page; natively it only builds, so the workspace's checks
//! cover this crate too.

fn main() {
    #[cfg(target_arch = "wasm32")]
    tokenscope_web::shell::start();
}
