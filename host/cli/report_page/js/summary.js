// The summary at the top: what ran, how it ended, how long and how fast, the counts per state,
// how busy each worker slot was, the critical path and the slowest runs. Names of runs open
// them in the details panel; a state's chip filters the runs table by it.
(function (RH) {
  'use strict';

  const el = RH.el;

  function kv(dl, label, value, id) {
    dl.appendChild(el('dt', null, label));
    const dd = el('dd', id ? { id: id } : null);
    if (value == null || value === '') dd.appendChild(el('span', { class: 'rh-none' }, 'not recorded'));
    else dd.appendChild(typeof value === 'object' ? value : document.createTextNode(String(value)));
    dl.appendChild(dd);
  }

  // A list of runs (the critical path, the slowest): each a link that opens it, its task,
  // and a figure on the right.
  function runList(model, id, indices, figure, arrows) {
    const list = el('ol', { class: 'rh-runlist', id: id });
    indices.forEach((i, position) => {
      const run = model.runs[i];
      list.appendChild(el('li', { 'data-no': run.no },
        arrows && position > 0 ? el('span', { class: 'rh-arrow', 'aria-hidden': 'true' }, '→') : null,
        RH.swatch(RH.stateColor(run.stateName)),
        el('button', { type: 'button', class: 'rh-link', title: run.name + ' (' + run.taskName + ', ' + run.stateName + ')', onclick: () => RH.selectRun(i) }, run.name),
        el('span', { class: 'rh-muted' }, run.taskName),
        el('span', { class: 'rh-dur' }, figure(run))));
    });
    return list;
  }

  RH.renderSummary = function (model, container) {
    const flow = model.flow;
    document.getElementById('rh-title').textContent = flow.name;
    document.title = flow.name + ' – runner-host report';
    RH.replaceChildren(document.getElementById('rh-flow-chip'), flow.state ? RH.stateChip(flow.state) : null);

    const facts = el('dl', { class: 'rh-kv' });
    const flowLink = el('button', { type: 'button', class: 'rh-link', id: 'rh-flow-open', title: 'Its parameters, result and state history', onclick: () => RH.selectFlow() },
      flow.flow || flow.name);
    kv(facts, flow.isFlow ? 'Flow' : 'Task', flowLink);
    kv(facts, 'State', flow.state ? el('span', null, RH.stateChip(flow.state), flow.message ? ' ' + flow.message : '') : null, 'rh-flow-state');
    kv(facts, 'Command line', flow.commandLine ? el('code', { class: 'rh-cmdline' }, flow.commandLine) : null, 'rh-command-line');
    kv(facts, 'Runner', flow.runner);
    kv(facts, 'Started', RH.fmtDate(flow.startUs));
    kv(facts, 'Wall time', RH.fmtDuration(model.wall), 'rh-wall');
    kv(facts, 'Task runs', RH.fmtCount(model.taskRuns) + (model.omitted ? ' (' + RH.fmtCount(model.runs.length) + ' in this file)' : ''), 'rh-task-runs');
    kv(facts, 'Runs per second', model.wall > 0 ? RH.fmtCount(Math.round(model.taskRuns / (model.wall / 1e6))) : null, 'rh-runs-per-second');
    const cached = Number(model.counts.Cached) || 0;
    kv(facts, 'Cache hits', model.taskRuns ? RH.fmtPercent(cached / model.taskRuns) + ' (' + RH.fmtCount(cached) + ' Cached of ' + RH.fmtCount(model.taskRuns) + ')' : '–', 'rh-cache-hits');
    kv(facts, 'Report', (model.source === 'store' ? 'from the store' : 'written as the run ended') + (model.generator ? ' by ' + model.generator : ''));

    // Counts in the order of the states table, then any state it does not name.
    const chips = el('div', { class: 'rh-chips', id: 'rh-state-counts' });
    const names = model.states.filter((s) => model.counts[s]).concat(Object.keys(model.counts).filter((s) => !model.stateIndex.has(s) && model.counts[s]));
    for (const name of names) {
      const chip = RH.stateChip(name, Number(model.counts[name]) || 0);
      const button = el('button', { type: 'button', class: 'rh-link', title: 'Show the ' + name + ' runs in the table', onclick: () => RH.filterTableByState(name) }, chip);
      chips.appendChild(button);
    }
    if (!names.length) chips.appendChild(el('span', { class: 'rh-none' }, 'no task runs'));

    const busy = el('div', { class: 'rh-busy', id: 'rh-slot-busy' });
    const slots = RH.slotBusy(model);
    for (const slot of slots) {
      const bar = el('i');
      bar.style.width = Math.min(100, slot.share * 100).toFixed(1) + '%';
      busy.appendChild(el('span', { title: slot.label }, slot.label));
      busy.appendChild(el('div', { class: 'rh-busy-bar', title: RH.fmtDuration(slot.busy) + ' in attempts' }, bar));
      busy.appendChild(el('span', null, RH.fmtPercent(slot.share)));
    }
    if (!slots.length) busy.appendChild(el('span', { class: 'rh-none' }, 'no worker slots recorded'));

    const path = RH.criticalPath(model);
    const pathBox = el('div', null, el('h3', null, 'Critical path'));
    if (path.length) {
      const lastRun = model.runs[path[path.length - 1]];
      pathBox.appendChild(el('p', { class: 'rh-hint' },
        path.length === 1 ? 'The run that ended last (' + RH.fmtOffset(lastRun.end) + '); it waited for no run.'
          : RH.fmtCount(path.length) + ' runs, each the upstream that ended last of the one after it; the chain ends at ' + RH.fmtOffset(lastRun.end) + '.'));
      pathBox.appendChild(runList(model, 'rh-critical-path', path, (run) => RH.fmtDuration(run.busy), true));
    } else {
      pathBox.appendChild(el('p', { class: 'rh-none' }, 'no task runs'));
    }

    const slowest = RH.slowestRuns(model, 10);
    const slowBox = el('div', null, el('h3', null, 'Slowest runs'), el('p', { class: 'rh-hint' }, 'By time spent in attempts.'));
    slowBox.appendChild(slowest.length ? runList(model, 'rh-slowest', slowest, (run) => RH.fmtDuration(run.busy), false)
      : el('p', { class: 'rh-none' }, 'no task runs'));

    RH.replaceChildren(container,
      el('div', { class: 'rh-section-head' }, el('h2', null, 'Summary')),
      el('div', { class: 'rh-summary-grid' },
        facts,
        el('div', null, el('h3', null, 'Runs by state'), chips, el('h3', null, 'Worker slots busy'), busy),
        pathBox,
        slowBox));
  };

  // What the top of the page says before anything else: runs left out of the file, odd data.
  RH.renderNotices = function (model, container) {
    RH.replaceChildren(container);
    if (model.omitted > 0) {
      container.appendChild(el('div', { class: 'rh-notice', id: 'rh-omitted-notice', role: 'note' },
        'This file holds ' + RH.fmtCount(model.runs.length) + ' of ' + RH.fmtCount(model.runs.length + model.omitted) +
        ' task runs: ' + RH.fmtCount(model.omitted) + ' completed runs were left out to keep it small enough to open. ' +
        'The counts in the summary include them; the timeline, the graph and the table do not.'));
    }
  };

  RH.renderError = function (container, message) {
    container.appendChild(el('div', { class: 'rh-notice', id: 'rh-data-error', role: 'alert' }, message));
  };
})(window.RH = window.RH || {});
