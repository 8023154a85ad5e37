// Starts TokenScope's model worker: loads wasm-bindgen's no-modules glue, then the worker's
// wasm, whose main() installs the message handler and announces itself to the page.
// - On a cross-origin isolated page (COOP/COEP headers; see README), a threads build: a
//   pool of Web Workers on shared memory, one per core.
// - Elsewhere, one thread.
// Either way with relaxed SIMD's fused multiply-add where the browser has it (Chrome, Edge),
// plain WebAssembly SIMD elsewhere (Safari, older browsers).
// Every build computes the same numbers within the golden tests' tolerances; if the threads
// build cannot start, the one-thread build takes over.

// A module whose one function uses i8x16.relaxed_swizzle: valid only where relaxed SIMD is
// (the probe wasm-feature-detect uses).
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1,
  253, 15, 65, 2, 253, 15, 253, 128, 2, 11,
]);
const relaxed = WebAssembly.validate(RELAXED_SIMD_PROBE);
const oneThreadBuild = relaxed ? 'tokenscope-worker-relaxed' : 'tokenscope-worker';
const threadsBuild = relaxed ? 'tokenscope-worker-threads-relaxed' : 'tokenscope-worker-threads';

function start(build) {
  try {
    importScripts(`./${build}.js`);
  } catch (error) {
    return Promise.reject(error);
  }
  return wasm_bindgen({ module_or_path: `./${build}_bg.wasm` });
}

if (self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function') {
  start(threadsBuild).catch((error) => {
    console.warn(`TokenScope: the threads build did not start (${error}); using one thread`);
    start(oneThreadBuild);
  });
} else {
  start(oneThreadBuild);
}
