// The agent's call screen: one call at a time, everything by keyboard.
// Routine call: Enter (pick up), category key, type the question, Enter (link the top
// answer), Enter (save and hang up) = 4 keys beyond the free text.
(function () {
  "use strict";
  const form = document.getElementById("call-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const categories = $("categories");
  const question = $("question");
  const answersList = $("answers");
  const outcomes = $("outcomes");
  const state = $("state");
  const timer = $("timer");
  const categoryKeys = {};
  categories.querySelectorAll("li[data-key]").forEach((li) => {
    if (li.dataset.key) categoryKeys[li.dataset.key] = li;
  });
  const outcomeKeys = {};
  outcomes.querySelectorAll("input[name=outcome]").forEach((input) => {
    outcomeKeys[input.value[0]] = input;
  });

  let pickedUpAt = null;
  let tick = null;
  let answers = [];
  let selected = 0;
  let searchSerial = 0;
  let searchTimer = null;

  function say(text) { state.textContent = text; }
  function elapsedSeconds() { return pickedUpAt ? Math.round((performance.now() - pickedUpAt) / 1000) : 0; }
  function showTimer() {
    const s = elapsedSeconds();
    timer.textContent = String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }

  function pickUp() {
    pickedUpAt = performance.now();
    tick = setInterval(showTimer, 250);
    showTimer();
    form.classList.add("in-call");
    say(gettext("In call — press the category's key"));
    categories.focus();
  }

  function chooseCategory(li) {
    categories.querySelectorAll("li").forEach((x) => x.classList.toggle("chosen", x === li));
    $("category-input").value = li.dataset.code;
    say(interpolate(gettext("Category: %(category)s — type the question"), { category: li.textContent.trim() }, true));
    question.focus();
    search();
  }

  function chooseOutcome(input) {
    input.checked = true;
    const value = input.value;
    outcomes.querySelectorAll(".follow-up").forEach((panel) => { panel.hidden = panel.dataset.for !== value; });
    const panel = outcomes.querySelector('.follow-up[data-for="' + value + '"]');
    if (value === "call_back" && !$("callback-due").value) $("callback-due").value = inTwoHours();
    // The intervention is written for the crew: the caller's words stay in the call.
    if (panel) panel.querySelector("input, select").focus();
  }

  function inTwoHours() {
    const due = new Date(Date.now() + 2 * 3600 * 1000);
    due.setMinutes(due.getMinutes() - due.getTimezoneOffset());
    return due.toISOString().slice(0, 16);
  }

  // --- Approved answers, searched as the agent types --------------------------------
  let stale = false;  // the text changed since the answers shown were searched

  function search() {
    stale = true;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 60);
  }

  async function runSearch() {
    const serial = ++searchSerial;
    const params = new URLSearchParams({ q: question.value.slice(0, 100), category: $("category-input").value });
    const response = await fetch(form.dataset.answersUrl + "?" + params, { headers: { Accept: "application/json" } });
    if (!response.ok || serial !== searchSerial) return;
    const found = (await response.json()).answers;
    if (serial !== searchSerial) return;
    stale = false;
    answers = found;
    selected = 0;
    renderAnswers();
  }

  function renderAnswers() {
    answersList.replaceChildren(...answers.map((a, i) => {
      const li = document.createElement("li");
      li.className = i === selected ? "selected" : "";
      const title = document.createElement("strong");
      title.textContent = a.title + " (v" + a.version + ", " + a.source + ")";
      const body = document.createElement("p");
      body.textContent = a.body;
      li.append(title, body);
      li.addEventListener("click", () => { selected = i; linkAnswer(); });
      return li;
    }));
    answersList.dataset.count = answers.length;
  }

  async function linkAnswer() {
    // Enter pressed faster than the search: link what matches the text typed, not older hits.
    if (stale) { clearTimeout(searchTimer); await runSearch(); }
    const answer = answers[selected];
    if (answer) {
      $("article-input").value = answer.id;
      const linked = $("linked");
      linked.hidden = false;
      linked.textContent = interpolate(gettext("Linked: %(title)s (v%(version)s)"), { title: answer.title, version: answer.version }, true);
    }
    say(gettext("Outcome — a/t/c/i/r, Enter saves"));
    outcomes.focus();
  }

  // --- Saving ---------------------------------------------------------------------------
  async function save() {
    if (!pickedUpAt) return;
    $("handling-input").value = elapsedSeconds();
    const errors = $("errors");
    errors.replaceChildren();
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const list = Object.entries(body.errors || { __all__: [interpolate(gettext("Not saved (%(status)s)"), { status: response.status }, true)] });
      errors.replaceChildren(...list.map(([field, messages]) => {
        const li = document.createElement("li");
        li.textContent = field + ": " + messages.join(" ");
        return li;
      }));
      say(gettext("Not saved — fix and press Ctrl+Enter"));
      return;
    }
    const seconds = body.call.handling_seconds;
    const done = document.createElement("li");
    // Names as the agent reads them on the desk, not the codes stored.
    done.dataset.call = body.call.id;
    done.textContent = "#" + body.call.id + " " + body.call.category_name + " · " + body.call.outcome_label + " · " + seconds + " s" + (body.intervention ? " · " + body.intervention : "");
    $("logged").prepend(done);
    const today = $("calls-today");
    today.dataset.count = body.calls_today;
    today.textContent = body.calls_today_text;
    $("message").textContent = interpolate(gettext("Call #%(id)s logged in %(seconds)s s"), { id: body.call.id, seconds }, true);
    reset();
  }

  function reset() {
    clearInterval(tick);
    pickedUpAt = null;
    const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
    form.reset();
    document.getElementById("intervention-place").textContent = "";
    form.querySelector("[name=csrfmiddlewaretoken]").value = csrf;
    ["category-input", "article-input"].forEach((id) => { $(id).value = ""; });
    categories.querySelectorAll("li").forEach((x) => x.classList.remove("chosen"));
    outcomes.querySelectorAll(".follow-up").forEach((panel) => { panel.hidden = true; });
    $("linked").hidden = true;
    answers = [];
    renderAnswers();
    form.classList.remove("in-call");
    timer.textContent = "00:00";
    say(gettext("Waiting — press Enter to pick up"));
    document.activeElement && document.activeElement.blur();
  }

  // --- The keyboard ---------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    const key = event.key;
    if (!pickedUpAt) {
      if (key === "Enter" && !event.target.closest("nav, .topbar")) { event.preventDefault(); pickUp(); }
      return;
    }
    if (key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(); return; }
    if (event.altKey && !event.ctrlKey) {
      const lower = key.toLowerCase();
      if (lower === "i") { event.preventDefault(); $("identity").open = true; $("caller-name").focus(); return; }
      if (lower === "d") { event.preventDefault(); $("identity").open = true; $("district").focus(); return; }
      const li = categoryKeys[lower] || categoryKeys[event.code.replace(/^Digit/, "")];
      if (li) { event.preventDefault(); chooseCategory(li); }
      return;
    }
    if (key === "Escape") { event.preventDefault(); outcomes.focus(); say(gettext("Outcome — a/t/c/i/r, Enter saves")); return; }
    const target = event.target;
    if (target === categories) {
      const li = categoryKeys[key.toLowerCase()];
      if (li) { event.preventDefault(); chooseCategory(li); }
      return;
    }
    if (target === question) {
      if (key === "ArrowDown" && answers.length) { event.preventDefault(); selected = (selected + 1) % answers.length; renderAnswers(); }
      else if (key === "ArrowUp" && answers.length) { event.preventDefault(); selected = (selected - 1 + answers.length) % answers.length; renderAnswers(); }
      else if (key === "Enter" && !event.shiftKey) { event.preventDefault(); linkAnswer(); }
      return;
    }
    if (target === outcomes) {
      if (key === "Enter") { event.preventDefault(); save(); return; }
      const input = outcomeKeys[key.toLowerCase()];
      if (input) { event.preventDefault(); chooseOutcome(input); }
      return;
    }
    // In a follow-up or caller field, Enter saves (the checkboxes take Space).
    if (key === "Enter" && target.matches("input, select")) { event.preventDefault(); save(); }
  });

  question.addEventListener("input", search);
  form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
  // The address box placed the intervention: say where, so the agent can check it.
  const place = document.getElementById("intervention-place");
  form.addEventListener("address:chosen", (event) => {
    place.textContent = interpolate(gettext("Placed at %(label)s (%(latitude)s, %(longitude)s)."), {
      label: event.detail.label,
      latitude: event.detail.latitude.toFixed(5),
      longitude: event.detail.longitude.toFixed(5),
    }, true);
  });
  document.getElementById("intervention-address").addEventListener("input", () => { place.textContent = ""; });
})();
