// The Web SDK: one source, two files served at /sdk/v1/ (api/web_assets.py) and packaged for npm
// (web/sdk/package.json): an ES module exporting `init`, and a standalone script defining the global
// `OmniagentSDK`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  build: {
    outDir: `${here}../dist/sdk/v1`,
    emptyOutDir: true,
    sourcemap: true,
    lib: {
      entry: `${here}src/index.ts`,
      name: "OmniagentSDK",
      formats: ["es", "iife"],
      fileName: (format) => (format === "es" ? "omniagent.js" : "omniagent.standalone.js"),
    },
  },
});
