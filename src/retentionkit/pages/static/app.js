/* retentionkit dashboard: draw the Plotly figures and make tables sortable. No network use. */
(function () {
  "use strict";
  function drawCharts() {
    if (typeof Plotly === "undefined") { return; }
    /* one chart per animation frame: the first charts appear at once on long pages */
    var queue = Array.prototype.slice.call(document.querySelectorAll(".chart[data-figure]"));
    function next() {
      var el = queue.shift();
      if (!el) { return; }
      var fig = JSON.parse(el.getAttribute("data-figure"));
      Plotly.newPlot(el, fig.data, fig.layout, { displaylogo: false, responsive: true })
        .then(function () { window.requestAnimationFrame(next); });
    }
    next();
  }
  function cellValue(td, kind) {
    var text = (td.getAttribute("data-value") || td.textContent).trim();
    if (kind === "num") {
      var n = parseFloat(text.replace(/[^0-9eE.+\-]/g, ""));
      return isNaN(n) ? -Infinity : n;
    }
    return text.toLowerCase();
  }
  function makeSortable(table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, index) {
      th.addEventListener("click", function () {
        var kind = th.getAttribute("data-sort") || "text";
        var asc = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a.cells[index], kind), y = cellValue(b.cells[index], kind);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    document.querySelectorAll("table.sortable").forEach(makeSortable);
  });
})();
