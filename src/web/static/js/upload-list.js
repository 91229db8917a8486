// Uploads list: while uploads are queued or processing, polls their progress every 2 s
// (ingestion spec §2.3) and updates each row's bar, phase, rows and speed. When one reaches
// its result, the list is fetched again and its table swapped in place (no reload), so the
// final status, counts and quality show.
(() => {
  const table = document.getElementById('uploads-table');
  if (!table) return;
  const headers = { Accept: 'application/json', 'X-Payrixa-Background': '1' };

  async function refreshTable() {
    const response = await fetch(window.location.href, {
      credentials: 'same-origin',
      headers: { Accept: 'text/html', 'X-Payrixa-Background': '1' },
    });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
    const next = doc.getElementById('uploads-table');
    if (next) table.replaceChildren(...Array.from(next.childNodes).map((n) => document.importNode(n, true)));
  }

  async function poll() {
    const rows = Array.from(table.querySelectorAll('tr[data-progress-url]'));
    if (rows.length === 0) return;
    let changed = false;
    for (const row of rows) {
      const url = row.getAttribute('data-progress-url');
      if (!url) continue;
      try {
        const response = await fetch(url, { credentials: 'same-origin', headers });
        if (!response.ok) continue;
        const p = await response.json();
        if (p.status !== row.getAttribute('data-status')) {
          changed = true;
          continue;
        }
        const bar = row.querySelector('progress');
        if (bar) bar.value = p.percent;
        const set = (field, text) => {
          const el = row.querySelector(`[data-field="${field}"]`);
          if (el) el.textContent = text;
        };
        set('phase', p.phase_label);
        set('rows', `${p.rows_done} / ${p.rows_total ?? '?'}`);
        set('rps', p.rows_per_second === null ? '' : ` · ${p.rows_per_second} rows/s`);
      } catch {
        // Try again on the next tick.
      }
    }
    if (changed) await refreshTable().catch(() => {});
    window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 2000);
})();
