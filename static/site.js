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
