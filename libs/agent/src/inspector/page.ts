// The inspector's page: self-contained (no external assets), live through EventSource.
export const INSPECTOR_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fdt inspector</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{margin:0;font:13px/1.4 system-ui,sans-serif;color:#222;display:flex;height:100vh}
#list{width:45%;overflow:auto;border-right:1px solid #ddd}
#detail{flex:1;overflow:auto;padding:0 12px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;white-space:nowrap}
td.path{max-width:280px;overflow:hidden;text-overflow:ellipsis}
tr.item{cursor:pointer} tr.item:hover{background:#f5f7ff} tr.sel{background:#e3e9ff}
.s2{color:#1a7f37}.s3{color:#0969da}.s4{color:#9a6700}.s5{color:#cf222e}
pre{background:#f6f8fa;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
h1{font-size:15px;margin:8px} h2{font-size:14px} h3{font-size:13px;margin-bottom:2px}
button{font:inherit;padding:3px 10px} #msg{color:#666;margin-left:8px}
</style></head><body>
<div id="list"><h1>fdt inspector <span id="msg"></span></h1>
<table><thead><tr><th>Method</th><th>Path</th><th>Status</th><th>Duration</th><th>Tunnel</th></tr></thead>
<tbody id="rows"></tbody></table></div>
<div id="detail"><p>Select a request.</p></div>
<script>
const rows = document.getElementById('rows');
const detail = document.getElementById('detail');
const msg = document.getElementById('msg');
let selected = null;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
function row(it, atTop) {
  const tr = document.createElement('tr');
  tr.className = 'item'; tr.dataset.id = it.id;
  tr.innerHTML = '<td>' + esc(it.method) + '</td><td class="path" title="' + esc(it.path) + '">' + esc(it.path) +
    '</td><td class="s' + String(it.status)[0] + '">' + esc(it.status) + '</td><td>' + esc(it.durationMs) +
    ' ms</td><td>' + esc(it.tunnel) + (it.replayOf ? ' (replay)' : '') + '</td>';
  tr.onclick = () => show(it.id);
  if (atTop) rows.insertBefore(tr, rows.firstChild); else rows.appendChild(tr);
  while (rows.children.length > 500) rows.removeChild(rows.lastChild);
}
function headers(h) {
  return esc(Object.entries(h).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => k + ': ' + x)).join('\\n'));
}
function body(b) {
  if (!b || !b.size) return '<p><i>no body</i></p>';
  let text = b.data;
  if (b.encoding === 'base64') { text = '[' + b.size + ' bytes, base64]\\n' + b.data; }
  return (b.truncated ? '<p>first ' + (b.encoding === 'base64' ? atob(b.data).length : text.length) + ' of ' + b.size + ' bytes</p>' : '') + '<pre>' + esc(text) + '</pre>';
}
async function show(id) {
  selected = id;
  for (const tr of rows.children) tr.classList.toggle('sel', tr.dataset.id === id);
  const r = await fetch('/api/requests/' + encodeURIComponent(id));
  if (!r.ok) { detail.innerHTML = '<p>This request is no longer recorded.</p>'; return; }
  const e = await r.json();
  detail.innerHTML = '<h2>' + esc(e.method) + ' ' + esc(e.path) + '</h2>' +
    '<p>' + esc(e.status) + ' in ' + esc(e.durationMs) + ' ms, ' + esc(e.startedAt) + ', tunnel ' + esc(e.tunnel) +
    (e.replayOf ? ', replay of ' + esc(e.replayOf) : '') + '</p>' +
    '<button id="replay">Replay</button><span id="rmsg"></span>' +
    '<h3>Request headers</h3><pre>' + headers(e.request.headers) + '</pre><h3>Request body</h3>' + body(e.request.body) +
    '<h3>Response headers</h3><pre>' + headers(e.response.headers) + '</pre><h3>Response body</h3>' + body(e.response.body);
  document.getElementById('replay').onclick = async () => {
    const out = await fetch('/api/requests/' + encodeURIComponent(id) + '/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const j = await out.json();
    document.getElementById('rmsg').textContent = out.ok ? ' replayed' : ' ' + (j.message || j.error);
  };
}
async function load() {
  const r = await fetch('/api/requests');
  const j = await r.json();
  rows.innerHTML = '';
  for (const it of j.items) row(it, false);
}
load().then(() => {
  const es = new EventSource('/api/requests/stream');
  es.addEventListener('request', (ev) => row(JSON.parse(ev.data), true));
  es.onopen = () => (msg.textContent = 'live');
  es.onerror = () => (msg.textContent = 'disconnected');
});
</script></body></html>
`;
