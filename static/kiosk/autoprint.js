// The printable ticket opened with ?autoprint=1 (in the kiosk's hidden frame): print once it is laid out.
// Under Chromium's --kiosk-printing this goes straight to the default printer, without a dialog.
window.addEventListener("load", function () {
  setTimeout(function () {
    try { window.print(); } catch (e) { /* the ticket stays on the kiosk's screen */ }
    try { window.parent.postMessage({ kiosk: "printed", ticket: document.getElementById("paper-ticket").dataset.ticket }, window.location.origin); } catch (e) {}
  }, 50);
});
