// The states' colours, as Prefect's UI colours them (and as the terminal output does, see
// host/cli/state_colors.hpp): completed green, cached a lighter teal green, failed red, timed
// out dark red, crashed orange, running and retrying blue, awaiting a retry (scheduled) yellow,
// pending, not ready and cancelled grey. The canvases need them as values, so they are here
// rather than in the style sheet.
(function (RH) {
  'use strict';

  const light = {
    Completed: '#2ac769',
    Cached: '#3cc6b4',
    Failed: '#fb4e4e',
    TimedOut: '#a3141c',
    Crashed: '#f97316',
    Running: '#1860f2',
    Retrying: '#4c86f5',
    AwaitingRetry: '#f2c230',
    Scheduled: '#f2c230',
    Pending: '#8ea0ae',
    NotReady: '#aab6c0',
    Cancelled: '#6f7d8a',
  };
  // The same hues, a little brighter where a dark background would swallow them.
  const dark = Object.assign({}, light, { TimedOut: '#d3343c', Running: '#4d86ff', Cancelled: '#8c99a6' });
  const unknown = '#9aa0a6';

  // Which states end an attempt badly, for telling a retried attempt from a final one.
  RH.FAILING_STATES = { Failed: true, TimedOut: true, Crashed: true };

  let palette = light;
  RH.darkScheme = false;
  if (window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches) {
    palette = dark;
    RH.darkScheme = true;
  }

  RH.stateColor = function (name) {
    return palette[name] || unknown;
  };

  // A neutral colour of the style sheet (--fg, --grid, ...), for drawing on a canvas.
  RH.themeColor = function (property) {
    return getComputedStyle(document.documentElement).getPropertyValue(property).trim() || '#888';
  };

  RH.swatch = function (color, extraClass) {
    const s = RH.el('span', { class: 'rh-swatch' + (extraClass ? ' ' + extraClass : '') });
    s.style.background = color;
    s.style.borderColor = color;
    return s;
  };

  // A state's chip: swatch, name, and a count when given.
  RH.stateChip = function (name, count) {
    return RH.el('span', { class: 'rh-chip', 'data-state': name },
      RH.swatch(RH.stateColor(name)), name, count == null ? null : RH.el('b', null, RH.fmtCount(count)));
  };

  // The timeline's legend: each state the report names, then how a retried attempt, a retry
  // delay and a run without an attempt are drawn.
  RH.renderLegend = function (container, stateNames) {
    RH.replaceChildren(container);
    for (const name of stateNames) container.appendChild(RH.stateChip(name));
    const failed = RH.stateColor('Failed');
    container.appendChild(RH.el('span', { class: 'rh-chip', title: 'An attempt that failed and was retried: outlined' },
      RH.swatch(failed, 'rh-retried'), 'retried attempt'));
    container.appendChild(RH.el('span', { class: 'rh-chip', title: 'The AwaitingRetry span before the next attempt' },
      RH.swatch(RH.stateColor('AwaitingRetry')), 'retry delay'));
    container.appendChild(RH.el('span', { class: 'rh-chip', title: 'A run that ended without an attempt (a Cached run, say): a tick where it ended' },
      RH.swatch(RH.stateColor('Cached'), 'rh-tick'), 'no attempt (tick)'));
  };
})(window.RH = window.RH || {});
