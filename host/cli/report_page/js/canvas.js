// What the two canvases (timeline, dependency graph) share: a backing store sized for the
// device's pixel ratio, at most one redraw per frame, and pointer handling that tells a drag
// (pan) from a click (select) and reports hovering.
(function (RH) {
  'use strict';

  // Sizes `canvas` to its CSS width and `cssHeight` (or its CSS height), with a backing store
  // of devicePixelRatio pixels per CSS pixel so lines stay sharp, and returns the context with
  // a transform that lets the drawing code work in CSS pixels.
  RH.fitCanvas = function (canvas, cssHeight) {
    const dpr = window.devicePixelRatio || 1;
    if (cssHeight != null) canvas.style.height = cssHeight + 'px';
    const width = Math.max(1, canvas.clientWidth);
    const height = Math.max(1, cssHeight != null ? cssHeight : canvas.clientHeight);
    const w = Math.round(width * dpr);
    const h = Math.round(height * dpr);
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { ctx: ctx, width: width, height: height, dpr: dpr };
  };

  // draw() at the next animation frame, however often this is asked for before it.
  RH.frameScheduler = function (draw) {
    let pending = false;
    return function request() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        draw();
      });
    };
  };

  // Calls onResize when the element's width changes (the window, the fonts, the zoom).
  RH.watchWidth = function (element, onResize) {
    let last = element.clientWidth;
    if (typeof ResizeObserver !== 'function') return;
    new ResizeObserver(() => {
      if (element.clientWidth === last) return;
      last = element.clientWidth;
      onResize();
    }).observe(element);
  };

  // Pointer handling of a canvas: handlers.drag(dx, dy) while the button is held and the
  // pointer has moved more than a few pixels, handlers.click(x, y) when it has not,
  // handlers.hover(x, y) / handlers.leave() otherwise. Coordinates are CSS pixels in the canvas.
  RH.pointerControls = function (canvas, handlers) {
    let down = null; // {x, y, lastX, lastY, dragging}
    const local = (e) => {
      const r = canvas.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    canvas.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const p = local(e);
      down = { x: p.x, y: p.y, lastX: p.x, lastY: p.y, dragging: false };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      const p = local(e);
      if (!down) {
        if (handlers.hover) handlers.hover(p.x, p.y);
        return;
      }
      if (!down.dragging && Math.abs(p.x - down.x) + Math.abs(p.y - down.y) > 4) {
        down.dragging = true;
        canvas.classList.add('rh-dragging');
        if (handlers.leave) handlers.leave();
      }
      if (down.dragging && handlers.drag) handlers.drag(p.x - down.lastX, p.y - down.lastY);
      down.lastX = p.x;
      down.lastY = p.y;
    });
    const finish = (e, cancelled) => {
      if (!down) return;
      const wasDrag = down.dragging;
      down = null;
      canvas.classList.remove('rh-dragging');
      if (!cancelled && !wasDrag && handlers.click) {
        const p = local(e);
        handlers.click(p.x, p.y);
      }
    };
    canvas.addEventListener('pointerup', (e) => finish(e, false));
    canvas.addEventListener('pointercancel', (e) => finish(e, true));
    canvas.addEventListener('pointerleave', () => {
      if (!down && handlers.leave) handlers.leave();
    });
  };

  // The index of the first element of the sorted array `a` (of length n) that is >= value.
  RH.lowerBound = function (a, n, value) {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  // Shows `tooltip` (a child of the canvas's positioned box) near (x, y) with the given lines,
  // the first in bold, kept inside the box.
  RH.showTooltip = function (tooltip, box, x, y, lines) {
    RH.replaceChildren(tooltip, RH.el('strong', null, lines[0]), lines.slice(1).join('\n'));
    tooltip.hidden = false;
    const maxLeft = box.clientWidth - tooltip.offsetWidth - 4;
    let left = x + 14;
    if (left > maxLeft) left = Math.max(4, x - tooltip.offsetWidth - 14);
    let top = y + 16;
    if (top + tooltip.offsetHeight > box.clientHeight + 40) top = Math.max(0, y - tooltip.offsetHeight - 10);
    tooltip.style.left = left + 'px';
    tooltip.style.top = top + 'px';
  };
})(window.RH = window.RH || {});
