"""IPv6 address planning: hierarchical, deterministic, stable under insertion."""
