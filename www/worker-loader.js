// Starts TokenScope's model worker: loads wasm-bindgen's no-modules glue, then the worker's
// wasm, whose main() installs the message handler and announces itself to the page.
// - On a cross-origin isolated page (COOP/COEP headers; see README), the threads build: a
//   pool of Web Workers on shared memory, one per core.
// - Elsewhere, where the browser has relaxed SIMD (a fused multiply-add), the build that
//   uses it, on one thread.
// - Elsewhere (Safari, older browsers), the plain WebAssembly SIMD build.
// Every build computes the same numbers within the golden tests' tolerances; if the threads
// build cannot start, the one-thread build takes over.

// A module whose one function uses i8x16.relaxed_swizzle: valid only where relaxed SIMD is
// (the probe wasm-feature-detect uses).
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1,
  253, 15, 65, 2, 253, 15, 253, 128, 2, 11,
]);
const oneThreadBuild = WebAssembly.validate(RELAXED_SIMD_PROBE)
  ? 'tokenscope-worker-relaxed'
  : 'tokenscope-worker';

function start(build) {
  importScripts(`./${build}.js`);
  return wasm_bindgen({ module_or_path: `./${build}_bg.wasm` });
}

if (self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function') {
  start('tokenscope-worker-threads').catch((error) => {
    console.warn(`TokenScope: the threads build did not start (${error}); using one thread`);
    start(oneThreadBuild);
  });
} else {
  start(oneThreadBuild);
}
