// Start-up: read the report's JSON from the page once, decode it, draw what the first screen
// shows (summary, timeline, runs table), and lay out the dependency graph only when its section
// comes into view. Also the one place that links the views: selecting a run updates each.
//
// Hook for tools and the browser test (tests/browser): window.rhReport holds `ready` (a
// promise resolved after the first paint of summary, timeline and table; document.body gets
// data-ready="1" at the same moment), `model` (the decoded data), and the views (`timeline`,
// `table`, `details`, and `graph` once laid out, with `graphReady` resolved then).
(function (RH) {
  'use strict';

  const $ = (id) => document.getElementById(id);
  let markReady;
  let markGraphReady;
  const hook = {
    ready: new Promise((resolve) => (markReady = resolve)),
    graphReady: new Promise((resolve) => (markGraphReady = resolve)),
    model: null,
    timeline: null,
    table: null,
    graph: null,
    details: null,
    selected: -1,
  };
  window.rhReport = hook;

  RH.selectRun = function (i) {
    if (!hook.model || i < 0 || i >= hook.model.runs.length) return;
    hook.selected = i;
    hook.details.showRun(i);
    hook.timeline.setSelected(i);
    hook.table.setSelected(i);
    if (hook.graph) hook.graph.setSelected(i);
  };

  RH.selectFlow = function () {
    if (hook.details) hook.details.showFlow();
  };

  function showTable() {
    $('rh-table-section').scrollIntoView({ block: 'start' });
  }

  RH.filterTableByState = function (name) {
    hook.table.filterByState(name);
    showTable();
  };

  RH.filterTableByTask = function (name) {
    hook.table.filterByTask(name);
    showTable();
  };

  // Runs fn() as a named phase of the start-up: performance.measure('rh:' + name) records how
  // long it took, for tools (tests/browser/measure_report.js) to read.
  function phase(name, fn) {
    const t0 = performance.now();
    const value = fn();
    if (performance.measure) performance.measure('rh:' + name, { start: t0, end: performance.now() });
    return value;
  }

  function afterFirstPaint(callback) {
    // A frame callback runs before the paint; a task queued from it runs after.
    requestAnimationFrame(() => setTimeout(callback, 0));
  }

  function finish() {
    // A performance mark, so tools (tests/browser/measure_report.js) can read when this was.
    if (performance.mark) performance.mark('rh-ready');
    document.body.dataset.ready = '1';
    markReady();
  }

  // The report's JSON, or null (with a notice on the page) when the page has none.
  function readData() {
    const script = $('rh-report-data');
    const text = script ? script.textContent.trim() : '';
    if (!text || text.startsWith('<' + '!--')) {
      // The template itself, opened without data (the marker comment is still in place; it is
      // spelt in two parts because the page's build refuses that sequence inside a script).
      RH.renderError($('rh-notices'), 'This page holds no report data.');
      $('rh-title').textContent = 'No report data';
      return null;
    }
    let raw;
    try {
      raw = phase('parse', () => JSON.parse(text));
    } catch (e) {
      RH.renderError($('rh-notices'), 'The report data cannot be read: ' + e.message);
      console.error('runner-host report: the data is not JSON:', e);
      return null;
    }
    // The text is not needed again: dropping it frees as much memory as the file's size.
    script.textContent = '';
    return raw;
  }

  function start() {
    const raw = readData();
    if (!raw) {
      finish();
      return;
    }
    let model;
    try {
      model = phase('decode', () => RH.decodeReport(raw));
    } catch (e) {
      RH.renderError($('rh-notices'), 'The report data cannot be shown: ' + e.message);
      console.error('runner-host report:', e);
      finish();
      return;
    }
    hook.model = model;
    phase('summary', () => {
      RH.renderNotices(model, $('rh-notices'));
      RH.renderSummary(model, $('rh-summary'));
      RH.renderLegend($('rh-legend'), model.states);
    });
    hook.details = RH.createDetails(model, {
      panel: $('rh-details'),
      title: $('rh-details-title'),
      body: $('rh-details-body'),
      close: $('rh-details-close'),
    });
    hook.timeline = phase('timeline', () => RH.createTimeline(model, {
      canvas: $('rh-timeline'),
      tooltip: $('rh-tl-tooltip'),
      box: $('rh-timeline-box'),
      zoomIn: $('rh-tl-zoom-in'),
      zoomOut: $('rh-tl-zoom-out'),
      reset: $('rh-tl-reset'),
    }));
    phase('timeline-draw', () => hook.timeline.draw());
    hook.table = phase('table', () => RH.createTable(model, {
      head: $('rh-table-head'),
      body: $('rh-table-body'),
      sizer: $('rh-table-sizer'),
      empty: $('rh-table-empty'),
      count: $('rh-table-count'),
      stateSelect: $('rh-filter-state'),
      taskSelect: $('rh-filter-task'),
      textInput: $('rh-filter-text'),
    }));
    afterFirstPaint(() => {
      finish();
      deferGraph(model);
    });
  }

  // The graph is laid out the first time its section is (nearly) on screen.
  function deferGraph(model) {
    const section = $('rh-graph-section');
    const build = () => {
      if (hook.graph) return;
      hook.graph = phase('graph', () => RH.createGraph(model, {
        canvas: $('rh-graph'),
        tooltip: $('rh-graph-tooltip'),
        box: $('rh-graph-box'),
        mode: $('rh-graph-mode'),
        fit: $('rh-graph-fit'),
      }));
      if (hook.selected >= 0) hook.graph.setSelected(hook.selected);
      markGraphReady();
    };
    if (typeof IntersectionObserver !== 'function') {
      setTimeout(build, 0);
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      build();
    }, { rootMargin: '300px 0px' });
    observer.observe(section);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})(window.RH = window.RH || {});
