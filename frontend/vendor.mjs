// Copies the built files of the pinned front-end libraries into the Django static folder (committed, so
// running the product needs no Node), builds one SVG sprite of the icons the templates use, and puts
// axe-core beside the browser tests (it is a test tool, never served). Run: npm ci && npm run vendor
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const vendor = join(here, "..", "static", "vendor");
const testVendor = join(here, "..", "tests", "browser", "vendor");

// The icons the templates reference as {% icon "name" %}; keep this list and the templates in step.
export const ICONS = [
  "house", "inbox", "list", "kanban", "chart-column", "users", "shield-check", "file-text", "settings",
  "log-out", "menu", "x", "check", "clock", "triangle-alert", "circle-alert", "phone", "mail", "search",
  "filter", "arrow-right", "arrow-up-down", "bookmark", "download", "printer", "plus", "user", "undo-2",
  "send", "book-open", "sliders-horizontal", "activity", "circle-check", "gauge", "scale", "git-branch",
  "target", "trash-2", "chevron-down", "external-link",
];

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(modules, from), to);
}

function version(pkg) {
  return JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version;
}

copy("htmx.org/dist/htmx.min.js", join(vendor, "htmx", "htmx.min.js"));
copy("htmx.org/LICENSE", join(vendor, "htmx", "LICENSE"));
copy("echarts/dist/echarts.min.js", join(vendor, "echarts", "echarts.min.js"));
copy("echarts/LICENSE", join(vendor, "echarts", "LICENSE"));
copy("echarts/NOTICE", join(vendor, "echarts", "NOTICE"));
copy("lucide-static/LICENSE", join(vendor, "lucide", "LICENSE"));
copy("axe-core/axe.min.js", join(testVendor, "axe.min.js"));
copy("axe-core/LICENSE", join(testVendor, "LICENSE"));

const symbols = ICONS.map((name) => {
  const svg = readFileSync(join(modules, "lucide-static", "icons", `${name}.svg`), "utf8");
  const body = svg.slice(svg.indexOf(">", svg.indexOf("<svg")) + 1, svg.lastIndexOf("</svg>")).trim();
  return `<symbol id="i-${name}" viewBox="0 0 24 24">${body.replace(/\s*\n\s*/g, "")}</symbol>`;
});
writeFileSync(
  join(vendor, "lucide", "sprite.svg"),
  `<!-- lucide-static v${version("lucide-static")} - ISC; built by frontend/vendor.mjs -->\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" fill="none" stroke="currentColor" stroke-width="2" ` +
    `stroke-linecap="round" stroke-linejoin="round">\n${symbols.join("\n")}\n</svg>\n`,
);
writeFileSync(
  join(vendor, "VERSIONS.txt"),
  ["htmx.org", "echarts", "lucide-static", "axe-core"].map((p) => `${p} ${version(p)}`).join("\n") + "\n",
);
console.log(`vendored htmx, echarts, ${ICONS.length} lucide icons; axe-core for the browser tests`);
