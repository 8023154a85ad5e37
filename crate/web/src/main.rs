//! Entry point of TokenScope's page: starts the wasm app in the browser; natively it only
//! builds, so the workspace's checks cover this crate too.

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod fetch;

fn main() {
    #[cfg(target_arch = "wasm32")]
    app::start();
}
