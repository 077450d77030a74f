// Searchable pickers for long lists (countries): Tom Select over the native select, which
// stays in the form, keeps its label and still sends the value. Without JavaScript the
// native select works as before.
(function () {
  "use strict";
  var LONG_LIST = 60;

  function wantsPicker(select) {
    if (select.tomselect || select.hasAttribute("data-native")) return false;
    return select.hasAttribute("data-picker") || select.options.length >= LONG_LIST;
  }

  function enhance(select) {
    var multiple = select.multiple;
    var picker = new window.TomSelect(select, {
      plugins: multiple ? ["remove_button"] : [],
      maxOptions: null,
      allowEmptyOption: !multiple,
      closeAfterSelect: !multiple,
      hidePlaceholder: true,
      placeholder: multiple ? select.getAttribute("data-placeholder") || "" : undefined,
      render: {
        no_results: function () {
          var div = document.createElement("div");
          div.className = "no-results";
          div.textContent = document.body.getAttribute("data-picker-no-results") || "";
          return div;
        },
      },
    });
    // A listbox must hold options: while the list is empty (nothing matches), it is not one.
    var list = picker.dropdown_content;
    var syncRole = function () {
      if (list.querySelector("[role='option']")) list.setAttribute("role", "listbox");
      else list.removeAttribute("role");
    };
    new MutationObserver(syncRole).observe(list, { childList: true, subtree: true });
    syncRole();
    // Tom Select points the label at its own input; the hidden native select keeps its name.
    var label = document.querySelector("label[for='" + picker.control_input.id + "']");
    if (label && label.id) select.setAttribute("aria-labelledby", label.id);
    // The field's help text and error still describe the control the user reaches.
    var described = select.getAttribute("aria-describedby");
    if (described) picker.control_input.setAttribute("aria-describedby", described);
    if (select.getAttribute("aria-invalid") === "true") picker.control_input.setAttribute("aria-invalid", "true");
    return picker;
  }

  function enhanceAll(root) {
    if (!window.TomSelect) return;
    root.querySelectorAll("select").forEach(function (select) {
      if (wantsPicker(select)) enhance(select);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhanceAll(document);
    // Content that htmx brings in (a form fitted to the choices so far) is enhanced too.
    document.body.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
  });
})();
