// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // "Select all" checkbox for bulk actions on list pages.
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (b) { b.checked = box.checked; });
    });
  });
  // A select that submits its form when changed (the header's language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // The header's menu button below desktop width: opens and closes the navigation.
  document.querySelectorAll("[data-menu]").forEach(function (bar) {
    var button = bar.querySelector(".menu-toggle");
    if (!button) { return; }
    bar.classList.add("menu-ready");
    button.addEventListener("click", function () {
      var open = bar.classList.toggle("menu-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
});
