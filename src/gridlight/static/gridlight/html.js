// The one way our scripts put data into HTML: escape it first. Names of positions, units and
// regions are typed by people; an ECharts tooltip formatter's return value and anything given
// to innerHTML is parsed as HTML, so every value from the page's data goes through gl.text().
// Prefer textContent where no markup is needed at all.
(function () {
  var entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  function text(value) {
    if (value === null || value === undefined) { return ""; }
    return String(value).replace(/[&<>"']/g, function (c) { return entities[c]; });
  }
  // Raw values as lines of HTML, each escaped: what a tooltip formatter returns.
  function lines(values) { return values.map(text).join("<br>"); }
  window.gl = window.gl || {};
  window.gl.text = text;
  window.gl.lines = lines;
}());
