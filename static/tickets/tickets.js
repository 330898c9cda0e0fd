// Ticket page: SLA countdowns (business minutes, server-computed) and the macro preview.
document.addEventListener("DOMContentLoaded", function () {
  function show(el, minutes) {
    var abs = Math.abs(minutes), h = Math.floor(abs / 60), m = abs % 60;
    var text = (h ? h + " " + el.dataset.h + " " + String(m).padStart(2, "0") : m) + " " + el.dataset.min;
    el.textContent = text + " " + (minutes < 0 ? el.dataset.over : el.dataset.left);
    el.classList.toggle("bad", minutes < 0);
  }
  var ticking = Array.prototype.filter.call(document.querySelectorAll(".countdown"), function (el) {
    return el.dataset.ticking === "1";
  });
  if (ticking.length) {
    // The server says the calendar is open now; count down until the next page load refreshes it.
    setInterval(function () {
      ticking.forEach(function (el) {
        var left = parseInt(el.dataset.remaining, 10) - 1;
        el.dataset.remaining = left;
        show(el, left);
      });
    }, 60000);
  }
  var texts = document.getElementById("macro-texts");
  var select = document.querySelector("select[name='reply-macro']");
  var preview = document.querySelector(".macro-preview");
  if (texts && select && preview) {
    var macros = JSON.parse(texts.textContent);
    select.addEventListener("change", function () {
      var text = macros[select.value];
      preview.textContent = text || "";
      preview.hidden = !text;
    });
  }
});
