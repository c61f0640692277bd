"""The cloud step against a live OpenStack: the one type mapping, seeding, and the read-only audit."""
