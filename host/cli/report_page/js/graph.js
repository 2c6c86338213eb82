// The dependency graph on a canvas. Up to RUN_NODE_LIMIT runs, every run is a node, placed in
// the column of its depth (the longest path to it from a run that waited for none) and ordered
// in its column by where its upstreams are; edges go from an upstream to the run that waited
// for it. Past that, one node per task (its run count and the mix of final states) with the
// edges between tasks labelled with how many run edges each stands for. Pan by dragging, zoom
// with the wheel, double-click to fit, click a run to open it (a task: to filter the table).
//
// The layout is made once, when the section first comes into view (main.js), so it costs
// nothing at first paint.
(function (RH) {
  'use strict';

  RH.RUN_NODE_LIMIT = 10000;

  // Depth of every node: longest path from a node with no incoming edge (Kahn's order). Nodes
  // on a cycle (which a report should not have) go one column past the deepest.
  function depths(n, incoming, outgoing) {
    const depth = new Int32Array(n);
    const pending = new Int32Array(n);
    const queue = new Int32Array(n);
    let head = 0;
    let tail = 0;
    for (let i = 0; i < n; i++) {
      pending[i] = incoming[i] ? incoming[i].length : 0;
      if (!pending[i]) queue[tail++] = i;
    }
    while (head < tail) {
      const i = queue[head++];
      const out = outgoing[i];
      if (!out) continue;
      for (const j of out) {
        if (depth[i] + 1 > depth[j]) depth[j] = depth[i] + 1;
        if (--pending[j] === 0) queue[tail++] = j;
      }
    }
    if (tail < n) {
      let deepest = 0;
      for (let i = 0; i < n; i++) if (depth[i] > deepest) deepest = depth[i];
      for (let i = 0; i < n; i++) if (pending[i] > 0) depth[i] = deepest + 1;
    }
    return depth;
  }

  // Places nodes in columns by depth; a depth with more nodes than fit one column (so the
  // drawing keeps roughly the canvas's shape) wraps into several. Within a column, nodes are
  // ordered by the mean position of their upstreams, which keeps edges short and mostly flat.
  // A depth that wraps is set apart from the next by a wider gap, so depths stay readable.
  // -> {x, y: Float64Array per node, columns: [[node...]] (visual columns, top down),
  //     columnX: Float64Array (each column's left edge), width}
  function layout(n, incoming, depth, tieBreak, spacing) {
    let maxDepth = 0;
    for (let i = 0; i < n; i++) if (depth[i] > maxDepth) maxDepth = depth[i];
    const byDepth = [];
    for (let d = 0; d <= maxDepth; d++) byDepth.push([]);
    for (let i = 0; i < n; i++) byDepth[depth[i]].push(i);
    const aspect = 2.5;
    const perColumn = Math.max(12, Math.ceil(Math.sqrt((n * spacing.col) / (spacing.row * aspect))));
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    const rank = new Float64Array(n); // the position in its column, for the next columns' order
    const key = new Float64Array(n);
    const columns = [];
    const columnX = [];
    let left = 0;
    for (let d = 0; d <= maxDepth; d++) {
      const nodes = byDepth[d];
      for (const i of nodes) {
        const ups = incoming[i];
        if (!ups || !ups.length) {
          key[i] = -1;
          continue;
        }
        let sum = 0;
        for (const j of ups) sum += rank[j];
        key[i] = sum / ups.length;
      }
      nodes.sort((a, b) => key[a] - key[b] || tieBreak(a, b));
      if (!nodes.length) continue;
      if (d > 0 && nodes.length > perColumn) left += spacing.col * 0.5;
      for (let start = 0; start < nodes.length; start += perColumn) {
        const column = nodes.slice(start, start + perColumn);
        column.forEach((i, position) => {
          x[i] = left;
          y[i] = position * spacing.row;
          rank[i] = (start + position) / Math.max(1, nodes.length);
        });
        columns.push(column);
        columnX.push(left);
        left += spacing.col;
      }
      if (nodes.length > perColumn) left += spacing.col * 0.5;
    }
    return { x: x, y: y, columns: columns, columnX: Float64Array.from(columnX), width: Math.max(1, left - (spacing.col - spacing.w)) };
  }

  // The graph of runs: one node per run.
  function runGraph(model) {
    const n = model.runs.length;
    const incoming = model.runs.map((run) => run.up);
    const outgoing = model.runs.map((run) => run.down);
    const depth = depths(n, incoming, outgoing);
    const spacing = { col: 170, row: 24, w: 130, h: 16 };
    const placed = layout(n, incoming, depth, (a, b) => model.runs[a].no - model.runs[b].no, spacing);
    const edges = [];
    for (const run of model.runs) if (run.up) for (const j of run.up) edges.push([j, run.i, 1]);
    return {
      mode: 'runs',
      n: n,
      spacing: spacing,
      x: placed.x,
      y: placed.y,
      columns: placed.columns,
      columnX: placed.columnX,
      width: placed.width,
      depth: depth,
      edges: edges,
      label: (i) => model.runs[i].name,
      color: (i) => RH.stateColor(model.runs[i].stateName),
      mix: null,
      describe: (i) => {
        const run = model.runs[i];
        return [run.name, 'task ' + run.taskName, run.stateName + ', depth ' + depth[i],
          RH.fmtCount(run.up ? run.up.length : 0) + ' upstream, ' + RH.fmtCount(run.down ? run.down.length : 0) + ' downstream'];
      },
      open: (i) => RH.selectRun(i),
      nodeOfRun: (i) => i,
    };
  }

  // The graph of tasks: one node per task, edges counted.
  function taskGraph(model) {
    const n = model.tasks.length;
    const runCount = new Int32Array(n);
    const stateCount = model.tasks.map(() => new Map());
    const edgeCount = new Map(); // from * n + to -> run edges
    const selfEdges = new Int32Array(n);
    for (const run of model.runs) {
      if (run.task < 0 || run.task >= n) continue;
      runCount[run.task]++;
      const mix = stateCount[run.task];
      mix.set(run.stateName, (mix.get(run.stateName) || 0) + 1);
      if (!run.up) continue;
      for (const j of run.up) {
        const from = model.runs[j].task;
        if (from < 0 || from >= n) continue;
        if (from === run.task) selfEdges[from]++;
        else edgeCount.set(from * n + run.task, (edgeCount.get(from * n + run.task) || 0) + 1);
      }
    }
    const failedShare = (i) => {
      let bad = 0;
      for (const [s, c] of stateCount[i]) if (RH.FAILING_STATES[s]) bad += c;
      return bad ? ', ' + RH.fmtPercent(bad / runCount[i]) + ' failed' : '';
    };
    const incoming = model.tasks.map(() => []);
    const outgoing = model.tasks.map(() => []);
    const edges = [];
    for (const [k, count] of edgeCount) {
      const from = Math.floor(k / n);
      const to = k % n;
      incoming[to].push(from);
      outgoing[from].push(to);
      edges.push([from, to, count]);
    }
    const depth = depths(n, incoming, outgoing);
    const spacing = { col: 300, row: 80, w: 220, h: 54 };
    const placed = layout(n, incoming, depth, (a, b) => a - b, spacing);
    // The mix of final states, in the order of the states table.
    const mixes = stateCount.map((mix) => model.states.filter((s) => mix.has(s)).map((s) => [s, mix.get(s)])
      .concat([...mix].filter(([s]) => !model.stateIndex.has(s))));
    return {
      mode: 'tasks',
      n: n,
      spacing: spacing,
      x: placed.x,
      y: placed.y,
      columns: placed.columns,
      columnX: placed.columnX,
      width: placed.width,
      depth: depth,
      edges: edges,
      label: (i) => model.tasks[i],
      sublabel: (i) => RH.fmtCount(runCount[i]) + (runCount[i] === 1 ? ' run' : ' runs') + failedShare(i),
      color: () => RH.themeColor('--muted'),
      mix: (i) => mixes[i],
      runCount: runCount,
      describe: (i) => [model.tasks[i], RH.fmtCount(runCount[i]) + ' runs, depth ' + depth[i]]
        .concat(mixes[i].map(([s, c]) => s + ': ' + RH.fmtCount(c)))
        .concat(selfEdges[i] ? [RH.fmtCount(selfEdges[i]) + ' edges between its own runs'] : []),
      open: (i) => RH.filterTableByTask(model.tasks[i]),
      nodeOfRun: (i) => model.runs[i].task,
    };
  }

  RH.createGraph = function (model, parts) {
    const canvas = parts.canvas;
    const tooltip = parts.tooltip;
    const box = parts.box;
    const g = model.runs.length <= RH.RUN_NODE_LIMIT ? runGraph(model) : taskGraph(model);
    const sp = g.spacing;
    const worldWidth = g.width;
    let tallest = 1;
    for (const column of g.columns) tallest = Math.max(tallest, column.length);
    const worldHeight = tallest * sp.row;

    let scale = 1;
    let ox = 0;
    let oy = 0;
    let selectedNode = -1;
    let width = 1;
    let height = 1;

    RH.replaceChildren(parts.mode, g.mode === 'runs'
      ? 'Every run is a node (' + RH.fmtCount(g.n) + ' runs, ' + RH.fmtCount(g.edges.length) + ' edges), in columns by depth: ' +
        'the longest chain of upstreams before it. Drag to pan, wheel to zoom, click a run to open it.'
      : RH.fmtCount(model.runs.length) + ' runs are more than ' + RH.fmtCount(RH.RUN_NODE_LIMIT) + ' to draw one by one: one node per task (' +
        RH.fmtCount(g.n) + ' tasks), with the edges between tasks labelled with how many run edges each stands for. ' +
        'Click a task to list its runs in the table.');
    parts.mode.dataset.mode = g.mode;

    function fit() {
      const margin = 20;
      scale = Math.min(2, (width - 2 * margin) / worldWidth, (height - 2 * margin) / worldHeight);
      if (!(scale > 0)) scale = 1;
      ox = (width - worldWidth * scale) / 2;
      oy = (height - worldHeight * scale) / 2;
    }

    function draw() {
      const fitted = RH.fitCanvas(canvas);
      const ctx = fitted.ctx;
      width = fitted.width;
      height = fitted.height;
      ctx.fillStyle = RH.themeColor('--card');
      ctx.fillRect(0, 0, width, height);
      if (!g.n) {
        ctx.fillStyle = RH.themeColor('--muted');
        ctx.font = '13px ' + getComputedStyle(document.body).fontFamily;
        ctx.fillText('No runs to draw.', 16, 24);
        return;
      }
      // The world rectangle in view, for culling.
      const wx0 = -ox / scale;
      const wy0 = -oy / scale;
      const wx1 = (width - ox) / scale;
      const wy1 = (height - oy) / scale;
      const nodeW = sp.w * scale;
      const nodeH = sp.h * scale;

      // Edges: one path, then the selected node's edges again on top.
      const edgeColor = RH.themeColor('--line');
      const drawEdges = (list, color, lineWidth) => {
        ctx.strokeStyle = color;
        ctx.lineWidth = lineWidth;
        ctx.beginPath();
        for (const [a, b] of list) {
          const ax = g.x[a] + sp.w;
          const ay = g.y[a] + sp.h / 2;
          const bx = g.x[b];
          const by = g.y[b] + sp.h / 2;
          if (Math.max(ax, bx) < wx0 || Math.min(ax, bx) > wx1 || Math.max(ay, by) < wy0 || Math.min(ay, by) > wy1) continue;
          ctx.moveTo(ax * scale + ox, ay * scale + oy);
          ctx.lineTo(bx * scale + ox, by * scale + oy);
        }
        ctx.stroke();
      };
      drawEdges(g.edges, edgeColor, g.mode === 'tasks' ? 1.5 : 1);
      const selectedEdges = selectedNode < 0 ? [] : g.edges.filter(([a, b]) => a === selectedNode || b === selectedNode);
      if (selectedEdges.length) drawEdges(selectedEdges, RH.themeColor('--accent'), 2);

      // Nodes of the visible columns, rows culled too.
      const firstColumn = Math.max(0, RH.lowerBound(g.columnX, g.columns.length, wx0 - sp.w) - 1);
      const lastColumn = Math.min(g.columns.length - 1, RH.lowerBound(g.columnX, g.columns.length, wx1));
      const firstRow = Math.max(0, Math.floor((wy0 - sp.h) / sp.row));
      const lastRow = Math.floor(wy1 / sp.row);
      const showText = nodeH >= 10;
      // Run names fill most of a node's height; a task node has two lines over its state bar.
      const fontSize = g.mode === 'runs' ? nodeH * 0.7 : (nodeH * 0.7) / 2 * 0.8;
      ctx.font = Math.min(13, Math.max(8, fontSize)).toFixed(1) + 'px ' + getComputedStyle(document.body).fontFamily;
      ctx.textBaseline = 'middle';
      const fg = RH.themeColor('--fg');
      const card = RH.themeColor('--card');
      for (let c = firstColumn; c <= lastColumn; c++) {
        const column = g.columns[c];
        for (let r = firstRow; r <= Math.min(lastRow, column.length - 1); r++) {
          const i = column[r];
          const sx = g.x[i] * scale + ox;
          const sy = g.y[i] * scale + oy;
          if (g.mode === 'runs') {
            ctx.fillStyle = g.color(i);
            ctx.fillRect(sx, sy, Math.max(1, nodeW), Math.max(1, nodeH));
            if (showText) {
              // A stripe of the state's colour, the name on the card's colour beside it.
              const stripe = Math.min(8, nodeH * 0.5);
              ctx.fillStyle = card;
              ctx.fillRect(sx + stripe, sy + 1, nodeW - stripe - 1, nodeH - 2);
              ctx.fillStyle = fg;
              ctx.fillText(fitLabel(ctx, g.label(i), nodeW - stripe - 8), sx + stripe + 4, sy + nodeH / 2);
            }
          } else {
            drawTaskNode(ctx, i, sx, sy, nodeW, nodeH, fg, card);
          }
          if (i === selectedNode) {
            ctx.strokeStyle = fg;
            ctx.lineWidth = 2;
            ctx.strokeRect(sx - 2, sy - 2, Math.max(1, nodeW) + 4, Math.max(1, nodeH) + 4);
          }
        }
      }
      // Task edges carry their count at the middle.
      if (g.mode === 'tasks' && scale > 0.3) {
        ctx.font = '11px ' + getComputedStyle(document.body).fontFamily;
        ctx.textAlign = 'center';
        for (const [a, b, count] of g.edges) {
          const mx = ((g.x[a] + sp.w + g.x[b]) / 2) * scale + ox;
          const my = ((g.y[a] + g.y[b] + sp.h) / 2) * scale + oy;
          if (mx < -50 || mx > width + 50 || my < -20 || my > height + 20) continue;
          const text = RH.fmtCount(count);
          const tw = ctx.measureText(text).width + 8;
          ctx.fillStyle = card;
          ctx.fillRect(mx - tw / 2, my - 8, tw, 16);
          ctx.fillStyle = fg;
          ctx.fillText(text, mx, my);
        }
        ctx.textAlign = 'left';
      }
    }

    function fitLabel(ctx, text, maxWidth) {
      if (maxWidth <= 4) return '';
      if (ctx.measureText(text).width <= maxWidth) return text;
      let lo = 0;
      let hi = text.length;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (ctx.measureText(text.slice(0, mid) + '…').width <= maxWidth) lo = mid;
        else hi = mid - 1;
      }
      return text.slice(0, lo) + '…';
    }

    // A task node: its name and run count above a bar split by the mix of final states.
    function drawTaskNode(ctx, i, sx, sy, w, h, fg, card) {
      ctx.fillStyle = card;
      ctx.fillRect(sx, sy, w, h);
      ctx.strokeStyle = RH.themeColor('--muted');
      ctx.lineWidth = 1;
      ctx.strokeRect(sx + 0.5, sy + 0.5, w - 1, h - 1);
      const barH = Math.max(2, h * 0.3); // the two text lines share the rest
      const total = g.runCount[i] || 1;
      let x = sx + 1;
      for (const [state, count] of g.mix(i)) {
        const part = ((w - 2) * count) / total;
        ctx.fillStyle = RH.stateColor(state);
        ctx.fillRect(x, sy + h - barH - 1, Math.max(part, 1), barH);
        x += part;
      }
      if ((h * 0.7) / 2 >= 10) {
        const line = (h - barH) / 2;
        ctx.fillStyle = fg;
        ctx.fillText(fitLabel(ctx, g.label(i), w - 10), sx + 5, sy + line * 0.55);
        ctx.fillStyle = RH.themeColor('--muted');
        ctx.fillText(fitLabel(ctx, g.sublabel(i), w - 10), sx + 5, sy + line * 1.45);
      }
    }

    const requestDraw = RH.frameScheduler(draw);

    // The node under (x, y): its column by binary search on x, its row from y (the columns are
    // evenly spaced lists).
    function hitTest(x, y) {
      const wx = (x - ox) / scale;
      const wy = (y - oy) / scale;
      const slack = 3 / scale; // small nodes stay clickable
      const c = RH.lowerBound(g.columnX, g.columns.length, wx + slack) - 1;
      const r = Math.floor((wy + slack) / sp.row);
      if (c < 0 || r < 0 || r >= g.columns[c].length) return -1;
      if (wx - g.columnX[c] > sp.w + slack || wy - r * sp.row > sp.h + slack) return -1;
      return g.columns[c][r];
    }

    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const x = e.clientX - rect.left;
      const y = e.clientY - rect.top;
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
      const factor = Math.exp(-Math.max(-300, Math.min(300, e.deltaY * unit)) * 0.002);
      const next = Math.min(8, Math.max(1e-4, scale * factor));
      ox = x - ((x - ox) * next) / scale;
      oy = y - ((y - oy) * next) / scale;
      scale = next;
      requestDraw();
    }, { passive: false });
    const refit = () => {
      fit();
      requestDraw();
    };
    canvas.addEventListener('dblclick', refit);
    parts.fit.addEventListener('click', refit);
    RH.pointerControls(canvas, {
      drag: (dx, dy) => {
        ox += dx;
        oy += dy;
        requestDraw();
      },
      click: (x, y) => {
        const i = hitTest(x, y);
        if (i >= 0) g.open(i);
      },
      hover: (x, y) => {
        const i = hitTest(x, y);
        if (i < 0) {
          tooltip.hidden = true;
          return;
        }
        RH.showTooltip(tooltip, box, x, y, g.describe(i));
      },
      leave: () => {
        tooltip.hidden = true;
      },
    });
    RH.watchWidth(box, () => {
      width = canvas.clientWidth;
      height = canvas.clientHeight;
      fit();
      requestDraw();
    });

    width = canvas.clientWidth;
    height = canvas.clientHeight;
    fit();
    draw();

    return {
      mode: g.mode,
      nodeCount: g.n,
      edgeCount: g.edges.length,
      setSelected: (runIndex) => {
        selectedNode = runIndex < 0 ? -1 : g.nodeOfRun(runIndex);
        requestDraw();
      },
      // For the browser test: where a node is drawn (CSS pixels in the canvas), by run number
      // (runs) or task name (tasks), after zooming so it is large enough to hit.
      locate: (key) => {
        let i = -1;
        if (g.mode === 'runs') i = model.byNo.has(key) ? model.byNo.get(key) : -1;
        else i = model.tasks.indexOf(key);
        if (i < 0) return null;
        if (sp.h * scale < 8) {
          scale = 12 / sp.h;
          ox = width / 2 - (g.x[i] + sp.w / 2) * scale;
          oy = height / 2 - (g.y[i] + sp.h / 2) * scale;
          draw();
        }
        return { x: (g.x[i] + sp.w / 2) * scale + ox, y: (g.y[i] + sp.h / 2) * scale + oy };
      },
    };
  };
})(window.RH = window.RH || {});
