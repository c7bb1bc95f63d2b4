"""What an agent remembers of one end user, per companion and ``externalClientId`` (``records``), how a
finished conversation is folded into it (``folding``, no I/O), and where it is kept (``store``)."""
