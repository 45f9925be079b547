/* moodtune check-in pad: progressive enhancement of two range inputs (valence, arousal).
 * Markup: fieldset[data-pad-root][data-feelings] > .pad[hidden][role=slider], .pad-help[hidden],
 * .pad-live, .pad-ranges (input#valence, input#arousal). Without this script the ranges work alone.
 * Pointer: click/tap sets the point, drag moves it. Keyboard: arrows ±0.05, Shift+arrows ±0.2,
 * Home centres, Enter submits the enclosing form. Values clamp to [-1, 1]. */
(function () {
  "use strict";

  var SMALL = 0.05;
  var BIG = 0.2;

  function clamp(x) {
    return Math.max(-1, Math.min(1, x));
  }
  function round2(x) {
    var r = Math.round(x * 100) / 100;
    return r === 0 ? 0 : r; // no "-0"
  }
  function fmt(x) {
    return Math.abs(x).toFixed(2);
  }

  function describe(v, a, feelings) {
    var best = null;
    var bestD = Infinity;
    for (var i = 0; i < feelings.length; i++) {
      var f = feelings[i];
      var d = (f.v - v) * (f.v - v) + (f.a - a) * (f.a - a);
      if (d < bestD) {
        bestD = d;
        best = f.word;
      }
    }
    return (v < 0 ? "unpleasant " : "pleasant ") + fmt(v) + ", " +
      (a < 0 ? "calm " : "energetic ") + fmt(a) +
      (best ? " \u2014 near " + best : "");
  }

  function readFeelings(root) {
    var list = [];
    try {
      var raw = JSON.parse(root.getAttribute("data-feelings") || "[]");
      for (var i = 0; i < raw.length; i++) {
        var f = raw[i];
        if (f && typeof f.word === "string" && isFinite(f.v) && isFinite(f.a)) {
          list.push({ word: f.word, v: Number(f.v), a: Number(f.a) });
        }
      }
    } catch (e) { /* keep the pad working without words */ }
    var hasNeutral = list.some(function (f) { return f.word === "neutral"; });
    if (!hasNeutral) list.push({ word: "neutral", v: 0, a: 0 });
    return list;
  }

  function enhance(root) {
    if (root.classList.contains("pad-enhanced")) return;
    var pad = root.querySelector(".pad");
    var vIn = root.querySelector('input[name="valence"]') || root.querySelector("#valence");
    var aIn = root.querySelector('input[name="arousal"]') || root.querySelector("#arousal");
    if (!pad || !vIn || !aIn) return;
    var marker = pad.querySelector(".pad-marker");
    var help = root.querySelector(".pad-help");
    var live = root.querySelector(".pad-live");
    var feelings = readFeelings(root);
    var step = parseFloat(vIn.step) || SMALL;
    var liveTimer = null;
    var state = { v: 0, a: 0 };
    var writing = false; // true while the pad writes to the ranges (ignore their echo)

    function quantise(x) {
      return round2(clamp(Math.round(x / step) * step));
    }

    function render(announceNow) {
      var text = describe(state.v, state.a, feelings);
      pad.style.setProperty("--pv", String(state.v));
      pad.style.setProperty("--pa", String(state.a));
      if (marker) {
        marker.style.setProperty("--pv", String(state.v));
        marker.style.setProperty("--pa", String(state.a));
      }
      pad.setAttribute("aria-valuetext", text);
      pad.setAttribute("aria-valuenow", String(state.v));
      if (live) {
        // debounced so a drag or a held key gives one calm announcement, not a stream
        clearTimeout(liveTimer);
        var say = function () { live.textContent = text; };
        if (announceNow) say();
        else liveTimer = setTimeout(say, 350);
      }
    }

    function set(v, a, opts) {
      opts = opts || {};
      var nv = quantise(v);
      var na = quantise(a);
      var changed = nv !== state.v || na !== state.a;
      state.v = nv;
      state.a = na;
      if (!opts.fromRange) {
        writing = true;
        try {
          writeRange(vIn, nv);
          writeRange(aIn, na);
        } finally {
          writing = false;
        }
      }
      render(opts.announceNow);
      return changed;
    }

    function writeRange(input, value) {
      if (parseFloat(input.value) === value) return;
      input.value = String(value);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function fromRanges() {
      if (writing) return;
      var v = parseFloat(vIn.value);
      var a = parseFloat(aIn.value);
      set(isFinite(v) ? v : 0, isFinite(a) ? a : 0, { fromRange: true });
    }

    // --- pointer
    var dragging = null;
    function pointAt(e) {
      var r = pad.getBoundingClientRect();
      if (!r.width || !r.height) return;
      var v = ((e.clientX - r.left) / r.width) * 2 - 1;
      var a = 1 - ((e.clientY - r.top) / r.height) * 2;
      set(v, a);
    }
    pad.addEventListener("pointerdown", function (e) {
      if (e.button !== undefined && e.button !== 0) return;
      e.preventDefault(); // no text selection / scroll; focus manually instead
      try { pad.focus({ preventScroll: true }); } catch (err) { pad.focus(); }
      dragging = e.pointerId;
      try { pad.setPointerCapture(e.pointerId); } catch (err) { /* old browsers */ }
      pad.classList.add("is-dragging");
      pointAt(e);
    });
    pad.addEventListener("pointermove", function (e) {
      if (dragging !== e.pointerId) return;
      pointAt(e);
    });
    function endDrag(e) {
      if (dragging !== e.pointerId) return;
      dragging = null;
      pad.classList.remove("is-dragging");
      try { pad.releasePointerCapture(e.pointerId); } catch (err) { /* already released */ }
      render(true);
    }
    pad.addEventListener("pointerup", endDrag);
    pad.addEventListener("pointercancel", endDrag);
    pad.addEventListener("lostpointercapture", function () {
      dragging = null;
      pad.classList.remove("is-dragging");
    });

    // --- keyboard
    pad.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var d = e.shiftKey ? BIG : SMALL;
      var v = state.v;
      var a = state.a;
      switch (e.key) {
        case "ArrowLeft": case "Left": v -= d; break;
        case "ArrowRight": case "Right": v += d; break;
        case "ArrowUp": case "Up": a += d; break;
        case "ArrowDown": case "Down": a -= d; break;
        case "Home": v = 0; a = 0; break;
        case "Enter": {
          var form = pad.closest("form");
          e.preventDefault();
          if (form) {
            if (typeof form.requestSubmit === "function") form.requestSubmit();
            else form.submit();
          }
          return;
        }
        default: return;
      }
      e.preventDefault();
      set(v, a);
    });

    // --- ranges → pad
    vIn.addEventListener("input", fromRanges);
    aIn.addEventListener("input", fromRanges);
    vIn.addEventListener("change", fromRanges);
    aIn.addEventListener("change", fromRanges);
    var form = root.closest("form");
    if (form) form.addEventListener("reset", function () { setTimeout(fromRanges, 0); });

    pad.setAttribute("aria-valuemin", "-1");
    pad.setAttribute("aria-valuemax", "1");
    if (!pad.hasAttribute("tabindex")) pad.setAttribute("tabindex", "0");
    pad.hidden = false;
    if (help) help.hidden = false;
    root.classList.add("pad-enhanced");
    // start from whatever the server rendered (e.g. the values kept after an error)
    var v0 = parseFloat(vIn.value);
    var a0 = parseFloat(aIn.value);
    state.v = NaN; // force a first render
    set(isFinite(v0) ? v0 : 0, isFinite(a0) ? a0 : 0, { fromRange: true });
    if (live) live.textContent = "";
  }

  function init(scope) {
    var roots = (scope || document).querySelectorAll("[data-pad-root]");
    for (var i = 0; i < roots.length; i++) enhance(roots[i]);
    if (scope && scope.matches && scope.matches("[data-pad-root]")) enhance(scope);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", function (e) { init(e.target); });

  window.moodtunePad = { describe: describe, init: init };
})();
