// Alert deep dive: sends the feedback form to the API (POST /api/v1/alerts/<id>/feedback/, the
// session cookie + X-CSRF-Token) and reloads the page to show the new status and history. Field
// errors of a 400 are shown above the button. Without JavaScript the form posts to the portal
// route, which runs the same command.
(() => {
  const form = document.getElementById('feedback-form');
  if (!form) return;
  const message = form.querySelector('.feedback-message');

  function show(text) {
    if (!message) return;
    message.textContent = text;
    message.hidden = false;
  }

  form.addEventListener('submit', async (event) => {
    const url = form.getAttribute('data-api-url');
    if (!url || !window.fetch) return;
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      verdict: data.get('verdict') || '',
      reason_codes: data.getAll('reason_codes'),
      recovered_amount: data.get('recovered_amount') || null,
      recovered_date: data.get('recovered_date') || null,
      notes: data.get('notes') || '',
    };
    try {
      const response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'X-CSRF-Token': String(data.get('csrf_token') || ''),
        },
        body: JSON.stringify(body),
      });
      if (response.ok) {
        window.location.reload();
        return;
      }
      const problem = await response.json().catch(() => ({}));
      const errors = problem.errors || {};
      const lines = Object.keys(errors).map((name) => `${name}: ${[].concat(errors[name]).join(' ')}`);
      show(lines.length ? lines.join(' · ') : problem.detail || 'Feedback could not be saved.');
    } catch {
      // Network trouble: fall back to the plain form post.
      form.submit();
    }
  });
})();
