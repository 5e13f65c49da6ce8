// The dashboard's own script: live regions over server-sent events, charts, and small form
// helpers. Plain browser JavaScript, no build step; htmx and uPlot are vendored beside it.
(function () {
  'use strict';
  var base = document.body.getAttribute('data-base') || '';
  var stream = null;

  // Throughput charts: data-series holds [x (unix seconds), succeeded, failed].
  function drawCharts(root) {
    if (typeof uPlot === 'undefined') return;
    root.querySelectorAll('.chart[data-series]').forEach(function (el) {
      var data = JSON.parse(el.getAttribute('data-series'));
      el.textContent = '';
      new uPlot({
        width: Math.max(el.clientWidth, 280),
        height: 180,
        legend: { show: true },
        scales: { x: { time: true } },
        series: [
          {},
          { label: 'succeeded', stroke: '#2f855a', fill: 'rgba(47,133,90,0.15)', width: 1.5 },
          { label: 'failed', stroke: '#c53030', fill: 'rgba(197,48,48,0.15)', width: 1.5 },
        ],
        axes: [{}, { size: 50 }],
      }, data, el);
    });
  }

  function pagePath() {
    var path = location.pathname.indexOf(base) === 0 ? location.pathname.slice(base.length) : location.pathname;
    return (path || '/') + location.search;
  }

  // One stream per open page; the server sends the live regions that changed.
  function connect() {
    if (stream) { stream.close(); stream = null; }
    if (!document.querySelector('[data-live]') || typeof EventSource === 'undefined') return;
    stream = new EventSource(base + '/events?page=' + encodeURIComponent(pagePath()));
    stream.addEventListener('regions', function (event) {
      var regions = JSON.parse(event.data);
      Object.keys(regions).forEach(function (id) {
        var el = document.getElementById('live-' + id);
        if (!el) return;
        el.innerHTML = regions[id];
        drawCharts(el);
        if (window.htmx) window.htmx.process(el);
      });
      document.body.setAttribute('data-live-updates', String(Number(document.body.getAttribute('data-live-updates') || 0) + 1));
      showProblem(null);
    });
    stream.addEventListener('failure', function (event) { showProblem(JSON.parse(event.data)); });
    stream.onerror = function () { showProblem('live updates interrupted; reconnecting…'); };
  }

  function showProblem(text) {
    var el = document.getElementById('live-problem');
    if (!text) { if (el) el.remove(); return; }
    if (!el) {
      el = document.createElement('p');
      el.id = 'live-problem';
      el.className = 'notice bad';
      document.querySelector('main').prepend(el);
    }
    el.textContent = text;
  }

  document.addEventListener('change', function (event) {
    var all = event.target.closest && event.target.closest('[data-select-all]');
    if (!all) return;
    var name = all.getAttribute('data-select-all');
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) { box.checked = all.checked; });
  });

  // Dangerous buttons ask first; JSON boxes are checked before the form leaves the page.
  document.addEventListener('submit', function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    var bad = false;
    event.target.querySelectorAll('textarea[data-json]').forEach(function (box) {
      box.setCustomValidity('');
      if (box.value.trim() === '') return;
      try { JSON.parse(box.value); } catch (e) { box.setCustomValidity('not valid JSON'); bad = true; }
    });
    if (bad) { event.preventDefault(); event.target.reportValidity(); }
  }, true);

  // htmx swapped part of the page and changed its URL (the jobs filter): follow it.
  document.addEventListener('htmx:afterSettle', function () { drawCharts(document); connect(); });
  window.addEventListener('pagehide', function () { if (stream) stream.close(); });

  drawCharts(document);
  connect();
})();
