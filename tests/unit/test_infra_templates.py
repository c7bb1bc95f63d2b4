"""A static check of infra/ without the Bicep compiler (it ships on NuGet, out of reach here): every .bicep
file's brackets and strings close, every module main.bicep calls exists, takes the params it is given and
is given the ones it requires, every `<module>.outputs.<name>` read is an output of that module, and the
parameter file maps only parameters main.bicep declares. It catches the typos a build would; it does not
replace `az bicep build`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.devhost.helpers import REPO_ROOT

INFRA = REPO_ROOT / "infra"
MAIN = INFRA / "main.bicep"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))
CLOSERS = {"}": "{", "]": "[", ")": "("}


def unclosed(text: str) -> list[str]:
    """Problems with the file's brackets, strings and comments (empty: all closed)."""
    stack: list[str] = []  # open brackets, "'" for a string, "${" for an interpolation in a string
    i, line = 0, 1
    while i < len(text):
        char, pair = text[i], text[i : i + 2]
        top = stack[-1] if stack else ""
        if char == "\n":
            line += 1
        if top == "'":
            if char == "\\":
                i += 2
                continue
            if pair == "${":
                stack.append("${")
                i += 2
                continue
            if char == "'":
                stack.pop()
            elif char == "\n":
                return [f"line {line - 1}: a string runs past the end of the line"]
        elif text[i : i + 3] == "'''":  # a multi-line string: no escapes, no interpolation
            end = text.find("'''", i + 3)
            if end < 0:
                return [f"line {line}: a multi-line string is never closed"]
            line += text.count("\n", i, end)
            i = end + 3
            continue
        elif pair == "//":
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
            continue
        elif pair == "/*":
            end = text.find("*/", i)
            if end < 0:
                return [f"line {line}: a comment is never closed"]
            line += text.count("\n", i, end)
            i = end + 2
            continue
        elif char == "'":
            stack.append("'")
        elif char in "{[(":
            stack.append(char)
        elif char == "}" and top == "${":
            stack.pop()
        elif char in CLOSERS:
            if top != CLOSERS[char]:
                return [f"line {line}: {char!r} closes {top or 'nothing'}"]
            stack.pop()
        i += 1
    return [f"not closed at the end: {''.join(stack)}"] if stack else []


def declared(path: Path, kind: str) -> dict[str, bool]:
    """The file's `param` (name -> has a default) or `output` (name -> True) declarations."""
    found = re.findall(rf"^{kind}\s+(\w+)\b(.*)$", path.read_text(), re.MULTILINE)
    return {name: "=" in rest for name, rest in found}


def modules_of_main() -> dict[str, tuple[Path, set[str]]]:
    """main.bicep's modules: symbol -> (file, the params it passes)."""
    modules: dict[str, tuple[Path, set[str]]] = {}
    lines = MAIN.read_text().splitlines()
    for number, text in enumerate(lines):
        match = re.match(r"module (\w+) '([^']+)' = ", text)
        if not match:
            continue
        params: set[str] = set()
        inside = False
        for body in lines[number + 1 :]:
            if body == "}":
                break
            if body == "  params: {":
                inside = True
            elif inside and body == "  }":
                inside = False
            elif inside and (key := re.match(r"^    (\w+):", body)):
                params.add(key.group(1))
        modules[match.group(1)] = (INFRA / match.group(2), params)
    return modules


def test_the_check_finds_what_it_is_for():
    assert unclosed("param a string = 'x'\nvar b = { c: [1, 2] }\n") == []
    assert unclosed("var s = 'a ${b} c'\nvar t = '''\nmulti\n'''\n") == []
    assert unclosed("var o = {\n  a: 'it\\'s'\n}\n// it's a comment\n") == []
    assert unclosed("var o = {\n  a: [1, 2\n}\n") == ["line 3: '}' closes ["]
    assert unclosed("var o = { a: 'x }\n") == ["line 1: a string runs past the end of the line"]
    assert unclosed("var o = { a: 1\n") == ["not closed at the end: {"]
    assert declared(MAIN, "param")["durableTaskHubName"] is True
    assert declared(MAIN, "param")["environmentName"] is False


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_template_closes_what_it_opens(path: Path):
    assert unclosed(path.read_text()) == []


def test_every_module_exists_and_gets_the_params_it_declares_and_requires():
    modules = modules_of_main()
    assert len(modules) >= 15
    for symbol, (path, passed) in modules.items():
        assert path.is_file(), symbol
        params = declared(path, "param")
        assert passed <= set(params), f"{symbol}: {sorted(passed - set(params))} are not in {path.name}"
        required = {name for name, has_default in params.items() if not has_default}
        assert required <= passed, f"{symbol}: {sorted(required - passed)} not given"


def test_every_output_read_from_a_module_is_one_it_declares():
    modules = modules_of_main()
    reads = set(re.findall(r"\b(\w+)\.outputs\.(\w+)", MAIN.read_text()))
    assert len(reads) > 30
    for symbol, output in reads:
        assert output in declared(modules[symbol][0], "output"), f"{symbol}.outputs.{output}"


def test_the_parameter_file_maps_only_declared_parameters():
    mapped = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    params = declared(MAIN, "param")
    assert set(mapped) <= set(params)
    assert {"environmentName", "location", "acsDataLocation"} <= set(mapped)
