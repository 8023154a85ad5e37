// Starts TokenScope's model worker: loads wasm-bindgen's no-modules glue, then the worker's
// wasm, whose main() installs the message handler and announces itself to the page.
importScripts('./tokenscope-worker.js');
wasm_bindgen({ module_or_path: './tokenscope-worker_bg.wasm' });
