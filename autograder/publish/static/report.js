// The gradebook table of the class report: sort and filter with list.js (vendored beside this file).
(function () {
  "use strict";
  var table = document.querySelector("table.gradebook");
  if (!table || typeof List === "undefined") { return; }
  var names = [];
  table.querySelectorAll("button.sort").forEach(function (b) {
    var name = b.getAttribute("data-sort");
    names.push({ name: name, attr: "data-sort" });  // every sortable cell carries its key
  });
  var book = new List("book", { valueNames: names });
  var shown = document.getElementById("shown");
  var status = document.getElementById("status-filter");
  function count() { shown.textContent = book.matchingItems.length + " of " + book.items.length + " shown"; }
  function ariaSort() {
    table.querySelectorAll("thead th").forEach(function (th) {
      var b = th.querySelector("button.sort");
      var order = b && b.classList.contains("asc") ? "ascending" : b && b.classList.contains("desc") ? "descending" : null;
      if (order) { th.setAttribute("aria-sort", order); } else { th.removeAttribute("aria-sort"); }
    });
  }
  var search = document.getElementById("search");
  search.addEventListener("input", function () { book.search(search.value); });  // typing, pasting, clearing
  status.addEventListener("change", function () {
    var want = status.value;
    if (!want) { book.filter(); } else {
      book.filter(function (item) { return item.values()["c-status"] === want; });
    }
  });
  book.on("updated", function () { count(); ariaSort(); });
  count();
})();
