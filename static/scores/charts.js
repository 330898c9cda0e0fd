/* Dashboard charts (Apache ECharts, vendored into static/vendor/echarts/). Each chart's data comes
 * from the page's JSON block "chart-specs" ({id: {kind, x, series, yMax, stacked}}); the same
 * figures are in the table under the chart. Without the library the tables remain. */
(function () {
  "use strict";
  var block = document.getElementById("chart-specs");
  if (!block || typeof window.echarts === "undefined") { return; }
  var specs = JSON.parse(block.textContent);
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var spec = specs[element.getAttribute("data-chart")];
    if (!spec) { return; }
    var narrow = element.clientWidth < 480;
    var option = {
      tooltip: { trigger: "axis", confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 12, top: 40, bottom: narrow ? 56 : 40, containLabel: true },
      xAxis: { type: "category", data: spec.x, axisLabel: { hideOverlap: true, rotate: narrow ? 45 : 0 } },
      yAxis: { type: "value", max: spec.yMax === null ? undefined : spec.yMax },
      dataZoom: spec.x.length > 31 ? [{ type: "inside" }] : [],
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.kind === "bar" ? "bar" : "line", data: s.data, connectNulls: false,
                 stack: spec.stacked ? "total" : undefined, showSymbol: spec.x.length <= 31 };
      })
    };
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
