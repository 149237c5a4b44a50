// Live progress of a crisis mode's plan (applying it, or restoring afterwards): polls the
// activation and updates the counts, the problem line, the failures, the retry button and,
// while applying, each step's status. Fast while commands are still out, slow once settled.
(function () {
  const box = document.getElementById("progress");
  if (!box) return;
  const phase = box.dataset.phase;
  const field = (name) => box.querySelector(`[data-field="${name}"]`);

  function show(progress) {
    for (const name of ["acknowledged", "total", "sent", "pending", "failed"]) {
      field(name).textContent = progress[name];
    }
    const bar = box.querySelector("progress");
    bar.max = progress.total || 1;
    bar.value = progress.acknowledged;
    const problem = field("problem");
    problem.textContent = progress.error
      ? interpolate(gettext("Sending stopped: %(error)s"), { error: progress.error }, true)
      : progress.stalled
        ? gettext("Sending has stalled: no batch for a while.")
        : progress.cut_short
          ? interpolate(gettext("%(n)s commands were not sent: the mode ended first."), { n: progress.cut_short }, true)
          : "";
    problem.hidden = !problem.textContent;
    // Operators follow progress; only those who may switch modes get the retry button.
    const retry = field("retry");
    if (retry) retry.hidden = !(progress.failed || progress.error || progress.stalled);
    field("failures").replaceChildren(
      ...progress.failures.map((failure) => {
        const item = document.createElement("li");
        item.textContent = `${failure.equipment}: ${failure.error || failure.status}`;
        return item;
      }),
    );
  }

  // A playbook step's status words (supervision/crisis/services.py STEP_STATUSES).
  const STEP_STATUS = {
    pending: gettext("pending"), sending: gettext("sending"), queued: gettext("queued"), sent: gettext("sent"),
    done: gettext("done"), "sent in part: some expired": gettext("sent in part: some expired"),
    "stopped: the mode ended first": gettext("stopped: the mode ended first"),
  };

  function showSteps(steps) {
    for (const step of steps) {
      const item = document.querySelector(`#steps li[data-position="${step.position}"]`);
      if (!item) continue;
      item.querySelector('[data-step="status"]').textContent = STEP_STATUS[step.status] || step.status;
      const sent = item.querySelector('[data-step="sent"]');
      if (sent) sent.textContent = step.sent;
    }
  }

  async function refresh() {
    let busy = true;
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const activation = await response.json();
      const progress = phase === "restore" ? activation.restore : activation.progress;
      if (!progress) return;
      show(progress);
      if (phase === "apply") showSteps(activation.steps);
      busy = progress.pending > 0 || progress.sending;
    } finally {
      setTimeout(refresh, busy ? 1000 : 5000);
    }
  }
  setTimeout(refresh, 500);
})();
