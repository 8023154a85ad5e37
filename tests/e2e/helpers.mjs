// Shared by the page tests: one static server and one Chromium per test file, and the
// helpers that open the page, wait for it, read its tables and run the CLI.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHOTS = join(ROOT, 'target', 'screenshots');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const CELEBRATION = 'students celebrate the graduation with a big party';
export const POLITICS = 'deputy leader is highly respected in the party';
export const VIEWS = ['tokens', 'onehot', 'similarity', 'head', 'model', 'neuron', 'position', 'next'];
/** Every view of the page, in the tabs' order, as the page itself lists them. */
export async function allViews(page) {
  return page.$$eval('nav.tabs button[data-view]', (tabs) => tabs.map((t) => t.dataset.view));
}
// The views shown with the embedded GPT (the next-token view keeps BERT's message; the
// GPT's own next-token screenshot is taken in its test).
export const GPT_VIEWS = ['generate', 'learn'];

/** The file's server (`session.server.url`, `.requests`) and browser, started before its tests. */
export const session = { server: null, browser: null };

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  session.server = await serve(join(ROOT, 'dist'));
  session.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await session.browser?.close();
  await session.server?.close();
});

export function link(params) {
  return `${session.server.url}?${new URLSearchParams(params)}`;
}

/** Opens the page and waits until the model ran on the sentences and every view is drawn. */
export async function openPage(url = session.server.url, { viewport = { width: 1280, height: 720 } } = {}) {
  const context = await session.browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  const foreign = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  // blob: and data: URLs are the page's own memory (files the user opened, downloads).
  const local = (url) => url.startsWith(session.server.url) || url.startsWith('blob:') || url.startsWith('data:');
  context.on('request', (r) => { if (!local(r.url())) foreign.push(r.url()); });
  await page.goto(url);
  await ready(page);
  return { page, context, problems, foreign };
}

export async function ready(page) {
  await page.waitForSelector('body[data-model-ready="1"][data-state="ready"]', { timeout: 90_000 });
}

/** Waits until the analysis of a change has arrived and been drawn. */
export async function settle(page) {
  await page.waitForTimeout(250); // longer than the page's typing debounce
  await ready(page);
}

// `cargo test` (run before these tests) leaves the CLI here; building it again would cost minutes.
export const CLI = join(ROOT, 'target', 'debug', 'tokenscope');

export function inspect(text, { pair, fields = 'ids,tokens,attentions' } = {}) {
  const args = ['inspect', '--text', text, '--fields', fields];
  if (pair !== undefined) args.push('--pair', pair);
  const out = existsSync(CLI)
    ? execFileSync(CLI, args, { cwd: ROOT, maxBuffer: 1 << 28 })
    : execFileSync('cargo', ['run', '-q', '--bin', 'tokenscope', '--', ...args], { cwd: ROOT, maxBuffer: 1 << 28 });
  return JSON.parse(out.toString());
}

export async function chips(page, sentence) {
  return page.$$eval(`[data-testid=token][data-sentence=${sentence}]`, (els) =>
    els.map((e) => ({ id: Number(e.dataset.id), text: e.textContent })));
}

export async function readTable(page, selector) {
  return page.$eval(selector, (t) => ({
    cols: [...t.querySelectorAll('thead th')].slice(1).map((th) => th.textContent),
    rows: [...t.querySelectorAll('tbody tr')].map((tr) => tr.querySelector('th').textContent),
    cells: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
  }));
}

/** Every cell shows the CLI's number to 4 decimals. */
export function assertMatrix(table, matrix, what) {
  assert.equal(table.cells.length, matrix.length, `${what}: rows`);
  let largest = 0;
  table.cells.forEach((row, r) => {
    assert.equal(row.length, matrix[r].length, `${what}: columns of row ${r}`);
    row.forEach((cell, c) => {
      assert.match(cell, /^-?\d+\.\d{4,}$/, `${what}: cell (${r}, ${c}) has at least 4 decimals`);
      largest = Math.max(largest, Math.abs(Number(cell) - matrix[r][c]));
    });
  });
  assert.ok(largest <= 0.00005 + 1e-6, `${what}: largest difference ${largest}`);
}

export function cosine(a, b) {
  let dot = 0; let aa = 0; let bb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return dot / Math.sqrt(aa * bb);
}

