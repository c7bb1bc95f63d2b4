// The Web SDK: one source, two files served at /sdk/v1/ (api/web_assets.py) and packaged for npm
// (web/sdk/package.json): an ES module exporting `init`, and a standalone script defining the global
// `OmniagentSDK`. The Speech avatar (speech-avatar.js, with the Speech SDK) is built apart by
// vite.speech-avatar.config.mjs: the SDK imports it from its own base URL only when a token needs it.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  build: {
    outDir: `${here}../dist/sdk/v1`,
    emptyOutDir: true,
    sourcemap: true,
    target: "es2022",
    // The standalone script finds its base URL through document.currentScript (src/session.ts):
    // its import.meta, emptied in the IIFE output, is never read there.
    rolldownOptions: { checks: { emptyImportMeta: false } },
    lib: {
      entry: `${here}src/index.ts`,
      name: "OmniagentSDK",
      formats: ["es", "iife"],
      fileName: (format) => (format === "es" ? "omniagent.js" : "omniagent.standalone.js"),
    },
  },
});
