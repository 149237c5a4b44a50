/* Events log page: "Correct" turns the note form into a correction of that entry. */
(function () {
  "use strict";
  const form = document.getElementById("note-form");
  if (!form) return;
  const hidden = form.querySelector("input[name=correction_of]");
  const banner = document.getElementById("correcting");
  for (const button of document.querySelectorAll("button.correct")) {
    button.addEventListener("click", () => {
      hidden.value = button.dataset.seq;
      banner.querySelector("span").textContent = button.dataset.seq;
      banner.hidden = false;
      form.querySelector("textarea").focus();
    });
  }
  document.getElementById("cancel-correction").addEventListener("click", () => {
    hidden.value = "";
    banner.hidden = true;
  });
})();
