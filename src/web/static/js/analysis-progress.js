// Reports page after "Run analysis now": polls the runs that have not finished every second
// and lists what each is doing; when none is left, the page's content is fetched again and
// swapped in place (no reload), so the finished runs show. The flash of the request that
// started them is dropped then: the page itself shows the outcome.
(() => {
  const box = document.getElementById('analysis-progress');
  const container = document.getElementById('reports-page');
  if (!box || !container) return;
  const url = box.getAttribute('data-progress-url');
  const list = document.getElementById('analysis-progress-list');
  if (!url) return;

  async function showResults() {
    const response = await fetch(window.location.href, {
      credentials: 'same-origin',
      headers: { Accept: 'text/html', 'X-Payrixa-Background': '1' },
    });
    if (!response.ok) throw new Error(`page answered ${response.status}`);
    const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
    const next = doc.getElementById('reports-page');
    if (!next) throw new Error('no reports page in the answer');
    container.replaceChildren(...Array.from(next.childNodes).map((n) => document.importNode(n, true)));
    for (const flash of Array.from(document.querySelectorAll('.flashes'))) flash.remove();
  }

  async function poll() {
    try {
      const response = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-Payrixa-Background': '1' },
      });
      if (response.ok) {
        const p = await response.json();
        if (p.done) {
          await showResults();
          return;
        }
        if (list) {
          list.replaceChildren(
            ...p.pending.map((run) => {
              const item = document.createElement('li');
              item.textContent = `${run.product} (as of ${run.as_of}): ${run.phase_label}`;
              return item;
            }),
          );
        }
      }
    } catch {
      // Try again on the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 300);
})();
