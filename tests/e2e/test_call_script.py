"""The README's phone walkthrough: `scripts/call.py`, fed lines on its standard input, calls a number
bound to an agent through the devhost's ACS stand-in, prints what the agent plays and says each line
when the agent listens (an empty line is silence); a WAV is said as its provider transcribes it. The
stand-in's record of the call is checked against what the script printed."""

from __future__ import annotations

import json
import math
import secrets
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from shared.audio.pcm import from_wav, to_wav
from tests.devhost.acs_world import AcsControl
from tests.devhost.helpers import REPO_ROOT, free_port
from tests.e2e.builders import create, new_agent

T = 30
GREETING = "Hello, thanks for calling Ava's bakery."
CALLER = "+15551230077"
SHIPPING = "Orders arrive within 3 to 5 business days."
RETURNS = "Yes, within 30 days, for a full refund."


def _number() -> str:
    return "+1444" + "".join(secrets.choice("0123456789") for _ in range(7))


def _bound_agent(platform, key) -> str:
    number = _number()
    agent = new_agent(platform, key, greeting=GREETING)
    bound = requests.put(
        platform.url(f"/public/agents/{agent['id']}/channels/sip"),
        json={"phoneNumbers": [number]},
        headers=key.headers,
        timeout=T,
    )
    assert bound.status_code in (200, 201), bound.text
    return number


def call(platform, number: str, lines: str, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "scripts/call.py", number, "--from", CALLER, *options]
    command += ["--base-url", platform.url("").rstrip("/"), "--data-dir", str(platform.host.data_dir)]
    return subprocess.run(
        command, input=lines, capture_output=True, text=True, cwd=REPO_ROOT, timeout=180, check=False
    )


def _call_id(stdout: str) -> str:
    connected = [line for line in stdout.splitlines() if line.startswith("[connected: call ")]
    assert len(connected) == 1, stdout
    return connected[0].removeprefix("[connected: call ").removesuffix("]")


def _calls(platform) -> list[dict[str, Any]]:
    response = requests.get(
        platform.url("/devhost/acs/calls"), headers=platform.host.admin_headers(), timeout=T
    )
    assert response.status_code == 200, response.text
    return list(response.json()["value"])


def _speech_wav(path: Path) -> Path:
    samples = [int(8000 * math.sin(2 * math.pi * 220 * n / 16_000)) for n in range(16_000)]  # 1 s
    path.write_bytes(to_wav(struct.pack(f"<{len(samples)}h", *samples)))
    return path


def test_the_call_script_hears_the_greeting_says_a_silence_then_a_line_and_hears_the_reply(
    platform, model_key, model
):
    number = _bound_agent(platform, model_key)
    reply = "We open at nine every morning."
    model.reply_text(reply)

    done = call(platform, number, "\nWhen do you open?\n")

    assert done.returncode == 0, (done.stdout, done.stderr)
    lines = done.stdout.splitlines()
    assert lines[0] == f"[calling {number} from {CALLER}]", done.stdout
    assert lines[2:] == [GREETING, reply, "[hung up]"], done.stdout
    assert [request.messages[-1]["content"] for request in model.chat_requests] == ["When do you open?"]
    record = AcsControl(platform.host).call(_call_id(done.stdout))
    assert record["state"] == "disconnected"  # the script hung up after the reply (end of input)
    outcomes = [recognition["outcome"] for recognition in record["recognitions"]]
    # The silence, the line, and the reply's recognition the hang-up left (the stand-in keeps "queued").
    assert outcomes[-3:] == ["silence", "recognized", "queued"], outcomes
    # The record says when the caller's words were posted and when the reply's request came (the
    # benchmark's figures): in that order.
    recognized = [e for e in record["events"] if e["type"].endswith(".RecognizeCompleted")]
    assert len(recognized) == 1
    assert record["played"][-1]["text"] == reply
    assert recognized[0]["postedAt"] <= record["played"][-1]["requestedAt"]


def test_the_readme_call_an_agent_without_a_greeting_answers_from_its_faqs(platform, project_key):
    # As the README: a hosted key (the offline model answers from FAQs), an agent with no greeting,
    # which hears the caller first.
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
    agent = new_agent(platform, project_key, faqCollections=[faqs["id"]])
    number = _number()
    bound = requests.put(
        platform.url(f"/public/agents/{agent['id']}/channels/sip"),
        json={"phoneNumbers": [number]},
        headers=project_key.headers,
        timeout=T,
    )
    assert bound.status_code in (200, 201), bound.text

    done = call(platform, number, "how long does delivery take?\ncan I get my money back?\n")

    assert done.returncode == 0, (done.stdout, done.stderr)
    assert done.stdout.splitlines()[2:] == [SHIPPING, RETURNS, "[hung up]"], done.stdout


def test_the_call_script_says_a_wav_and_writes_the_agents_lines_as_audio_with_the_keys_provider(
    platform, model_key, model, tmp_path
):
    number = _bound_agent(platform, model_key)
    model.transcribe_as("A table for two, please.")
    model.reply_text("Sure, a table for two at eight.")
    wav = _speech_wav(tmp_path / "table.wav")

    audio = tmp_path / "heard"
    provider = json.dumps(model.provider())
    done = call(platform, number, "", "--wav", str(wav), "--provider", provider, "--audio-dir", str(audio))

    assert done.returncode == 0, (done.stdout, done.stderr)
    lines = done.stdout.splitlines()
    assert lines[0] == "[table.wav: A table for two, please.]", done.stdout
    assert lines[3:] == [GREETING, "Sure, a table for two at eight.", "[hung up]"], done.stdout
    assert len(model.transcriptions) == 1
    assert model.transcriptions[0].audio == wav.read_bytes()
    assert model.chat_requests[-1].messages[-1] == {"role": "user", "content": "A table for two, please."}
    # What the agent played, spoken by the same provider into numbered WAV files.
    assert [(speech.input, speech.voice) for speech in model.speeches] == [
        (GREETING, "alloy"),
        ("Sure, a table for two at eight.", "alloy"),
    ]
    assert sorted(path.name for path in audio.iterdir()) == ["001.wav", "002.wav"]
    assert all(len(from_wav(path.read_bytes())) > 0 for path in audio.iterdir())


def test_a_wav_without_a_provider_that_hears_exits_2_before_dialling(platform, tmp_path):
    before = len(_calls(platform))
    wav = _speech_wav(tmp_path / "hello.wav")

    done = call(platform, _number(), "", "--wav", str(wav))

    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "'hosted' does not transcribe speech" in done.stderr, done.stderr
    assert "--provider" in done.stderr, done.stderr
    assert len(_calls(platform)) == before  # nobody was called


def test_an_unbound_number_says_how_to_bind_it(platform):
    number = _number()

    done = call(platform, number, "Hello?\n")

    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "was rejected" in done.stderr, done.stderr
    assert "/public/agents/$AGENT/channels/sip" in done.stderr, done.stderr
    assert f'{{"phoneNumbers": ["{number}"]}}' in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_no_devhost_is_a_clear_error(platform):
    command = [sys.executable, "scripts/call.py", _number(), "--base-url", f"http://127.0.0.1:{free_port()}"]
    command += ["--data-dir", str(platform.host.data_dir)]
    done = subprocess.run(command, input="", capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)

    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "No devhost answers at http://127.0.0.1:" in done.stderr, done.stderr
    assert "./dev up" in done.stderr
    assert "Traceback" not in done.stderr
