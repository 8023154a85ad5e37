// Starts TokenScope's model worker: loads wasm-bindgen's no-modules glue, then the worker's
// wasm, whose main() installs the message handler and announces itself to the page. Where
// the browser has relaxed SIMD (a fused multiply-add), the build that uses it; elsewhere
// (Safari, older browsers) the plain WebAssembly SIMD build. Both compute the same numbers
// within the golden tests' tolerances.

// A module whose one function uses i8x16.relaxed_swizzle: valid only where relaxed SIMD is
// (the probe wasm-feature-detect uses).
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1,
  253, 15, 65, 2, 253, 15, 253, 128, 2, 11,
]);
const build = WebAssembly.validate(RELAXED_SIMD_PROBE)
  ? 'tokenscope-worker-relaxed'
  : 'tokenscope-worker';
importScripts(`./${build}.js`);
wasm_bindgen({ module_or_path: `./${build}_bg.wasm` });
