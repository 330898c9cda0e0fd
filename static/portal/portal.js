// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // "Select all" checkbox for bulk actions on list pages.
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (b) { b.checked = box.checked; });
    });
  });
});
