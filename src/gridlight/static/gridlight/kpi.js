// Ticket KPI charts (ECharts, vendored): the rates per row as bars, and the monthly trend as lines.
// The data comes from the page (json_script "kpi-data"); rates are percentages, null where there
// is nothing to count (drawn as a gap, not as zero).
(function () {
  var source = document.getElementById("kpi-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#1565c0", "#2e7d32", "#6a1b9a", "#00838f", "#ef6c00", "#ad1457", "#d32f2f"];
  var selected = {};
  data.kpis.forEach(function (name) { selected[name] = data["default"].indexOf(name) >= 0; });
  var percent = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  var tip = function (value) { return value === null || value === undefined ? "—" : value + "%"; };

  var el = document.getElementById("kpi-chart");
  if (el) {
    var chart = echarts.init(el);
    chart.setOption({
      animation: false, color: colours,
      tooltip: { trigger: "axis", valueFormatter: tip },
      legend: { top: 0, selected: selected },
      grid: { left: 50, right: 10, top: 50, bottom: 90 },
      xAxis: { type: "category", data: data.names, axisLabel: { rotate: 40, interval: 0 } },
      yAxis: percent,
      series: data.kpis.map(function (name, i) {
        return { name: name, type: "bar", data: data.rates[i] };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var trend = document.getElementById("kpi-trend");
  if (trend) {
    var t = echarts.init(trend);
    var lines = data.kpis.map(function (name, i) {
      return { name: name, type: "line", connectNulls: false, data: data.trend[i] };
    });
    lines.push({
      name: data.dispatches_label, type: "bar", yAxisIndex: 1, data: data.dispatches,
      itemStyle: { color: "#cfd8dc" }, z: 0
    });
    var trendSelected = Object.assign({}, selected);
    trendSelected[data.dispatches_label] = true;
    t.setOption({
      animation: false, color: colours,
      tooltip: { trigger: "axis" },
      legend: { top: 0, selected: trendSelected },
      grid: { left: 50, right: 50, top: 50, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      yAxis: [percent, { type: "value", minInterval: 1, splitLine: { show: false } }],
      series: lines
    });
    window.addEventListener("resize", function () { t.resize(); });
  }
}());
