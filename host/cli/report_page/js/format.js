// Formatting of times, durations and counts, and the one way this page puts text into the DOM.
// Every string from the report's data goes through el()/text nodes (textContent), never through
// innerHTML: a run's name, parameters or error are whatever the task produced.
(function (RH) {
  'use strict';

  const numberFormat = new Intl.NumberFormat('en-US');

  // 12345 -> "12,345".
  RH.fmtCount = function (n) {
    return numberFormat.format(n);
  };

  // Trailing zeros of a fixed-point number go: "1.500" -> "1.5", "2.000" -> "2".
  function trimZeros(text) {
    return text.indexOf('.') < 0 ? text : text.replace(/\.?0+$/, '');
  }

  // A duration in microseconds, at a precision that fits its size: "840 µs", "12.3 ms",
  // "4.56 s", "3 min 7 s", "2 h 5 min".
  RH.fmtDuration = function (us) {
    if (!isFinite(us)) return '–';
    const sign = us < 0 ? '-' : '';
    const a = Math.abs(us);
    // The bounds sit just below each unit's 1000 (60 for seconds), so rounding never shows
    // "1000 ms".
    if (a < 999.5) return sign + Math.round(a) + ' µs';
    if (a < 999500) return sign + trimZeros((a / 1000).toFixed(a < 9995 ? 2 : 1)) + ' ms';
    if (a < 59.5e6) return sign + trimZeros((a / 1e6).toFixed(a < 9.995e6 ? 2 : 1)) + ' s';
    if (a < 3.5995e9) {
      const seconds = Math.round(a / 1e6);
      return sign + Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s';
    }
    const minutes = Math.round(a / 6e7);
    return sign + Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min';
  };

  // A time since the flow run started, precise enough to order events: "12.345 ms",
  // "3.456789 s", "2:03.456".
  RH.fmtOffset = function (us) {
    if (!isFinite(us)) return '–';
    const sign = us < 0 ? '-' : '';
    const a = Math.abs(us);
    if (a < 1e6) return sign + (a / 1000).toFixed(3) + ' ms';
    if (a < 6e7) return sign + (a / 1e6).toFixed(6) + ' s';
    const min = Math.floor(a / 6e7);
    const s = (a - min * 6e7) / 1e6;
    return sign + min + ':' + (s < 10 ? '0' : '') + s.toFixed(3);
  };

  // A tick label on a time axis whose ticks are `step` microseconds apart: milliseconds below a
  // second, seconds from there, minutes for steps of a minute or more, with as many decimals as
  // the step needs ("12.45 s", not "12450 ms").
  RH.fmtTick = function (us, step) {
    let unit = ' s';
    let div = 1e6;
    if (step < 1e6 && Math.abs(us) < 1e6) {
      unit = ' ms';
      div = 1e3;
    } else if (step >= 6e7) {
      unit = ' min';
      div = 6e7;
    }
    if (us === 0) return '0';
    const decimals = Math.max(0, Math.ceil(-Math.log10(step / div) - 1e-9));
    return trimZeros((us / div).toFixed(decimals)) + unit;
  };

  // Microseconds since the Unix epoch as local date and time with milliseconds.
  RH.fmtDate = function (epochUs) {
    if (!isFinite(epochUs)) return '–';
    const d = new Date(epochUs / 1000);
    const pad = (n, w) => String(n).padStart(w || 2, '0');
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' +
      pad(d.getMilliseconds(), 3);
  };

  RH.fmtPercent = function (fraction) {
    if (!isFinite(fraction)) return '–';
    return (fraction * 100).toFixed(fraction < 0.1 && fraction > 0 ? 1 : 0) + ' %';
  };

  // The first line of a text (an error's type and message, without a traceback).
  RH.firstLine = function (text) {
    if (text == null) return '';
    const i = text.indexOf('\n');
    return i < 0 ? text : text.slice(0, i);
  };

  // Parameters and results are JSON text, possibly cut short ("… (N bytes)"): pretty-printed
  // when they parse, shown as they are otherwise.
  RH.prettyJson = function (text) {
    if (text == null) return null;
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return text;
    }
  };

  // el('div', {class: 'x', title: t}, child, 'text', ...): an element whose attributes and
  // text are set as values (setAttribute, text nodes), so data can never become markup.
  RH.el = function (tag, attrs) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const key in attrs) {
        const value = attrs[key];
        if (value == null || value === false) continue;
        if (key === 'class') node.className = value;
        else if (key === 'text') node.textContent = value;
        else if (key === 'onclick') node.addEventListener('click', value);
        else node.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (let i = 2; i < arguments.length; i++) {
      const child = arguments[i];
      if (child == null || child === false) continue;
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
    return node;
  };

  // Replaces every child of `node` (clearing through textContent, never innerHTML).
  RH.replaceChildren = function (node) {
    node.textContent = '';
    for (let i = 1; i < arguments.length; i++) {
      const child = arguments[i];
      if (child != null && child !== false) node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
  };
})(window.RH = window.RH || {});
