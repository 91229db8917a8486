// Staff metrics dashboard: every 30 s fetches /portal/admin/metrics/data/ as a background
// request (X-Payrixa-Background: the session idle timer is not extended by a page left open)
// and copies the presented values into the page: card texts and colours, the tables listed in
// `data-feed`/`data-columns`, and `data-field` values. A failed refresh shows
// "⚠️ Error loading metrics: <message>" and leaves the last good values in place.
(() => {
  const root = document.getElementById('metrics-dashboard');
  if (!root || !window.fetch) return;
  const url = root.getAttribute('data-feed-url');
  const seconds = Number(root.getAttribute('data-refresh-seconds')) || 30;
  const errorBox = document.getElementById('metrics-error');
  if (!url) return;

  function lookup(data, path) {
    return path.split('.').reduce((value, key) => (value == null ? undefined : value[key]), data);
  }

  function renderCards(cards) {
    for (const card of cards || []) {
      const box = root.querySelector(`[data-card="${card.key}"]`);
      if (!box) continue;
      const value = box.querySelector('.metric-value');
      const detail = box.querySelector('.metric-detail');
      if (value) value.textContent = card.value;
      if (detail) detail.textContent = card.detail;
      for (const name of ['green', 'amber', 'red', 'none']) box.classList.remove(`health-${name}`);
      box.classList.add(`health-${card.health}`);
    }
  }

  function renderTable(table, rows) {
    const columns = (table.getAttribute('data-columns') || '').split(',');
    const empty = table.getAttribute('data-empty');
    const body = table.tBodies[0];
    if (!body) return;
    const trs = rows.map((row) => {
      const tr = document.createElement('tr');
      for (const column of columns) {
        const td = document.createElement('td');
        td.textContent = String(row[column] ?? '');
        const cls = row[`${column}_class`];
        if (cls) td.className = cls;
        if (column === 'path' && row.route) td.title = row.route;
        tr.appendChild(td);
      }
      return tr;
    });
    if (trs.length === 0 && empty) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = columns.length;
      td.className = 'empty';
      td.textContent = empty;
      tr.appendChild(td);
      trs.push(tr);
    }
    body.replaceChildren(...trs);
  }

  function render(data) {
    renderCards(data.cards);
    for (const table of root.querySelectorAll('table[data-feed]')) {
      const rows = data[table.getAttribute('data-feed')];
      if (Array.isArray(rows)) renderTable(table, rows);
    }
    for (const section of root.querySelectorAll('[data-section]')) {
      const rows = data[section.getAttribute('data-section')];
      section.hidden = !Array.isArray(rows) || rows.length === 0;
    }
    for (const field of root.querySelectorAll('[data-field]')) {
      const value = lookup(data, field.getAttribute('data-field'));
      if (value !== undefined) field.textContent = String(value);
    }
  }

  async function refresh() {
    try {
      const response = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-Payrixa-Background': '1' },
      });
      // An ended session answers with the login page (after the redirect), not JSON.
      if (response.redirected) throw new Error('your session has ended, reload the page to log in');
      if (!response.ok) throw new Error(`server answered ${response.status}`);
      render(await response.json());
      if (errorBox) errorBox.hidden = true;
    } catch (error) {
      if (errorBox) {
        errorBox.textContent = `⚠️ Error loading metrics: ${error instanceof Error ? error.message : error}`;
        errorBox.hidden = false;
      }
    }
  }

  window.setInterval(refresh, seconds * 1000);
})();
