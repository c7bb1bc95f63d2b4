// The package's one declaration file: src/index.ts holds the whole public surface, so its emitted
// declarations stand alone as web/dist/sdk/v1/omniagent.d.ts (the other modules' are not published).
import { copyFileSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const emitted = `${here}../dist/sdk/types/index.d.ts`;
const text = readFileSync(emitted, "utf8");
const imports = text.match(/^import .*$/gm) ?? [];
if (imports.length > 0) throw new Error(`omniagent.d.ts must not import other modules: ${imports.join("; ")}`);
copyFileSync(emitted, `${here}../dist/sdk/v1/omniagent.d.ts`);
