"""Plain helper module imported by the blueprint (sibling-module import)."""

import os


def price_line(quantity: int, unit_price: float) -> float:
    tax_rate = float(os.environ.get("ORDER_TAX_RATE", "0"))
    return round(quantity * unit_price * (1 + tax_rate), 2)
