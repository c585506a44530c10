/// The console's one style sheet and one script, served from the host itself (the
/// Content-Security-Policy allows nothing else: no inline script or style, no other origin).
enum ConsoleAssets {
    static let styleSheet = #"""
    :root { --ink: #1b2430; --muted: #5b6675; --line: #d9dee5; --bg: #f5f7fa; --card: #fff; --accent: #0b5cad;
            --ok: #1d7a3e; --warn: #a15c00; --bad: #b3261e; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
    * { box-sizing: border-box; }
    body { margin: 0; color: var(--ink); background: var(--bg); font-size: 15px; line-height: 1.45; }
    a { color: var(--accent); }
    header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem; padding: .6rem 1.25rem; background: #13283f; color: #fff; }
    header.top .brand { font-weight: 700; letter-spacing: .02em; color: #fff; text-decoration: none; }
    header.top nav { display: flex; flex-wrap: wrap; gap: .25rem .9rem; flex: 1; }
    header.top nav a { color: #d6e4f5; text-decoration: none; padding: .15rem 0; }
    header.top nav a[aria-current="page"] { color: #fff; border-bottom: 2px solid #fff; }
    header.top .who { display: flex; align-items: center; gap: .6rem; color: #d6e4f5; font-size: .9rem; }
    header.top .who button { background: transparent; color: #fff; border: 1px solid #7d97b5; }
    main { max-width: 1200px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
    h1 { font-size: 1.45rem; margin: .4rem 0 1rem; }
    h2 { font-size: 1.1rem; margin: 1.5rem 0 .6rem; }
    .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 1rem; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .9rem 1rem; min-width: 0; }
    .card .figure { font-size: 1.9rem; font-weight: 700; }
    .card .label { color: var(--muted); font-size: .85rem; }
    .wide { grid-column: 1 / -1; }
    .table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: #eef2f6; }
    tr:last-child td { border-bottom: 0; }
    code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; }
    .state { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; background: #e6ebf1; white-space: nowrap; }
    .state-signed-in, .state-intact, .state-active, .state-approved, .state-delivered { background: #dcf2e3; color: var(--ok); }
    .state-blocked, .state-broken, .state-locked, .state-disabled, .state-dead-lettered, .state-declined { background: #fbe1df; color: var(--bad); }
    .state-awaiting-enrollment, .state-pending, .state-expired { background: #fdeccc; color: var(--warn); }
    form.inline { display: inline; }
    form.stack { display: grid; gap: .6rem; max-width: 28rem; }
    form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: 1rem; }
    label { display: grid; gap: .2rem; font-size: .85rem; color: var(--muted); }
    input, select { font: inherit; padding: .4rem .55rem; border: 1px solid #b9c2cd; border-radius: 6px; background: #fff; color: var(--ink); min-width: 0; }
    button { font: inherit; padding: .4rem .85rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
    button.secondary { background: #fff; color: var(--accent); }
    button.danger { background: var(--bad); border-color: var(--bad); }
    .actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: .8rem 0; }
    .notice { padding: .7rem 1rem; border-radius: 8px; margin: 0 0 1rem; border: 1px solid; }
    .notice.ok { background: #eaf7ee; border-color: #a6d8b5; }
    .notice.error { background: #fdeceb; border-color: #f0b4ae; }
    .notice.info { background: #eaf2fb; border-color: #aac8ea; }
    .empty { color: var(--muted); font-style: italic; padding: .8rem 1rem; }
    .secret { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
    .secret input { font-family: ui-monospace, monospace; font-size: 1.1rem; width: 100%; max-width: 26rem; }
    .muted { color: var(--muted); }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
    dl.facts dt { color: var(--muted); }
    dl.facts dd { margin: 0; overflow-wrap: anywhere; }
    svg.chart { width: 100%; height: auto; display: block; }
    svg.chart .axis { stroke: #9aa5b1; stroke-width: 1; }
    svg.chart .grid { stroke: #e3e7ec; stroke-width: 1; }
    svg.chart .bar { fill: #3d7cc9; }
    svg.chart .tick { fill: var(--muted); font-size: 11px; }
    svg.chart .c0 { fill: #3d7cc9; } svg.chart .c1 { fill: #d1495b; } svg.chart .c2 { fill: #edae49; }
    svg.chart .c3 { fill: #66a182; } svg.chart .c4 { fill: #8d6a9f; } svg.chart .c5 { fill: #5b6675; }
    .legend { display: flex; flex-wrap: wrap; gap: .3rem 1rem; list-style: none; padding: 0; margin: .5rem 0 0; font-size: .85rem; }
    .legend .swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; margin-right: .3rem; vertical-align: -1px; }
    .swatch.c0 { background: #3d7cc9; } .swatch.c1 { background: #d1495b; } .swatch.c2 { background: #edae49; }
    .swatch.c3 { background: #66a182; } .swatch.c4 { background: #8d6a9f; } .swatch.c5 { background: #5b6675; }
    .signin { max-width: 24rem; margin: 3rem auto; }
    .pager { display: flex; gap: 1rem; align-items: center; margin: .6rem 0; }
    @media (max-width: 700px) {
      body { font-size: 16px; }
      header.top { padding: .6rem .8rem; }
      main { padding: .8rem .8rem 2rem; }
      .grid { grid-template-columns: 1fr; }
      dl.facts { grid-template-columns: 1fr; }
      dl.facts dd { margin-bottom: .4rem; }
      form.filters > * { flex: 1 1 100%; }
      th, td { padding: .4rem .5rem; }
    }
    """#

    /// Progressive enhancement only: every page works without it. It shows times in the
    /// viewer's zone, copies a one-time code, and refreshes the dashboard's figures.
    static let script = #"""
    "use strict";
    function localTimes(root) {
      root.querySelectorAll("time[datetime]").forEach(function (node) {
        var when = new Date(node.getAttribute("datetime"));
        if (!isNaN(when)) { node.textContent = when.toLocaleString(); node.title = node.getAttribute("datetime"); }
      });
    }
    function copyButtons(root) {
      root.querySelectorAll("button[data-copy]").forEach(function (button) {
        button.addEventListener("click", function () {
          var field = document.getElementById(button.getAttribute("data-copy"));
          if (!field) { return; }
          field.select();
          var done = function () { button.textContent = "Copied"; };
          if (navigator.clipboard) { navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); }); }
          else { document.execCommand("copy"); done(); }
        });
      });
    }
    function liveRefresh() {
      var main = document.querySelector("main[data-refresh]");
      if (!main) { return; }
      var seconds = Math.max(5, parseInt(main.getAttribute("data-refresh"), 10) || 15);
      // Refreshing must not keep an unattended screen signed in: with no input for the
      // session's idle timeout, it stops, and the page reloads to the sign-in page.
      var idle = parseInt(main.getAttribute("data-idle-seconds"), 10) || 900;
      var lastInput = Date.now();
      ["keydown", "mousedown", "touchstart", "wheel"].forEach(function (name) {
        document.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true });
      });
      var timer = setInterval(function () {
        var quiet = (Date.now() - lastInput) / 1000;
        if (quiet + seconds >= idle) {
          clearInterval(timer);
          setTimeout(function () { window.location.reload(); }, Math.max(0, idle - quiet + 2) * 1000);
          return;
        }
        if (document.visibilityState !== "visible") { return; }
        fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (response) {
          if (response.redirected || !response.ok) { window.location.reload(); return null; }
          return response.text();
        }).then(function (text) {
          if (text === null) { return; }
          var fresh = new DOMParser().parseFromString(text, "text/html").querySelector("main");
          if (fresh) { main.innerHTML = fresh.innerHTML; localTimes(main); main.setAttribute("data-refreshed", new Date().toISOString()); }
        }).catch(function () {});
      }, seconds * 1000);
    }
    document.addEventListener("DOMContentLoaded", function () { localTimes(document); copyButtons(document); liveRefresh(); });
    """#
}
