// Annual ranking charts (ECharts, vendored): each street's arena rank per quarter (rank 1 on
// top) and the half-year assessment's indicators as a radar per street.
(function () {
  var data = JSON.parse(document.getElementById("evaluation-data").textContent);
  var en = document.documentElement.lang === "en";
  function hide(el) { if (el) { el.style.display = "none"; } }
  var rankEl = document.getElementById("rank-chart");
  var names = Object.keys(data.ranks.series);
  if (rankEl && window.echarts && data.ranks.quarters.length && names.length) {
    var rank = echarts.init(rankEl);
    rank.setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 10, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.ranks.quarters },
      yAxis: { type: "value", inverse: true, min: 1, minInterval: 1, name: en ? "Rank" : "名次" },
      series: names.map(function (n) { return { name: n, type: "line", data: data.ranks.series[n], connectNulls: false }; })
    });
    window.addEventListener("resize", function () { rank.resize(); });
  } else { hide(rankEl); }
  var radarEl = document.getElementById("radar-chart");
  var streets = Object.keys(data.radar.streets);
  if (radarEl && window.echarts && data.radar.indicators.length && streets.length) {
    var radar = echarts.init(radarEl);
    radar.setOption({
      animation: false, tooltip: {}, legend: { type: "scroll", top: 0 },
      radar: { radius: "60%", indicator: data.radar.indicators.map(function (n) { return { name: n, max: 100 }; }) },
      series: [{ type: "radar", data: streets.map(function (s) {
        return { name: s, value: data.radar.streets[s].map(function (v) { return v === null ? 0 : v; }) };
      }) }]
    });
    window.addEventListener("resize", function () { radar.resize(); });
  } else { hide(radarEl); }
})();
