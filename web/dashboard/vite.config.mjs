// The dashboard (a Preact single-page app), served by the app at /dashboard (api/web_assets.py, which
// answers index.html for any path under /dashboard that names no file: the router reads the path).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/dashboard/",
  // TSX through Oxc with Preact's automatic JSX runtime (no React anywhere).
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: `${here}../dist/dashboard`,
    emptyOutDir: true,
    sourcemap: true,
  },
});
