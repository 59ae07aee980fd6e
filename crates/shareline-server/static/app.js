// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-confirm]");
  if (b && !window.confirm(b.dataset.confirm)) e.preventDefault();
});
// Live scan progress: poll the API while the scan runs.
(function () {
  const box = document.getElementById("scan");
  if (!box || box.dataset.running !== "true") return;
  const set = (id, v) => { const el = document.getElementById(id); if (el) el.textContent = v; };
  const tick = async () => {
    try {
      const r = await fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!r.ok) return;
      const j = await r.json();
      const bar = document.getElementById("scan-progress");
      if (bar) { bar.max = Math.max(j.planned, 1); bar.value = j.done; }
      set("scan-done", j.done); set("scan-planned", j.planned); set("scan-failed", j.failed);
      set("scan-message", j.message);
      const st = document.getElementById("scan-status");
      if (st) { st.textContent = j.status; st.className = "tag " + j.status; }
      if (j.status === "queued" || j.status === "running") setTimeout(tick, 1000);
      else window.location.reload();
    } catch (_) { setTimeout(tick, 3000); }
  };
  setTimeout(tick, 1000);
})();
