// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // "Select all" checkbox for bulk actions on list pages.
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (b) { b.checked = box.checked; });
    });
  });
  // A select that submits its form when changed (the language switch); no inline handlers (CSP).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
});
