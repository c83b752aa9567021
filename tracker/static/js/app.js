// Small progressive enhancements; pages work without them. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  // Forms marked data-confirm ask before a destructive action.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // "Select all" checkboxes: <input type=checkbox data-select-all="name">.
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-select-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
        other.checked = box.checked;
      });
    });
  });
  // Filter a <select> by typing: <input data-filter-select="select-id">.
  document.querySelectorAll("input[data-filter-select]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-filter-select"));
    if (!select) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var firstMatch = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var match = !needle || option.text.toLowerCase().indexOf(needle) !== -1 || option.value === "";
        option.hidden = !match;
        if (match && option.value !== "" && firstMatch === null) { firstMatch = option; }
      });
      if (needle && firstMatch && select.selectedOptions.length && select.selectedOptions[0].hidden) {
        select.value = firstMatch.value;
        select.dispatchEvent(new Event("change"));
      }
    });
  });
  // A field only some choices need: <input data-variable-credits="select-id"> inside [data-variable-credits-field]
  // is shown (and sent) only while the chosen <option> has data-variable. Without JavaScript it stays visible,
  // and the server ignores it for the other choices.
  document.querySelectorAll("input[data-variable-credits]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-variable-credits"));
    var wrapper = input.closest("[data-variable-credits-field]");
    if (!select || !wrapper) { return; }
    function update() {
      var option = select.selectedOptions.length ? select.selectedOptions[0] : null;
      var variable = !!(option && option.hasAttribute("data-variable"));
      wrapper.hidden = !variable;
      input.disabled = !variable;
    }
    select.addEventListener("change", update);
    update();
  });
  // Print buttons: <button data-print>. While printing, every <details> is opened (and closed again after).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    openedForPrint = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (d) { d.open = false; });
    openedForPrint = [];
  });
  // A table that scrolls sideways (phone width) must be reachable by keyboard to scroll it: make each
  // overflowing .table-responsive a focusable, labelled region, and undo that when it fits again.
  function markScrollableTables() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("data-scroll-focus", "");
          if (!box.hasAttribute("role")) { box.setAttribute("role", "region"); }
          if (!box.hasAttribute("aria-label")) {
            var caption = box.querySelector("caption");
            box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table, scrolls sideways");
          }
        }
      } else if (box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    });
  }
  markScrollableTables();
  window.addEventListener("resize", markScrollableTables);
})();
