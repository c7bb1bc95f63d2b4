// The Playground page, served by the app at /playground (api/web_assets.py): the page itself and the
// redirect bridge MSAL v5 returns to after an Entra ID sign-in.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/playground/",
  build: {
    outDir: `${here}../dist/playground`,
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: { input: { index: `${here}index.html`, redirect: `${here}redirect.html` } },
  },
});
