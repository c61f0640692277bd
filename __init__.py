"""govctl: infrastructure as code for a provincial e-government cloud (1+N+M) and extranet.

The repository root is this package: `stacks/`, `network/`, `ipv6/`, ... install as
`govctl.stacks`, `govctl.network`, `govctl.ipv6` (pyproject.toml maps the root to `govctl`).
"""
