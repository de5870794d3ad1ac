// Small enhancements on top of htmx. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  // After a boosted navigation, move focus to the new page's main content so that keyboard and
  // screen-reader users start at the top of what changed, as after a full page load.
  document.addEventListener("htmx:after:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target;
    if (target === document.body) {
      var heading = document.querySelector("#main h1");
      var focusTarget = heading || document.getElementById("main");
      if (heading && !heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
      if (focusTarget) focusTarget.focus({ preventScroll: false });
    }
    var summary = document.querySelector(".error-summary");
    if (summary && target && target.contains(summary)) summary.focus();
  });

  // A server-rendered error summary takes focus on a full page load too.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });
})();

// The answer editor's buttons wrap the selected text in the few tags the portal keeps.
(function () {
  "use strict";
  function wrap(textarea, tag) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var text = textarea.value.slice(start, end);
    var out;
    if (tag === "ul") {
      var items = (text || "").split(/\n/).filter(Boolean).map(function (l) { return "  <li>" + l + "</li>"; });
      out = "<ul>\n" + (items.join("\n") || "  <li></li>") + "\n</ul>";
    } else if (tag === "a") {
      var url = window.prompt(textarea.dataset.linkPrompt || "https://");
      if (!url) return;
      out = '<a href="' + url.replace(/"/g, "%22") + '">' + (text || url) + "</a>";
    } else {
      out = "<" + tag + ">" + text + "</" + tag + ">";
    }
    textarea.setRangeText(out, start, end, "end");
    textarea.focus();
  }
  function init(root) {
    root.querySelectorAll(".editor-toolbar[data-editor]").forEach(function (bar) {
      var textarea = document.getElementById(bar.dataset.editor);
      if (!textarea || bar.dataset.ready) return;
      bar.dataset.ready = "1";
      bar.hidden = false;
      bar.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-wrap]");
        if (button) wrap(textarea, button.dataset.wrap);
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:after:swap", function () { init(document); });
})();

// Live pollers: a poll is skipped while the person edits inside the area it would refresh (an open panel or a
// focused field), so a refresh never closes what they opened or touches what they type; it resumes after.
(function () {
  "use strict";
  document.addEventListener("htmx:before:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var source = ctx && ctx.sourceElement;
    var selector = source && source.getAttribute && source.getAttribute("data-pause-while-editing");
    if (!selector) return;
    var area = document.querySelector(selector);
    var active = document.activeElement;
    var typing = active && area && area.contains(active) && active.matches("input, textarea, select");
    if (area && (typing || area.querySelector("details[open]"))) event.preventDefault();
  });
})();
