// The dashboard's only script, loaded from the server so that the Content
// Security Policy can forbid inline scripts. Every form works without it;
// it adds copy buttons and checks JSON before a form is sent.
document.querySelectorAll("[data-copy]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () {
    var f = document.getElementById(b.dataset.copy);
    f.select();
    (navigator.clipboard ? navigator.clipboard.writeText(f.value) : Promise.reject()).then(
      function () { b.textContent = "Copied"; }, function () { document.execCommand("copy"); b.textContent = "Copied"; });
  });
});
document.querySelectorAll("form[data-json]").forEach(function (f) {
  f.addEventListener("submit", function (e) {
    var t = document.getElementById(f.dataset.json), out = document.getElementById(f.dataset.json + "-error");
    try { JSON.parse(t.value); out.hidden = true; }
    catch (err) { e.preventDefault(); out.textContent = "This is not valid JSON: " + err.message; out.hidden = false; t.focus(); }
  });
});
