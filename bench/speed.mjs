// Times TokenScope's wasm in headless Chromium against onnxruntime-web (wasm backend, one
// thread and as many threads as the browser offers, in a cross-origin isolated page) on the
// same MiniLM and the same token ids, TokenScope's four worker builds (threads with relaxed
// SIMD, which this cross-origin isolated page starts; threads with plain SIMD, Safari's;
// relaxed SIMD on one thread, which a page without the isolation headers starts in this
// Chromium; the plain SIMD fallback), and the page itself
// (isolated, so on threads): keystroke to
// redrawn views at 32 and 128 tokens, navigation to the first attention drawn (cold and
// cached), bytes sent, and worker memory after 100 updates. Writes bench/out/browser.json.
// Run by bench/run.sh. BENCH_ONLY=trace stops after the trace timings; BENCH_ONLY=page
// times only the page.
//
//   node bench/speed.mjs
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { serve } from '../tests/e2e/serve.mjs';
import { ortFiles } from './ort-files.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
const ONNX = join(OUT, 'minilm-attentions.onnx');
const LENGTHS = ['10', '32', '128', '512'];
const WARMUP = 5;
const runsFor = (n) => (Number(n) >= 512 ? 15 : 30);
const inputs = JSON.parse(readFileSync(join(ROOT, 'bench', 'inputs.json'), 'utf8'));
mkdirSync(OUT, { recursive: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// A blank page of the site's origin for the two wasm benchmarks, so the page's own worker
// does not compete for the CPU; onnxruntime-web is served from the same origin.
const overrides = {
  '/bench.html': Buffer.from('<!doctype html><meta charset="utf-8"><title>bench</title>'),
  // The one-thread builds: relaxed SIMD, which a page without the isolation headers starts
  // in this Chromium, and plain SIMD, which it starts where relaxed SIMD is missing (Safari).
  '/bench-worker-relaxed.js': Buffer.from("importScripts('./tokenscope-worker-relaxed.js');\n"
    + "wasm_bindgen({ module_or_path: './tokenscope-worker-relaxed_bg.wasm' });\n"),
  // The plain SIMD threads build, which an isolated page starts in Safari.
  '/bench-worker-threads-simd128.js': Buffer.from("importScripts('./tokenscope-worker-threads.js');\n"
    + "wasm_bindgen({ module_or_path: './tokenscope-worker-threads_bg.wasm' });\n"),
  '/bench-worker-simd128.js': Buffer.from("importScripts('./tokenscope-worker.js');\n"
    + "wasm_bindgen({ module_or_path: './tokenscope-worker_bg.wasm' });\n"),
};
Object.assign(overrides, ortFiles(ROOT));
if (existsSync(ONNX)) overrides['/minilm.onnx'] = readFileSync(ONNX);
// Cross-origin isolation: what onnxruntime-web's threads need (SharedArrayBuffer).
const headers = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};
// BENCH_NOT_ISOLATED=1 serves the page as a plain static host would: its keystrokes then run
// on one thread (onnxruntime-web's threads need the isolation too).
const server = await serve(join(ROOT, 'dist'), { overrides, headers: process.env.BENCH_NOT_ISOLATED ? {} : headers });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const results = { date: new Date().toISOString(), chromium: browser.version() };

async function tokenscopeWasm(page, loader) {
  return page.evaluate(async ({ loader, texts, lengths, warmup, runs }) => {
    const worker = new Worker(loader);
    const next = (wanted) => new Promise((resolve, reject) => {
      const onMessage = (event) => {
        const reply = JSON.parse(event.data);
        const kind = typeof reply === 'string' ? reply : Object.keys(reply)[0];
        if (kind === 'Error') reject(new Error(reply.Error.message));
        if (kind === wanted) {
          worker.removeEventListener('message', onMessage);
          resolve(reply[wanted]);
        }
      };
      worker.addEventListener('message', onMessage);
    });
    await next('Started');
    worker.postMessage(JSON.stringify({ Load: { folder: 'models/all-MiniLM-L6-v2', name: 'MiniLM' } }));
    const ready = await next('Ready');
    const out = { kernel: ready.kernel, threads: ready.threads };
    for (const n of lengths) {
      worker.postMessage(JSON.stringify({ Benchmark: { text: texts[n], warmup, runs: runs[n] } }));
      out[n] = await next('Benchmark');
    }
    worker.terminate();
    return out;
  }, { loader, texts: inputs.texts, lengths: LENGTHS, warmup: WARMUP, runs: Object.fromEntries(LENGTHS.map((n) => [n, runsFor(n)])) });
}

/** onnxruntime-web on `threads` threads (0: as many as the browser offers). */
async function onnxruntimeWeb(page, threads) {
  return page.evaluate(async ({ threads, ids, lengths, warmup, runs }) => {
    const ort = await import('./ort/ort.wasm.min.mjs');
    ort.env.wasm.numThreads = threads || navigator.hardwareConcurrency;
    ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
    const session = await ort.InferenceSession.create('./minilm.onnx', { executionProviders: ['wasm'] });
    const out = {
      outputs: session.outputNames.length,
      threads: ort.env.wasm.numThreads,
      cross_origin_isolated: self.crossOriginIsolated,
    };
    for (const n of lengths) {
      const length = ids[n].length;
      const tensor = (values) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, length]);
      const feeds = {
        input_ids: tensor(ids[n]),
        attention_mask: tensor(ids[n].map(() => 1)),
        token_type_ids: tensor(ids[n].map(() => 0)),
      };
      const times = [];
      for (let run = 0; run < warmup + runs[n]; run++) {
        const started = performance.now();
        await session.run(feeds);
        if (run >= warmup) times.push(performance.now() - started);
      }
      out[n] = { tokens: length, run_ms: times };
    }
    return out;
  }, { threads, ids: inputs.ids, lengths: LENGTHS, warmup: WARMUP, runs: Object.fromEntries(LENGTHS.map((n) => [n, runsFor(n)])) });
}

