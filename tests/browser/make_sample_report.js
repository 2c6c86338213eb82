#!/usr/bin/env node
// Writes an HTML report with generated data, for developing the page and measuring it at scale
// without running the host:
//
//   node make_sample_report.js TEMPLATE OUTPUT N [--odd] [--seed S]
//
// TEMPLATE is report_template.html from the build tree (host/cli/report_page/), OUTPUT the
// report to write, N the number of task runs. The data follows docs/html-report.md (format 1)
// and looks like a real run: several tasks in dependency chains (extract -> transform ->
// validate -> load, a fan-in aggregate every 40 chains), scheduled on 8 worker slots, about
// 2% failed, some retried after a failure (with AwaitingRetry spans), about 10% Cached (no
// attempt), parameters and results of 40 to 100 bytes (escaped). --odd adds what a report can hold but
// rarely does: runs left out (omitted_runs), attempts on an unknown slot (-1), a slot with no
// attempt, a run with neither attempt nor history, and names and parameters full of markup.
'use strict';

const fs = require('fs');

const STATES = ['Pending', 'NotReady', 'Running', 'Retrying', 'AwaitingRetry', 'Completed', 'Cached', 'Failed', 'TimedOut', 'Crashed', 'Cancelled'];
const S = Object.fromEntries(STATES.map((name, i) => [name, i]));
const TASKS = ['fetch_config', 'extract', 'transform', 'validate', 'load', 'aggregate', 'notify'];
const T = Object.fromEntries(TASKS.map((name, i) => [name, i]));
const SLOTS = 8;
// Mean attempt duration per task, microseconds.
const MEAN_US = { fetch_config: 900, extract: 420, transform: 650, validate: 180, load: 380, aggregate: 2400, notify: 120 };
const MARKER = '<!-- rh:data -->';

function usage() {
  console.error('usage: node make_sample_report.js TEMPLATE OUTPUT N [--odd] [--seed S]');
  process.exit(2);
}

