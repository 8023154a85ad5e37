//! Counts the bytes this wasm instance has allocated and not yet freed, so the page can
//! report its live heap: wasm memory only ever grows, so its size shows the most ever
//! held, and a slow leak hides under that high-water mark until it passes it.

/// The system allocator (dlmalloc in wasm32) wrapped by `cap`, which counts live bytes
/// (as Rust asked for them, without the allocator's own bookkeeping) and sets no limit.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Bytes this instance has allocated and not yet freed.
#[cfg(target_arch = "wasm32")]
pub fn live_bytes() -> usize {
    ALLOCATOR.allocated()
}
