#!/usr/bin/env node
// The HTML report (runner-host --html) in a real browser, Debian's Chromium driven by
// playwright-core: the page opens with no console error and makes no network request; its
// table has a row per run of the JSON report of the same run; filtering by state shows exactly
// the runs in that state; sorting orders them; clicking a run (a row, then a timeline bar)
// shows its state history; the timeline is drawn. Saves screenshots of the timeline and of the
// whole page.
//
//   node report_page_test.js REPORT.html REPORT.json SCREENSHOT_DIR
//
// Exits 0 when every check passed, else 1 after printing each failure on a line of its own.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [htmlPath, jsonPath, shotDir] = process.argv.slice(2);
if (!htmlPath || !jsonPath || !shotDir) {
  console.error('usage: report_page_test.js REPORT.html REPORT.json SCREENSHOT_DIR');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const failures = [];
function check(condition, what) {
  if (!condition) failures.push(what);
  return condition;
}

async function main() {
  const report = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const expectedRuns = report.task_runs;
  const pageUrl = 'file://' + path.resolve(htmlPath);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const consoleErrors = [];
    const requests = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.type() + ': ' + m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push('page error: ' + e.message));
    page.on('request', (r) => requests.push(r.url()));

    await page.goto(pageUrl, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60000 });

    // The data the page decoded is the report's.
    const model = await page.evaluate(() => ({
      runs: window.rhReport.model.runs.length,
      flow: document.getElementById('rh-title').textContent,
    }));
    check(model.runs === expectedRuns.length, `the page holds ${model.runs} runs, the JSON report ${expectedRuns.length}`);
    check(model.flow === report.flow.name, `the title is '${model.flow}', the flow run is '${report.flow.name}'`);

    // The table counts every run.
    const count = () => page.evaluate(() => {
      const c = document.getElementById('rh-table-count');
      return { shown: Number(c.dataset.shown), total: Number(c.dataset.total), text: c.textContent };
    });
    let c = await count();
    check(c.shown === expectedRuns.length && c.total === expectedRuns.length,
      `the table shows ${c.shown} of ${c.total} runs (${c.text}), the report has ${expectedRuns.length}`);

    // Filtering by state: exactly the runs in that state, every row on screen in it.
    const byState = {};
    for (const run of expectedRuns) byState[run.state.name] = (byState[run.state.name] || 0) + 1;
    for (const state of ['Failed', 'Cached', 'Completed']) {
      await page.selectOption('#rh-filter-state', state);
      c = await count();
      check(c.shown === (byState[state] || 0), `filtered by ${state}: ${c.shown} rows, the report has ${byState[state] || 0}`);
      const shownStates = await page.$$eval('.rh-tr:not([hidden]) .rh-td[data-col="state"]', (cells) =>
        cells.map((cell) => cell.textContent.trim()));
      check(shownStates.length > 0 && shownStates.every((s) => s === state),
        `filtered by ${state}, rows show ${JSON.stringify(shownStates)}`);
    }
    await page.selectOption('#rh-filter-state', '');
    c = await count();
    check(c.shown === expectedRuns.length, `after clearing the filter ${c.shown} rows`);

    // Sorting by number, both ways.
    const numbers = () => page.$$eval('.rh-tr:not([hidden])', (rows) =>
      rows.map((r) => Number(r.dataset.no)).filter((n) => !Number.isNaN(n)));
    const ordered = (list, up) => list.every((n, k) => k === 0 || (up ? list[k - 1] <= n : list[k - 1] >= n));
    await page.click('.rh-th[data-col="no"]');
    let nos = await numbers();
    const firstUp = ordered(nos, true);
    await page.click('.rh-th[data-col="no"]');
    const down = await numbers();
    check(nos.length > 1 && down.length > 1, 'rows are on screen to sort');
    check((firstUp && ordered(down, false)) || (ordered(nos, false) && ordered(down, true)),
      `sorting by No does not order the rows: ${JSON.stringify(nos.slice(0, 8))} then ${JSON.stringify(down.slice(0, 8))}`);

    // Clicking a run shows its state history, in order: the flaky one, retried.
    const flaky = expectedRuns.find((run) => run.task === 'flaky');
    if (check(flaky !== undefined, 'the report has no flaky run')) {
      await page.fill('#rh-filter-text', flaky.name);
      await page.click(`.rh-tr:not([hidden])[data-no="${flaky.id}"]`);
      await page.waitForSelector('#rh-details:not([hidden]) #rh-history');
      const title = await page.textContent('#rh-details-title');
      check(title.includes(flaky.name), `the details show '${title}', not ${flaky.name}`);
      const states = await page.$$eval('#rh-history tbody tr', (rows) => rows.map((r) => r.dataset.state));
      check(JSON.stringify(states) === JSON.stringify(flaky.states),
        `clicked ${flaky.name}: history ${JSON.stringify(states)}, the report says ${JSON.stringify(flaky.states)}`);
      await page.fill('#rh-filter-text', '');
      await page.click('#rh-details-close');
    }

    // The timeline is drawn, and a click on a bar opens that bar's run.
    await page.locator('#rh-timeline-section').scrollIntoViewIfNeeded();
    const drawn = await page.evaluate(() => {
      const canvas = document.getElementById('rh-timeline');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let coloured = 0;
      for (let k = 0; k < pixels.length; k += 4) {
        if (pixels[k + 3] > 0 && !(pixels[k] > 240 && pixels[k + 1] > 240 && pixels[k + 2] > 240)) coloured++;
      }
      return coloured;
    });
    check(drawn > 1000, `the timeline canvas has only ${drawn} coloured pixels`);
    const bar = await page.evaluate(() => {
      // The middle of the first bar of the run with the longest attempt, in page coordinates.
      const model = window.rhReport.model;
      let best = null;
      for (const run of model.runs) {
        for (const a of run.attempts) if (!best || a[1] - a[0] > best.a[1] - best.a[0]) best = { run, a };
      }
      if (!best) return null;
      const at = window.rhReport.timeline.locate(best.run.no);
      const rect = document.getElementById('rh-timeline').getBoundingClientRect();
      return at ? { x: rect.left + at.x, y: rect.top + at.y, no: best.run.no } : null;
    });
    check(bar !== null, 'the timeline cannot say where a bar is');
    if (bar) {
      await page.mouse.click(bar.x, bar.y);
      const title = await page.textContent('#rh-details-title');
      const run = expectedRuns.find((r) => r.id === bar.no);
      check(run && title.includes(run.name), `clicking the timeline bar of run ${bar.no} opened '${title}'`);
      await page.click('#rh-details-close');
    }

    fs.mkdirSync(shotDir, { recursive: true });
    await page.locator('#rh-timeline-section').screenshot({ path: path.join(shotDir, 'timeline.png') });
    await page.screenshot({ path: path.join(shotDir, 'report.png'), fullPage: true });

    check(consoleErrors.length === 0, 'console: ' + consoleErrors.join(' | '));
    const network = requests.filter((url) => url !== pageUrl);
    check(network.length === 0, 'network requests: ' + network.join(' '));
  } finally {
    await browser.close();
  }
}

main().then(() => {
  for (const failure of failures) console.error('report_page_test: ' + failure);
  process.exit(failures.length === 0 ? 0 : 1);
}, (e) => {
  console.error('report_page_test: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
