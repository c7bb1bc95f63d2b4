"""``transfer_call``: the built-in human handoff of a phone session (``shared/phone/handoff.py``): the
caller hears a short line and the call is transferred to the SIP config's ``transferExtension``. The
outcome is the tool's result; ACS reports the transfer itself to the call's callbacks."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.phone.handoff import transfer
from shared.platform import get_platform
from shared.tools.records import ToolCall

bp = df.Blueprint()


@bp.function_name(names.TRANSFER_CALL)
@bp.activity_trigger(input_name="request")
def transfer_call(request: dict[str, Any]) -> dict[str, Any]:
    planned = request["call"]
    return transfer(get_platform(), ToolCall.from_dict(planned), str(planned["extension"])).to_dict()
