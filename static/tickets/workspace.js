// The agent's workspace: the ticket page's composer (macros, counter, Ctrl+Enter, measured handling
// time, drafts kept across a failed send), who else has the ticket open, the queue tabs' live
// counts, and the keyboard (j/k, Enter, r, n, a, ?). Every page works without this file.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function csrf(form) {
    var input = (form || document).querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showKeys() {
    var dialog = document.getElementById("keys-help");
    if (dialog && !dialog.open) { dialog.showModal(); }
  }

  // --- Drafts: whatever is typed in a form survives a failed send ------------------------------
  function drafts(scope) {
    var store = window.sessionStorage;
    // Keyed by the page's subject, not its URL: a failed send answers at the form's own URL.
    var scope = document.querySelector("[data-draft-scope]");
    var prefix = "draft:" + (scope ? scope.dataset.draftScope : location.pathname) + ":";
    document.querySelectorAll("form[method=post] textarea").forEach(function (area) {
      var key = prefix + area.name;
      var form = area.form;
      var failed = form && form.querySelector(".errors, .errorlist");
      if (store.getItem(key + ":sent") !== null) {
        // Sent from this page last time: an error on the form keeps the draft, success drops it.
        if (!failed) { store.removeItem(key); }
        store.removeItem(key + ":sent");
      }
      var saved = store.getItem(key);
      if (!area.value.trim() && saved) { area.value = saved; }
      area.addEventListener("input", function () { store.setItem(key, area.value); });
      if (form) {
        form.addEventListener("submit", function () { store.setItem(key + ":sent", "1"); });
      }
    });
  }

  // --- The composer ------------------------------------------------------------------------------
  function composer() {
    var form = document.getElementById("composer-form");
    if (!form) { return; }
    var area = form.querySelector("textarea[name='compose-body']");
    var counter = form.querySelector(".counter");
    var minutes = form.querySelector("input[name='compose-handling_minutes']");
    var select = form.querySelector("select[name='compose-macro']");
    var texts = document.getElementById("macro-texts");
    var macros = texts ? JSON.parse(texts.textContent) : {};
    var max = parseInt(area.getAttribute("maxlength"), 10) || 0;

    function count() {
      if (!counter) { return; }
      counter.textContent = area.value.length + " / " + max;
      counter.classList.toggle("bad", max && area.value.length > max * 0.95);
    }
    function mode(value) {
      var radio = form.querySelector("input[name='compose-mode'][value='" + value + "']");
      if (radio) { radio.checked = true; }
      syncMode();
      area.focus();
    }
    function syncMode() {
      var checked = form.querySelector("input[name='compose-mode']:checked");
      var note = checked && checked.value === "note";
      form.classList.toggle("is-note", note);
      if (select) { select.disabled = note; }
    }
    form.querySelectorAll("input[name='compose-mode']").forEach(function (radio) {
      radio.addEventListener("change", syncMode);
    });
    syncMode();

    if (select) {
      select.addEventListener("change", function () {
        var text = macros[select.value];
        if (!text) { return; }
        // Into the box at the cursor, where the agent edits it before sending: never sent unseen.
        var start = area.selectionStart, end = area.selectionEnd, value = area.value;
        if (!value.trim()) {
          area.value = text;
        } else {
          var before = value.slice(0, start), after = value.slice(end);
          var glue = before && !/\n$/.test(before) ? "\n" : "";
          area.value = before + glue + text + after;
        }
        area.dispatchEvent(new Event("input", { bubbles: true }));
        area.focus();
      });
    }
    area.addEventListener("input", count);
    count();
    area.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });

    // Handling time: seconds the page was visible and in use (input within the last 2 minutes).
    if (minutes) {
      var active = 0, last = Date.now(), edited = minutes.value !== "";
      ["keydown", "mousemove", "mousedown", "scroll", "touchstart", "focus"].forEach(function (name) {
        window.addEventListener(name, function () { last = Date.now(); }, { passive: true, capture: true });
      });
      minutes.addEventListener("input", function () { edited = true; });
      form.addEventListener("submit", function () {
        if (!edited) { minutes.value = Math.max(1, Math.ceil(active / 60)); }
      });
      setInterval(function () {
        if (document.visibilityState === "visible" && Date.now() - last < 120000) {
          active += 1;
          if (!edited) { minutes.value = Math.max(1, Math.ceil(active / 60)); }
        }
      }, 1000);
    }

    document.addEventListener("keydown", function (event) {
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key === "r") { event.preventDefault(); mode("reply"); }
      if (event.key === "n") { event.preventDefault(); mode("note"); }
    });
    presence(form);
  }

  // --- Who else has it open --------------------------------------------------------------------
  function presence(form) {
    var url = form.dataset.presenceUrl;
    var badge = document.querySelector(".presence");
    var seen = form.querySelector("input[name='compose-seen']");
    if (!url || !badge || !window.fetch) { return; }
    var labels = document.getElementById("presence-labels");
    labels = labels ? JSON.parse(labels.textContent) : {};
    function beat() {
      var body = new URLSearchParams({ seen: seen ? seen.value : "" });
      fetch(url, { method: "POST", body: body, credentials: "same-origin",
                   headers: { "X-CSRFToken": csrf(form) } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var parts = [];
          if (data.others.length) { parts.push((labels.others || "") + " " + data.others.join(", ")); }
          if (data.new) { parts.push((labels.new || "").replace("%(n)s", data.new)); }
          badge.textContent = parts.join(" · ");
          badge.hidden = !parts.length;
        })
        .catch(function () {});
    }
    beat();
    setInterval(beat, 15000);
    window.addEventListener("pagehide", function () {
      if (navigator.sendBeacon) {
        var data = new FormData();
        data.append("leave", "1");
        data.append("csrfmiddlewaretoken", csrf(form));
        navigator.sendBeacon(url, data);
      }
    });
  }

  // --- Queue pages: live tab counts and the keyboard -------------------------------------------
  function queue() {
    var tabs = document.querySelector(".tabs[data-counts-url]");
    if (tabs && window.fetch) {
      var refresh = function () {
        fetch(tabs.dataset.countsUrl, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            if (!data) { return; }
            Object.keys(data.counts).forEach(function (key) {
              var el = tabs.querySelector("[data-count='" + key + "']");
              if (el) {
                var n = data.counts[key];
                el.textContent = n > data.cap ? data.cap + "+" : String(n);
                el.hidden = false;
              }
            });
          })
          .catch(function () {});
      };
      refresh();
      setInterval(refresh, 30000);
    }
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-ticket]"));
    if (!rows.length) { return; }
    var current = -1;
    function move(to) {
      if (current >= 0) { rows[current].classList.remove("kbd-current"); }
      current = Math.max(0, Math.min(rows.length - 1, to));
      rows[current].classList.add("kbd-current");
      rows[current].scrollIntoView({ block: "nearest" });
    }
    document.addEventListener("keydown", function (event) {
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key === "j") { event.preventDefault(); move(current + 1); }
      else if (event.key === "k") { event.preventDefault(); move(current - 1); }
      else if (event.key === "Enter" && current >= 0) {
        var link = rows[current].querySelector("a[href]");
        if (link) { event.preventDefault(); location.href = link.href; }
      } else if (event.key === "a" && current >= 0) {
        var take = rows[current].querySelector("[data-take]");
        if (take) { event.preventDefault(); take.click(); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drafts();
    composer();
    queue();
    document.querySelectorAll("[data-keys-help]").forEach(function (button) {
      button.addEventListener("click", showKeys);
    });
    document.addEventListener("keydown", function (event) {
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key === "?") { event.preventDefault(); showKeys(); }
      if (event.key === "a" && !document.querySelector("tr[data-ticket]")) {
        var take = document.querySelector("[data-take]");
        if (take) { event.preventDefault(); take.click(); }
      }
    });
  });
})();