/**
 * Types `value` as sentence A and waits until every view on screen is redrawn: the time that
 * took, and with `longTasks` the longest task the page's main thread ran meanwhile (what
 * would delay a keystroke or a click).
 */
async function typeSentence(page, value, longTasks = false) {
  return page.evaluate(({ value, longTasks }) => new Promise((resolve) => {
    const tasks = [];
    const taskObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push(entry.duration);
    });
    if (longTasks) taskObserver.observe({ type: 'longtask' });
    const area = document.querySelector('#sentence-a');
    const started = performance.now();
    area.value = value;
    area.dispatchEvent(new Event('input', { bubbles: true }));
    // Watched, not polled: a 1 ms polling timer on the page's thread took CPU from the
    // worker on a 2-core machine and added its own delay to what it measured.
    const ready = new MutationObserver(() => {
      if (document.body.dataset.state !== 'ready') return;
      ready.disconnect();
      // Two frames: the one that paints the redrawn canvases has been composited.
      requestAnimationFrame(() => requestAnimationFrame(() => {
        const redrawn = performance.now() - started;
        const finish = () => {
          taskObserver.disconnect();
          resolve({ redrawn_ms: redrawn, longest_main_thread_task_ms: Math.max(0, ...tasks) });
        };
        // Long tasks are reported after they end; give the last one a moment.
        if (longTasks) setTimeout(finish, 100); else finish();
      }));
    });
    ready.observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
  }), { value, longTasks });
}

/**
 * Types `count` new sentences A of `length` tokens, each timed until every view is redrawn;
 * with `longTasks`, also the longest main-thread task of each.
 */
async function keystrokes(page, count, length = '32', longTasks = false) {
  const base = inputs.texts[length].split(' ');
  const times = [];
  for (let i = 0; i < count; i++) {
    // The same length every time, a different last word, so each is a real change.
    const text = [...base.slice(0, -1), i % 2 ? 'party' : 'leader'].join(' ');
    const typed = await typeSentence(page, text, longTasks);
    times.push(longTasks ? typed : typed.redrawn_ms);
  }
  return times;
}

/** Median redraw and longest main-thread task over 20 keystrokes after 5 warm-ups. */
async function keystrokeSeries(page, length) {
  const typed = (await keystrokes(page, 25, length, true)).slice(5);
  return {
    redrawn_ms: median(typed.map((t) => t.redrawn_ms)),
    longest_main_thread_task_ms: Math.max(...typed.map((t) => t.longest_main_thread_task_ms)),
  };
}

/** Types a 512-token sentence A, with the longest main-thread task meanwhile. */
const longText = (page) => typeSentence(page, inputs.texts['512'], true);

