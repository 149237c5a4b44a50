// Live progress of a crisis mode activation: polls the activation and updates the counts.
(function () {
  const box = document.getElementById("progress");
  if (!box) return;
  const field = (name) => box.querySelector(`[data-field="${name}"]`);
  async function refresh() {
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const progress = (await response.json()).progress;
      for (const name of ["acknowledged", "total", "pending", "failed"]) {
        field(name).textContent = progress[name];
      }
      const bar = box.querySelector("progress");
      bar.max = progress.total || 1;
      bar.value = progress.acknowledged;
      const list = field("failures");
      list.replaceChildren(
        ...progress.failures.map((failure) => {
          const item = document.createElement("li");
          item.textContent = `${failure.equipment}: ${failure.error || failure.status}`;
          return item;
        }),
      );
    } finally {
      setTimeout(refresh, 2000);
    }
  }
  setTimeout(refresh, 2000);
})();
