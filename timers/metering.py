"""Hourly metering: report settled hours' active minutes to the Azure Marketplace.

Runs at minute 20 of every hour (UTC): the hour that ended 80 minutes earlier is settled by then
(``shared.billing.metering``), and each hour gets about 21 runs before it is too old to report. Does
nothing while billing is off (the Marketplace settings unset). ``POST /admin/functions/meter_usage``
runs it now on the devhost (and on the Functions host, with the master key).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import azure.functions as func

from shared.billing.marketplace import marketplace_client
from shared.billing.metering_run import billing_from, meter
from shared.billing.subscriptions import subscription_store
from shared.billing.usage_store import usage_store
from shared.platform import get_platform

bp = func.Blueprint()
log = logging.getLogger("omniagent.billing.metering")

# NCRONTAB (seconds first): at minute 20 of every hour.
METERING_SCHEDULE = "0 20 * * * *"


@bp.function_name("meter_usage")
@bp.timer_trigger(arg_name="timer", schedule=METERING_SCHEDULE, run_on_startup=False, use_monitor=True)
def meter_usage(timer: func.TimerRequest) -> None:
    platform = get_platform()
    if not platform.settings.marketplace.enabled:
        log.info("Billing is off (no Marketplace settings): nothing to meter.")
        return
    billing = billing_from(subscription_store(platform))
    meter(datetime.now(UTC), usage_store(), marketplace_client(), billing)