try {
  const context = await browser.newContext();
  const blank = await context.newPage();
  if (process.env.BENCH_ONLY !== 'page') {
    await blank.goto(`${server.url}bench.html`);
    // Every worker build: the one the page starts here (threads, on this isolated page) and
    // the one-thread builds other pages and browsers get.
    for (const [key, loader] of [['tokenscope_wasm', './worker-loader.js'],
      ['tokenscope_wasm_threads_simd128', './bench-worker-threads-simd128.js'],
      ['tokenscope_wasm_relaxed', './bench-worker-relaxed.js'],
      ['tokenscope_wasm_simd128', './bench-worker-simd128.js']]) {
      const wasm = await tokenscopeWasm(blank, loader);
      results[key] = Object.fromEntries(LENGTHS.map((n) => [n, {
        tokens: wasm[n].tokens,
        trace_ms: median(wasm[n].trace_ms),
        analysis_ms: median(wasm[n].analysis_ms),
      }]));
      Object.assign(results[key], { kernel: wasm.kernel, threads: wasm.threads });
    }
    if (overrides['/minilm.onnx'] && overrides['/ort/ort.wasm.min.mjs']) {
      for (const [key, threads] of [['onnxruntime_web_1_thread', 1], ['onnxruntime_web_threads', 0]]) {
        const ort = await onnxruntimeWeb(blank, threads);
        results[key] = Object.fromEntries(LENGTHS.map((n) => [n, {
          tokens: ort[n].tokens,
          run_ms: median(ort[n].run_ms),
        }]));
        Object.assign(results[key], { threads: ort.threads, cross_origin_isolated: ort.cross_origin_isolated });
        results.onnxruntime_web_outputs = ort.outputs;
      }
    } else {
      console.error('onnxruntime-web or the ONNX export is missing: run bench/run.sh');
    }
  }
  await context.close();
  if (process.env.BENCH_ONLY === 'trace') {
    console.log(JSON.stringify(results, null, 2));
    process.exit(0);
  }

  // The page: navigation to the first attention drawn, with an empty cache and then cached.
  const pageContext = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await pageContext.newPage();
  const transferred = { wasm_bytes: 0, model_bytes: 0, all_bytes: 0 };
  page.on('response', async (response) => {
    const length = Number((await response.allHeaders())['content-length'] ?? 0);
    transferred.all_bytes += length;
    if (response.url().endsWith('.wasm')) transferred.wasm_bytes += length;
    if (response.url().includes('/models/')) transferred.model_bytes += length;
  });
  const firstAttention = async (reload) => {
    const started = Date.now();
    if (reload) await page.reload(); else await page.goto(`${server.url}?view=head&b=`);
    await page.waitForSelector('#canvas-head-a[data-drawn="1"]', { timeout: 120_000 });
    return Date.now() - started;
  };
  results.first_attention_cold_ms = await firstAttention(false);
  results.transferred = { ...transferred };
  results.first_attention_cached_ms = await firstAttention(true);
  await page.waitForSelector('body[data-model-ready="1"][data-state="ready"]');
  const at32 = await keystrokeSeries(page, '32');
  results.keystroke_to_redrawn_32_tokens_ms = at32.redrawn_ms;
  results.keystroke_32_tokens_longest_main_thread_task_ms = at32.longest_main_thread_task_ms;
  await keystrokes(page, 75); // 100 updates in all
  results.worker_memory_after_100_updates = await page.textContent('#model-memory');
  const at128 = await keystrokeSeries(page, '128');
  results.keystroke_to_redrawn_128_tokens_ms = at128.redrawn_ms;
  results.keystroke_128_tokens_longest_main_thread_task_ms = at128.longest_main_thread_task_ms;
  for (const view of ['head', 'similarity']) {
    await page.click(`nav.tabs button[data-view=${view}]`);
    await longText(page); // warm-up
    const runs = [];
    for (let i = 0; i < 5; i++) {
      await keystrokes(page, 1);
      runs.push(await longText(page));
    }
    results[`text_512_tokens_${view}_view`] = {
      redrawn_ms: median(runs.map((r) => r.redrawn_ms)),
      longest_main_thread_task_ms: Math.max(...runs.map((r) => r.longest_main_thread_task_ms)),
    };
  }
  await pageContext.close();

  const dist = join(ROOT, 'dist');
  results.wasm_files = readdirSync(dist).filter((f) => f.endsWith('.wasm')).map((f) => {
    const bytes = readFileSync(join(dist, f));
    return { file: f, bytes: statSync(join(dist, f)).size, gzip_bytes: gzipSync(bytes, { level: 9 }).length };
  });
  writeFileSync(join(OUT, 'browser.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
} finally {
  await browser.close();
  await server.close();
}
