// Task panel: after htmx swaps a panel in, focus its first error, else what just changed.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail.target;
    if (!panel || !panel.isConnected) {
      panel = document.querySelector("[data-focus-after-swap]");
    }
    if (!panel || !panel.hasAttribute || !panel.hasAttribute("data-focus-after-swap")) {
      return;
    }
    if (event.detail.requestConfig && event.detail.requestConfig.verb === "get") {
      return; // the first load of the panel: leave focus where the reader is
    }
    var target = panel.querySelector(".field--error input, .field--error select, .field--error textarea, .errorlist[tabindex]");
    if (!target) {
      var id = panel.getAttribute("data-focus");
      target = id && document.getElementById(id);
    }
    if (target) {
      target.focus();
    }
  });
})();
