// Bundles entry.js into ONE minified file, engine/web/static/editor.js (no CDN: the app serves it),
// and writes the licence notices of everything bundled next to it (editor.js.LICENSE.md).
import { build } from "esbuild";
import { readFileSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "engine", "web", "static", "editor.js");

const result = await build({
  entryPoints: [join(here, "entry.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  metafile: true,
  outfile: out,
});

// every package whose code is in the bundle, with its licence text
const used = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) used.add(m[1]);
}
const parts = [
  "# Licences of engine/web/static/editor.js",
  "",
  "editor.js is a bundle of the packages below (built by tools/editor, see its README.md).",
  "Each is used under its own licence, reproduced here.",
  "",
];
for (const name of [...used].sort()) {
  const dir = join(here, "node_modules", name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  parts.push(`## ${name} ${pkg.version} (${pkg.license})`, "");
  if (file && existsSync(join(dir, file))) parts.push("```", readFileSync(join(dir, file), "utf8").trim(), "```", "");
}
writeFileSync(out + ".LICENSE.md", parts.join("\n") + "\n");
console.log(`wrote ${out} (${readFileSync(out).length} bytes) from ${used.size} packages`);
