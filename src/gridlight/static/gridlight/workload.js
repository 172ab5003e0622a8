// The commissioners' workload (ECharts, vendored): cases per commissioner stacked by talent
// class and key enterprises, with the overdue contacts beside them.
(function () {
  var el = document.getElementById("workload-chart");
  if (!el || !window.echarts) { return; }
  var data = JSON.parse(document.getElementById("workload-data").textContent);
  var en = document.documentElement.lang === "en";
  var series = [];
  ["A", "B", "C", "D", "E"].forEach(function (level) {
    series.push({ name: (en ? "Class " : "") + level + (en ? "" : "类"), type: "bar", stack: "cases", data: data.levels[level] });
  });
  series.push({ name: en ? "Key enterprises" : "重点企业", type: "bar", stack: "cases", data: data.enterprises });
  series.push({ name: en ? "Overdue" : "逾期未联系", type: "bar", data: data.overdue, itemStyle: { color: "#d32f2f" } });
  var chart = echarts.init(el);
  chart.setOption({
    animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 50, right: 10, top: 40, bottom: 40 },
    xAxis: { type: "category", data: data.names }, yAxis: { type: "value" },
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
