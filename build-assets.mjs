// Builds the CSS and copies the NHS.UK frontend images the Flask app serves from
// feedback/static/dist/. The right-to-left stylesheet is the left-to-right one mirrored by
// rtlcss, so the two never drift apart.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import rtlcss from "rtlcss";
import * as sass from "sass";

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, "feedback/static/src");
const out = join(root, "feedback/static/dist");
const frontend = join(root, "node_modules/nhsuk-frontend/dist/nhsuk");

mkdirSync(out, { recursive: true });
const { css } = sass.compile(join(src, "app.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(out, "app.css"), css);
writeFileSync(join(out, "app-rtl.css"), rtlcss.process(css));
cpSync(join(src, "app.js"), join(out, "app.js"));
for (const image of ["favicon.ico", "favicon.svg", "nhsuk-icon-180.png", "nhsuk-icon-mask.svg"]) {
  cpSync(join(frontend, "assets/images", image), join(out, image));
}
console.log(`built ${out}: app.css ${css.length} bytes`);