// A small seeded generator (mulberry32), so a given N and seed always give the same file.
function random(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(n, odd, seed) {
  const rnd = random(seed);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const duration = (task) => Math.max(8, Math.round(MEAN_US[task] * -Math.log(1 - rnd() * 0.98)));
  const hex = (len) => Array.from({ length: len }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');

  // The runs' tasks and edges, in an order where each run comes after its upstreams.
  const plan = []; // {task, name, ups: [index]}
  const add = (task, name, ups) => plan.push({ task: task, name: name, ups: ups });
  if (n > 0) add('fetch_config', 'fetch_config', []);
  let chain = 0;
  let loads = [];
  while (plan.length < n) {
    const k = chain++;
    const steps = ['extract', 'transform', 'validate', 'load'];
    let previous = plan.length && k % 10 === 0 ? [0] : [];
    for (const task of steps) {
      if (plan.length >= n) break;
      add(task, task + '-' + k, previous);
      previous = [plan.length - 1];
    }
    if (plan[plan.length - 1].task === 'load') loads.push(plan.length - 1);
    if (loads.length === 40 && plan.length < n) {
      add('aggregate', 'aggregate-' + Math.floor(k / 40), loads);
      loads = [];
      if (plan.length < n && rnd() < 0.5) add('notify', 'notify-' + Math.floor(k / 40), [plan.length - 1]);
    }
  }

  // List scheduling on the slots: a run starts when its upstreams have ended and a slot is
  // free; its fate is drawn first (Cached, failed, retried, crashed, or simply completed).
  const slotFree = new Float64Array(SLOTS);
  const ends = new Float64Array(plan.length);
  const failedRun = new Uint8Array(plan.length);
  const runs = [];
  const slotOf = () => {
    let best = 0;
    for (let s = 1; s < SLOTS; s++) if (slotFree[s] < slotFree[best]) best = s;
    return best;
  };
  plan.forEach((p, i) => {
    const no = i + 1;
    let ready = 30 + i * 0.4; // runs are submitted a little apart
    let upstreamFailed = false;
    for (const j of p.ups) {
      ready = Math.max(ready, ends[j] + 4);
      if (failedRun[j]) upstreamFailed = true;
    }
    ready = Math.round(ready);
    const params = JSON.stringify(p.task === 'aggregate'
      ? { batch: Math.floor(i / 160), inputs: p.ups.length, target: 'warehouse.daily_' + hex(4) }
      : { shard: i % 997, file: 'part-' + String(i).padStart(6, '0') + '.csv', mode: pick(['fast', 'full', 'check']) });
    const history = [[Math.round(ready - 20 - rnd() * 10), S.Pending]];
    const attempts = [];
    let state;
    let result = null;
    let error = null;
    if (upstreamFailed) {
      // Not run: an upstream it waited for failed.
      state = S.NotReady;
      history.push([ready, S.NotReady, 'Upstream task run failed.']);
      failedRun[i] = 1;
      ends[i] = ready;
    } else if (p.task !== 'fetch_config' && rnd() < 0.1) {
      state = S.Cached;
      result = JSON.stringify({ rows: Math.floor(rnd() * 90000), cache_key: hex(16) });
      history.push([ready + 3, S.Cached, 'Cached result of an earlier run.']);
      ends[i] = ready + 3;
    } else {
      const fate = rnd();
      // Attempts until one completes or retries run out: 0 or 1 retries.
      const outcomes = fate < 0.02 ? [S.Failed] // final failure, no retries
        : fate < 0.05 ? [pick([S.Failed, S.TimedOut]), S.Completed] // failed once, then completed
          : fate < 0.055 ? [S.Failed, S.Failed] // retried and failed again
            : fate < 0.057 ? [S.Crashed] : [S.Completed];
      let t = ready;
      outcomes.forEach((outcome, k) => {
        const slot = slotOf();
        const start = Math.round(Math.max(t, slotFree[slot]) + 2);
        const took = outcome === S.TimedOut ? 5000 : duration(p.task);
        const end = start + took;
        slotFree[slot] = end;
        history.push([start, k === 0 ? S.Running : S.Retrying]);
        const message = outcome === S.Failed ? 'Task run encountered an exception: ValueError.'
          : outcome === S.TimedOut ? 'Task run exceeded its 5 ms timeout.'
            : outcome === S.Crashed ? 'The worker process died (signal 9).' : null;
        history.push(message ? [end, outcome, message] : [end, outcome]);
        attempts.push([start, end, slot, outcome]);
        t = end;
        if (k + 1 < outcomes.length) {
          // The retry delay: AwaitingRetry until the next attempt may start.
          history.push([end + 1, S.AwaitingRetry, 'Retry 1 of 2 in 2 ms.']);
          t = end + 2000;
        }
      });
      state = outcomes[outcomes.length - 1];
      if (state === S.Completed) result = JSON.stringify({ rows: Math.floor(rnd() * 90000), sha: hex(10) });
      else if (state === S.Crashed) error = 'Crashed: the worker process died (signal 9)';
      else if (state === S.TimedOut) error = 'TimeoutError: task run exceeded its 5 ms timeout';
      else error = 'ValueError: row ' + Math.floor(rnd() * 50000) + ' of ' + p.name + ' has 7 fields, expected 8\nTraceback (most recent call last):\n  File "tasks.py", line 42, in ' + p.task;
      if (state !== S.Completed) failedRun[i] = 1;
      ends[i] = t;
    }
    runs.push([no, p.name, T[p.task], state, params, result, error, history, p.ups.map((j) => j + 1), attempts]);
  });

  const slots = Array.from({ length: SLOTS }, (_, s) => 'thread ' + (s + 1));
  let omitted = 0;
  if (odd && runs.length) {
    slots.push('thread ' + (SLOTS + 1) + ' (idle)'); // a slot that ran nothing
    omitted = 7;
    // Attempts whose slot is unknown, as a report of a stored run may have.
    for (let i = 1; i < runs.length; i += Math.max(2, Math.floor(runs.length / 5))) {
      for (const a of runs[i][9]) a[2] = -1;
    }
    // A run that has neither attempts nor history.
    runs.push([runs.length + 1, 'ghost-run', T.notify, S.Cancelled, null, null, null, [], [], []]);
    // Markup in names, parameters and errors must show as text.
    const hostile = runs[Math.min(runs.length - 2, 2)];
    hostile[1] = '<img src=x onerror=alert(1)>-' + hostile[0];
    hostile[4] = JSON.stringify({ html: '</script><script>alert(2)</script>', comment: '<!--<script>', quote: '"\'&' });
  }

  let end = 0;
  for (const e of ends) end = Math.max(end, e);
  end = Math.round(end + 50);
  const counts = {};
  for (const r of runs) counts[STATES[r[3]]] = (counts[STATES[r[3]]] || 0) + 1;
  if (omitted) counts.Completed = (counts.Completed || 0) + omitted;
  const failed = (counts.Failed || 0) + (counts.TimedOut || 0) + (counts.Crashed || 0);
  const flowState = failed ? 'Failed' : 'Completed';
  const message = failed ? failed + '/' + (runs.length + omitted) + ' states failed.' : 'All states completed.';
  const startUs = 1796000000000000;
  return {
    format: 1,
    generator: 'runner-host 0.1.0 (sample data)',
    source: 'run',
    flow: {
      id: '0193a1c2-' + hex(4) + '-7' + hex(3) + '-8' + hex(3) + '-' + hex(12),
      name: 'sample-pipeline-' + hex(4),
      flow: 'sample-pipeline',
      is_flow: true,
      state: flowState,
      message: message,
      command_line: 'runner-host --plugin ./libsample_tasks.so --flow sample-pipeline --threads ' + SLOTS + ' --html report.html',
      runner: 'tbb',
      start_us: startUs,
      end_us: startUs + end,
      params: JSON.stringify({ runs: n, seed: seed }),
      result: failed ? null : '"ok"',
      error: failed ? 'FlowRunFailed: ' + message : null,
      history: [[0, S.Pending], [12, S.Running], [end, S[flowState], message]],
      counts: counts,
    },
    states: STATES,
    tasks: TASKS,
    slots: slots,
    runs: runs,
    omitted_runs: omitted,
  };
}

// The JSON as the host writes it into the page: "</" as "<\/" and "<!--" as "<\u0021--", so
// nothing in the data can end the script element or change how the parser finds its end.
function embeddable(json) {
  return json.replace(/<\//g, '<\\/').replace(/<!--/g, '<\\u0021--');
}

function main() {
  const args = process.argv.slice(2);
  const positional = [];
  let odd = false;
  let seed = 7;
  for (let k = 0; k < args.length; k++) {
    if (args[k] === '--odd') odd = true;
    else if (args[k] === '--seed') seed = Number(args[++k]);
    else positional.push(args[k]);
  }
  if (positional.length !== 3) usage();
  const [templatePath, outputPath, countText] = positional;
  const n = Number(countText);
  if (!Number.isInteger(n) || n < 0) usage();
  const template = fs.readFileSync(templatePath, 'utf8');
  const at = template.indexOf(MARKER);
  if (at < 0 || template.indexOf(MARKER, at + 1) >= 0) throw new Error(templatePath + ': the data marker must occur exactly once');
  const json = embeddable(JSON.stringify(generate(n, odd, seed)));
  fs.writeFileSync(outputPath, template.slice(0, at) + json + template.slice(at + MARKER.length));
  console.log(outputPath + ': ' + n + ' runs' + (odd ? ' (with odd data)' : '') + ', ' + fs.statSync(outputPath).size + ' bytes');
}

main();
