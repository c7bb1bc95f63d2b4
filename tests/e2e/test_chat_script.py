"""The README's "Talk to it" walkthrough: `scripts/chat.py`, fed lines on its standard input as the
README's `printf` does, talks to an agent over the published session protocol and prints the answers
the offline model finds in the agent's FAQs, then in its knowledge collection (with the citation)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import requests

from tests.devhost.helpers import REPO_ROOT
from tests.e2e.builders import create, new_agent
from tests.e2e.conftest import ProjectKey
from tests.e2e.test_knowledge_files import new_collection, upload_file, wait_until_done

T = 30
SHIPPING = "Orders arrive within 3 to 5 business days."
RETURNS = "Yes, within 30 days, for a full refund."


def chat(platform: Any, key: ProjectKey, agent_id: str, lines: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "scripts/chat.py", "--key", key.key, "--agent", agent_id]
    command += ["--base-url", platform.url("").rstrip("/")]
    done = subprocess.run(
        command, input=lines, capture_output=True, text=True, cwd=REPO_ROOT, timeout=180, check=False
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done


def test_the_chat_script_answers_from_the_faqs_then_from_a_document(platform, project_key):
    agent = new_agent(
        platform,
        project_key,
        name="Support",
        language="en",
        providerSettings={"instructions": "Help customers with their orders."},
    )
    faqs = create(
        platform,
        project_key,
        "/public/faqs",
        {
            "name": "Shop",
            "faqs": [
                {"question": "What are your shipping times?", "answer": SHIPPING},
                {"question": "Can I return an item?", "answer": RETURNS},
            ],
        },
    )
    agent_url = platform.url(f"/public/agents/{agent['id']}")
    patched = requests.patch(
        agent_url, json={"faqCollections": [faqs["id"]]}, headers=project_key.headers, timeout=T
    )
    assert patched.status_code == 200, patched.text

    first = chat(
        platform, project_key, agent["id"], "how long does delivery take?\ncan I get my money back?\n"
    )
    lines = first.stdout.splitlines()
    assert lines[0].startswith("[session sess_") and lines[0].endswith(" started]"), first.stdout
    assert [line for line in lines if line in (SHIPPING, RETURNS)] == [SHIPPING, RETURNS], first.stdout
    assert lines[-1] == "[session ended: client, 1 minute(s)]", first.stdout

    kb = new_collection(platform, project_key)
    warranty = b"# Warranty\n\nEvery kettle has a two year warranty covering the heating element.\n"
    file_id = upload_file(platform, project_key, kb, "warranty.md", warranty).json()["id"]
    file, _ = wait_until_done(platform, project_key, kb, file_id)
    assert file["status"] == "ready", file
    patched = requests.patch(agent_url, json={"knowledgeBaseId": kb}, headers=project_key.headers, timeout=T)
    assert patched.status_code == 200, patched.text

    second = chat(platform, project_key, agent["id"], "how long is the kettle warranty?\n")
    assert "two year warranty" in second.stdout, second.stdout
    assert "  [1] Warranty" in second.stdout.splitlines(), second.stdout
    assert second.stdout.splitlines()[-1] == "[session ended: client, 1 minute(s)]", second.stdout
