#!/usr/bin/env node
// Opens an HTML report in headless Chromium and prints what it costs to open: the file's size,
// the time to the first contentful paint, the time until the page says it is ready (summary,
// timeline and table drawn: window.rhReport.ready), and the JavaScript heap in use then; the
// page's start-up phases (parse, decode, summary, timeline, table, and the graph laid out
// once scrolled to), and one sort of the runs table.
//
//   node measure_report.js REPORT.html [--runs K]
//
// K (default 3) loads, each in a fresh page; the figures are the median and the spread. It
// only measures (machines are noisy): the browser test checks behaviour, never timings.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

async function measureOnce(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(url, { waitUntil: 'load', timeout: 120000 });
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 120000 });
  const metrics = (await cdp.send('Performance.getMetrics')).metrics;
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize');
  // The graph is laid out once its section is near the screen; then one sort by duration.
  await page.evaluate(() => {
    document.getElementById('rh-graph-section').scrollIntoView();
    return window.rhReport.graphReady;
  });
  const sortMs = await page.evaluate(() => {
    const t0 = performance.now();
    document.querySelector('.rh-th[data-col="duration"]').click();
    return performance.now() - t0;
  });
  // The page's own marks: 'rh-ready', and a measure 'rh:<phase>' per start-up phase.
  const figures = await page.evaluate(() => {
    const paint = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
    const ready = performance.getEntriesByName('rh-ready')[0];
    const phases = {};
    for (const e of performance.getEntriesByType('measure')) if (e.name.startsWith('rh:')) phases[e.name.slice(3)] = e.duration;
    return { fcp: paint ? paint.startTime : NaN, ready: ready ? ready.startTime : NaN, phases: phases };
  });
  await context.close();
  if (errors.length) throw new Error('page errors: ' + errors.join('; '));
  const sample = { fcp: figures.fcp, ready: figures.ready, heapMB: heap.value / 1048576, sortMs: sortMs };
  for (const name in figures.phases) sample['phase ' + name] = figures.phases[name];
  return sample;
}

function median(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const args = process.argv.slice(2);
  let runs = 3;
  const files = [];
  for (let k = 0; k < args.length; k++) {
    if (args[k] === '--runs') runs = Number(args[++k]);
    else files.push(args[k]);
  }
  if (files.length !== 1 || !(runs >= 1)) {
    console.error('usage: node measure_report.js REPORT.html [--runs K]');
    process.exit(2);
  }
  const file = path.resolve(files[0]);
  const url = 'file://' + file;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  try {
    const samples = [];
    for (let k = 0; k < runs; k++) samples.push(await measureOnce(browser, url));
    const line = (label, key, unit, digits) => {
      const values = samples.map((s) => s[key]);
      console.log(label.padEnd(30) + median(values).toFixed(digits) + ' ' + unit +
        '   (min ' + Math.min(...values).toFixed(digits) + ', max ' + Math.max(...values).toFixed(digits) + ')');
    };
    console.log('report'.padEnd(30) + files[0]);
    console.log('file size'.padEnd(30) + (fs.statSync(file).size / 1e6).toFixed(2) + ' MB');
    console.log('loads'.padEnd(30) + runs);
    line('first contentful paint', 'fcp', 'ms', 0);
    line('ready (first screen drawn)', 'ready', 'ms', 0);
    line('JS heap used when ready', 'heapMB', 'MB', 1);
    for (const key of Object.keys(samples[0]).filter((k) => k.startsWith('phase '))) line('  ' + key, key, 'ms', 0);
    line('sort by duration (click)', 'sortMs', 'ms', 0);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error('measure_report: ' + e.message);
  process.exit(1);
});
