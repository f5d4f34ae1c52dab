/* The live dashboard: read the JSON, then again on each `queue` nudge from the /office namespace
   (one connection per office; the server only lets staff of that office in), and every 30 s. */
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const url = root.dataset.url;
  const $ = (id) => document.getElementById(id);
  const text = (el, value) => { if (el) el.textContent = value; };
  // The visible strings come translated from the page (templates/admin/dashboard.html, city.html).
  const T = JSON.parse(document.getElementById("dashboard-i18n").textContent);
  const STATE = T.state;
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_m, k) => (values[k] === undefined ? "" : values[k]));
  let version = 0, timer = null, inFlight = false, again = false;

  function cell(row, value) { const td = document.createElement("td"); td.textContent = value; row.appendChild(td); return td; }

  function tiles(t) {
    text($("t-waiting"), t.waiting);
    text($("t-longest"), t.longest_wait_min);
    text($("t-windows"), `${t.windows_open} / ${t.windows_paused} / ${t.windows_idle}`);
    text($("t-served"), t.served_today);
    text($("t-noshow"), t.no_shows_today + (t.bookings_missed ? " " + fill(T.bookings_missed, {n: t.bookings_missed}) : ""));
    text($("t-bookings"), `${t.bookings_today} / ${t.arrivals_today}`);
  }

  function renderOffice(d) {
    tiles(d);
    const paused = $("paused");
    if (paused) { paused.hidden = !d.paused_reason; paused.textContent = d.paused_reason ? fill(T.office_paused, {reason: d.paused_reason}) : ""; }
    const body = document.querySelector("#services tbody");
    body.replaceChildren();
    if (!d.services.length) { const tr = body.insertRow(); cell(tr, T.no_queue).colSpan = 3; }
    for (const s of d.services) { const tr = body.insertRow(); tr.dataset.service = s.service; cell(tr, s.service); cell(tr, s.waiting); cell(tr, s.longest_min); }
    const list = $("windows");
    list.replaceChildren();
    for (const w of d.windows) {
      const li = document.createElement("li");
      li.className = `win ${w.state}`; li.dataset.window = w.number; li.title = STATE[w.state] || w.state;
      li.textContent = w.number;
      list.appendChild(li);
    }
  }

  function renderCity(d) {
    tiles(d.total);
    const body = document.querySelector("#offices tbody");
    body.replaceChildren();
    for (const o of d.offices) {
      const tr = body.insertRow(); tr.dataset.office = o.office;
      const a = document.createElement("a"); a.href = `/admin/dashboard/${o.office}`; a.textContent = o.name;
      cell(tr, "").appendChild(a);
      if (o.paused_reason) { const b = document.createElement("span"); b.className = "badge danger"; b.textContent = T.paused; tr.cells[0].append(" ", b); }
      for (const v of [o.waiting, o.longest_wait_min, o.windows_open, o.windows_paused, o.windows_idle, o.served_today,
                       o.no_shows_today, `${o.bookings_today} / ${o.arrivals_today}`]) cell(tr, v);
    }
  }

  async function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      const r = await fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}, cache: "no-store"});
      if (!r.ok) throw new Error(String(r.status));
      const d = await r.json();
      (root.dataset.kind === "city" ? renderCity : renderOffice)(d);
      text($("updated"), new Date().toLocaleTimeString(T.locale));
      root.dataset.version = String(++version);
    } catch (e) {
      text($("updated"), T.refresh_failed);
    } finally {
      inFlight = false;
      if (again) { again = false; refresh(); }
    }
  }

  function nudge() { clearTimeout(timer); timer = setTimeout(refresh, 150); }

  const offices = root.dataset.kind === "city" ? (root.dataset.offices || "").split(",").filter(Boolean) : [root.dataset.office];
  let connected = 0;
  if (window.io) {
    for (const office of offices) {
      // One connection per office: the query names the room, so each needs its own (forceNew).
      const socket = io("/office", {query: {office}, forceNew: true, transports: ["websocket", "polling"]});
      socket.on("connect", () => { connected++; text($("live"), T.live); $("live").classList.add("ok"); nudge(); });
      socket.on("disconnect", () => { connected = Math.max(0, connected - 1); if (!connected) { text($("live"), T.offline); $("live").classList.remove("ok"); } });
      socket.on("queue", nudge);
    }
  }
  refresh();
  setInterval(refresh, 30000);
})();
