// Draws every .chart[data-option] with the vendored ECharts; the numbers are also in the table beside it.
(() => {
  const charts = [];
  document.querySelectorAll(".chart[data-option]").forEach((el) => {
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(JSON.parse(el.dataset.option));
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();
