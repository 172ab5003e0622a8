// Service positions drawn from their coordinates with ECharts: no tile server, works offline.
(function () {
  var el = document.getElementById("position-map");
  if (!el || !window.echarts) { return; }
  var points = JSON.parse(document.getElementById("map-points").textContent);
  var kinds = JSON.parse(document.getElementById("map-kinds").textContent);
  var colours = {
    party_mass_centre: "#c62828", grid_station: "#1565c0",
    warm_heart_station: "#ef6c00", culture_square: "#2e7d32"
  };
  var series = kinds.map(function (k) {
    return {
      name: k[1], type: "scatter", symbolSize: k[0] === "grid_station" ? 5 : 9,
      itemStyle: { color: colours[k[0]] || "#555", opacity: 0.8 },
      data: points.filter(function (p) { return p[3] === k[0]; })
        .map(function (p) { return { value: [p[0], p[1]], name: p[2], id: p[4] }; })
    };
  });
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: { formatter: function (p) { return p.name + "<br>" + p.value[0].toFixed(5) + ", " + p.value[1].toFixed(5); } },
    legend: { top: 4 },
    grid: { left: 60, right: 20, top: 40, bottom: 50 },
    xAxis: { type: "value", scale: true, name: "E", axisLabel: { formatter: "{value}°" } },
    yAxis: { type: "value", scale: true, name: "N", axisLabel: { formatter: "{value}°" } },
    dataZoom: [{ type: "inside", xAxisIndex: 0 }, { type: "inside", yAxisIndex: 0 }],
    series: series
  });
  chart.on("click", function (p) {
    if (p.data && p.data.id) { window.location.href = "/positions/" + p.data.id + "/"; }
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
