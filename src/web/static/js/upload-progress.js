// Upload detail page: polls the upload's progress every 2 s (ingestion spec §2.3) and reloads
// the page once the upload reaches a final status, so the result and quality report show.
(() => {
  const box = document.getElementById('upload-progress');
  if (!box) return;
  const url = box.getAttribute('data-progress-url');
  if (!url) return;
  const FINAL = ['success', 'partial', 'failed'];
  const setText = (id, value) => {
    const el = document.getElementById(id);
    if (el) el.textContent = String(value);
  };
  let lastStatus = null;
  async function poll() {
    try {
      const response = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-Payrixa-Background': '1' },
      });
      if (response.ok) {
        const p = await response.json();
        const bar = document.getElementById('upload-progress-bar');
        if (bar) {
          bar.value = p.percent;
          bar.textContent = `${p.percent}%`;
        }
        setText('upload-rows-done', p.rows_done);
        setText('upload-rows-total', p.rows_total ?? '?');
        setText('upload-percent', p.percent);
        setText('upload-rps', p.rows_per_second ?? 0);
        if (FINAL.includes(p.status) || (lastStatus !== null && p.status !== lastStatus)) {
          window.location.reload();
          return;
        }
        lastStatus = p.status;
      }
    } catch {
      // Network hiccup: try again on the next tick.
    }
    window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 1000);
})();
