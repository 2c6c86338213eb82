// The details panel: the selected run's task, state and times, its parameters (pretty-printed
// when they parse as JSON), its result or error, its attempts, its state history (time, state,
// message, time since the entry before), and its upstream and downstream runs as links. The
// flow run itself opens here too (the summary's flow name). Esc or × closes it.
(function (RH) {
  'use strict';

  const el = RH.el;
  const LINK_LIMIT = 200; // a run may have thousands of downstreams: the first ones are listed

  function textBlock(text, id, isError) {
    if (text == null) return el('p', { class: 'rh-none', id: id }, 'not recorded');
    return el('pre', { class: 'rh-pre' + (isError ? ' rh-error' : ''), id: id }, RH.prettyJson(text));
  }

  function facts(pairs) {
    const dl = el('dl', { class: 'rh-kv' });
    for (const [label, value] of pairs) {
      dl.appendChild(el('dt', null, label));
      dl.appendChild(el('dd', null, value == null ? el('span', { class: 'rh-none' }, '–') : value));
    }
    return dl;
  }

  function historyTable(model, history) {
    const entries = RH.historyEntries(model, history);
    if (!entries.length) return el('p', { class: 'rh-none', id: 'rh-history' }, 'no state recorded');
    const tbody = el('tbody');
    for (const h of entries) {
      tbody.appendChild(el('tr', { 'data-state': h.state },
        el('td', { class: 'rh-num' }, RH.fmtOffset(h.time)),
        el('td', null, RH.stateChip(h.state)),
        el('td', { class: 'rh-msg' }, h.message || ''),
        el('td', { class: 'rh-num' }, h.sincePrevious === null ? '' : '+' + RH.fmtDuration(h.sincePrevious))));
    }
    return el('table', { class: 'rh-history', id: 'rh-history' },
      el('thead', null, el('tr', null, el('th', null, 'Time'), el('th', null, 'State'), el('th', null, 'Message'), el('th', null, 'Since previous'))),
      tbody);
  }

  function attemptsTable(model, run) {
    if (!run.attempts.length) return el('p', { class: 'rh-none', id: 'rh-attempts' }, 'no attempt (the run ended without running, e.g. Cached)');
    const tbody = el('tbody');
    run.attempts.forEach((a, k) => {
      const slot = a[2] >= 0 && a[2] < model.slots.length ? model.slots[a[2]] : 'unknown slot';
      const state = model.stateName(a[3]);
      tbody.appendChild(el('tr', null,
        el('td', { class: 'rh-num' }, String(k + 1)),
        el('td', null, slot),
        el('td', { class: 'rh-num' }, RH.fmtOffset(a[0])),
        el('td', { class: 'rh-num' }, RH.fmtDuration(a[1] - a[0])),
        el('td', null, RH.stateChip(state), RH.attemptRetried(model, run, k) ? ' retried' : '')));
    });
    return el('table', { class: 'rh-history', id: 'rh-attempts' },
      el('thead', null, el('tr', null, el('th', null, '#'), el('th', null, 'Slot'), el('th', null, 'Start'), el('th', null, 'Took'), el('th', null, 'Ended'))),
      tbody);
  }

  function runLinks(model, indices, id) {
    if (!indices || !indices.length) return el('p', { class: 'rh-none', id: id }, 'none');
    const box = el('div', { class: 'rh-links', id: id });
    for (const j of indices.slice(0, LINK_LIMIT)) {
      const other = model.runs[j];
      box.appendChild(el('button', { type: 'button', class: 'rh-link', 'data-no': other.no, title: other.taskName + ', ' + other.stateName, onclick: () => RH.selectRun(j) },
        RH.swatch(RH.stateColor(other.stateName)), ' ', other.name));
    }
    if (indices.length > LINK_LIMIT) box.appendChild(el('span', { class: 'rh-more' }, 'and ' + RH.fmtCount(indices.length - LINK_LIMIT) + ' more'));
    return box;
  }

  RH.createDetails = function (model, parts) {
    const panel = parts.panel;
    let onClose = null;

    function show(title, content) {
      parts.title.textContent = title;
      RH.replaceChildren(parts.body, ...content);
      panel.hidden = false;
      panel.scrollTop = 0;
    }

    function close() {
      panel.hidden = true;
      if (onClose) onClose();
    }
    parts.close.addEventListener('click', close);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !panel.hidden) close();
    });

    return {
      onClose: (callback) => {
        onClose = callback;
      },
      showRun: (i) => {
        const run = model.runs[i];
        panel.dataset.no = run.no;
        panel.dataset.kind = 'run';
        const upstreamsOmitted = run.upstreams.length - (run.up ? run.up.length : 0);
        show(run.name, [
          facts([
            ['Run', '#' + run.no],
            ['Task', run.taskName],
            ['State', RH.stateChip(run.stateName)],
            ['Started', RH.fmtOffset(run.start)],
            ['Ended', RH.fmtOffset(run.end)],
            ['In attempts', RH.fmtDuration(run.busy) + ' (' + RH.fmtCount(run.attempts.length) + (run.attempts.length === 1 ? ' attempt)' : ' attempts)')],
          ]),
          el('h3', null, 'Parameters'), textBlock(run.params, 'rh-params'),
          run.error != null ? el('h3', null, 'Error') : el('h3', null, 'Result'),
          run.error != null ? textBlock(run.error, 'rh-error', true) : textBlock(run.result, 'rh-result'),
          el('h3', null, 'State history'), historyTable(model, run.history),
          el('h3', null, 'Attempts'), attemptsTable(model, run),
          el('h3', null, 'Upstreams (runs it waited for)'), runLinks(model, run.up, 'rh-upstreams'),
          upstreamsOmitted > 0 ? el('p', { class: 'rh-more' }, RH.fmtCount(upstreamsOmitted) + ' more not in this file') : null,
          el('h3', null, 'Downstreams (runs that waited for it)'), runLinks(model, run.down, 'rh-downstreams'),
        ]);
      },
      showFlow: () => {
        const flow = model.flow;
        panel.dataset.no = '';
        panel.dataset.kind = 'flow';
        show(flow.name, [
          facts([
            [flow.isFlow ? 'Flow' : 'Task', flow.flow || flow.name],
            ['Id', flow.id],
            ['State', flow.state ? RH.stateChip(flow.state) : null],
            ['Message', flow.message],
            ['Wall time', RH.fmtDuration(model.wall)],
          ]),
          el('h3', null, 'Parameters'), textBlock(flow.params, 'rh-params'),
          flow.error != null ? el('h3', null, 'Error') : el('h3', null, 'Result'),
          flow.error != null ? textBlock(flow.error, 'rh-error', true) : textBlock(flow.result, 'rh-result'),
          el('h3', null, 'State history'), historyTable(model, flow.history),
        ]);
      },
      hide: () => {
        panel.hidden = true;
      },
    };
  };
})(window.RH = window.RH || {});
