"""azd prepackage hook of the `api` service: stage the app that `azd deploy` zips, with the host.json of the
chosen Durable Functions backend.

The repository's host.json stays on the Azure Storage backend, so `func start` (Azurite) and the devhost work
unchanged. azure.yaml points the service's `dist` at the staging folder written here (infra/.package/api,
git-ignored by infra/.gitignore; not under .azure/, where azd takes every folder for an environment), and azd
zips that folder with the .funcignore copied into it. The postpackage hook removes it again (--clean).

DURABLE_BACKEND (azd environment; azd passes its values to hooks) selects the backend, with the same default
as infra/main.bicep's durableBackend parameter:

- scheduler (default): storageProvider becomes {"type": "azureManaged", "connectionStringName":
  "DURABLE_TASK_SCHEDULER_CONNECTION_STRING"}, the app setting main.bicep writes.
  https://learn.microsoft.com/azure/durable-task/scheduler/durable-task-scheduler-identity
  The GA extension bundle carries the Durable Task Scheduler provider
  (Microsoft.Azure.WebJobs.Extensions.DurableTask.AzureManaged) from 4.30.0 on
  (https://github.com/Azure/azure-functions-extension-bundles, src/Microsoft.Azure.Functions.ExtensionBundle/
  extensions.json), so a lower bound below that is raised to 4.30.0 in the staged copy.
- storage: host.json is staged as it is.

Why a staged file and not an app setting: Functions does apply
AzureFunctionsJobHost__extensions__durableTask__storageProvider__type to the running host
(https://learn.microsoft.com/azure/azure-functions/functions-host-json#override-hostjson-values), but the
scale controller takes the Durable settings from the SyncTriggers payload, which the host builds from the
host.json file on disk, without app-setting overrides
(https://github.com/Azure/azure-functions-durable-extension/issues/2622,
https://github.com/Azure/azure-functions-host/pull/8229). On Flex Consumption the app would run on one
backend and be scaled on the other. host.json cannot name the type through %APP_SETTING% either: the
extension resolves %...% only in hubName (DurableTaskOptions.ResolveAppSettingOptions).

The browser code (web/: the Web SDK and the Playground the app serves) is built into web/dist first with
`npm ci` and `npm run build` (Node 20+, as for local work); .funcignore keeps its sources out of the zip.
`--skip-web` stages without building (tests of the staging itself).

Standard library only; paths are taken from the repository root this file sits in (two levels up):
    python3 infra/hooks/stage_package.py [--backend scheduler|storage] [--out DIR] [--clean]
"""

from __future__ import annotations

import argparse
import copy
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

BACKENDS = ("scheduler", "storage")
DEFAULT_BACKEND = "scheduler"
REPO_ROOT = Path(__file__).resolve().parents[2]
# azure.yaml's `dist` of the api service names the same folder.
DEFAULT_OUT = Path("infra") / ".package" / "api"
SCHEDULER_CONNECTION_SETTING = "DURABLE_TASK_SCHEDULER_CONNECTION_STRING"
GA_BUNDLE_ID = "Microsoft.Azure.Functions.ExtensionBundle"
MIN_SCHEDULER_BUNDLE = (4, 30, 0)  # first GA 4.x bundle with the AzureManaged provider
IGNORE_FILE = ".funcignore"
# Never copied, whatever .funcignore says: not part of any package, and large.
ALWAYS_SKIPPED = {".git", ".azure"}


def scheduler_host_json(host: dict[str, Any]) -> dict[str, Any]:
    """host.json for the Durable Task Scheduler: same settings, storage provider azureManaged."""
    staged: dict[str, Any] = copy.deepcopy(host)
    durable = staged.setdefault("extensions", {}).setdefault("durableTask", {})
    # Azure Storage-only provider options would not apply to DTS; the provider block is replaced whole.
    durable["storageProvider"] = {
        "type": "azureManaged",
        "connectionStringName": SCHEDULER_CONNECTION_SETTING,
    }
    bundle = staged.get("extensionBundle")
    if isinstance(bundle, dict) and bundle.get("id") == GA_BUNDLE_ID:
        bundle["version"] = _raise_bundle_floor(str(bundle.get("version", "")))
    return staged


