// Upload page: polls the upload's progress every second (ingestion spec §2.3) and updates the
// phase, bar, rows, rows per second and time left. When the upload reaches its result, the
// page's content is fetched once more and swapped in place (no reload), so the quality report
// appears where the progress bar was, and stale flashes go.
(() => {
  const box = document.getElementById('upload-progress');
  const container = document.getElementById('upload-page');
  if (!box || !container) return;
  const url = box.getAttribute('data-progress-url');
  if (!url) return;
  const FINAL = ['success', 'partial', 'failed', 'deleted', 'needs_mapping'];
  const headers = { Accept: 'application/json', 'X-Payrixa-Background': '1' };
  const setText = (id, value) => {
    const el = document.getElementById(id);
    if (el) el.textContent = String(value);
  };
  let lastStatus = null;

  async function showResult() {
    const response = await fetch(window.location.href, {
      credentials: 'same-origin',
      headers: { Accept: 'text/html', 'X-Payrixa-Background': '1' },
    });
    if (!response.ok) throw new Error(`page answered ${response.status}`);
    const html = await response.text();
    const next = new DOMParser().parseFromString(html, 'text/html').getElementById('upload-page');
    if (!next) throw new Error('no upload page in the answer');
    container.replaceChildren(...Array.from(next.childNodes).map((node) => document.importNode(node, true)));
    container.setAttribute('data-final', next.getAttribute('data-final') ?? 'true');
    // The flash of the request that led here is stale now: the page shows the outcome.
    for (const flash of Array.from(document.querySelectorAll('.flashes'))) flash.remove();
  }

  async function poll() {
    try {
      const response = await fetch(url, { credentials: 'same-origin', headers });
      if (response.ok) {
        const p = await response.json();
        const bar = document.getElementById('upload-progress-bar');
        if (bar) {
          bar.value = p.percent;
          bar.textContent = `${p.percent}%`;
        }
        setText('upload-phase', p.phase_label);
        setText('upload-rows-done', p.rows_done);
        setText('upload-rows-total', p.rows_total ?? '?');
        setText('upload-percent', p.percent);
        setText('upload-rps', p.rows_per_second ?? 0);
        setText('upload-time-left', p.time_left ?? '');
        const timeLeft = document.getElementById('upload-time-left-box');
        if (timeLeft) timeLeft.hidden = !p.time_left;
        const status = document.getElementById('upload-status');
        if (status && lastStatus !== null && p.status !== lastStatus) status.textContent = p.status_label;
        if (FINAL.includes(p.status)) {
          await showResult();
          return;
        }
        lastStatus = p.status;
      }
    } catch {
      // A network hiccup or a server restart: try again on the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();
