// "Problems solved" charts (ECharts, vendored): solved and raised per row as bars, and per month.
// The data comes from the page (json_script "solved-data"); names go through gl.text() where
// they could reach HTML.
(function () {
  var source = document.getElementById("solved-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#2e7d32", "#90a4ae"];
  function draw(el, names, solved, raised, rotate) {
    var chart = echarts.init(el);
    chart.setOption({
      animation: false, color: colours,
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var lines = [items[0].axisValue];
          items.forEach(function (i) { lines.push(i.seriesName + ": " + i.value); });
          return window.gl.lines(lines);
        }
      },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 40, bottom: rotate ? 90 : 30 },
      xAxis: { type: "category", data: names, axisLabel: { rotate: rotate ? 40 : 0, interval: rotate ? 0 : "auto" } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.solved_label, type: "bar", data: solved },
        { name: data.raised_label, type: "bar", data: raised }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var el = document.getElementById("solved-chart");
  if (el) { draw(el, data.names, data.solved, data.raised, true); }
  var trend = document.getElementById("solved-trend");
  if (trend) { draw(trend, data.months, data.trend_solved, data.trend_raised, false); }
}());
