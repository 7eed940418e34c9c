// The rule editor (/rules/edit): CodeMirror 6 (editor.js) over the form's textarea, checked as you type
// by POST /api/v1/rules/check (the same checker as `perfrules check`), with completion of keys from the
// rule-file JSON Schema and of KPI ids, roles, departments and deliverables from the catalogue, and the
// preview panel from POST /rules/preview. Without JavaScript the textarea and the form still work.
"use strict";

(function () {
  const root = document.getElementById("rules-editor");
  const CM = window.PerfrulesEditor;
  if (!root || !CM) return;
  const file = root.dataset.file;
  const form = document.getElementById("draft-form");
  const textarea = document.getElementById("rule-text");
  const status = document.getElementById("check-status");
  const list = document.getElementById("diagnostics");
  const csrf = form.querySelector("input[name=csrf]").value;
  const msg = (key) => root.dataset["msg" + key] || "";

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
  }

  // --- check as you type ----------------------------------------------------------------------------------

  function showList(found) {
    list.replaceChildren();
    for (const d of found) {
      const li = document.createElement("li");
      li.className = d.severity;
      const where = document.createElement("code");
      where.textContent = d.file === file ? `${d.line}:${d.column}` : `${d.file}:${d.line}:${d.column} (${msg("Elsewhere")})`;
      li.append(where, " ", (d.path ? d.path + ": " : "") + d.message);
      if (d.file === file) li.addEventListener("click", () => jumpTo(d.line, d.column));
      list.append(li);
    }
  }

  function jumpTo(line, column) {
    const doc = view.state.doc;
    const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
    const pos = Math.min(at.from + Math.max(column - 1, 0), at.to);
    view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    view.focus();
  }

  function placed(doc, d) {
    const at = doc.line(Math.min(Math.max(d.line, 1), doc.lines));
    const from = Math.min(at.from + Math.max(d.column - 1, 0), at.to);
    const word = /^[^\s:#,\]}]+/.exec(doc.sliceString(from, at.to));
    const to = word ? from + word[0].length : at.to;
    const text = (d.path ? d.path + ": " : "") + d.message;
    return { from, to: Math.max(to, from), severity: d.severity, message: text, source: "perfrules check" };
  }

  async function check(view) {
    status.textContent = msg("Checking");
    status.className = "check-status";
    let answer;
    try {
      const r = await post("/api/v1/rules/check", { file, text: view.state.doc.toString() });
      if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
      answer = await r.json();
    } catch (err) {
      status.textContent = msg("Failed") + err.message;
      status.className = "check-status bad";
      return [];
    }
    const errors = answer.diagnostics.filter((d) => d.severity === "error").length;
    status.textContent = errors ? `${msg("Errors")}: ${errors}` : msg("Ok");
    status.className = "check-status " + (errors ? "bad" : "good");
    root.dataset.checked = errors ? "errors" : "ok";
    showList(answer.diagnostics);
    return answer.diagnostics.filter((d) => d.file === file).map((d) => placed(view.state.doc, d));
  }

  // --- completion -----------------------------------------------------------------------------------------

  function schemaWords(schema) {
    const keys = new Set();
    const values = new Set();
    (function walk(node) {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== "object") return;
      if (node.properties) Object.keys(node.properties).forEach((k) => keys.add(k));
      if (Array.isArray(node.enum)) node.enum.forEach((v) => typeof v === "string" && values.add(v));
      if (typeof node.const === "string") values.add(node.const);
      Object.values(node).forEach(walk);
    })(schema);
    return { keys: [...keys].sort(), values: [...values].sort() };
  }

  const words = { keys: [], values: [], kpi: [], role: [], department: [], deliverable: [] };
  Promise.all([fetch("/api/v1/rules/schema"), fetch("/api/v1/rules/vocabulary")])
    .then((rs) => Promise.all(rs.map((r) => r.json())))
    .then(([schema, vocab]) => {
      const found = schemaWords(schema);
      words.keys = found.keys.map((k) => ({ label: k, type: "property", apply: k + ": " }));
      words.values = found.values.map((v) => ({ label: v, type: "enum" }));
      words.kpi = vocab.kpis.map((k) => ({ label: k.id, type: "constant", detail: `${k.name_zh} · ${k.name_en}` }));
      for (const name of ["role", "department", "deliverable"]) {
        words[name] = vocab[name + "s"].map((v) => ({ label: v, type: "constant" }));
      }
    })
    .catch((err) => console.warn("rule editor: no completion lists", err)); // the check still runs

  function anyValue() {
    // one option per word: the catalogue's (with its name) before the schema's bare enum value
    const seen = new Map();
    for (const o of [...words.kpi, ...words.role, ...words.department, ...words.deliverable, ...words.values]) {
      if (!seen.has(o.label)) seen.set(o.label, o);
    }
    return [...seen.values()];
  }

  function complete(context) {
    const word = context.matchBefore(/[\w.\-]*/);
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    let options;
    const keyed = /(?:^\s*(?:-\s+)?|[{,]\s*)(kpi|role|department|deliverable)\s*:\s*[\w.\-]*$/.exec(before);
    if (keyed) options = words[keyed[1]];
    else if (/^\s*(?:-\s+)?[\w\-]*$/.test(before) || /[{,]\s*[\w\-]*$/.test(before)) options = words.keys;
    else options = anyValue();
    return { from: word.from, options, validFor: /^[\w.\-]*$/ };
  }

  // --- the editor -----------------------------------------------------------------------------------------

  // The editor lives in a shadow root: CodeMirror then styles it with a constructed style sheet, which the
  // page's Content-Security-Policy (style-src 'self', no inline <style>) allows.
  const shadow = document.getElementById("editor").attachShadow({ mode: "open" });
  const theme = CM.EditorView.theme({
    "&": { height: "100%", fontSize: "13px", backgroundColor: "#fff" },
    "&.cm-focused": { outline: "none" },
    ".cm-scroller": { fontFamily: 'ui-monospace, "Noto Sans Mono CJK SC", monospace' },
  });
  const view = new CM.EditorView({
    root: shadow,
    parent: shadow,
    state: CM.EditorState.create({
      doc: textarea.value,
      extensions: [
        CM.basicSetup,
        theme,
        CM.keymap.of([CM.indentWithTab]),
        CM.yaml(),
        CM.lintGutter(),
        CM.linter(check, { delay: 400 }),
        CM.autocompletion({ override: [complete] }),
        CM.EditorView.updateListener.of((u) => {
          if (u.docChanged) textarea.value = u.state.doc.toString();
        }),
      ],
    }),
  });
  window.perfrulesEditorView = view; // for the browser tests and the console
  root.classList.add("js");
  form.addEventListener("submit", () => {
    textarea.value = view.state.doc.toString();
  });

  // --- preview --------------------------------------------------------------------------------------------

  const button = document.getElementById("preview-button");
  const panel = document.getElementById("preview");
  button.addEventListener("click", async () => {
    panel.textContent = msg("Previewing");
    button.disabled = true;
    try {
      const months = Number(document.getElementById("months").value);
      const r = await post("/rules/preview", { file, text: view.state.doc.toString(), months });
      if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
      panel.innerHTML = await r.text(); // the server's own escaped HTML (templates/web/rules_preview.html.j2)
    } catch (err) {
      panel.textContent = msg("Failed") + err.message;
    } finally {
      button.disabled = false;
    }
  });
})();
