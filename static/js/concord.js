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

  // Filters (data-autosubmit) submit their form once a choice is made. A select moved
  // through with the keyboard changes on every arrow key: it submits when the user
  // leaves it or presses Enter, not at each step.
  function autosubmitting(el) {
    return el && el.form && el.closest && el.closest("[data-autosubmit]");
  }
  function submitPending(select) {
    if (select.hasAttribute("data-pending-change")) {
      select.removeAttribute("data-pending-change");
      select.form.requestSubmit();
    }
  }
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (el.tagName !== "SELECT" || !autosubmitting(el)) return;
    if (event.key === "Enter") {
      event.preventDefault();
      submitPending(el);
    } else if (event.key !== "Tab" && event.key !== "Shift") {
      el.setAttribute("data-keyboard-choice", "");
    }
  });
  document.addEventListener("pointerdown", function (event) {
    if (event.target.tagName === "SELECT") event.target.removeAttribute("data-keyboard-choice");
  });
  document.addEventListener("focusout", function (event) {
    var el = event.target;
    if (el.tagName === "SELECT" && autosubmitting(el)) {
      el.removeAttribute("data-keyboard-choice");
      submitPending(el);
    }
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!autosubmitting(el)) return;
    if (el.tagName === "SELECT" && el.hasAttribute("data-keyboard-choice")) {
      el.setAttribute("data-pending-change", "");
      return;
    }
    el.form.requestSubmit();
  });

  // The user menu closes on Escape (focus back on its button), and when focus or a click
  // goes elsewhere, so it never covers what has focus.
  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (!except || !menu.contains(except)) menu.open = false;
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = event.target.closest && event.target.closest("details[data-menu][open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  document.addEventListener("focusin", function (event) { closeMenus(event.target); });
  document.addEventListener("click", function (event) { closeMenus(event.target); });

  // A page that opens on an error (a full-page form post) puts focus on it.
  document.addEventListener("DOMContentLoaded", function () {
    var target = document.querySelector("[data-focus-on-load]");
    if (target) focusFirstError(target) || focusElement(target);
  });

  function focusElement(el) {
    if (!el) return false;
    if (!el.matches("a[href], button, input, select, textarea, summary, [tabindex]")) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus();
    return document.activeElement === el;
  }
  function focusFirstError(container) {
    var field = container.querySelector("[aria-invalid='true']:not([type='hidden'])");
    if (field && field.classList.contains("tomselected") && field.tomselect) {
      field.tomselect.focus();
      return true;
    }
    if (field && focusElement(field)) return true;
    var error = container.querySelector(".errorlist, [role='alert']");
    return error ? focusElement(error) : false;
  }

  // One live region, outside every swapped block, says what a partial update brought
  // (elements marked data-announce).
  function announce(container) {
    var region = document.getElementById("live-status");
    var source = container.matches("[data-announce]") ? container : container.querySelector("[data-announce]");
    if (!region || !source) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = source.textContent.replace(/\s+/g, " ").trim(); }, 50);
  }

  // After a partial update, focus goes to the first error, to what the trigger names
  // (data-focus-after-swap), or, if it fell to the page, to the new content.
  var swap = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var requester = event.detail.requestConfig && event.detail.requestConfig.elt;
    // Polled fragments (data-swap-in-place) update the element already there, so focus stays on it.
    if (target.hasAttribute("data-swap-in-place") && event.detail.xhr.status === 200) {
      var template = document.createElement("template");
      template.innerHTML = event.detail.serverResponse.trim();
      var fresh = template.content.firstElementChild;
      var current = target.firstElementChild;
      if (fresh && current && fresh.tagName === current.tagName) {
        Array.prototype.slice.call(current.attributes).forEach(function (attr) {
          if (!fresh.hasAttribute(attr.name)) current.removeAttribute(attr.name);
        });
        Array.prototype.slice.call(fresh.attributes).forEach(function (attr) {
          current.setAttribute(attr.name, attr.value);
        });
        current.innerHTML = fresh.innerHTML;
        event.detail.shouldSwap = false;
        return;
      }
    }
    swap = {
      target: target,
      id: target.id,
      parent: target.parentNode,
      previous: target.previousElementSibling,
      posted: event.detail.requestConfig && event.detail.requestConfig.verb !== "get",
      focusSelector: requester && requester.getAttribute ? requester.getAttribute("data-focus-after-swap") : null,
      // Content loaded with the page (hx-trigger="load") must not take focus.
      userHadFocus: document.activeElement && document.activeElement !== document.body,
    };
  });
  document.addEventListener("htmx:afterSettle", function () {
    var done = swap;
    swap = null;
    if (!done) return;
    var content = done.target;
    if (!content.isConnected) {
      content = (done.id && document.getElementById(done.id)) ||
        (done.previous ? done.previous.nextElementSibling : done.parent && done.parent.firstElementChild);
    }
    if (!content) return;
    announce(content);
    if (!done.userHadFocus) return;
    if (done.posted && focusFirstError(content)) return;
    if (done.focusSelector && focusElement(document.querySelector(done.focusSelector))) return;
    var active = document.activeElement;
    if (!active || active === document.body || !active.isConnected) {
      focusElement(content.querySelector("[data-focus-target]") || content);
    }
  });
})();
