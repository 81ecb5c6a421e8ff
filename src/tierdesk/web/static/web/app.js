// tierdesk web UI behaviour. Served as a file so the CSP needs no 'unsafe-inline'.
// Everything here is an enhancement: every page works without JavaScript.
(function () {
  "use strict";

  // A live-updating table must not throw away what the agent is doing: skip a refresh
  // while any row is ticked or focus is inside the table body.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-live")) {
      return;
    }
    var busy = elt.querySelector("input[type=checkbox]:checked") ||
      (document.activeElement && elt.contains(document.activeElement));
    if (busy) {
      event.preventDefault();
    }
  });

  // "Select all" for bulk actions.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) {
      return;
    }
    var scope = document.getElementById(box.getAttribute("data-select-all"));
    if (!scope) {
      return;
    }
    scope.querySelectorAll("input[type=checkbox][name=keys]").forEach(function (item) {
      item.checked = box.checked;
    });
  });
})();
