// Traffic-light dashboard charts (ECharts, vendored): lights per child region and weekly changes.
(function () {
  var data = JSON.parse(document.getElementById("light-data").textContent);
  var colours = ["#d32f2f", "#f9a825", "#2e7d32"];
  var names = [document.documentElement.lang === "en" ? "Red" : "红", document.documentElement.lang === "en" ? "Yellow" : "黄", document.documentElement.lang === "en" ? "Green" : "绿"];
  var el = document.getElementById("light-chart");
  if (el && window.echarts) {
    var chart = echarts.init(el);
    chart.setOption({
      animation: false, color: colours, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 50, right: 10, top: 30, bottom: 80 },
      xAxis: { type: "category", data: data.names, axisLabel: { rotate: 40 } },
      yAxis: { type: "value" },
      series: [
        { name: names[0], type: "bar", stack: "l", data: data.red },
        { name: names[1], type: "bar", stack: "l", data: data.yellow },
        { name: names[2], type: "bar", stack: "l", data: data.green }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var trend = document.getElementById("trend-chart");
  if (trend && window.echarts) {
    var t = echarts.init(trend);
    t.setOption({
      animation: false, color: colours, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 50, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: data.trend_weeks }, yAxis: { type: "value" },
      series: [
        { name: names[0], type: "line", data: data.trend_red },
        { name: names[1], type: "line", data: data.trend_yellow },
        { name: names[2], type: "line", data: data.trend_green }
      ]
    });
    window.addEventListener("resize", function () { t.resize(); });
  }
}());
