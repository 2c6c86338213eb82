// The runs table: every run, sortable by each column (click a header; again to reverse),
// filtered by state, task and a text the name, task or error's first line contains. It is
// virtualised: rows have a fixed height, the scrolling body holds a spacer as tall as all the
// rows, and only the rows on screen (plus a few) exist in the DOM, re-used as it scrolls, so
// 100,000 runs cost what 30 do. Click a row (or move with the arrow keys) to open its run.
(function (RH) {
  'use strict';

  const OVERSCAN = 8; // rows drawn above and below the visible ones, so fast scrolling shows no gap
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

  // The columns: how each shows a run, and what it sorts by (a number, or text compared
  // naturally: "run-9" before "run-10").
  const COLUMNS = [
    { key: 'no', title: 'No', numeric: true, value: (run) => run.no, text: (run) => String(run.no) },
    { key: 'name', title: 'Name', value: (run) => run.name, text: (run) => run.name },
    { key: 'task', title: 'Task', value: (run) => run.taskName, text: (run) => run.taskName },
    { key: 'state', title: 'State', value: (run) => run.stateName, text: (run) => run.stateName, chip: true },
    { key: 'attempts', title: 'Attempts', numeric: true, value: (run) => run.attempts.length, text: (run) => String(run.attempts.length) },
    { key: 'start', title: 'Start', numeric: true, value: (run) => run.start, text: (run) => RH.fmtOffset(run.start) },
    { key: 'duration', title: 'Duration', numeric: true, value: (run) => run.busy, text: (run) => RH.fmtDuration(run.busy), tip: 'Time spent in attempts' },
    { key: 'error', title: 'Error', value: (run) => RH.firstLine(run.error), text: (run) => RH.firstLine(run.error), error: true },
  ];

  RH.createTable = function (model, parts) {
    const runs = model.runs;
    const rowHeight = parseFloat(RH.themeColor('--row')) || 26;
    const body = parts.body;
    const sizer = parts.sizer;
    let sortKey = 'no';
    let ascending = true;
    let order = null; // Int32Array of run indices in the sort order
    let visible = new Int32Array(0); // the filtered rows, in the sort order
    let selected = -1;
    const filters = { state: '', task: -1, text: '' };
    const ranks = {}; // column key -> Float64Array: a text column's sort rank per run, made once
    let haystack = null; // per run: what the text filter searches, lower-cased, made once
    const pool = []; // row elements, re-used

    // The header.
    const headers = COLUMNS.map((column) => {
      const th = RH.el('div', { class: 'rh-th' + (column.numeric ? ' rh-num' : ''), role: 'columnheader', tabindex: 0, 'data-col': column.key, title: column.tip || 'Sort by ' + column.title.toLowerCase() }, column.title);
      const sortBy = () => {
        if (sortKey === column.key) ascending = !ascending;
        else {
          sortKey = column.key;
          ascending = true;
        }
        sort();
        applyFilters();
      };
      th.addEventListener('click', sortBy);
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          sortBy();
        }
      });
      return th;
    });
    RH.replaceChildren(parts.head, ...headers);

    // The filters' choices: the states and tasks the runs have.
    const statesPresent = new Set(runs.map((run) => run.stateName));
    const stateOptions = model.states.filter((s) => statesPresent.has(s)).concat([...statesPresent].filter((s) => !model.stateIndex.has(s)));
    for (const s of stateOptions) parts.stateSelect.appendChild(RH.el('option', { value: s }, s));
    const tasksPresent = new Set(runs.map((run) => run.task));
    model.tasks.forEach((t, i) => {
      if (tasksPresent.has(i)) parts.taskSelect.appendChild(RH.el('option', { value: i }, t));
    });
    parts.stateSelect.addEventListener('change', () => {
      filters.state = parts.stateSelect.value;
      applyFilters();
    });
    parts.taskSelect.addEventListener('change', () => {
      filters.task = parts.taskSelect.value === '' ? -1 : Number(parts.taskSelect.value);
      applyFilters();
    });
    let textTimer = 0;
    parts.textInput.addEventListener('input', () => {
      // Typing filters after a short pause, not once per key, at 100,000 rows.
      clearTimeout(textTimer);
      textTimer = setTimeout(() => {
        filters.text = parts.textInput.value.trim().toLowerCase();
        applyFilters();
      }, runs.length > 20000 ? 200 : 60);
    });

    function rankOf(column) {
      if (ranks[column.key]) return ranks[column.key];
      const byText = Array.from(runs, (run, i) => i);
      const values = runs.map(column.value);
      byText.sort((a, b) => collator.compare(values[a], values[b]));
      const rank = new Float64Array(runs.length);
      let r = 0;
      for (let k = 0; k < byText.length; k++) {
        if (k > 0 && collator.compare(values[byText[k - 1]], values[byText[k]]) !== 0) r++;
        rank[byText[k]] = r;
      }
      ranks[column.key] = rank;
      return rank;
    }

    // Sorts every run by the sort column; ties keep the order of the run numbers, either way.
    function sort() {
      const column = COLUMNS.find((c) => c.key === sortKey);
      const key = column.numeric ? Float64Array.from(runs, column.value) : rankOf(column);
      const no = Float64Array.from(runs, (run) => run.no);
      const sign = ascending ? 1 : -1;
      order = Int32Array.from(runs, (run, i) => i);
      order.sort((a, b) => sign * (key[a] - key[b]) || no[a] - no[b]);
      for (const th of headers) {
        if (th.dataset.col === sortKey) th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        else th.removeAttribute('aria-sort');
      }
    }

    function matches(run) {
      if (filters.state && run.stateName !== filters.state) return false;
      if (filters.task >= 0 && run.task !== filters.task) return false;
      if (filters.text) {
        if (!haystack) haystack = runs.map((r) => (r.name + '\u0000' + r.taskName + '\u0000' + RH.firstLine(r.error)).toLowerCase());
        if (haystack[run.i].indexOf(filters.text) < 0) return false;
      }
      return true;
    }

    function applyFilters() {
      const out = new Int32Array(order.length);
      let n = 0;
      const any = filters.state || filters.task >= 0 || filters.text;
      for (let k = 0; k < order.length; k++) if (!any || matches(runs[order[k]])) out[n++] = order[k];
      visible = out.subarray(0, n);
      sizer.style.height = n * rowHeight + 'px';
      let text = RH.fmtCount(n) + ' of ' + RH.fmtCount(runs.length) + ' runs';
      if (model.omitted) text += ' (' + RH.fmtCount(model.omitted) + ' more not in this file)';
      parts.count.textContent = text;
      parts.count.dataset.shown = n;
      parts.count.dataset.total = runs.length;
      render();
    }

    function rowElement() {
      const tr = RH.el('div', { class: 'rh-tr', role: 'row' });
      for (const column of COLUMNS) {
        tr.appendChild(RH.el('div', { class: 'rh-td' + (column.numeric ? ' rh-num' : '') + (column.error ? ' rh-err' : ''), role: 'cell', 'data-col': column.key }));
      }
      sizer.appendChild(tr);
      return tr;
    }

    // Puts the rows on screen into the pool's elements, each at its place in the spacer.
    function render() {
      const first = Math.max(0, Math.floor(body.scrollTop / rowHeight) - OVERSCAN);
      const last = Math.min(visible.length, Math.ceil((body.scrollTop + body.clientHeight) / rowHeight) + OVERSCAN);
      const needed = Math.max(0, last - first);
      while (pool.length < needed) pool.push(rowElement());
      for (let p = 0; p < pool.length; p++) {
        const tr = pool[p];
        if (p >= needed) {
          tr.hidden = true;
          continue;
        }
        const position = first + p;
        const run = runs[visible[position]];
        tr.hidden = false;
        tr.style.transform = 'translateY(' + position * rowHeight + 'px)';
        tr.dataset.i = run.i;
        tr.dataset.no = run.no;
        tr.dataset.position = position;
        tr.classList.toggle('rh-selected', run.i === selected);
        COLUMNS.forEach((column, c) => {
          const td = tr.children[c];
          if (column.chip) RH.replaceChildren(td, RH.swatch(RH.stateColor(run.stateName)), ' ' + run.stateName);
          else td.textContent = column.text(run);
          if (column.error || column.key === 'name') td.title = column.text(run);
        });
      }
      parts.empty.hidden = visible.length > 0;
    }

    const requestRender = RH.frameScheduler(render);
    body.addEventListener('scroll', requestRender);
    RH.watchWidth(body, requestRender);
    body.addEventListener('click', (e) => {
      const tr = e.target.closest('.rh-tr');
      if (tr && tr.dataset.i !== undefined) RH.selectRun(Number(tr.dataset.i));
    });
    // Up and down move the selection through the rows as they are shown.
    body.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
      if (!visible.length) return;
      e.preventDefault();
      let position = selected < 0 ? -1 : visible.indexOf(selected);
      position = e.key === 'ArrowDown' ? Math.min(visible.length - 1, position + 1) : Math.max(0, position - 1);
      RH.selectRun(visible[position]);
    });

    sort();
    applyFilters();

    return {
      setSelected: (i) => {
        selected = i;
        // Brings the row into the table's view (the page itself does not scroll).
        const position = i < 0 ? -1 : visible.indexOf(i);
        if (position >= 0) {
          const top = position * rowHeight;
          if (top < body.scrollTop || top + rowHeight > body.scrollTop + body.clientHeight) {
            body.scrollTop = Math.max(0, top - body.clientHeight / 2);
          }
        }
        render();
      },
      filterByState: (name) => {
        parts.stateSelect.value = name;
        filters.state = parts.stateSelect.value; // '' when no run has that state
        applyFilters();
      },
      filterByTask: (name) => {
        const i = model.tasks.indexOf(name);
        parts.taskSelect.value = i < 0 ? '' : String(i);
        filters.task = parts.taskSelect.value === '' ? -1 : i;
        applyFilters();
      },
      // For the browser test: the run numbers in the order shown, after the filters.
      shownNumbers: (limit) => Array.from(visible.subarray(0, limit == null ? visible.length : limit), (i) => runs[i].no),
    };
  };
})(window.RH = window.RH || {});
