// The timetable's hour marks and bars are placed by data-left/data-width (in % of the day): the
// Content-Security-Policy refuses style="" attributes, but not styles set from a script file.
document.querySelectorAll(".timeline [data-left]").forEach(function (el) {
  el.style.left = el.dataset.left + "%";
  if (el.dataset.width) el.style.width = el.dataset.width + "%";
});
