// Prints bench/README.md's tables from one run's outputs (bench/out/peers.json, browser.json
// and criterion's estimates), every TokenScope figure also as a ratio to its peer: the wasm
// trace against onnxruntime-web on one thread and on as many as the browser offers.
//
//   node bench/table.mjs
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));
const peers = read('bench/out/peers.json');
const browser = read('bench/out/browser.json');
const LENGTHS = ['10', '32', '128', '512'];

/** Criterion's median for one length, in ms (its estimates are in ns). */
function native(n) {
  const path = join(ROOT, 'target', 'criterion', 'minilm_forward_trace', n, 'new', 'estimates.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')).median.point_estimate / 1e6 : NaN;
}

const ms = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '—');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : '—');

console.log(`Measured ${browser.date.slice(0, 10)} on ${peers.machine?.cpu_model ?? 'this machine'} `
  + `(${peers.machine?.nproc ?? '?'} cores), Chromium ${browser.chromium}. Medians in ms.\n`);
const threads = browser.onnxruntime_web_threads?.threads ?? '?';
const wasmThreads = browser.tokenscope_wasm?.threads ?? '?';
console.log(`| tokens | TokenScope wasm (${browser.tokenscope_wasm?.kernel ?? '?'}, ${wasmThreads} threads) | TokenScope wasm threads (simd128) | TokenScope wasm 1 thread (relaxed-simd) | TokenScope wasm 1 thread (simd128 fallback) | onnxruntime-web 1 thread | ratio | onnxruntime-web ${threads} threads | ratio | PyTorch 1 thread | wasm ÷ PyTorch 1 | TokenScope native | PyTorch 2 threads | onnxruntime native 1 thread | native ÷ PyTorch 1 |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const n of LENGTHS) {
  const wasm = browser.tokenscope_wasm?.[n]?.trace_ms;
  const threadsPlain = browser.tokenscope_wasm_threads_simd128?.[n]?.trace_ms;
  const relaxed = browser.tokenscope_wasm_relaxed?.[n]?.trace_ms;
  const plain = browser.tokenscope_wasm_simd128?.[n]?.trace_ms;
  const web = browser.onnxruntime_web_1_thread?.[n]?.run_ms;
  const webThreads = browser.onnxruntime_web_threads?.[n]?.run_ms;
  const torch1 = peers.pytorch_1_thread_ms[n];
  const nat = native(n);
  console.log(`| ${n} | ${ms(wasm)} | ${ms(threadsPlain)} (${ratio(threadsPlain, web)}) | ${ms(relaxed)} (${ratio(relaxed, web)}) | ${ms(plain)} (${ratio(plain, web)}) | ${ms(web)} | **${ratio(wasm, web)}** | ${ms(webThreads)} | **${ratio(wasm, webThreads)}** `
    + `| ${ms(torch1)} | ${ratio(wasm, torch1)} | ${ms(nat)} `
    + `| ${ms(peers.pytorch_2_threads_ms[n])} | ${ms(peers.onnxruntime_native_1_thread_ms[n])} | ${ratio(nat, torch1)} |`);
}
const gzip = browser.wasm_files.map((f) => `${f.file.replace(/-[0-9a-f]{16}_bg/, '_bg')} ${(f.gzip_bytes / 1e6).toFixed(2)} MB`).join(', ');
console.log(`
| the page | value |
|---|---|
| keystroke to every view redrawn, 32 tokens (median of 20); longest main-thread task meanwhile | ${ms(browser.keystroke_to_redrawn_32_tokens_ms)} ms; ${ms(browser.keystroke_32_tokens_longest_main_thread_task_ms)} ms |
| the same at 128 tokens | ${ms(browser.keystroke_to_redrawn_128_tokens_ms)} ms; ${ms(browser.keystroke_128_tokens_longest_main_thread_task_ms)} ms |
| worker's whole analysis of one 32-token sentence (its own trace included) | ${ms(browser.tokenscope_wasm?.['32']?.analysis_ms)} ms |
| navigation to the first attention drawn, empty cache | ${ms(browser.first_attention_cold_ms)} ms |
| the same, cached | ${ms(browser.first_attention_cached_ms)} ms |
| bytes on a first visit: wasm, model, all | ${(browser.transferred.wasm_bytes / 1e6).toFixed(2)} MB, ${(browser.transferred.model_bytes / 1e6).toFixed(1)} MB, ${(browser.transferred.all_bytes / 1e6).toFixed(1)} MB |
| .wasm gzipped | ${gzip} |
| after 100 updates | ${browser.worker_memory_after_100_updates} |
${['head', 'similarity'].map((view) => {
    const r = browser[`text_512_tokens_${view}_view`];
    return r ? `| a 512-token sentence typed, ${view} view: redrawn (median of 5); longest main-thread task meanwhile | ${ms(r.redrawn_ms)} ms; ${ms(r.longest_main_thread_task_ms)} ms |` : '';
  }).filter(Boolean).join('\n')}`);
