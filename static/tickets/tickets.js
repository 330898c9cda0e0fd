// Ticket page: SLA countdowns (business minutes, server-computed).
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
});
