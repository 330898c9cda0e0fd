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

  function reveal(button) {
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
        button.remove();
      });
    }).catch(function (error) {
      button.disabled = false;
      button.classList.add("pii-refused");
      button.title = error.message;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".pii[data-pii-url] .pii-show").forEach(function (button) { button.hidden = false; });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".pii[data-pii-url] .pii-show");
    if (button) {
      event.preventDefault();
      reveal(button);
    }
  });
}());
