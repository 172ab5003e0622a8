// Key project and indicator charts (ECharts, vendored): the milestones' Gantt, the monthly
// progress against the time-proportional plan, and an element's series.
(function () {
  var en = document.documentElement.lang === "en";
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return; }
    var chart = echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var project = document.getElementById("project-data");
  if (project) {
    var data = JSON.parse(project.textContent);
    var day = 86400000;
    draw("gantt-chart", {
      animation: false,
      tooltip: { formatter: function (p) { var g = data.gantt[p.dataIndex]; return gl.lines([g.name, g.start + " – " + g.end, g.pct + "%"]); } },
      grid: { left: 120, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "time" },
      yAxis: { type: "category", data: data.gantt.map(function (g) { return g.name; }), inverse: true },
      series: [{
        type: "custom",
        renderItem: function (params, api) {
          var y = api.value(0), start = api.coord([api.value(1), y]), end = api.coord([api.value(2), y]);
          var h = api.size([0, 1])[1] * 0.5, done = api.value(3) / 100;
          var width = Math.max(end[0] - start[0], 2);
          return { type: "group", children: [
            { type: "rect", shape: { x: start[0], y: start[1] - h / 2, width: width, height: h }, style: { fill: "#cfd8dc" } },
            { type: "rect", shape: { x: start[0], y: start[1] - h / 2, width: width * Math.min(done, 1), height: h }, style: { fill: "#1565c0" } }
          ] };
        },
        encode: { x: [1, 2], y: 0 },
        data: data.gantt.map(function (g, i) { return [i, Date.parse(g.start), Date.parse(g.end) + day, g.pct]; }),
        markLine: { silent: true, symbol: "none", label: { show: false }, data: [{ xAxis: Date.parse(data.today) }], lineStyle: { color: "#d32f2f" } }
      }]
    });
    draw("progress-chart", {
      animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: data.months }, yAxis: { type: "value", max: 100 },
      series: [
        { name: en ? "Progress" : "实际进度", type: "line", data: data.actual, color: "#1565c0" },
        { name: en ? "Time-proportional plan" : "序时进度", type: "line", data: data.planned, color: "#9e9e9e", lineStyle: { type: "dashed" } }
      ]
    });
  }
  var series = document.getElementById("series-data");
  if (series) {
    var s = JSON.parse(series.textContent);
    draw("series-chart", {
      animation: false, tooltip: { trigger: "axis" },
      grid: { left: 60, right: 10, top: 10, bottom: 30 },
      xAxis: { type: "category", data: s.periods }, yAxis: { type: "value" },
      series: [{ type: "bar", data: s.values, color: "#1565c0" }]
    });
  }
}());
