/* moodtune theme: load synchronously in <head> so the remembered theme applies before paint.
 * localStorage["moodtune-theme"] = "light" | "dark"; absent = follow the system.
 * Every button.theme-toggle is a toggle for "Dark theme": aria-pressed="true" while dark is shown.
 * Its label stays "Dark theme" (a toggle's name must not change with its state — WAI-ARIA APG),
 * a `.theme-toggle-label` inside it is filled in if present. Fires `moodtune:theme` on document. */
(function () {
  "use strict";
  var KEY = "moodtune-theme";
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function stored() {
    try {
      var v = window.localStorage.getItem(KEY);
      return v === "light" || v === "dark" ? v : null;
    } catch (e) {
      return null;
    }
  }
  function effective() {
    return stored() || (media && media.matches ? "dark" : "light");
  }

  var initial = stored();
  if (initial) root.dataset.theme = initial;

  function sync() {
    var dark = effective() === "dark";
    var buttons = document.querySelectorAll("button.theme-toggle");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      b.setAttribute("aria-pressed", dark ? "true" : "false");
      var label = b.querySelector(".theme-toggle-label");
      if (label) {
        label.textContent = "Dark theme";
      } else if (!b.textContent.trim()) {
        label = document.createElement("span");
        label.className = "theme-toggle-label";
        label.textContent = "Dark theme";
        b.appendChild(label);
      }
    }
  }

  function announce(theme) {
    var ev;
    try {
      ev = new CustomEvent("moodtune:theme", { detail: { theme: theme } });
    } catch (e) {
      ev = document.createEvent("CustomEvent");
      ev.initCustomEvent("moodtune:theme", false, false, { theme: theme });
    }
    document.dispatchEvent(ev);
  }

  function set(theme) {
    root.dataset.theme = theme;
    try {
      window.localStorage.setItem(KEY, theme);
    } catch (e) { /* private mode: still switch for this page */ }
    sync();
    announce(theme);
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    var b = t && t.closest ? t.closest("button.theme-toggle") : null;
    if (!b) return;
    set(effective() === "dark" ? "light" : "dark");
  });

  if (media) {
    var onChange = function () {
      if (stored()) return; // an explicit choice wins over the system
      sync();
      announce(effective());
    };
    if (media.addEventListener) media.addEventListener("change", onChange);
    else if (media.addListener) media.addListener(onChange);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", sync);
  } else {
    sync();
  }
  // toggles swapped in by htmx
  document.addEventListener("htmx:load", sync);

  window.moodtuneTheme = { get: effective, set: set };
})();
