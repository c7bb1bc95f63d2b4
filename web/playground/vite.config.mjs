// The Playground page, served by the app at /playground (api/web_assets.py).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/playground/",
  build: { outDir: `${here}../dist/playground`, emptyOutDir: true, sourcemap: true },
});
