// Parley review page: each evidence quote (and each utterance time) plays the call from that moment.
// Event delegation on the document, so it keeps working after htmx swaps parts of the page.
document.addEventListener("click", function (event) {
  var el = event.target.closest("[data-start]");
  if (!el || el.tagName === "TR") return;
  var audio = document.getElementById("call-audio");
  var start = parseFloat(el.getAttribute("data-start"));
  if (!audio || isNaN(start)) return;
  document.querySelectorAll(".playing").forEach(function (p) { p.classList.remove("playing"); });
  el.classList.add("playing");
  // seeking needs the server to answer HTTP Range requests (FileResponse does)
  audio.currentTime = start;
  var played = audio.play();
  if (played && played.catch) played.catch(function () { /* autoplay refused: the position is set */ });
});
