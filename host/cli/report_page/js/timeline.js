// The timeline: a Gantt chart on a canvas, one row per worker slot (then "unknown slot" when
// some attempt's slot is -1), a row of retry delays and a row of runs that had no attempt.
// Every attempt is a bar coloured by the state it ended in; a retried attempt is outlined, a
// final one filled. Zoom with the wheel (around the pointer) or the buttons, pan by dragging,
// double-click for the whole run; hover for the bar's run, click to open it.
//
// Built for 100,000 attempts: each row keeps its bars in typed arrays sorted by start, with a
// running maximum of the ends, so the bars in view (or under the pointer) are found by binary
// search; bars narrower than a pixel are merged into one rectangle per pixel column and state.
(function (RH) {
  'use strict';

  const AXIS_HEIGHT = 24;
  const LABEL_WIDTH_MAX = 170;
  const RIGHT_PAD = 10;
  const HIT_TOLERANCE_PX = 3;
  const KIND_ATTEMPT = 0;
  const KIND_DELAY = 1;
  const KIND_TICK = 2;
  const FLAG_RETRIED = 1;

  // "Nice" distances between axis ticks, in microseconds: 1-2-5 steps up to 30 s, then whole
  // minutes and hours.
  const TICK_STEPS = (function () {
    const steps = [];
    for (let p = 1; p <= 1e7; p *= 10) steps.push(p, 2 * p, 5 * p);
    steps.push(3e7, 6e7, 1.2e8, 3e8, 6e8, 9e8, 1.8e9, 3.6e9, 7.2e9, 1.08e10, 2.16e10, 4.32e10, 8.64e10);
    return steps;
  })();

  // One row's bars, sorted by start. maxEnd[i] is the largest end among bars 0..i, which is
  // sorted too: the first bar that can reach time t is lowerBound(maxEnd, t).
  function makeRow(label, kind, count) {
    return {
      label: label,
      kind: kind,
      n: 0,
      start: new Float64Array(count),
      end: new Float64Array(count),
      maxEnd: new Float64Array(count),
      run: new Int32Array(count),
      attempt: new Int32Array(count), // attempt index (for a delay: the attempt it precedes)
      state: new Int16Array(count),
      flags: new Uint8Array(count),
    };
  }

  function addBar(row, start, end, run, attempt, state, flags) {
    const k = row.n++;
    row.start[k] = start;
    row.end[k] = Math.max(start, end);
    row.run[k] = run;
    row.attempt[k] = attempt;
    row.state[k] = state;
    row.flags[k] = flags;
  }

  // Sorts a row's bars by start (skipped when they came in order, the usual case) and fills
  // maxEnd.
  function finishRow(row) {
    const n = row.n;
    let sorted = true;
    for (let k = 1; k < n && sorted; k++) if (row.start[k] < row.start[k - 1]) sorted = false;
    if (!sorted) {
      const order = new Uint32Array(n);
      for (let k = 0; k < n; k++) order[k] = k;
      const start = row.start;
      order.sort((a, b) => start[a] - start[b] || a - b);
      for (const field of ['start', 'end', 'run', 'attempt', 'state', 'flags']) {
        const from = row[field];
        const to = new from.constructor(n);
        for (let k = 0; k < n; k++) to[k] = from[order[k]];
        row[field] = to;
      }
    }
    let max = -Infinity;
    for (let k = 0; k < n; k++) {
      if (row.end[k] > max) max = row.end[k];
      row.maxEnd[k] = max;
    }
  }

  function buildRows(model) {
    const slotCount = model.slots.length;
    const counts = new Int32Array(slotCount + 1); // the last: unknown slot
    let noAttempt = 0;
    for (const run of model.runs) {
      if (!run.attempts.length) noAttempt++;
      for (const a of run.attempts) counts[a[2] >= 0 && a[2] < slotCount ? a[2] : slotCount]++;
    }
    const slotRows = model.slots.map((label, i) => makeRow(label, KIND_ATTEMPT, counts[i]));
    const unknownRow = counts[slotCount] ? makeRow('unknown slot', KIND_ATTEMPT, counts[slotCount]) : null;
    const delayRow = makeRow('retry delays', KIND_DELAY, model.retryDelays.length);
    const tickRow = makeRow('no attempt', KIND_TICK, noAttempt);

    for (const run of model.runs) {
      const attempts = run.attempts;
      if (!attempts.length) {
        addBar(tickRow, run.end, run.end, run.i, -1, run.state, 0);
        continue;
      }
      for (let k = 0; k < attempts.length; k++) {
        const a = attempts[k];
        const row = a[2] >= 0 && a[2] < slotCount ? slotRows[a[2]] : unknownRow;
        addBar(row, Number(a[0]) || 0, Number(a[1]) || 0, run.i, k, a[3], RH.attemptRetried(model, run, k) ? FLAG_RETRIED : 0);
      }
    }
    const awaiting = model.stateIndex.has('AwaitingRetry') ? model.stateIndex.get('AwaitingRetry') : -1;
    for (const d of model.retryDelays) {
      const run = model.runs[d.run];
      let next = 0; // which attempt the delay came before
      while (next < run.attempts.length && run.attempts[next][0] < d.start) next++;
      addBar(delayRow, d.start, d.end, d.run, next, awaiting, 0);
    }
    const rows = slotRows.concat(unknownRow ? [unknownRow] : [], [delayRow, tickRow]);
    rows.forEach(finishRow);
    return rows;
  }

  function niceStep(rawStep) {
    for (const s of TICK_STEPS) if (s >= rawStep) return s;
    return TICK_STEPS[TICK_STEPS.length - 1];
  }

  RH.createTimeline = function (model, parts) {
    const canvas = parts.canvas;
    const tooltip = parts.tooltip;
    const box = parts.box;
    const rows = buildRows(model);
    const delayRuns = Int32Array.from(model.retryDelays, (d) => d.run);
    const colors = model.states.map((name) => RH.stateColor(name));
    const colorOf = (state) => colors[state] || RH.stateColor('');
    const bucketCount = colors.length + 1; // states, then "unknown state" for the pixel merge

    const fullStart = 0;
    const fullEnd = model.span > 0 ? model.span : 1000;
    const pad = (fullEnd - fullStart) * 0.01;
    const home = { t0: fullStart - pad, t1: fullEnd + pad };
    const minSpan = Math.max(2, (home.t1 - home.t0) / 1e7);
    let view = { t0: home.t0, t1: home.t1 };
    let selected = -1;
    let hovered = null; // {row, k}
    let geometry = null; // the layout of the last draw

    const rowHeight = rows.length > 24 ? Math.max(8, Math.floor(520 / rows.length)) : 22;
    const height = AXIS_HEIGHT + rows.length * rowHeight + 6;

    function labelWidth(ctx) {
      let widest = 60;
      for (const row of rows) widest = Math.max(widest, ctx.measureText(row.label).width);
      return Math.min(LABEL_WIDTH_MAX, Math.ceil(widest) + 16);
    }

    // Text cut to fit `width` pixels, with an ellipsis.
    function fitText(ctx, text, width) {
      if (ctx.measureText(text).width <= width) return text;
      let lo = 0;
      let hi = text.length;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (ctx.measureText(text.slice(0, mid) + '…').width <= width) lo = mid;
        else hi = mid - 1;
      }
      return text.slice(0, lo) + '…';
    }

    function draw() {
      const fitted = RH.fitCanvas(canvas, height);
      const ctx = fitted.ctx;
      const width = fitted.width;
      ctx.font = '12px ' + getComputedStyle(document.body).fontFamily;
      const left = labelWidth(ctx);
      const plotWidth = Math.max(10, width - left - RIGHT_PAD);
      const scale = plotWidth / (view.t1 - view.t0);
      const X = (t) => left + (t - view.t0) * scale;
      geometry = { left: left, plotWidth: plotWidth, scale: scale, width: width };

      const fg = RH.themeColor('--fg');
      const muted = RH.themeColor('--muted');
      const grid = RH.themeColor('--grid');
      const card = RH.themeColor('--card');
      ctx.fillStyle = card;
      ctx.fillRect(0, 0, width, height);

      // The axis: ticks at a nice step about every 110 pixels, with grid lines across the rows.
      const step = niceStep(110 / scale);
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'center';
      ctx.lineWidth = 1;
      for (let t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
        const x = Math.round(X(t)) + 0.5;
        if (x < left) continue;
        ctx.strokeStyle = grid;
        ctx.beginPath();
        ctx.moveTo(x, AXIS_HEIGHT - 5);
        ctx.lineTo(x, height);
        ctx.stroke();
        ctx.fillStyle = muted;
        ctx.fillText(RH.fmtTick(t, step), x, AXIS_HEIGHT / 2);
      }
      // The run's start and end, where the view shows them.
      ctx.strokeStyle = muted;
      for (const t of [0, model.wall]) {
        const x = Math.round(X(t)) + 0.5;
        if (x < left || x > left + plotWidth) continue;
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(x, AXIS_HEIGHT);
        ctx.lineTo(x, height);
        ctx.stroke();
        ctx.setLineDash([]);
      }

      // Rows: label, separator, bars.
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, 0, plotWidth, height);
      ctx.clip();
      const pendStart = new Int32Array(bucketCount).fill(-1);
      const pendEnd = new Int32Array(bucketCount).fill(-1);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r];
        const y = AXIS_HEIGHT + r * rowHeight;
        const barY = y + 2;
        const barH = row.kind === KIND_DELAY ? Math.max(2, rowHeight * 0.45) : rowHeight - 4;
        const by = row.kind === KIND_DELAY ? y + (rowHeight - barH) / 2 : barY;
        pendStart.fill(-1);
        pendEnd.fill(-1);
        const flush = (b) => {
          if (pendStart[b] < 0) return;
          ctx.fillStyle = b < colors.length ? colors[b] : RH.stateColor('');
          ctx.fillRect(pendStart[b], by, pendEnd[b] - pendStart[b] + 1, barH);
          pendStart[b] = -1;
        };
        let k = RH.lowerBound(row.maxEnd, row.n, view.t0);
        for (; k < row.n && row.start[k] <= view.t1; k++) {
          if (row.end[k] < view.t0) continue;
          const state = row.state[k];
          const bucket = state >= 0 && state < colors.length ? state : colors.length;
          const x0 = X(row.start[k]);
          let x1 = X(row.end[k]);
          if (row.kind === KIND_TICK) x1 = x0; // a tick has no length; it is drawn 2 px wide
          if (x1 - x0 >= 1.5) {
            const bx = Math.max(x0, left - 2);
            const bw = Math.min(x1, left + plotWidth + 2) - bx;
            ctx.fillStyle = colorOf(state);
            if (row.flags[k] & FLAG_RETRIED) {
              // Retried: a pale fill inside an outline in the state's colour.
              ctx.globalAlpha = 0.28;
              ctx.fillRect(bx, by, bw, barH);
              ctx.globalAlpha = 1;
              ctx.strokeStyle = colorOf(state);
              ctx.lineWidth = 1.5;
              ctx.strokeRect(bx + 0.75, by + 0.75, Math.max(0.5, bw - 1.5), barH - 1.5);
            } else {
              ctx.fillRect(bx, by, bw, barH);
              // Sides of adjacent bars stay apart when there is room for it.
              if (bw > 6 && row.kind === KIND_ATTEMPT) {
                ctx.fillStyle = card;
                ctx.fillRect(bx + bw - 1, by, 1, barH);
              }
            }
            continue;
          }
          // Narrower than a pixel (or a tick): merged into pixel columns of its state.
          const c0 = Math.floor(row.kind === KIND_TICK ? x0 - 1 : x0);
          const c1 = row.kind === KIND_TICK ? c0 + 1 : Math.max(c0, Math.floor(x1));
          if (pendStart[bucket] >= 0 && c0 <= pendEnd[bucket] + 1) {
            if (c1 > pendEnd[bucket]) pendEnd[bucket] = c1;
          } else {
            flush(bucket);
            pendStart[bucket] = c0;
            pendEnd[bucket] = c1;
          }
        }
        for (let b = 0; b < bucketCount; b++) flush(b);
      }
      // The selected run's bars (and the hovered bar) outlined on top, at least 3 px wide.
      const outline = (row, k, color, lineWidth) => {
        const r = rows.indexOf(row);
        const y = AXIS_HEIGHT + r * rowHeight + 1;
        const x0 = X(row.start[k]);
        const x1 = row.kind === KIND_TICK ? x0 : X(row.end[k]);
        const w = Math.max(3, x1 - x0);
        ctx.strokeStyle = color;
        ctx.lineWidth = lineWidth;
        ctx.strokeRect(x0 - (w - (x1 - x0)) / 2, y, w, rowHeight - 2);
      };
      if (selected >= 0) {
        for (const hit of barsOfRun(selected)) outline(hit.row, hit.k, fg, 2);
      }
      if (hovered) outline(hovered.row, hovered.k, fg, 1);
      ctx.restore();

      // Labels and separators last, over anything drawn near the left edge.
      ctx.textAlign = 'left';
      for (let r = 0; r < rows.length; r++) {
        const y = AXIS_HEIGHT + r * rowHeight;
        ctx.fillStyle = card;
        ctx.fillRect(0, y, left - 1, rowHeight);
        ctx.strokeStyle = grid;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(0, y + rowHeight + 0.5);
        ctx.lineTo(width, y + rowHeight + 0.5);
        ctx.stroke();
        if (rowHeight >= 11) {
          ctx.fillStyle = rows[r].kind === KIND_ATTEMPT ? fg : muted;
          ctx.fillText(fitText(ctx, rows[r].label, left - 12), 6, y + rowHeight / 2);
        }
      }
      ctx.strokeStyle = grid;
      ctx.beginPath();
      ctx.moveTo(left - 0.5, AXIS_HEIGHT);
      ctx.lineTo(left - 0.5, height);
      ctx.stroke();
    }

    const requestDraw = RH.frameScheduler(draw);

    // Every bar of a run: its attempts, its retry delays, its tick, each found by binary search
    // on its start in its row.
    function barsOfRun(i) {
      const out = [];
      const run = model.runs[i];
      const find = (row, start) => {
        let k = RH.lowerBound(row.start, row.n, start);
        for (; k < row.n && row.start[k] === start; k++) if (row.run[k] === i) return k;
        return -1;
      };
      const slotCount = model.slots.length;
      for (const a of run.attempts) {
        const row = a[2] >= 0 && a[2] < slotCount ? rows[a[2]] : rows[slotCount];
        const k = find(row, Number(a[0]) || 0);
        if (k >= 0) out.push({ row: row, k: k });
      }
      const delayRow = rows[rows.length - 2];
      const tickRow = rows[rows.length - 1];
      if (!run.attempts.length) {
        const k = find(tickRow, run.end);
        if (k >= 0) out.push({ row: tickRow, k: k });
      }
      // The delays are listed in the order of the runs: the run's are found by binary search.
      for (let j = RH.lowerBound(delayRuns, delayRuns.length, i); j < delayRuns.length && delayRuns[j] === i; j++) {
        const k = find(delayRow, model.retryDelays[j].start);
        if (k >= 0) out.push({ row: delayRow, k: k });
      }
      return out;
    }

    // The bar under (x, y), or null: the row from y, then the bars within a few pixels of x
    // (binary search on the row's running maximum of ends), the nearest winning and, among
    // overlapping ones, the one drawn last.
    function hitTest(x, y) {
      if (!geometry || x < geometry.left) return null;
      const r = Math.floor((y - AXIS_HEIGHT) / rowHeight);
      if (r < 0 || r >= rows.length) return null;
      const row = rows[r];
      const t = view.t0 + (x - geometry.left) / geometry.scale;
      const tol = HIT_TOLERANCE_PX / geometry.scale;
      let best = -1;
      let bestDistance = Infinity;
      let k = RH.lowerBound(row.maxEnd, row.n, t - tol);
      for (; k < row.n && row.start[k] <= t + tol; k++) {
        const s = row.start[k];
        const e = row.end[k];
        if (e < t - tol) continue;
        const distance = t < s ? s - t : t > e ? t - e : 0;
        if (distance <= bestDistance) {
          best = k;
          bestDistance = distance;
        }
      }
      return best < 0 ? null : { row: row, k: best };
    }

    function describe(hit) {
      const row = hit.row;
      const k = hit.k;
      const run = model.runs[row.run[k]];
      const state = model.stateName(row.state[k]);
      const lines = [run.name, 'task ' + run.taskName];
      if (row.kind === KIND_ATTEMPT) {
        const retried = row.flags[k] & FLAG_RETRIED;
        lines.push('attempt ' + (row.attempt[k] + 1) + ' of ' + run.attempts.length + (row.label ? ', ' + row.label : ''));
        lines.push('start ' + RH.fmtOffset(row.start[k]) + ', took ' + RH.fmtDuration(row.end[k] - row.start[k]));
        lines.push('ended ' + state + (retried ? ', retried' : ''));
        if (row.attempt[k] === run.attempts.length - 1) lines.push('final state ' + run.stateName);
      } else if (row.kind === KIND_DELAY) {
        lines.push('retry delay before attempt ' + (row.attempt[k] + 1));
        lines.push('from ' + RH.fmtOffset(row.start[k]) + ', waited ' + RH.fmtDuration(row.end[k] - row.start[k]));
      } else {
        lines.push('no attempt; ended ' + run.stateName + ' at ' + RH.fmtOffset(row.start[k]));
      }
      return lines;
    }

    function setView(t0, t1) {
      let span = t1 - t0;
      const homeSpan = home.t1 - home.t0;
      if (span < minSpan) {
        const mid = (t0 + t1) / 2;
        t0 = mid - minSpan / 2;
        span = minSpan;
      }
      if (span >= homeSpan) {
        view = { t0: home.t0, t1: home.t1 };
      } else {
        // Panning stops at the run's edges.
        t0 = Math.min(Math.max(t0, home.t0), home.t1 - span);
        view = { t0: t0, t1: t0 + span };
      }
      requestDraw();
    }

    function zoomAround(t, factor) {
      setView(t - (t - view.t0) * factor, t + (view.t1 - t) * factor);
    }

    canvas.addEventListener('wheel', (e) => {
      if (!geometry) return;
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        const shift = e.deltaX / geometry.scale;
        setView(view.t0 + shift, view.t1 + shift);
        return;
      }
      const x = Math.max(geometry.left, e.clientX - rect.left);
      const t = view.t0 + (x - geometry.left) / geometry.scale;
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1; // lines, pages -> pixels
      zoomAround(t, Math.exp(Math.max(-300, Math.min(300, e.deltaY * unit)) * 0.002));
    }, { passive: false });
    canvas.addEventListener('dblclick', () => setView(home.t0, home.t1));
    parts.zoomIn.addEventListener('click', () => zoomAround((view.t0 + view.t1) / 2, 0.5));
    parts.zoomOut.addEventListener('click', () => zoomAround((view.t0 + view.t1) / 2, 2));
    parts.reset.addEventListener('click', () => setView(home.t0, home.t1));

    RH.pointerControls(canvas, {
      drag: (dx) => {
        if (!geometry) return;
        const shift = -dx / geometry.scale;
        setView(view.t0 + shift, view.t1 + shift);
      },
      click: (x, y) => {
        const hit = hitTest(x, y);
        if (hit) RH.selectRun(hit.row.run[hit.k]);
      },
      hover: (x, y) => {
        const hit = hitTest(x, y);
        const same = hit && hovered && hit.row === hovered.row && hit.k === hovered.k;
        if (!hit) {
          tooltip.hidden = true;
          if (hovered) {
            hovered = null;
            requestDraw();
          }
          return;
        }
        RH.showTooltip(tooltip, box, x, y, describe(hit));
        if (!same) {
          hovered = hit;
          requestDraw();
        }
      },
      leave: () => {
        tooltip.hidden = true;
        if (hovered) {
          hovered = null;
          requestDraw();
        }
      },
    });
    RH.watchWidth(box, requestDraw);

    return {
      draw: draw,
      setSelected: (i) => {
        selected = i;
        requestDraw();
      },
      // For the browser test: the rows' labels, the view, and where a run's first bar is (CSS
      // pixels in the canvas), so a click can be aimed at it.
      rowLabels: () => rows.map((row) => row.label),
      view: () => ({ t0: view.t0, t1: view.t1 }),
      home: () => ({ t0: home.t0, t1: home.t1 }),
      locate: (no) => {
        const i = model.byNo.get(no);
        if (i === undefined || !geometry) return null;
        const bars = barsOfRun(i);
        if (!bars.length) return null;
        const hit = bars[0];
        const r = rows.indexOf(hit.row);
        const x0 = geometry.left + (hit.row.start[hit.k] - view.t0) * geometry.scale;
        const x1 = geometry.left + (hit.row.end[hit.k] - view.t0) * geometry.scale;
        return { x: (x0 + x1) / 2, y: AXIS_HEIGHT + r * rowHeight + rowHeight / 2 };
      },
    };
  };
})(window.RH = window.RH || {});
