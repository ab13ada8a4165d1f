// BladeProvisioner web UI: API forms, resumable uploads, live job progress. Plain JavaScript, no dependencies.
(function () {
  'use strict';
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';

  async function api(method, url, body, extraHeaders) {
    const headers = Object.assign({ 'X-CSRF-Token': csrf() }, extraHeaders || {});
    if (body !== undefined && !(body instanceof Blob)) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(body); }
    const response = await fetch(url, { method, headers, body, credentials: 'same-origin' });
    let data = null;
    const type = response.headers.get('Content-Type') || '';
    if (type.includes('json')) { data = await response.json(); }
    if (!response.ok) {
      const err = new Error((data && (data.detail || data.title)) || (response.status + ' ' + response.statusText));
      err.status = response.status; err.data = data; err.response = response;
      throw err;
    }
    return { response, data };
  }

  // <form data-api="/api/..." data-method="POST" data-then="reload|/path/{id}"> : fields become a JSON body.
  // A dotted name nests ("cloudInit.mode" → {cloudInit: {mode}}); data-type="lines" sends a textarea's non-blank lines
  // as a list (none: []); an empty field is left out unless it is required or marked data-keep-empty.
  function formBody(form) {
    const body = {};
    for (const el of form.elements) {
      if (!el.name || el.type === 'file' || el.disabled) { continue; }
      const lines = el.dataset.type === 'lines';
      if (el.value === '' && !el.required && !lines && el.dataset.keepEmpty === undefined) { continue; }
      const path = el.name.split('.');
      const parent = path.slice(0, -1).reduce((o, k) => (o[k] ??= {}), body);
      parent[path[path.length - 1]] = el.dataset.type === 'number' ? Number(el.value) : el.dataset.type === 'bool' ? el.value === 'true'
        : lines ? el.value.split('\n').map(l => l.trim()).filter(l => l !== '') : el.value;
    }
    return body;
  }

  document.addEventListener('submit', async (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api) { return; }
    e.preventDefault();
    if (form.dataset.confirm && !confirm(form.dataset.confirm)) { return; }
    const out = form.querySelector('.error') || document.getElementById('page-error');
    if (out) { out.textContent = ''; }
    const buttons = form.querySelectorAll('button');
    buttons.forEach(b => b.disabled = true);
    try {
      const method = form.dataset.method || 'POST';
      const body = method === 'DELETE' || form.dataset.nobody !== undefined ? undefined : formBody(form);
      const { data } = await api(method, form.dataset.api, body);
      // A secret field (user-data) is emptied once sent so that no reload or back navigation brings it back.
      form.querySelectorAll('[data-secret]').forEach(el => { el.value = ''; });
      const then = form.dataset.then || 'reload';
      if (then === 'reload') { location.reload(); }
      else if (then === 'show') { const t = form.querySelector('.result'); if (t) { t.textContent = JSON.stringify(data, null, 2); } buttons.forEach(b => b.disabled = false); }
      else { location.href = then.replace(/\{(\w+(?:\.\w+)*)\}/g, (_, path) => path.split('.').reduce((o, k) => o && o[k], data)); }
    } catch (err) {
      if (out) { out.textContent = err.message; } else { alert(err.message); }
      buttons.forEach(b => b.disabled = false);
    }
  });

  // Resumable upload: declare, then PATCH chunks at the server's offset; on a dropped connection ask HEAD and go on.
  const CHUNK = 8 * 1024 * 1024;
  async function currentOffset(id) {
    const r = await fetch('/api/uploads/' + id, { method: 'HEAD', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } });
    if (!r.ok) { throw new Error('The upload is gone (' + r.status + ').'); }
    return Number(r.headers.get('Upload-Offset'));
  }
  async function sendFile(id, file, onProgress) {
    let offset = await currentOffset(id), failures = 0;
    while (offset < file.size) {
      const end = Math.min(offset + CHUNK, file.size);
      try {
        const { response } = await api('PATCH', '/api/uploads/' + id, file.slice(offset, end),
          { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' });
        offset = Number(response.headers.get('Upload-Offset'));
        failures = 0;
      } catch (err) {
        if (++failures > 30) { throw err; }
        await new Promise(r => setTimeout(r, Math.min(1000 * failures, 10000)));
        offset = await currentOffset(id).catch(() => offset);
      }
      onProgress(offset, file.size);
    }
  }
  const upload = document.getElementById('upload-form');
  if (upload) {
    upload.addEventListener('submit', async (e) => {
      e.preventDefault();
      const out = upload.querySelector('.error');
      const bar = upload.querySelector('.bar > span');
      const text = upload.querySelector('.upload-status');
      const file = upload.querySelector('input[type=file]').files[0];
      if (!file) { out.textContent = 'Choose a file.'; return; }
      out.textContent = '';
      upload.querySelector('button').disabled = true;
      try {
        const declared = Object.assign(formBody(upload), { length: file.size, fileName: file.name });
        const { data: created } = await api('POST', '/api/uploads', declared);
        const started = performance.now();
        await sendFile(created.id, file, (done, total) => {
          const pct = total ? (100 * done / total) : 100;
          bar.style.width = pct.toFixed(1) + '%';
          const mbps = done / 1048576 / Math.max(0.001, (performance.now() - started) / 1000);
          text.textContent = `${pct.toFixed(1)} % · ${(done / 1048576).toFixed(1)} of ${(total / 1048576).toFixed(1)} MiB · ${mbps.toFixed(1)} MiB/s`;
        });
        text.textContent = 'Verifying and starting the import…';
        const { data: finished } = await api('POST', '/api/uploads/' + created.id + '/complete');
        location.href = '/images/' + finished.image.id;
      } catch (err) {
        out.textContent = err.message;
        upload.querySelector('button').disabled = false;
      }
    });
  }

  // Live progress: every element with data-job="<id>" is refreshed from /api/jobs once a second while any runs.
  const finished = s => s === 'Succeeded' || s === 'Failed' || s === 'Cancelled';
  async function refreshJobs() {
    const rows = [...document.querySelectorAll('[data-job]')];
    if (rows.length === 0 || rows.every(r => finished(r.dataset.state))) { return; }
    try {
      const { data } = await api('GET', '/api/jobs?limit=1000');
      const byId = new Map(data.map(j => [String(j.id), j]));
      for (const row of rows) {
        const job = byId.get(row.dataset.job);
        if (!job) { continue; }
        const wasRunning = !finished(row.dataset.state);
        row.dataset.state = job.state;
        const bar = row.querySelector('.bar');
        if (bar) {
          bar.firstElementChild.style.width = job.percent + '%';
          bar.classList.toggle('done', job.state === 'Succeeded');
          bar.classList.toggle('failed', job.state === 'Failed' || job.state === 'Cancelled');
        }
        const pct = row.querySelector('.pct'); if (pct) { pct.textContent = job.percent.toFixed(1) + ' %'; }
        const st = row.querySelector('.state'); if (st) { st.textContent = job.state; st.className = 'badge state ' + job.state; }
        if (wasRunning && finished(job.state) && row.dataset.reloadOnFinish !== undefined) { setTimeout(() => location.reload(), 500); }
      }
    } catch (err) { /* the next tick tries again */ }
  }
  setInterval(refreshJobs, 1000);
})();
