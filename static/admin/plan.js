/* Follow running plan jobs: poll their status until done or failed, then reload to list the new days. */
(function () {
  "use strict";
  // The state names come translated from the page (templates/admin/plan.html).
  const i18n = document.getElementById("plan-i18n");
  const LABEL = i18n ? JSON.parse(i18n.textContent) : {};
  const rows = Array.from(document.querySelectorAll("#jobs tr[data-job]"))
    .filter((tr) => tr.dataset.state === "queued" || tr.dataset.state === "running");
  if (!rows.length) return;
  async function poll() {
    let pending = 0, finished = 0;
    for (const tr of rows) {
      if (tr.dataset.state === "done" || tr.dataset.state === "failed") continue;
      try {
        const r = await fetch(`/admin/plan-jobs/${tr.dataset.job}.json`, {credentials: "same-origin"});
        const s = await r.json();
        tr.dataset.state = s.state;
        tr.querySelector(".state").textContent = LABEL[s.state] || s.state;
        tr.querySelector(".message").textContent = s.message || "";
        if (s.state === "done" || s.state === "failed") finished++; else pending++;
      } catch (e) { pending++; }
    }
    if (finished) { setTimeout(() => location.reload(), 800); return; }
    if (pending) setTimeout(poll, 2000);
  }
  setTimeout(poll, 1500);
})();
