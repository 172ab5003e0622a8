// Policy KPIs (ECharts, vendored): applications (bars) and amounts granted in yuan (line) per
// row. The data comes from the page (json_script "policy-kpi-data").
(function () {
  var source = document.getElementById("policy-kpi-data");
  var el = document.getElementById("policy-kpi-chart");
  if (!source || !el || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    animation: false, color: ["#1565c0", "#2e7d32"],
    tooltip: {
      trigger: "axis",
      formatter: function (items) {
        var lines = [items[0].axisValue];
        items.forEach(function (i) { lines.push(i.seriesName + ": " + i.value); });
        return window.gl.lines(lines);
      }
    },
    legend: { top: 0 },
    grid: { left: 50, right: 60, top: 40, bottom: 80 },
    xAxis: { type: "category", data: data.names, axisLabel: { rotate: 30, interval: 0 } },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value" }],
    series: [
      { name: data.applications_label, type: "bar", data: data.applications },
      { name: data.granted_label, type: "line", yAxisIndex: 1, data: data.granted_yuan }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
