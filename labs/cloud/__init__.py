"""The local OpenStack: `govctl lab cloud`."""
