// Concord's small behaviours. No inline scripts anywhere: a strict CSP holds.
(function () {
  "use strict";
  // Forms and buttons with data-confirm ask before doing something irreversible.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
  // Elements with data-autosubmit submit their form when changed (filters).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.closest && el.closest("[data-autosubmit]") && el.form) {
      el.form.requestSubmit();
    }
  });
})();
