// Poll the import's status while it runs; fill the progress bar and counters. The page works without it.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "1") { return; }
  var bar = box.querySelector("progress");
  function show(data) {
    bar.value = data.percent;
    box.querySelectorAll("[data-field]").forEach(function (el) {
      if (data[el.dataset.field] !== undefined) { el.textContent = data[el.dataset.field]; }
    });
    var status = box.querySelector("[data-testid=import-status]");
    status.textContent = data.status_display;
    status.dataset.status = data.status;
  }
  function poll() {
    fetch(box.dataset.statusUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        show(data);
        if (data.finished) { document.getElementById("import-reload").hidden = false; window.location.reload(); }
        else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
});
