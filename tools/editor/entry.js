// The parts of CodeMirror 6 the rule editor uses, as one global (window.PerfrulesEditor) for
// engine/web/static/rules.js. Rebuild with `npm ci && npm run build` (see README.md).
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { linter, lintGutter, forceLinting, diagnosticCount } from "@codemirror/lint";
import { autocompletion, completeFromList } from "@codemirror/autocomplete";

window.PerfrulesEditor = {
  EditorView,
  EditorState,
  basicSetup,
  keymap,
  indentWithTab,
  yaml,
  linter,
  lintGutter,
  forceLinting,
  diagnosticCount,
  autocompletion,
  completeFromList,
};
