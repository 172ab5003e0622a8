// Service positions over the outlines of streets, communities or grids (ECharts geo, vendored):
// no tile server, works offline. Outlines come from the page: imported ones drawn solid,
// schematic ones (derived from the positions until real ones are imported) dashed and said so.
// Every name is typed by people: tooltips escape it with gl.lines (html.js).
(function () {
  var el = document.getElementById("position-map");
  if (!el || !window.echarts) { return; }
  var read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  var points = read("map-points");
  var kinds = read("map-kinds");
  var areas = read("map-areas");
  var words = read("map-words");
  if (!points.length) { el.style.display = "none"; return; }
  var colours = {
    party_mass_centre: "#c62828", grid_station: "#1565c0",
    warm_heart_station: "#ef6c00", culture_square: "#2e7d32"
  };
  var kindNames = {};
  kinds.forEach(function (k) { kindNames[k[0]] = k[1]; });
  var labels = {};
  var schematic = false;
  areas.features.forEach(function (f) {
    labels[f.properties.name] = f.properties;
    schematic = schematic || f.properties.schematic;
  });
  if (!areas.features.length) {
    // Nothing to outline at this level: an invisible box around the points gives the map its extent.
    var xs = points.map(function (p) { return p[0]; }), ys = points.map(function (p) { return p[1]; });
    var x0 = Math.min.apply(null, xs) - 0.005, x1 = Math.max.apply(null, xs) + 0.005;
    var y0 = Math.min.apply(null, ys) - 0.005, y1 = Math.max.apply(null, ys) + 0.005;
    areas.features.push({
      type: "Feature", properties: { name: "", hidden: true },
      geometry: { type: "Polygon", coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] }
    });
  }
  echarts.registerMap("gridlight-areas", areas);
  var phone = el.clientWidth < 576;
  var series = kinds.map(function (k) {
    return {
      name: k[1], type: "scatter", coordinateSystem: "geo",
      symbolSize: k[0] === "grid_station" ? (phone ? 4 : 5) : (phone ? 7 : 9),
      itemStyle: { color: colours[k[0]] || "#555", opacity: 0.85 },
      data: points.filter(function (p) { return p[3] === k[0]; })
        .map(function (p) { return { value: [p[0], p[1]], name: p[2], id: p[4], kind: p[3] }; })
    };
  });
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: {
      trigger: "item", confine: true,
      formatter: function (p) {
        if (p.componentType === "geo") {
          var a = labels[p.name];
          if (!a) { return ""; }
          return gl.lines([a.label, a.schematic ? words.schematic : words.imported,
            a.positions + " " + words.positions]);
        }
        return gl.lines([p.name, kindNames[p.data.kind] || "",
          p.value[0].toFixed(5) + ", " + p.value[1].toFixed(5)]);
      }
    },
    legend: { top: 4, type: "scroll" },
    geo: {
      map: "gridlight-areas", roam: true, scaleLimit: { min: 0.8, max: 60 },
      top: 40, bottom: schematic ? 30 : 10, left: 10, right: 10,
      tooltip: { show: true },
      label: {
        show: !phone && areas.features.length <= 40, fontSize: 11, color: "#555",
        formatter: function (p) { return labels[p.name] ? labels[p.name].label : ""; }
      },
      itemStyle: { areaColor: "#f3f1ea", borderColor: "#8d8d8d", borderWidth: 1 },
      emphasis: { itemStyle: { areaColor: "#e6e1d3" }, label: { show: true } },
      select: { disabled: true },
      regions: areas.features.map(function (f) {
        if (f.properties.hidden) {
          return { name: f.properties.name, silent: true, itemStyle: { opacity: 0 }, label: { show: false } };
        }
        return {
          name: f.properties.name,
          itemStyle: f.properties.schematic
            ? { borderType: "dashed", areaColor: "#f7f5ef", borderColor: "#b0a27a" }
            : { borderType: "solid" }
        };
      })
    },
    graphic: schematic ? [{
      type: "text", left: 10, bottom: 6, silent: true,
      style: { text: words.legend, fill: "#8a6d1a", fontSize: 12 }
    }] : [],
    series: series
  });
  chart.on("click", function (p) {
    if (p.componentType === "series" && p.data && p.data.id) {
      window.location.href = "/positions/" + p.data.id + "/";
    }
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
