// Keeps the header's unread count current: asks /inbox/unread/ every few seconds while the page
// is visible (a plain GET; the server's workers are synchronous, so no open connection is held).
(function () {
  var link = document.querySelector("[data-unread-url]");
  if (!link) { return; }
  var url = link.dataset.unreadUrl;
  var seconds = parseInt(link.dataset.pollSeconds, 10) || 30;
  var badges = document.querySelectorAll("[data-unread]");
  var baseTitle = document.title;

  function show(count) {
    badges.forEach(function (badge) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
    });
    document.title = count ? "(" + count + ") " + baseTitle : baseTitle;
  }

  function poll() {
    if (document.visibilityState === "hidden") { return; }
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && typeof data.unread === "number") { show(data.unread); } })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  window.setInterval(poll, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { poll(); }
  });
})();
