// The operator's workstation: one big "Next" button, keyboard shortcuts, live queue.
(function () {
  "use strict";
  const root = document.getElementById("workstation");
  const windowId = root.dataset.window, office = root.dataset.office, token = root.dataset.token;
  const $ = (id) => document.getElementById(id);
  // The visible strings come translated from the page (templates/operator/workstation.html).
  const T = JSON.parse($("ws-i18n").textContent);
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_m, k) => (values[k] === undefined ? "" : values[k]));
  let current = null, myServices = [];

  async function api(method, path, body) {
    const r = await fetch("/api/v1" + path, {
      method, headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (r.status === 204) return null;
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((data.error && data.error.message) || r.statusText);
    return data;
  }

  function say(text) { $("message").textContent = text || ""; }

  function showCurrent(t) {
    current = t && ["called", "serving"].includes(t.status) ? t : null;
    $("current-number").textContent = current ? current.number : "—";
    $("current-service").textContent = current ? current.service : "";
    $("current-status").textContent = current ? (T.status[current.status] || current.status) : "";
  }

  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

  // A priority category, marked once the administrator has seen the document (or cleared).
  function priorityCell(w) {
    const td = document.createElement("td"), sel = document.createElement("select");
    sel.setAttribute("aria-label", fill(T.priority_for, {number: w.number}));
    sel.append(new Option("—", ""));
    for (const p of T.priorities) sel.append(new Option(p.name, p.code, false, p.code === w.category));
    sel.onchange = () => act(() => api("POST", `/tickets/${w.id}/priority`, {category: sel.value || null}));
    td.append(sel);
    return td;
  }

  async function refresh() {
    const q = await api("GET", `/offices/${office}/queue`);
    const me = q.windows.find((w) => String(w.id) === windowId);
    myServices = me ? me.services : [];
    showCurrent(me && me.ticket);
    $("paused-banner").hidden = !(me && me.paused_reason) && !q.paused_reason;
    $("paused-banner").textContent = q.paused_reason ? fill(T.office_paused, {reason: q.paused_reason})
      : (me && me.paused_reason ? fill(T.window_paused, {reason: me.paused_reason}) : "");
    const body = $("waiting"); body.replaceChildren();
    for (const w of q.waiting.filter((w) => myServices.includes(w.service))) {
      const tr = document.createElement("tr");
      tr.append(cell(w.number + (w.priority ? " ★" : "") + (w.booked_at ? " ⏰" + w.booked_at : "")), cell(w.service), cell(w.waited_min));
      tr.append(priorityCell(w));
      const td = document.createElement("td"), b = document.createElement("button");
      b.textContent = T.call; b.onclick = () => act(() => api("POST", `/windows/${windowId}/call/${w.id}`));
      td.append(b); tr.append(td); body.append(tr);
    }
    const arrivals = $("arrivals"); arrivals.replaceChildren();
    for (const a of q.arrivals) { const li = document.createElement("li"); li.textContent = `${a.start} · ${a.service} · ${a.code}`; arrivals.append(li); }
  }

  async function act(fn) {
    try { const r = await fn(); say(r && r.ticket ? "" : (r === null ? T.queue_empty : "")); } catch (e) { say(e.message); }
    refresh().catch((e) => say(e.message));
  }

  const next = () => act(() => api("POST", `/windows/${windowId}/call-next`));
  const onTicket = (action) => () => current ? act(() => api("POST", `/tickets/${current.id}/${action}`)) : say(T.no_current);
  $("btn-next").onclick = next;
  $("btn-recall").onclick = onTicket("recall");
  $("btn-start").onclick = onTicket("start");
  $("btn-complete").onclick = onTicket("complete");
  $("btn-noshow").onclick = onTicket("no-show");
  $("transfer").onsubmit = (e) => {
    e.preventDefault();
    if (!current) return say(T.no_current);
    const s = $("transfer-service").value, w = $("transfer-window").value;
    act(() => api("POST", `/tickets/${current.id}/transfer`, s ? {service: s} : {window: Number(w)}));
  };
  $("pause").onsubmit = (e) => { e.preventDefault(); act(() => api("POST", `/windows/${windowId}/pause`, {reason: $("pause-reason").value || T.default_pause_reason})); };
  $("btn-resume").onclick = () => act(() => api("POST", `/windows/${windowId}/resume`, {}));

  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, select, textarea")) return;
    const keys = {n: next, " ": next, r: onTicket("recall"), s: onTicket("start"), c: onTicket("complete"), x: onTicket("no-show"),
                  p: () => $("pause").requestSubmit()};
    const f = keys[e.key.toLowerCase()];
    if (f) { e.preventDefault(); f(); }
  });

  if (window.io) {
    const socket = io("/office", {query: {office}});
    socket.on("queue", () => refresh().catch(() => {}));
    socket.on("connect", () => refresh().catch(() => {}));
  }
  refresh().catch((e) => say(e.message));
  setInterval(() => refresh().catch(() => {}), 30000);  // a fallback if the socket is down
})();
