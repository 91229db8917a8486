// Uploads list: while an upload is queued or processing, polls its progress every 2 s
// (ingestion spec §2.3) and updates its bar; reloads the page once its status changes, so the
// final status, counts and quality show.
(() => {
  const rows = Array.from(document.querySelectorAll('tr[data-progress-url]'));
  if (rows.length === 0) return;
  async function poll() {
    for (const row of rows) {
      const url = row.getAttribute('data-progress-url');
      const before = row.getAttribute('data-status');
      if (!url) continue;
      try {
        const response = await fetch(url, {
          credentials: 'same-origin',
          headers: { Accept: 'application/json', 'X-Payrixa-Background': '1' },
        });
        if (!response.ok) continue;
        const p = await response.json();
        if (p.status !== before) {
          window.location.reload();
          return;
        }
        const bar = row.querySelector('progress');
        if (bar) bar.value = p.percent;
      } catch {
        // Try again on the next tick.
      }
    }
    window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 2000);
})();
