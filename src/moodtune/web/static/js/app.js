/* moodtune progressive enhancement. Every page works without this file.
 *  (a) Plotly figures: div.plot[data-figure] > script[type="application/json"] {data, layout};
 *      themed from CSS variables, re-rendered on `moodtune:theme` and after htmx swaps;
 *      div[data-click-href="/journey/new?v={x}&a={y}"] makes a clicked point navigate.
 *  (b) Spotify (or any) embed only after a click: button[data-embed-src] → <iframe>.
 *  (c) form[data-confirm]: confirm() before submitting.
 *  (d) .table-wrap that actually scrolls becomes keyboard-focusable.
 *  (e) the browser's time zone in the moodtune_tz cookie: pages show times and count days in it. */
(function () {
  "use strict";

  // ------------------------------------------------------------- time zone
  // Sent to this server only (it is the person's own clock, not an identifier); a check-in at
  // 23:30 belongs to that day's streak, whatever zone the server runs in.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone) &&
        document.cookie.split("; ").indexOf("moodtune_tz=" + zone) < 0) {
      document.cookie = "moodtune_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" +
        (location.protocol === "https:" ? "; Secure" : "");
    }
  } catch (e) { /* no Intl: times stay in the server's zone, as they are said to be */ }

  // ------------------------------------------------------------------ plots
  // No mode bar: its 28×22 px buttons are too small to tap and are focusable inside role="img"
  // (axe: nested-interactive). The numbers are in the figure's table instead. A figure's JSON may
  // carry its own "config" to override this.
  var CONFIG = { displaylogo: false, responsive: true, displayModeBar: false };

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (v && v.trim()) || fallback;
  }

  function readFigure(div) {
    var script = div.querySelector('script[type="application/json"]');
    if (!script) return null;
    try {
      var fig = JSON.parse(script.textContent);
      return { data: fig.data || [], layout: fig.layout || {}, config: fig.config || {} };
    } catch (e) {
      if (window.console) console.warn("moodtune: bad figure JSON", e);
      return null;
    }
  }

  function themed(layout) {
    var L = JSON.parse(JSON.stringify(layout || {}));
    var text = cssVar("--text", "#1d2127");
    var muted = cssVar("--text-muted", "#51575f");
    var grid = cssVar("--plot-grid", "#dedad2");
    var zero = cssVar("--plot-zero", "#b9b4aa");
    var surface = cssVar("--surface", "#ffffff");
    var border = cssVar("--border-strong", "#737980");
    var font = cssVar("--font-sans", "system-ui, sans-serif");

    L.paper_bgcolor = "rgba(0,0,0,0)";
    L.plot_bgcolor = "rgba(0,0,0,0)";
    L.font = Object.assign({}, L.font, { color: text, family: font });
    if (L.title && typeof L.title === "object") {
      L.title.font = Object.assign({}, L.title.font, { color: text });
    }
    L.legend = Object.assign({ bgcolor: "rgba(0,0,0,0)" }, L.legend);
    L.legend.font = Object.assign({}, L.legend.font, { color: text });
    L.hoverlabel = Object.assign({}, L.hoverlabel, {
      bgcolor: surface,
      bordercolor: border,
      font: Object.assign({}, (L.hoverlabel || {}).font, { color: text, family: font }),
    });
    if (!L.xaxis) L.xaxis = {};
    if (!L.yaxis) L.yaxis = {};
    Object.keys(L).forEach(function (k) {
      if (!/^[xy]axis\d*$/.test(k) || !L[k] || typeof L[k] !== "object") return;
      var ax = L[k];
      ax.gridcolor = grid;
      ax.zerolinecolor = zero;
      ax.linecolor = border;
      ax.tickcolor = border;
      ax.tickfont = Object.assign({}, ax.tickfont, { color: muted });
      if (ax.title && typeof ax.title === "object") {
        ax.title.font = Object.assign({}, ax.title.font, { color: text });
      }
    });
    if (L.coloraxis && L.coloraxis.colorbar) {
      L.coloraxis.colorbar.tickfont = Object.assign({}, L.coloraxis.colorbar.tickfont, { color: muted });
    }
    return L;
  }

  function fill(template, x, y) {
    return template
      .replace(/\{x\}/g, encodeURIComponent(Number(x).toFixed(2)))
      .replace(/\{y\}/g, encodeURIComponent(Number(y).toFixed(2)));
  }

  function renderPlot(div) {
    if (!window.Plotly) return;
    var fig = readFigure(div);
    if (!fig) return;
    div.setAttribute("data-plotted", "");
    // a figure of fixed height keeps it when a resize re-lays it out (responsive mode sizes the
    // plot to its div, which the CSS only gives a min-height): no overflow onto the caption
    if (fig.layout && isFinite(fig.layout.height)) div.style.minHeight = fig.layout.height + "px";
    var p = window.Plotly.newPlot(div, fig.data, themed(fig.layout), Object.assign({}, CONFIG, fig.config));
    var after = function () {
      div.setAttribute("data-rendered", "");
      var tpl = div.getAttribute("data-click-href");
      if (tpl && div.on) {
        div.classList.add("plot--clickable");
        div.on("plotly_click", function (ev) {
          var pt = ev && ev.points && ev.points[0];
          if (!pt || pt.x == null || pt.y == null) return;
          if (!isFinite(pt.x) || !isFinite(pt.y)) return;
          window.location.assign(fill(tpl, pt.x, pt.y));
        });
      }
    };
    if (p && typeof p.then === "function") p.then(after);
    else after();
  }

  // A page reached through hx-boost keeps the old <head>: when it brings the first figure,
  // plotly.js is not there yet, so fetch it once (same origin, allowed by the CSP) and render then.
  var PLOTLY_SRC = "/static-vendor/plotly.min.js";
  var waiting = null;
  function withPlotly(then) {
    if (window.Plotly) { then(); return; }
    if (!document.querySelector("div.plot[data-figure]")) return;
    if (waiting) { waiting.push(then); return; }
    waiting = [then];
    var script = document.createElement("script");
    script.src = PLOTLY_SRC;
    script.onload = function () {
      var queue = waiting || [];
      waiting = null;
      for (var i = 0; i < queue.length; i++) queue[i]();
    };
    script.onerror = function () {
      waiting = null;
      if (window.console) console.warn("moodtune: could not load " + PLOTLY_SRC);
    };
    document.head.appendChild(script);
  }

  function renderPlots(scope, onlyNew) {
    if (!window.Plotly) {
      withPlotly(function () { renderPlots(scope, onlyNew); });
      return;
    }
    var root = scope && scope.querySelectorAll ? scope : document;
    var sel = onlyNew ? "div.plot[data-figure]:not([data-plotted])" : "div.plot[data-figure]";
    var divs = root.querySelectorAll(sel);
    for (var i = 0; i < divs.length; i++) renderPlot(divs[i]);
    if (root.matches && root.matches(sel)) renderPlot(root);
  }

  document.addEventListener("moodtune:theme", function () {
    // CSS variables have changed by now; wait a frame so computed styles are fresh
    (window.requestAnimationFrame || setTimeout)(function () { renderPlots(document); });
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    renderPlots(e.target || document);
    wrapTables(e.target || document);
  });

  // ------------------------------------------------------- embeds on demand
  document.addEventListener("click", function (e) {
    var btn = e.target && e.target.closest ? e.target.closest("button[data-embed-src]") : null;
    if (!btn) return;
    var src = btn.getAttribute("data-embed-src");
    if (!src) return;
    e.preventDefault();
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = btn.getAttribute("data-embed-title") || "Music player";
    frame.width = "100%";
    frame.height = "152";
    frame.setAttribute("loading", "lazy");
    frame.setAttribute("allow", "encrypted-media");
    frame.setAttribute("frameborder", "0");
    frame.className = "track-embed";
    btn.replaceWith(frame);
    try { frame.focus(); } catch (err) { /* not focusable yet */ }
  });

  // ------------------------- keep the keyboard's place when HTMX replaces a track card
  // An answer (I like it, This helped, ...) swaps its whole card; without this the focus
  // fell back to the page and a keyboard user started again from the top.
  var refocus = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    var card = active && active.closest ? active.closest("li.track-card[id]") : null;
    if (!card) { refocus = null; return; }
    var form = active.closest("form");
    var answer = form ? form.querySelector('input[name="answer"]') : null;
    refocus = { card: card.id, answer: answer ? answer.value : null };
  });
  // afterSwap, not afterSettle: the new card is in the page from here on, and a key pressed
  // during the settle delay would otherwise go to <body>
  document.addEventListener("htmx:afterSwap", function () {
    var want = refocus;
    refocus = null;
    if (!want) return;
    var card = document.getElementById(want.card);
    if (!card) return;
    var target = null;
    if (want.answer) {
      var input = card.querySelector('input[name="answer"][value="' + want.answer + '"]');
      target = input && input.form ? input.form.querySelector("button") : null;
    }
    if (!target) {
      target = card.querySelector(".track-title");
      if (target) target.setAttribute("tabindex", "-1");
    }
    if (target) target.focus();
  });

  // ------------------------------------------- survey: needed answers given so far
  document.addEventListener("change", function (e) {
    var box = document.getElementById("survey-progress");
    var form = e.target && e.target.form;
    if (!box || !form) return;
    var names = (box.getAttribute("data-needed") || "").split(" ").filter(Boolean);
    var given = 0;
    for (var i = 0; i < names.length; i++) {
      if (form.querySelector('input[name="' + names[i] + '"]:checked')) given++;
    }
    var bar = box.querySelector("progress");
    var text = document.getElementById("survey-progress-text");
    if (bar) bar.value = given;
    if (text) text.textContent = given + " of " + names.length + " needed answers given";
  });

  // ------------------------------------------------------ confirm on submit
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || !form.matches || !form.matches("form[data-confirm]")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  // ------------------------------------------- scrollable tables: focusable
  function wrapTables(scope) {
    var root = scope && scope.querySelectorAll ? scope : document;
    var wraps = root.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var w = wraps[i];
      if (w.scrollWidth > w.clientWidth + 1) {
        if (!w.hasAttribute("tabindex")) w.setAttribute("tabindex", "0");
        if (!w.hasAttribute("role")) w.setAttribute("role", "region");
        if (!w.hasAttribute("aria-label") && !w.hasAttribute("aria-labelledby")) {
          var cap = w.querySelector("caption");
          w.setAttribute("aria-label", cap ? cap.textContent.trim() : "Table (scrolls sideways)");
        }
      }
    }
  }

  function start() {
    renderPlots(document);
    wrapTables(document);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // plotly.js loaded later than this file (async/defer): catch up once it is there
  window.addEventListener("load", function () { renderPlots(document, true); });

  window.moodtuneApp = { renderPlots: renderPlots, themedLayout: themed };
})();
