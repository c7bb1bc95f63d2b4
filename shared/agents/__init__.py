"""Agents (Omniagents): their published shape, our additive extensions, and the rules that check them."""
