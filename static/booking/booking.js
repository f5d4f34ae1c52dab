// Booking pages: the hold countdown and the «copy link» button. The pages work without it.
(function () {
  document.querySelectorAll("[data-expires-in]").forEach(function (box) {
    var left = parseInt(box.getAttribute("data-expires-in"), 10) || 0;
    var out = box.querySelector(".countdown");
    var timer = setInterval(function () {
      left = Math.max(0, left - 1);
      if (out) out.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left === 0) { clearInterval(timer); box.classList.add("expired"); }
    }, 1000);
  });
  document.querySelectorAll("button.copy[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      if (navigator.clipboard) navigator.clipboard.writeText(btn.getAttribute("data-copy"));
    });
  });
})();
