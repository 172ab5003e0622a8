// Policy KPI charts (ECharts, vendored): one bar series and one line series on a second axis
// per row — applications and amounts granted in yuan, or pushes and reach per month. The data
// comes from the page (json_script "policy-kpi-data", made by policies/kpi.py bar_and_line).
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
      { name: data.bar_label, type: "bar", data: data.bars },
      { name: data.line_label, type: "line", yAxisIndex: 1, data: data.line }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
