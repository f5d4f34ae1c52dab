// A form with data-confirm="question" asks before it is sent. (An inline onsubmit= would be refused by
// the Content-Security-Policy, which lets only script files from this site run.)
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
