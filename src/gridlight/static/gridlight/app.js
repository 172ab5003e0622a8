// Small page behaviours, kept out of inline scripts so the Content-Security-Policy can forbid them.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.classList.contains("gl-confirm") && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (form.classList.contains("gl-upload")) {
    var busy = form.querySelector(".gl-busy");
    if (busy) { busy.hidden = false; }
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
  }
});
