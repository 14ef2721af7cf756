/* Dashboard charts: a choropleth map, a ranking and a trend — all from the page's own data.
   Colours are anchored to the national ratio (below: warm, above: cool), the same bands every year and level;
   an aggregate that does not include every unit below it is hatched and labelled 不完整. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach((s) => s.addEventListener("change", () => s.form.submit()));
  const root = document.getElementById("dashboard");
  if (!root || !window.echarts) return;
  const charts = {
    map: echarts.init(document.getElementById("chart-map")),
    ranking: echarts.init(document.getElementById("chart-ranking")),
    trend: echarts.init(document.getElementById("chart-trend")),
  };
  window.suiqianCharts = charts; // tests read getOption() from here
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const WARM = ["#b71c1c", "#e53935", "#ffab91"];
  const COOL = ["#90caf9", "#42a5f5", "#1565c0"];
  const NO_DATA = "#e0e0e0";
  const HATCH = {symbol: "rect", symbolSize: 1, rotation: Math.PI / 4, dashArrayX: [1, 0], dashArrayY: [3, 5],
                 color: "rgba(0, 0, 0, 0.35)"};
  const pct = (v) => (v === null || v === undefined ? "—" : v.toFixed(2) + "%");
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const byCode = {};
  data.bars.forEach((b) => { byCode[b.code] = b; });

  // Bands in percentage points from the national ratio: the same meaning in every year and at every level.
  function bands(n) {
    return [
      {lt: n - 10, color: WARM[0], label: "低于全国 10 个百分点以上"},
      {gte: n - 10, lt: n - 5, color: WARM[1], label: "低于全国 5—10 个百分点"},
      {gte: n - 5, lt: n, color: WARM[2], label: "低于全国 5 个百分点以内"},
      {gte: n, lt: n + 5, color: COOL[0], label: "高于全国 5 个百分点以内（含持平）"},
      {gte: n + 5, lt: n + 10, color: COOL[1], label: "高于全国 5—10 个百分点"},
      {gte: n + 10, color: COOL[2], label: "高于全国 10 个百分点以上"},
    ];
  }

  function colourOf(b) {
    if (b.ratio === null) return NO_DATA;
    if (data.national === null) return "#9e9e9e";
    const band = bands(data.national).find((p) => (p.lt === undefined || b.ratio < p.lt) && (p.gte === undefined || b.ratio >= p.gte));
    return band.color;
  }

  // A figure that exists but leaves out units below it; a unit with no figure at all is simply grey.
  const partial = (b) => Boolean(b) && b.ratio !== null && !b.complete;

  function tip(b) {
    if (!b) return "";
    let text = esc(b.name) + "<br>" + (b.ratio === null ? "暂无数据" : "公办学校就读比例 " + pct(b.ratio));
    if (b.expected !== null) text += "<br>" + esc(b.coverage);
    if (!b.complete) text += "<br><b>不完整</b>：下级未全部审核";
    return text;
  }

  function emptyTitle() {
    return data.empty ? {text: "暂无数据", subtext: data.empty, left: "center", top: "middle",
                         textStyle: {color: "#616161", fontSize: 18}, subtextStyle: {color: "#757575"}} : {text: ""};
  }

  function drawMap(geo) {
    const unit = data.unit;
    const features = geo.features.filter((f) =>
      unit.level === 3 ? f.properties.code === unit.code : f.properties.parent === unit.code);
    const mapName = "u" + unit.code;
    echarts.registerMap(mapName, {type: "FeatureCollection", features: features});
    const names = {};
    features.forEach((f) => { names[f.properties.code] = f.properties.name; });
    const anchored = data.national !== null && !data.empty;
    charts.map.setOption({
      title: emptyTitle(),
      tooltip: {trigger: "item", formatter: (p) => tip(byCode[p.name]) || esc(names[p.name] || p.name) + "<br>暂无数据"},
      visualMap: {show: anchored, type: "piecewise", pieces: anchored ? bands(data.national) : [{min: 0, max: 100, color: NO_DATA}],
                  left: "left", bottom: 10, itemWidth: 14, itemHeight: 10, textStyle: {fontSize: 11},
                  outOfRange: {color: NO_DATA}},
      series: [{
        id: "ratio", type: "map", map: mapName, nameProperty: "code", roam: true,
        label: {show: true, fontSize: 10,
                formatter: (p) => (names[p.name] || "") + (partial(byCode[p.name]) ? "\n不完整" : "")},
        data: data.bars.map((b) => ({name: b.code, value: b.ratio, keyListed: b.key_listed, complete: b.complete,
          included: b.included, expected: b.expected, colour: colourOf(b),
          itemStyle: Object.assign({}, b.key_listed ? {borderColor: "#000", borderWidth: 2} : {},
                                   partial(b) ? {decal: HATCH} : {})})),
      }],
    }, true);
    if (unit.level !== 3) {
      charts.map.on("click", (p) => {
        if (p.name && byCode[p.name]) window.location.search = "?unit=" + encodeURIComponent(p.name) + "&year=" + data.year;
      });
    }
  }

  function drawRanking() {
    const bars = data.bars.filter((b) => b.ratio !== null);
    charts.ranking.setOption({
      title: emptyTitle(),
      tooltip: {trigger: "item", formatter: (p) => tip(byCode[p.data.code])},
      grid: {left: 90, right: 70, top: 20, bottom: 30},
      xAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
      yAxis: {type: "category", inverse: true, data: bars.map((b) => b.name)},
      series: [{
        id: "ratio", type: "bar", barMaxWidth: 28, data: bars.map((b) => ({value: b.ratio, code: b.code,
          complete: b.complete, included: b.included, expected: b.expected,
          itemStyle: Object.assign({color: colourOf(b)}, b.complete ? {} : {decal: HATCH})})),
        label: {show: true, position: "right",
                formatter: (p) => pct(p.value) + (p.data.complete ? "" : " 不完整")},
        markLine: data.national === null ? undefined : {symbol: "none", label: {formatter: "全国 {c}%"},
          data: [{xAxis: data.national}]},
      }],
    }, true);
  }

  function drawTrend() {
    const joinIncomplete = document.getElementById("trend-incomplete").checked;
    const t = data.trend;
    charts.trend.setOption({
      tooltip: {trigger: "axis", formatter: (items) => {
        const p = t[items[0].dataIndex];
        let text = p.year + " 年<br>" + esc(data.unit.name) + " " + pct(p.ratio) + "<br>全国 " + pct(p.national);
        if (p.coverage) text += "<br>" + esc(p.coverage);
        if (!p.complete) text += "<br><b>不完整</b>：下级未全部审核";
        return text + "<br><small>" + esc(p.indicator) + "</small>";
      }},
      legend: {data: [data.unit.name, "不完整", "全国"]},
      grid: {left: 50, right: 20, top: 40, bottom: 30},
      xAxis: {type: "category", data: t.map((p) => String(p.year))},
      yAxis: {type: "value", min: (v) => Math.max(0, Math.floor(v.min - 5)), max: 100, axisLabel: {formatter: "{value}%"}},
      series: [
        // The level's line joins complete years only, unless the user asks for the incomplete ones too.
        {id: "unit", name: data.unit.name, type: "line", connectNulls: false,
         data: t.map((p) => (p.complete || joinIncomplete ? p.ratio : null))},
        {id: "incomplete", name: "不完整", type: "scatter", symbolSize: 10, itemStyle: {color: "#9e9e9e"},
         label: {show: true, position: "top", formatter: "不完整"},
         data: t.map((p) => (p.complete ? null : {value: p.ratio, coverage: p.coverage}))},
        {id: "national", name: "全国", type: "line", lineStyle: {type: "dashed"}, data: t.map((p) => p.national)},
      ],
    }, true);
  }

  document.getElementById("trend-incomplete").addEventListener("change", drawTrend);
  document.querySelectorAll("[data-png]").forEach((a) => a.addEventListener("click", () => {
    a.href = charts[a.dataset.png].getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#fff"});
    a.download = data.unit.name + "-" + a.dataset.png + ".png";
  }));
  drawRanking();
  drawTrend();
  // 教育部's dashboard has no map file (maps are per province): the map stays empty, the rest works.
  const map = root.dataset.mapUrl ? fetch(root.dataset.mapUrl, {credentials: "same-origin"}).then((r) => r.json())
    : Promise.resolve({type: "FeatureCollection", features: []});
  map.then((geo) => {
    drawMap(geo);
    root.dataset.ready = "1";
  });
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
})();
