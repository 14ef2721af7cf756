/* Dashboard charts: a choropleth map (drill-down), a ranking and a trend — all from the page's own data. */
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root || !window.echarts) return;
  const charts = {
    map: echarts.init(document.getElementById("chart-map")),
    ranking: echarts.init(document.getElementById("chart-ranking")),
    trend: echarts.init(document.getElementById("chart-trend")),
  };
  window.suiqianCharts = charts; // tests read getOption() from here
  let geo = null;
  const stack = [];
  const pct = (v) => (v === null || v === undefined ? "—" : v.toFixed(2) + "%");
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  function table(headers, rows) {
    const head = "<tr>" + headers.map((h) => "<th>" + esc(h) + "</th>").join("") + "</tr>";
    const body = rows.map((r) => "<tr>" + r.map((c) => "<td>" + esc(c) + "</td>").join("") + "</tr>").join("");
    return '<table class="data"><thead>' + head + "</thead><tbody>" + body + "</tbody></table>";
  }

  function drawMap(data) {
    const unit = data.unit;
    const features = geo.features.filter((f) =>
      unit.level === 3 ? f.properties.code === unit.code : f.properties.parent === unit.code);
    const mapName = "u" + unit.code;
    echarts.registerMap(mapName, {type: "FeatureCollection", features: features});
    const names = {};
    features.forEach((f) => { names[f.properties.code] = f.properties.name; });
    const values = data.bars.filter((b) => b.ratio !== null).map((b) => b.ratio);
    charts.map.setOption({
      tooltip: {trigger: "item", formatter: (p) => esc(names[p.name] || p.name) + "<br>" + pct(p.value)},
      visualMap: {min: values.length ? Math.floor(Math.min(...values)) : 0, max: 100, left: "left", bottom: 10,
                  text: ["高", "低"], calculable: true, inRange: {color: ["#c62828", "#fdd835", "#2e7d32"]}},
      series: [{
        id: "ratio", type: "map", map: mapName, nameProperty: "code", roam: true,
        label: {show: true, fontSize: 10, formatter: (p) => names[p.name] || ""},
        data: data.bars.map((b) => ({name: b.code, value: b.ratio, keyListed: b.key_listed,
          itemStyle: b.key_listed ? {borderColor: "#000", borderWidth: 2} : undefined})),
      }],
    }, true);
  }

  function drawRanking(data) {
    const bars = data.bars.filter((b) => b.ratio !== null);
    document.getElementById("ranking-title").textContent =
      data.unit.level === 3 ? "本单位" : data.unit.name + "下级单位排名";
    charts.ranking.setOption({
      tooltip: {trigger: "axis"},
      grid: {left: 90, right: 40, top: 20, bottom: 30},
      xAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
      yAxis: {type: "category", inverse: true, data: bars.map((b) => b.name)},
      series: [{
        id: "ratio", type: "bar", barMaxWidth: 28, data: bars.map((b) => ({value: b.ratio, code: b.code,
          itemStyle: {color: b.against_national === "below" ? "#c62828" : "#1f5fa8"}})),
        label: {show: true, position: "right", formatter: (p) => pct(p.value)},
        markLine: data.national === null ? undefined : {symbol: "none", label: {formatter: "全国 {c}%"},
          data: [{xAxis: data.national}]},
      }],
    }, true);
    document.getElementById("table-ranking").innerHTML = table(
      ["名次", "单位", "随迁子女总数", "公办学校就读人数", "比例", "重点督促", "数据依据"],
      bars.map((b, i) => [i + 1, b.name, b.denominator, b.numerator, pct(b.ratio), b.key_listed ? "是" : "", b.basis]));
    const xlsx = document.getElementById("ranking-xlsx");
    xlsx.hidden = data.unit.level === 3;
    xlsx.href = root.dataset.xlsxUrl + "?unit=" + data.unit.code + "&year=" + data.year;
  }

  function drawTrend(data) {
    charts.trend.setOption({
      tooltip: {trigger: "axis"},
      legend: {data: [data.unit.name, "全国"]},
      grid: {left: 50, right: 20, top: 40, bottom: 30},
      xAxis: {type: "category", data: data.trend.map((t) => String(t.year))},
      yAxis: {type: "value", min: (v) => Math.max(0, Math.floor(v.min - 5)), max: 100, axisLabel: {formatter: "{value}%"}},
      series: [
        {id: "unit", name: data.unit.name, type: "line", data: data.trend.map((t) => t.ratio), connectNulls: true},
        {id: "national", name: "全国", type: "line", lineStyle: {type: "dashed"}, data: data.trend.map((t) => t.national)},
      ],
    }, true);
    document.getElementById("table-trend").innerHTML = table(["年份", data.unit.name, "全国", "口径"],
      data.trend.map((t) => [t.year, pct(t.ratio), pct(t.national), t.indicator]));
  }

  function draw(data) {
    drawMap(data);
    drawRanking(data);
    drawTrend(data);
    document.getElementById("map-up").hidden = stack.length === 0;
  }

  function load(code, year) {
    return fetch(root.dataset.dataUrl + "?unit=" + encodeURIComponent(code) + "&year=" + year,
                 {credentials: "same-origin"}).then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  let current = JSON.parse(document.getElementById("dashboard-data").textContent);
  charts.map.on("click", (p) => {
    if (current.unit.level !== 1 || !p.name) return;  // drill from the province to a city's counties
    load(p.name, current.year).then((data) => { stack.push(current); current = data; draw(data); });
  });
  document.getElementById("map-up").addEventListener("click", () => {
    if (stack.length) { current = stack.pop(); draw(current); }
  });
  document.querySelectorAll("[data-toggle]").forEach((b) => b.addEventListener("click", () => {
    const el = document.getElementById(b.dataset.toggle);
    el.hidden = !el.hidden;
    b.textContent = el.hidden ? "查看数据" : "隐藏数据";
  }));
  document.querySelectorAll("[data-png]").forEach((a) => a.addEventListener("click", (e) => {
    a.href = charts[a.dataset.png].getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#fff"});
    a.download = current.unit.name + "-" + a.dataset.png + ".png";
  }));
  // 教育部's dashboard has no map file (maps are per province): the map stays empty, the rest works.
  const map = root.dataset.mapUrl ? fetch(root.dataset.mapUrl, {credentials: "same-origin"}).then((r) => r.json())
    : Promise.resolve({type: "FeatureCollection", features: []});
  map.then((g) => {
    geo = g;
    draw(current);
    root.dataset.ready = "1";
  });
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
})();