def _raise_bundle_floor(version_range: str) -> str:
    """`[4.*, 5.0.0)` or `[4.0.0, 5.0.0)` -> `[4.30.0, 5.0.0)`; a 4.x floor at or above 4.30 is kept."""
    match = re.fullmatch(r"\[\s*4\.(\*|\d+)(?:\.[\d*]+)?\s*,\s*([^\])]+?)\s*\)", version_range)
    if not match:
        raise SystemExit(
            f"stage_package: extensionBundle version {version_range!r} is not a 4.x range; the Durable Task "
            "Scheduler needs Microsoft.Azure.Functions.ExtensionBundle 4.30.0 or later."
        )
    minor, upper = match.group(1), match.group(2)
    if minor != "*" and int(minor) >= MIN_SCHEDULER_BUNDLE[1]:
        return version_range
    return "[{}.{}.{}, {})".format(*MIN_SCHEDULER_BUNDLE, upper)


def _ignore_patterns(root: Path) -> tuple[list[str], list[str]]:
    """Name patterns of .funcignore (no slash, no negation) for files and for folders only.

    Only a shortcut that keeps .venv, node_modules and the like out of the copy: azd applies the whole
    .funcignore again to the staged folder, so anything this does not understand is left to azd.
    """
    path = root / IGNORE_FILE
    if not path.exists():
        return [], []
    lines = [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    if any(p.startswith("!") for p in patterns):
        return [], []  # negations: leave all filtering to azd
    any_kind = [p for p in patterns if "/" not in p]
    dirs_only = [p.rstrip("/") for p in patterns if p.endswith("/") and "/" not in p.rstrip("/")]
    return any_kind, dirs_only


def _skipped(name: str, is_dir: bool, any_kind: list[str], dirs_only: list[str]) -> bool:
    if name == IGNORE_FILE:
        return False  # azd reads it from the staged folder
    if name in ALWAYS_SKIPPED and is_dir:
        return True
    patterns = any_kind + (dirs_only if is_dir else [])
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _staging_dir(root: Path, out: Path) -> Path:
    out = (root / out).resolve()
    if out == root or root not in out.parents:
        raise SystemExit(f"stage_package: {out} must be a folder inside {root}")
    return out


def stage(root: Path, out: Path, backend: str) -> Path:
    root = root.resolve()
    out = _staging_dir(root, out)
    host_file = root / "host.json"
    host = json.loads(host_file.read_text(encoding="utf-8"))
    any_kind, dirs_only = _ignore_patterns(root)

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        skipped = set()
        for name in names:
            entry = here / name
            is_dir = entry.is_dir()
            if is_dir and (entry.resolve() == out or out in entry.resolve().parents):
                skipped.add(name)
            elif is_dir and (entry / "pyvenv.cfg").exists():
                skipped.add(name)  # any virtual environment, whatever its name
            elif _skipped(name, is_dir, any_kind, dirs_only):
                skipped.add(name)
        return skipped

    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(root, out, ignore=ignore)
    if backend == "scheduler":  # storage: host.json is copied as it is
        staged = json.dumps(scheduler_host_json(host), indent=2) + "\n"
        (out / "host.json").write_text(staged, encoding="utf-8")
    return out


def build_web(root: Path) -> None:
    """web/ -> web/dist with the locked packages, so the package serves what the repository holds."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "stage_package: npm (Node.js 20+) is needed to build the browser code in web/ before packaging"
        )
    for command in ([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], [npm, "run", "build"]):
        completed = subprocess.run(command, cwd=root, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"stage_package: {' '.join(command[1:])} failed (exit {completed.returncode})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=os.environ.get("DURABLE_BACKEND") or DEFAULT_BACKEND)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    parser.add_argument("--clean", action="store_true", help="remove the staging folder (postpackage)")
    parser.add_argument("--skip-web", action="store_true", help="do not build web/ into web/dist first")
    args = parser.parse_args(argv)
    if args.clean:
        out = _staging_dir(args.root.resolve(), args.out)
        shutil.rmtree(out, ignore_errors=True)
        if out.parent.exists() and not any(out.parent.iterdir()):
            out.parent.rmdir()
        return 0
    backend = args.backend.strip().lower()
    if backend not in BACKENDS:
        choices = ", ".join(BACKENDS)
        message = f"stage_package: DURABLE_BACKEND must be one of {choices}, not {args.backend!r}"
        print(message, file=sys.stderr)
        return 2
    if not args.skip_web:
        build_web(args.root.resolve())
    out = stage(args.root, args.out, backend)
    durable = json.loads((out / "host.json").read_text())["extensions"]["durableTask"]
    provider = json.dumps(durable.get("storageProvider", {}))
    print(f"stage_package: staged {out} for Durable backend '{backend}' (storageProvider {provider})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
