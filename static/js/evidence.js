// Evidence pages: the report's print button (no inline scripts: a strict CSP holds).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });
})();
