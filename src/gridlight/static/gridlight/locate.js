// "Use my location" on the intake form: the browser's position into the hidden latitude and
// longitude fields (the server places the problem in the nearest grid). Our own file, no CDN.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-locate-button]");
  if (!button) { return; }
  var box = button.closest("[data-locate]");
  var status = box.querySelector("[data-locate-status]");
  var form = button.closest("form");
  var lat = form.querySelector("input[name=latitude]");
  var lon = form.querySelector("input[name=longitude]");
  if (!navigator.geolocation) { status.textContent = box.dataset.failed; return; }
  status.textContent = box.dataset.waiting;
  button.disabled = true;
  navigator.geolocation.getCurrentPosition(function (position) {
    lat.value = position.coords.latitude.toFixed(6);
    lon.value = position.coords.longitude.toFixed(6);
    status.textContent = box.dataset.found.replace("{lat}", lat.value).replace("{lon}", lon.value);
    button.disabled = false;
  }, function () {
    status.textContent = box.dataset.failed;
    button.disabled = false;
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
});
