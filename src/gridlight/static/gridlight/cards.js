// Supervision board chart (ECharts, vendored): yellow and red cards and supervision per unit.
(function () {
  var data = JSON.parse(document.getElementById("card-data").textContent);
  var el = document.getElementById("card-chart");
  if (!el || !window.echarts || !data.names.length) { if (el) { el.style.display = "none"; } return; }
  var en = document.documentElement.lang === "en";
  var chart = echarts.init(el);
  chart.setOption({
    animation: false, color: ["#f9a825", "#d32f2f", "#424242"], tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 50, right: 10, top: 30, bottom: 90 },
    xAxis: { type: "category", data: data.names, axisLabel: { rotate: 40 } },
    yAxis: { type: "value" },
    series: [
      { name: en ? "Yellow" : "黄牌", type: "bar", data: data.yellow },
      { name: en ? "Red" : "红牌", type: "bar", data: data.red },
      { name: en ? "Supervised" : "督办", type: "bar", data: data.supervised }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
