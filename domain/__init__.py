"""The pure core: money, the autonomy policy, the ports and the use cases.

Nothing in this package performs I/O, reads the environment or the clock; everything it needs
arrives through the Protocols in ``domain.ports``.
"""
