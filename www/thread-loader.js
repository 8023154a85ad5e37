// One thread of the model worker's pool (the threads build, on cross-origin isolated pages):
// loads the same build on the worker's compiled module and shared memory, says it is ready,
// then serves rayon's jobs until the page closes. The worker's own wasm never runs here.
self.onmessage = (event) => {
  self.onmessage = null;
  const { glue, module, memory, work } = event.data;
  try {
    importScripts(`./${glue}.js`);
  } catch (error) {
    postMessage({ ready: false, error: String(error) });
    return;
  }
  wasm_bindgen({ module_or_path: module, memory })
    .then(() => {
      postMessage({ ready: true });
      wasm_bindgen.tokenscopeThreadRun(work);
    })
    .catch((error) => postMessage({ ready: false, error: String(error) }));
};
