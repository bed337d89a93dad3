// Turns every <div class="vega-chart" data-spec="..."> into an interactive Vega-Lite chart.
// Runs on load and after each htmx swap (filters re-render panels); already-drawn charts are skipped.
(function () {
  "use strict";

  function draw(root) {
    if (typeof window.vegaEmbed !== "function") return;
    var nodes = (root || document).querySelectorAll(".vega-chart:not([data-drawn])");
    nodes.forEach(function (el) {
      var spec;
      try {
        spec = JSON.parse(el.getAttribute("data-spec"));
      } catch (err) {
        el.textContent = "This chart could not be read.";
        return;
      }
      el.setAttribute("data-drawn", "1");
      window
        .vegaEmbed(el, spec, { actions: false, renderer: "svg", tooltip: { theme: "light" } })
        .then(function () { el.setAttribute("data-drawn", "done"); })
        .catch(function (err) {
          el.textContent = "This chart could not be drawn.";
          el.setAttribute("data-drawn", "error");
          if (window.console) console.error(err);
        });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
  document.addEventListener("htmx:afterSettle", function (evt) { draw(evt.target); });
  window.opencmoDrawCharts = draw;
})();
