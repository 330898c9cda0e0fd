// Live node stepper: poll the job's small JSON endpoint every ~20 s and redraw the steps in place.
(function () {
  "use strict";
  function redraw(box, data) {
    var list = box.querySelector(".install-stepper");
    if (!list) return;
    list.setAttribute("data-node", data.node);
    data.steps.forEach(function (step) {
      var item = list.querySelector('.step[data-node="' + step.node + '"]');
      if (!item) return;
      item.className = "step " + step.state;
      item.querySelector(".when").textContent = step.at;
      item.querySelector(".who").textContent = step.actor;
    });
    var off = box.querySelector(".install-off-path");
    if (off) {
      off.hidden = !data.off_path;
      if (data.off_path) {
        var badge = off.querySelector(".status");
        badge.textContent = data.off_path.label;
        badge.className = "status " + (data.off_path.node === "failed" ? "bad" : data.off_path.node === "cancelled" ? "muted" : "warn");
        off.querySelector(".when").textContent = data.off_path.at;
        off.querySelector(".who").textContent = data.off_path.actor;
        off.querySelector(".reason").textContent = data.off_path.reason || "";
      }
    }
    var appointment = box.querySelector('[data-field="appointment"]');
    if (appointment) appointment.textContent = data.appointment[0] ? data.appointment[0] + " – " + data.appointment[1] : "—";
    var technician = box.querySelector('[data-field="technician"]');
    if (technician) technician.textContent = data.technician || "—";
  }
  function start(box) {
    var url = box.getAttribute("data-poll-url");
    var seconds = parseInt(box.getAttribute("data-poll-seconds") || "20", 10);
    function poll() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) redraw(box, data); })
        .catch(function () { /* try again at the next tick */ });
    }
    box.installationPoll = poll;
    setInterval(poll, seconds * 1000);
  }
  function init() { document.querySelectorAll(".install-live[data-poll-url]").forEach(start); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
