// The "show" button next to a masked phone, address or name (portal/pii.py renders them hidden).
// Without this file the masked value simply stays; with it, a click POSTs to the reveal endpoint,
// which records the access, and the answer replaces the masked value.
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function reveal(button, then) {
    var holder = button.closest(".pii");
    var body = new URLSearchParams({
      model: holder.dataset.piiObject,
      id: holder.dataset.piiId,
      field: holder.dataset.piiField,
      page: window.location.pathname
    });
    button.disabled = true;
    fetch(holder.dataset.piiUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"},
      body: body
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok || typeof data.value !== "string") { throw new Error(data.detail || response.statusText); }
        holder.querySelector(".pii-value").textContent = data.value;
        holder.classList.add("pii-revealed");
        var show = holder.querySelector(".pii-show");
        if (show) { show.remove(); }
        if (then) { then(data.value, holder); } else { button.remove(); }
      });
    }).catch(function (error) {
      button.disabled = false;
      button.classList.add("pii-refused");
      button.title = error.message;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".pii[data-pii-url] .pii-show, .pii[data-pii-url] .pii-call").forEach(function (button) {
      button.hidden = false;
    });
  });
  // Click-to-call: reveal (recorded), then dial; an extension ("17012345678-1234") after a pause.
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".pii[data-pii-url] .pii-call");
    if (!link) { return; }
    event.preventDefault();
    if (link.dataset.tel) { window.location.href = link.dataset.tel; return; }
    reveal(link, function (value) {
      var tel = "tel:" + value.replace(/-/g, ",").replace(/[^0-9+,]/g, "");
      link.dataset.tel = tel;
      link.setAttribute("href", tel);
      window.location.href = tel;
    });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".pii[data-pii-url] .pii-show");
    if (button) {
      event.preventDefault();
      reveal(button);
    }
  });
}());
