"""Timer triggers: work the platform does on a schedule (thin; the rules are in ``shared/``)."""
