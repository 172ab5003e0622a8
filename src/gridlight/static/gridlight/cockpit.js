// The cockpit's charts (ECharts, vendored): the stage is 1920×1080, scaled to the window on a
// big screen; below 900 px it is the phone overview and is not scaled. Every name comes from the
// page's data and goes through gl.lines / gl.text before ECharts treats it as HTML. The page
// reloads itself every five minutes on a big screen (the figures are refreshed on a schedule).
(function () {
  var node = document.getElementById("ck-data");
  if (!node || !window.echarts) { return; }
  var data = JSON.parse(node.textContent);
  var s = data.sections || {};
  var stage = document.getElementById("ck-stage");
  var phone = window.innerWidth < 900;
  var charts = [];
  var TEXT = "#cfe3ff", MUTED = "#7f9cc6", GRID = "rgba(63,125,200,.25)";
  var LIGHT = { red: "#ff5c5c", yellow: "#ffc53d", green: "#3fcf7a" };
  var PALETTE = ["#3fd0ff", "#5b8ff9", "#5ad8a6", "#f6bd16", "#e8684a", "#9270ca", "#ff9d4d"];

  function fit() {
    if (phone) { stage.style.transform = ""; return; }
    var k = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    stage.style.transform = "scale(" + k + ")";
  }
  fit();

  function chart(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var c = echarts.init(el, null, { renderer: "canvas" });
    charts.push(c);
    return c;
  }
  function axis(extra) {
    var base = {
      axisLine: { lineStyle: { color: GRID } }, axisLabel: { color: MUTED, fontSize: 11 },
      splitLine: { lineStyle: { color: GRID } }
    };
    return Object.assign(base, extra || {});
  }
  function go(url) { if (url) { window.location.href = url; } }
  var base = { animation: false, textStyle: { color: TEXT }, color: PALETTE };

  // Households: a ring by light, and (at the district) each street's lights.
  if (s.households) {
    var h = s.households, c1 = chart("ck-households");
    var names = h.light_names;
    // On a phone the ring alone: the streets' bars need the big screen's width.
    var children = phone ? [] : (h.children || []);
    var option = Object.assign({}, base, {
      tooltip: { trigger: "item", confine: true, formatter: function (p) {
        return gl.lines([p.seriesName === "ring" ? p.name : p.seriesName + " · " + p.name, String(p.value)]);
      } },
      series: [{
        name: "ring", type: "pie", stillShowZeroSum: false, radius: ["45%", "72%"], center: [children.length ? "18%" : "50%", "52%"],
        label: { show: !children.length, color: TEXT, formatter: "{b} {c}" },
        data: ["red", "yellow", "green"].map(function (k) {
          return { name: names[k], value: h.lights[k], itemStyle: { color: LIGHT[k] } };
        })
      }]
    });
    if (children.length) {
      option.grid = { left: "37%", right: 8, top: 4, bottom: 4, containLabel: true };
      option.xAxis = axis({ type: "value", splitNumber: 3 });
      option.yAxis = axis({ type: "category", inverse: true, data: children.map(function (c) { return c.name; }),
        axisLabel: { color: MUTED, fontSize: 10, interval: 0, width: 64, overflow: "truncate" } });
      ["red", "yellow", "green"].forEach(function (k) {
        option.series.push({ name: names[k], type: "bar", stack: "l", barMaxWidth: 10,
          itemStyle: { color: LIGHT[k] }, data: children.map(function (c) { return c[k]; }) });
      });
    }
    c1.setOption(option);
  }

  // Tickets: the monthly rates (a gap where nothing counted) over the dispatches.
  if (s.tickets) {
    var t = s.tickets, c2 = chart("ck-tickets");
    var keys = ["on_time", "response", "satisfaction"];
    c2.setOption(Object.assign({}, base, {
      legend: { top: 0, textStyle: { color: MUTED, fontSize: 11 }, itemHeight: 8 },
      tooltip: { trigger: "axis", confine: true, formatter: function (ps) {
        return gl.lines([ps[0].axisValue].concat(ps.map(function (p) {
          return p.seriesName + " " + (p.value === null || p.value === undefined ? "—" : p.value);
        })));
      } },
      grid: { left: 40, right: 40, top: 26, bottom: 22 },
      xAxis: axis({ type: "category", data: t.months.map(function (m) { return m.slice(2); }) }),
      yAxis: [axis({ type: "value", min: 0, max: 100, splitNumber: 2 }),
        axis({ type: "value", splitLine: { show: false }, splitNumber: 2 })],
      series: [{ name: t.dispatches_label, type: "bar", yAxisIndex: 1, data: t.dispatches,
        itemStyle: { color: "rgba(91,143,249,.35)" }, barMaxWidth: 14, silent: true }]
        .concat(keys.map(function (k) {
          return { name: t.trend_names[k], type: "line", data: t.trend[k], connectNulls: false,
            symbolSize: 4, smooth: true };
        }))
    }));
  }

  // Talents: enterprises by industry.
  if (s.talent) {
    var tl = s.talent, c3 = chart("ck-talent");
    c3.setOption(Object.assign({}, base, {
      tooltip: { trigger: "item", confine: true, formatter: function (p) { return gl.lines([p.name, String(p.value)]); } },
      grid: { left: 8, right: 8, top: 8, bottom: 4, containLabel: true },
      xAxis: axis({ type: "category", data: tl.industries.map(function (i) { return i.name; }),
        axisLabel: { color: MUTED, fontSize: 11, interval: 0 } }),
      yAxis: axis({ type: "value", splitNumber: 2 }),
      series: [{ type: "bar", barMaxWidth: 26, data: tl.industries.map(function (i) { return { value: i.n, url: i.url }; }),
        itemStyle: { color: "#3fd0ff" }, label: { show: true, position: "top", color: TEXT, fontSize: 11 } }]
    }));
    // A bar opens the enterprise list of that industry.
    c3.on("click", function (e) { go(e.data && e.data.url); });
  }

  // Key projects: by stage (bars) and by industry (ring); a click opens the filtered list.
  if (s.projects) {
    var p = s.projects, c4 = chart("ck-stages"), c5 = chart("ck-industries");
    c4.setOption(Object.assign({}, base, {
      tooltip: { trigger: "item", confine: true, formatter: function (q) { return gl.lines([q.name, String(q.value)]); } },
      grid: { left: 8, right: 8, top: 18, bottom: 4, containLabel: true },
      xAxis: axis({ type: "category", data: p.stages.map(function (x) { return x.name; }),
        axisLabel: { color: MUTED, fontSize: 11, interval: 0 } }),
      yAxis: axis({ type: "value", splitNumber: 2 }),
      series: [{ type: "bar", barMaxWidth: 22, data: p.stages.map(function (x) { return { value: x.n, url: x.url }; }),
        itemStyle: { color: "#5b8ff9" }, label: { show: true, position: "top", color: TEXT, fontSize: 11 } }]
    }));
    c5.setOption(Object.assign({}, base, {
      tooltip: { trigger: "item", confine: true, formatter: function (q) { return gl.lines([q.name, q.value + " (" + q.percent + "%)"]); } },
      series: [{ type: "pie", stillShowZeroSum: false, radius: ["35%", "62%"], center: ["50%", "55%"],
        label: { color: TEXT, fontSize: 11, formatter: "{b}\n{c}" },
        data: p.industries.map(function (x) { return { name: x.name, value: x.n, url: x.url }; }) }]
    }));
    [c4, c5].forEach(function (c) { c.on("click", function (e) { go(e.data && e.data.url); }); });
  }

  // Indicators: a sparkline under each headline card (a gap for a missing period).
  if (s.indicators) {
    document.querySelectorAll(".ck-spark").forEach(function (el) {
      var r = s.indicators.headline[Number(el.getAttribute("data-spark"))];
      if (!r) { return; }
      var c = echarts.init(el);
      charts.push(c);
      c.setOption(Object.assign({}, base, {
        tooltip: { trigger: "axis", confine: true, formatter: function (ps) {
          var v = ps[0].value;
          return gl.lines([ps[0].axisValue, (v === null || v === undefined ? "—" : v) + " " + r.unit]);
        } },
        grid: { left: 6, right: 6, top: 6, bottom: 4 },
        xAxis: { type: "category", show: false, data: r.spark.periods },
        yAxis: { type: "value", show: false, scale: true },
        series: [{ type: "line", data: r.spark.values, symbol: "none", smooth: true,
          lineStyle: { color: "#3fd0ff", width: 2 }, areaStyle: { color: "rgba(63,208,255,.15)" } }]
      }));
    });
    var g = s.indicators.gdp;
    var c6 = g && !g.missing.length ? chart("ck-gdp") : null;
    if (c6) {
      var rows = g.rows.slice().reverse();
      c6.setOption(Object.assign({}, base, {
        tooltip: { trigger: "item", confine: true, formatter: function (q) {
          var row = rows[q.dataIndex];
          return gl.lines([row.name, q.value + " pt", (row.rate === null ? "—" : row.rate + "%")]);
        } },
        grid: { left: 8, right: 30, top: 4, bottom: 4, containLabel: true },
        xAxis: axis({ type: "value", splitNumber: 3 }),
        yAxis: axis({ type: "category", data: rows.map(function (r) { return r.name; }),
          axisLabel: { color: MUTED, fontSize: 11, width: 120, overflow: "truncate" } }),
        series: [{ type: "bar", barMaxWidth: 14, data: rows.map(function (r) { return r.pull; }),
          itemStyle: { color: function (q) { return q.value < 0 ? "#ff6b6b" : "#5ad8a6"; } },
          label: { show: true, position: "right", color: TEXT, fontSize: 11 } }]
      }));
    }
  }

  // The map: streets (or a street's communities) with their figures; markers sized by the key
  // projects, red where some are red. Schematic outlines are dashed and said so.
  if (s.map && s.map.features.length) {
    var m = s.map, words = m.words;
    var geo = { type: "FeatureCollection", features: m.features.map(function (f) {
      return { type: "Feature", properties: { name: f.code }, geometry: f.geometry };
    }) };
    echarts.registerMap("ck-areas", geo);
    var byCode = {};
    m.features.forEach(function (f) { byCode[f.code] = f; });
    var maxRed = Math.max.apply(null, m.features.map(function (f) { return f.stats.red || 0; }).concat([1]));
    var c7 = chart("ck-map");
    var tip = function (f) {
      var st = f.stats, out = [f.name];
      if (st.households !== undefined) { out.push(words.households + " " + st.households, words.red + " " + st.red); }
      if (st.projects !== undefined) { out.push(words.projects + " " + st.projects, words.red_projects + " " + st.red_projects); }
      return gl.lines(out);
    };
    c7.setOption(Object.assign({}, base, {
      tooltip: { trigger: "item", confine: true, formatter: function (q) {
        var f = q.componentType === "geo" ? byCode[q.name] : byCode[q.data && q.data.code];
        return f ? tip(f) : "";
      } },
      visualMap: { show: false, min: 0, max: maxRed, seriesIndex: 0, inRange: { color: ["#0e3470", "#7a1f3d"] } },
      geo: {
        map: "ck-areas", roam: true, top: 16, bottom: m.schematic ? 24 : 8, left: 8, right: 8,
        itemStyle: { areaColor: "#0e3470", borderColor: "#3fd0ff", borderWidth: 1 },
        emphasis: { itemStyle: { areaColor: "#1d5fb0" }, label: { color: "#fff" } },
        label: { show: !phone, color: "#bfe6ff", fontSize: 12, formatter: function (q) {
          return byCode[q.name] ? byCode[q.name].name : "";
        } },
        regions: m.features.map(function (f) {
          return { name: f.code, itemStyle: f.schematic ? { borderType: "dashed" } : {} };
        })
      },
      graphic: m.schematic ? [{ type: "text", left: 10, bottom: 4, silent: true,
        style: { text: words.schematic, fill: "#8fb3e0", fontSize: 12 } }] : [],
      series: [
        { type: "map", geoIndex: 0, data: m.features.map(function (f) { return { name: f.code, value: f.stats.red || 0 }; }) },
        { type: "scatter", coordinateSystem: "geo", zlevel: 2,
          data: m.features.filter(function (f) { return f.stats.projects; }).map(function (f) {
            return { code: f.code, value: f.centre.concat([f.stats.projects]),
              itemStyle: { color: f.stats.red_projects ? "#ff5c5c" : "#3fd0ff" } };
          }),
          symbolSize: function (v) { return Math.min(40, 8 + Math.sqrt(v[2]) * 4); },
          itemStyle: { opacity: .85, shadowBlur: 10, shadowColor: "#3fd0ff" } }
      ]
    }));
    if (data.region.level === 0) {
      c7.on("click", function (q) {
        var code = q.componentType === "geo" ? q.name : q.data && q.data.code;
        if (code) { go("?region=" + encodeURIComponent(code)); }
      });
    }
  }

  window.addEventListener("resize", function () {
    phone = window.innerWidth < 900;
    fit();
    charts.forEach(function (c) { c.resize(); });
  });
  var sel = document.getElementById("ck-region");
  if (sel) { sel.addEventListener("change", function () { sel.form.submit(); }); }
  if (!phone) { window.setTimeout(function () { window.location.reload(); }, 300000); }
}());
