// The report's data (docs/html-report.md, format 1) decoded once into what the views use: one
// object per run with its task and state names, the edges in both directions, its times, and
// the retry delays read off its history. The figures of the summary are derived here too, so
// every view agrees on them.
(function (RH) {
  'use strict';

  RH.SUPPORTED_FORMAT = 1;

  function arrayOr(value) {
    return Array.isArray(value) ? value : [];
  }

  function numberOr(value, fallback) {
    return typeof value === 'number' && isFinite(value) ? value : fallback;
  }

  function textOr(value) {
    return typeof value === 'string' ? value : null;
  }

  // The report's JSON (already parsed) -> the model. Throws only on a document that is not a
  // report at all; anything missing inside one is taken as empty.
  RH.decodeReport = function (raw) {
    if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('the report data is not a JSON object');
    if (raw.format !== RH.SUPPORTED_FORMAT) {
      throw new Error('the report data is in format ' + JSON.stringify(raw.format) + ', this page reads format ' + RH.SUPPORTED_FORMAT);
    }
    const states = arrayOr(raw.states).map(String);
    const tasks = arrayOr(raw.tasks).map(String);
    const slots = arrayOr(raw.slots).map(String);
    const stateIndex = new Map(states.map((name, i) => [name, i]));
    const stateName = (i) => (i >= 0 && i < states.length ? states[i] : 'state ' + i);
    const taskName = (i) => (i >= 0 && i < tasks.length ? tasks[i] : 'task ' + i);

    const flowRaw = raw.flow && typeof raw.flow === 'object' ? raw.flow : {};
    const startUs = numberOr(flowRaw.start_us, 0);
    const flow = {
      id: textOr(flowRaw.id),
      name: textOr(flowRaw.name) || textOr(flowRaw.flow) || 'flow run',
      flow: textOr(flowRaw.flow),
      isFlow: flowRaw.is_flow !== false,
      state: textOr(flowRaw.state),
      message: textOr(flowRaw.message),
      commandLine: textOr(flowRaw.command_line),
      runner: textOr(flowRaw.runner),
      startUs: startUs,
      endUs: numberOr(flowRaw.end_us, NaN),
      params: textOr(flowRaw.params),
      result: textOr(flowRaw.result),
      error: textOr(flowRaw.error),
      history: arrayOr(flowRaw.history),
      counts: flowRaw.counts && typeof flowRaw.counts === 'object' ? flowRaw.counts : null,
    };

    const runs = [];
    const byNo = new Map();
    let lastTime = 0; // the latest time any run shows, for a report without an end time
    let attemptCount = 0;
    for (const r of arrayOr(raw.runs)) {
      if (!Array.isArray(r)) continue;
      const history = arrayOr(r[7]);
      const attempts = arrayOr(r[9]);
      let busy = 0;
      for (const a of attempts) busy += Math.max(0, numberOr(a[1], 0) - numberOr(a[0], 0));
      attemptCount += attempts.length;
      // A run starts with its first attempt (or, with none, when it was first seen) and ends
      // with its last state.
      const firstSeen = history.length ? numberOr(history[0][0], 0) : 0;
      const start = attempts.length ? numberOr(attempts[0][0], firstSeen) : firstSeen;
      let end = history.length ? numberOr(history[history.length - 1][0], start) : start;
      if (attempts.length) end = Math.max(end, numberOr(attempts[attempts.length - 1][1], end));
      if (end > lastTime) lastTime = end;
      const run = {
        i: runs.length,
        no: numberOr(r[0], runs.length + 1),
        name: r[1] == null ? '' : String(r[1]),
        task: numberOr(r[2], -1),
        taskName: taskName(numberOr(r[2], -1)),
        state: numberOr(r[3], -1),
        stateName: stateName(numberOr(r[3], -1)),
        params: textOr(r[4]),
        result: textOr(r[5]),
        error: textOr(r[6]),
        history: history,
        upstreams: arrayOr(r[8]),
        attempts: attempts,
        start: start,
        end: end,
        busy: busy,
        up: null, // indices of the upstream runs present in the file
        down: null, // indices of the runs that waited for this one
      };
      runs.push(run);
      if (!byNo.has(run.no)) byNo.set(run.no, run.i);
    }

    let edgeCount = 0;
    for (const run of runs) {
      if (!run.upstreams.length) continue;
      run.up = [];
      for (const no of run.upstreams) {
        const j = byNo.get(no);
        if (j === undefined || j === run.i) continue; // an omitted run, or nonsense
        run.up.push(j);
        const other = runs[j];
        (other.down || (other.down = [])).push(run.i);
        edgeCount++;
      }
    }

    const wall = isFinite(flow.endUs) ? Math.max(0, flow.endUs - flow.startUs) : lastTime;
    const counts = flow.counts || countStates(runs);
    let taskRuns = 0;
    for (const key in counts) taskRuns += numberOr(counts[key], 0);

    const model = {
      generator: textOr(raw.generator),
      source: textOr(raw.source),
      flow: flow,
      states: states,
      stateIndex: stateIndex,
      stateName: stateName,
      tasks: tasks,
      slots: slots,
      runs: runs,
      byNo: byNo,
      edgeCount: edgeCount,
      attemptCount: attemptCount,
      omitted: Math.max(0, numberOr(raw.omitted_runs, 0)),
      wall: wall,
      span: Math.max(wall, lastTime), // what the timeline must show: every run, even past the end
      counts: counts,
      taskRuns: taskRuns,
    };
    model.retryDelays = retryDelays(model);
    return model;
  };

  function countStates(runs) {
    const counts = {};
    for (const run of runs) counts[run.stateName] = (counts[run.stateName] || 0) + 1;
    return counts;
  }

  // The retry delays: each AwaitingRetry span of a run's history, from that entry to the next
  // one (or to the run's end when it is the last). -> [{run, start, end}]
  function retryDelays(model) {
    const awaiting = model.stateIndex.get('AwaitingRetry');
    const out = [];
    if (awaiting === undefined) return out;
    for (const run of model.runs) {
      const h = run.history;
      for (let k = 0; k < h.length; k++) {
        if (h[k][1] !== awaiting) continue;
        const start = numberOr(h[k][0], 0);
        const end = k + 1 < h.length ? numberOr(h[k + 1][0], start) : Math.max(start, run.end);
        out.push({ run: run.i, start: start, end: end });
      }
    }
    return out;
  }

  // A run's history as objects: time, state name, message, and the time since the entry
  // before (null for the first).
  RH.historyEntries = function (model, history) {
    const out = [];
    let previous = null;
    for (const h of arrayOr(history)) {
      const t = numberOr(h[0], 0);
      out.push({ time: t, state: model.stateName(numberOr(h[1], -1)), message: textOr(h[2]), sincePrevious: previous === null ? null : t - previous });
      previous = t;
    }
    return out;
  };

  // Whether attempt k of `run` failed and was retried: it ended badly and another attempt, or
  // an AwaitingRetry state, came after it. (A final failure is drawn differently.)
  RH.attemptRetried = function (model, run, k) {
    const a = run.attempts[k];
    if (!RH.FAILING_STATES[model.stateName(a[3])]) return false;
    if (k + 1 < run.attempts.length) return true;
    const awaiting = model.stateIndex.get('AwaitingRetry');
    if (awaiting === undefined) return false;
    for (const h of run.history) if (h[1] === awaiting && h[0] >= a[1]) return true;
    return false;
  };

  // Time spent in attempts per slot, as a share of the wall time: [{label, busy, share}], the
  // attempts of an unknown slot (-1) last under "unknown slot".
  RH.slotBusy = function (model) {
    const busy = new Float64Array(model.slots.length + 1);
    const unknown = model.slots.length;
    for (const run of model.runs) {
      for (const a of run.attempts) {
        const slot = a[2] >= 0 && a[2] < model.slots.length ? a[2] : unknown;
        busy[slot] += Math.max(0, a[1] - a[0]);
      }
    }
    const out = model.slots.map((label, i) => ({ label: label, busy: busy[i], share: model.wall > 0 ? busy[i] / model.wall : 0 }));
    if (busy[unknown] > 0) out.push({ label: 'unknown slot', busy: busy[unknown], share: model.wall > 0 ? busy[unknown] / model.wall : 0 });
    return out;
  };

  // Which of two runs ended later (ties: the later number), for the critical path.
  function endedLater(a, b) {
    return a.end > b.end || (a.end === b.end && a.no > b.no);
  }

  // The critical path: from the run that ended last, repeatedly the upstream that ended last.
  // -> run indices, first run first. Without edges it is just the run that ended last.
  RH.criticalPath = function (model) {
    if (!model.runs.length) return [];
    let last = model.runs[0];
    for (const run of model.runs) if (endedLater(run, last)) last = run;
    const chain = [last.i];
    const seen = new Set(chain);
    let current = last;
    while (current.up && current.up.length) {
      let next = null;
      for (const j of current.up) if (next === null || endedLater(model.runs[j], next)) next = model.runs[j];
      if (seen.has(next.i)) break; // a cycle would be a bug upstream; do not loop on it
      seen.add(next.i);
      chain.push(next.i);
      current = next;
    }
    return chain.reverse();
  };

  // The `k` runs with the most time in attempts, most first (ties: the lower number first).
  RH.slowestRuns = function (model, k) {
    const top = [];
    const slower = (a, b) => a.busy > b.busy || (a.busy === b.busy && a.no < b.no);
    for (const run of model.runs) {
      if (top.length === k && !slower(run, top[k - 1])) continue;
      let at = top.length < k ? top.length : k - 1;
      if (top.length < k) top.push(run);
      while (at > 0 && slower(run, top[at - 1])) {
        top[at] = top[at - 1];
        at--;
      }
      top[at] = run;
    }
    return top.map((run) => run.i);
  };
})(window.RH = window.RH || {});
