// hfserve admin dashboard. It runs under a strict Content-Security-Policy
// (no inline script or style), so everything is wired here. The admin key
// lives in sessionStorage (this tab only) and goes out as an Authorization
// header on fetch calls to the admin API: no cookie, so no request forged
// by another site can carry it. Data from the server is only ever put in
// the page as text (textContent), never as HTML.
"use strict";

(function () {
  const storageKey = "hfserve-admin-key";
  const svgNS = "http://www.w3.org/2000/svg";
  const $ = (sel) => document.querySelector(sel);

  let keyNames = {}; // key id -> name, for the usage charts

  // ---- API ----

  class APIError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + sessionStorage.getItem(storageKey) };
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    const text = await resp.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = text;
    }
    if (!resp.ok) {
      const msg = data && data.error && data.error.message ? data.error.message : resp.status + " " + resp.statusText;
      throw new APIError(resp.status, msg);
    }
    return data;
  }

  // modelPath escapes each segment of a model id (ids hold slashes).
  function modelPath(id) {
    return id.split("/").map(encodeURIComponent).join("/");
  }

  // ---- helpers ----

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      tr.appendChild(c instanceof Node ? wrapCell(c) : el("td", c));
    }
    return tr;
  }

  function wrapCell(node) {
    const td = document.createElement("td");
    td.appendChild(node);
    return td;
  }

  function button(label, cls, onClick) {
    const b = el("button", label, cls);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function bytes(n) {
    if (!n) return "0 B";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return n.toFixed(i ? 1 : 0) + " " + units[i];
  }

  function when(t) {
    return t ? new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "—";
  }

  function showError(where, err) {
    if (err instanceof APIError && err.status === 401) {
      logout("Your key was refused: " + err.message);
      return;
    }
    $(where).textContent = err ? err.message || String(err) : "";
  }

  // ---- login ----

  async function login(evt) {
    evt.preventDefault();
    const key = $("#admin-key").value.trim();
    if (!key) return;
    sessionStorage.setItem(storageKey, key);
    try {
      // Every hfserve has this admin route, API keys on or off.
      await api("GET", "/admin/models");
    } catch (err) {
      sessionStorage.removeItem(storageKey);
      $("#login-error").textContent =
        err.status === 403 ? "This key does not have the admin scope." : "Login failed: " + err.message;
      return;
    }
    $("#admin-key").value = "";
    showApp();
  }

  function logout(message) {
    sessionStorage.removeItem(storageKey);
    $("#app").hidden = true;
    $("#nav").hidden = true;
    $("#login").hidden = false;
    $("#login-error").textContent = typeof message === "string" ? message : "";
  }

  function showApp() {
    $("#login").hidden = true;
    $("#login-error").textContent = "";
    $("#app").hidden = false;
    $("#nav").hidden = false;
    refresh();
  }

  function refresh() {
    $("#app-error").textContent = "";
    loadModels();
    loadKeys().then(loadUsage);
    loadCache();
    loadBreakers();
    loadHardware();
  }

  // ---- models ----

  async function loadModels() {
    let list;
    try {
      list = await api("GET", "/admin/models");
    } catch (err) {
      showError("#app-error", err);
      return;
    }
    const m = list.memory || {};
    $("#memory").textContent =
      (m.loaded_models || 0) + " loaded" + (m.max_loaded_models ? " of at most " + m.max_loaded_models : "") +
      "; " + bytes(m.reserved_bytes) + " in use" + (m.budget_bytes ? " of a " + bytes(m.budget_bytes) + " budget" : " (no memory budget)");
    const body = $("#models tbody");
    body.replaceChildren();
    for (const model of list.data || []) {
      const actions = document.createElement("span");
      const act = (verb) => button(verb, "action " + verb, () => modelAction(model.id, verb));
      if (model.state === "loaded") actions.appendChild(act("unload"));
      else if (model.state === "available" || model.state === "failed") actions.appendChild(act("load"));
      actions.appendChild(act(model.pinned ? "unpin" : "pin"));
      const state = el("span", model.state, "state state-" + model.state);
      if (model.error) state.title = model.error;
      const tr = row([model.id, state, model.pinned ? "yes" : "no", bytes(model.resident_bytes || model.reserved_bytes),
        model.in_flight, model.hits, when(model.last_used), actions]);
      tr.dataset.modelId = model.id;
      body.appendChild(tr);
    }
  }

  async function modelAction(id, verb) {
    try {
      await api("POST", "/admin/models/" + modelPath(id) + "/" + verb);
    } catch (err) {
      showError("#app-error", err);
    }
    loadModels();
  }

  // ---- keys ----

  function limitsText(k) {
    const parts = [];
    for (const [label, v] of [["rpm", k.rpm], ["tpm", k.tpm], ["concurrent", k.max_concurrent], ["daily", k.daily_tokens], ["monthly", k.monthly_tokens]]) {
      if (v) parts.push(label + "=" + v);
    }
    return parts.length ? parts.join(" ") : "none";
  }

  async function loadKeys() {
    let list;
    try {
      list = await api("GET", "/admin/keys");
    } catch (err) {
      if (err.status === 404) {
        $("#key-error").textContent = "API keys are off on this server (auth_enabled).";
        $("#key-form").hidden = true;
      } else {
        showError("#app-error", err);
      }
      return;
    }
    $("#key-form").hidden = false;
    keyNames = {};
    const body = $("#keys tbody");
    body.replaceChildren();
    for (const k of list.data || []) {
      keyNames[k.id] = k.name;
      const actions = document.createElement("span");
      if (k.state !== "revoked") {
        actions.appendChild(button("revoke", "revoke", () => revokeKey(k)));
        actions.appendChild(button("rotate", "rotate", () => rotateKey(k)));
      }
      const tr = row([k.id, k.name, k.prefix + "…", el("span", k.state, "state state-" + k.state), (k.scopes || []).join(", "),
        k.models && k.models.length ? k.models.join(", ") : "all", limitsText(k), when(k.created_at), when(k.last_used_at), actions]);
      tr.dataset.keyId = k.id;
      body.appendChild(tr);
    }
  }

  function intField(form, name) {
    const v = form.elements[name].value;
    return v === "" ? 0 : parseInt(v, 10);
  }

  async function createKey(evt) {
    evt.preventDefault();
    const form = evt.target;
    $("#key-error").textContent = "";
    const req = {
      name: form.elements.name.value,
      scopes: Array.from(form.querySelectorAll("input[name=scope]:checked")).map((c) => c.value),
      models: form.elements.models.value.split(",").map((s) => s.trim()).filter((s) => s),
      rpm: intField(form, "rpm"),
      tpm: intField(form, "tpm"),
      max_concurrent: intField(form, "max_concurrent"),
      daily_tokens: intField(form, "daily_tokens"),
      monthly_tokens: intField(form, "monthly_tokens"),
    };
    if (form.elements.expires_at.value) {
      req.expires_at = new Date(form.elements.expires_at.value + "Z").toISOString();
    }
    let created;
    try {
      created = await api("POST", "/admin/keys", req);
    } catch (err) {
      showError("#key-error", err);
      return;
    }
    form.elements.name.value = "";
    showSecret(created);
    loadKeys();
  }

  function showSecret(k) {
    $("#key-secret-id").textContent = k.id;
    $("#key-secret-value").textContent = k.key;
    $("#key-secret").hidden = false;
  }

  function hideSecret() {
    $("#key-secret-id").textContent = "";
    $("#key-secret-value").textContent = "";
    $("#key-secret").hidden = true;
  }

  async function revokeKey(k) {
    if (!window.confirm("Revoke key " + k.id + " (" + k.name + ")? It stops working at once.")) return;
    try {
      await api("DELETE", "/admin/keys/" + encodeURIComponent(k.id));
    } catch (err) {
      showError("#key-error", err);
    }
    loadKeys();
  }

  async function rotateKey(k) {
    if (!window.confirm("Give key " + k.id + " (" + k.name + ") a new secret? The old one stops working at once.")) return;
    try {
      showSecret(await api("POST", "/admin/keys/" + encodeURIComponent(k.id) + "/rotate"));
    } catch (err) {
      showError("#key-error", err);
    }
    loadKeys();
  }

  // ---- usage ----

  function usageQuery(format) {
    const q = new URLSearchParams({ format });
    if ($("#usage-from").value) q.set("from", $("#usage-from").value);
    if ($("#usage-to").value) q.set("to", $("#usage-to").value);
    return "/admin/usage?" + q.toString();
  }

  async function loadUsage(evt) {
    if (evt && evt.preventDefault) evt.preventDefault();
    let list;
    try {
      list = await api("GET", usageQuery("json"));
    } catch (err) {
      // No usage without API keys (404): nothing to chart.
      if (err.status !== 404) showError("#app-error", err);
      return;
    }
    const records = list.data || [];
    const body = $("#usage tbody");
    body.replaceChildren();
    for (const r of records) {
      body.appendChild(row([r.day, keyLabel(r.key_id), r.model || "(none)", r.requests, r.prompt_tokens, r.generated_tokens, r.errors]));
    }
    drawBars($("#chart-keys"), sumBy(records, (r) => keyLabel(r.key_id)), ["prompt", "generated"]);
    drawBars($("#chart-models"), sumBy(records, (r) => r.model || "(none)"), ["prompt", "generated"]);
    drawBars($("#chart-days"), sumBy(records, (r) => r.day), ["requests", "errors"]);
  }

  function keyLabel(id) {
    if (id === "admin") return "bootstrap admin key";
    return keyNames[id] ? keyNames[id] + " (" + id + ")" : id;
  }

  // sumBy totals records per label, in first-seen order.
  function sumBy(records, label) {
    const totals = new Map();
    for (const r of records) {
      const k = label(r);
      const t = totals.get(k) || { prompt: 0, generated: 0, requests: 0, errors: 0 };
      t.prompt += r.prompt_tokens;
      t.generated += r.generated_tokens;
      t.requests += r.requests - r.errors;
      t.errors += r.errors;
      totals.set(k, t);
    }
    return totals;
  }

  // drawBars draws one horizontal stacked bar per label: plain SVG, the
  // colours from app.css (bar-<series> classes).
  function drawBars(svg, totals, series) {
    svg.replaceChildren();
    const rowH = 22, labelW = 260, barW = 420, valueW = 120;
    const width = labelW + barW + valueW;
    const height = Math.max(totals.size, 1) * rowH + 4;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    if (totals.size === 0) {
      svg.appendChild(svgText("no usage in this period", 4, 16, "chart-empty"));
      return;
    }
    let maxTotal = 1;
    for (const t of totals.values()) maxTotal = Math.max(maxTotal, series.reduce((s, k) => s + t[k], 0));
    let y = 2;
    for (const [label, t] of totals) {
      const shown = label.length > 36 ? label.slice(0, 35) + "…" : label;
      const textEl = svgText(shown, 4, y + 15, "chart-label");
      const title = document.createElementNS(svgNS, "title");
      title.textContent = label;
      textEl.appendChild(title);
      svg.appendChild(textEl);
      let x = labelW;
      let sum = 0;
      for (const k of series) {
        const w = (t[k] / maxTotal) * barW;
        const rect = document.createElementNS(svgNS, "rect");
        rect.setAttribute("x", x);
        rect.setAttribute("y", y + 3);
        rect.setAttribute("width", Math.max(w, 0));
        rect.setAttribute("height", rowH - 6);
        rect.setAttribute("class", "bar-" + k);
        svg.appendChild(rect);
        x += w;
        sum += t[k];
      }
      svg.appendChild(svgText(String(sum), x + 6, y + 15, "chart-value"));
      y += rowH;
    }
  }

  function svgText(text, x, y, cls) {
    const t = document.createElementNS(svgNS, "text");
    t.setAttribute("x", x);
    t.setAttribute("y", y);
    t.setAttribute("class", cls);
    t.textContent = text;
    return t;
  }

  async function downloadCSV() {
    const resp = await fetch(usageQuery("csv"), {
      headers: { Authorization: "Bearer " + sessionStorage.getItem(storageKey) },
      cache: "no-store",
      credentials: "omit",
    });
    if (!resp.ok) {
      $("#app-error").textContent = "CSV export failed: " + resp.status;
      return;
    }
    const url = URL.createObjectURL(await resp.blob());
    const a = el("a");
    a.href = url;
    a.download = "hfserve-usage.csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---- cache, breakers, hardware ----

  function fillList(dl, obj) {
    dl.replaceChildren();
    for (const [k, v] of Object.entries(obj || {})) {
      if (v !== null && typeof v === "object" && !Array.isArray(v)) continue;
      dl.appendChild(el("dt", k.replace(/_/g, " ")));
      dl.appendChild(el("dd", Array.isArray(v) ? v.map((x) => (typeof x === "object" ? JSON.stringify(x) : x)).join(", ") : v));
    }
  }

  async function loadCache() {
    try {
      fillList($("#cache"), await api("GET", "/admin/cache"));
    } catch (err) {
      const dl = $("#cache");
      dl.replaceChildren();
      if (err.status === 404) dl.appendChild(el("dd", "The response cache is off (enable_caching)."));
      else showError("#app-error", err);
    }
  }

  async function loadBreakers() {
    let list;
    try {
      list = await api("GET", "/admin/breakers");
    } catch (err) {
      showError("#app-error", err);
      return;
    }
    $("#breakers-note").textContent = list.enabled ? "" : "Circuit breakers are off (enable_circuit_breaker).";
    const body = $("#breakers tbody");
    body.replaceChildren();
    for (const b of list.data || []) {
      const tr = row([b.model, el("span", b.state, "state state-" + b.state), b.failures, b.opens,
        b.running + (b.max_running ? " / " + b.max_running : ""), when(b.next_probe), b.last_error || ""]);
      tr.dataset.modelId = b.model;
      body.appendChild(tr);
    }
  }

  async function loadHardware() {
    try {
      fillList($("#hardware"), await api("GET", "/admin/hardware"));
    } catch (err) {
      showError("#app-error", err);
    }
  }

  // ---- start ----

  document.addEventListener("DOMContentLoaded", () => {
    $("#login-form").addEventListener("submit", login);
    $("#logout").addEventListener("click", () => logout());
    $("#refresh").addEventListener("click", refresh);
    $("#key-form").addEventListener("submit", createKey);
    $("#key-secret-dismiss").addEventListener("click", hideSecret);
    $("#usage-form").addEventListener("submit", loadUsage);
    $("#usage-csv").addEventListener("click", downloadCSV);
    if (sessionStorage.getItem(storageKey)) showApp();
  });
})();
