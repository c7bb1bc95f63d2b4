// Azure's Speech avatar as its own ES module (web/dist/sdk/v1/speech-avatar.js, the Speech SDK inside):
// kept out of omniagent.js, loaded by it on demand from the same base URL.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  build: {
    outDir: `${here}../dist/sdk/v1`,
    emptyOutDir: false, // beside the SDK's files, built just before
    sourcemap: true,
    target: "es2022",
    lib: {
      entry: `${here}src/speech-avatar.ts`,
      formats: ["es"],
      fileName: () => "speech-avatar.js",
    },
  },
});
