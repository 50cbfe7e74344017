// Queue keys: j / k move between rows, Enter opens the appeal of the current row, o shows or hides
// its whole text, x ticks it. The rows are looked up at every key, so a list replaced by HTMX
// (filters, pages) works at once. Keys typed into a field are left alone.
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr")); }
  function current(list) {
    var active = document.activeElement && document.activeElement.closest ? document.activeElement.closest("tr") : null;
    var marked = document.querySelector("table.queue tbody tr.current");
    return list.indexOf(active) >= 0 ? active : marked;
  }
  function go(row) {
    rows().forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    row.classList.add("current"); row.setAttribute("aria-current", "true");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
  // A changed filter refreshes the list at once; the search field waits for typing to pause (its own
  // trigger in _filters.html). An event of ours instead of an hx-trigger filter: those need eval,
  // which the Content-Security-Policy forbids.
  document.addEventListener("change", function (e) {
    var form = e.target && e.target.closest ? e.target.closest("form.filters") : null;
    if (form && e.target.name !== "q") { form.dispatchEvent(new CustomEvent("filters-changed", {bubbles: true})); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var target = e.target;
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName))) return;
    var list = rows();
    if (!list.length) return;
    var row = current(list), index = row ? list.indexOf(row) : -1;
    if (e.key === "j" || e.key === "о") { e.preventDefault(); go(list[Math.min(index + 1, list.length - 1)]); }
    else if (e.key === "k" || e.key === "л") { e.preventDefault(); go(list[Math.max(index - 1, 0)]); }
    else if (row && e.key === "Enter" && (target === row || target === document.body)) {
      e.preventDefault(); row.querySelector("a.open").click();
    } else if (row && (e.key === "o" || e.key === "щ")) {
      e.preventDefault(); var details = row.querySelector("details"); if (details) details.open = !details.open;
    } else if (row && (e.key === "x" || e.key === "ч")) {
      var box = row.querySelector("input[type=checkbox]"); if (box) { e.preventDefault(); box.click(); }
    }
  });
  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest("table.queue tbody tr");
    if (row) { rows().forEach(function (r) { r.classList.remove("current"); }); row.classList.add("current"); }
  });
})();
