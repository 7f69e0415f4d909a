"""The HTTP adapter for a BSS that speaks the TM Forum Open APIs (TMF666, TMF678, TMF622).

``vocabulary`` and ``money`` say how the wire maps onto the domain (the part an operator adapts
to its vendor); ``client`` is the resilient HTTP layer; ``adapter`` implements the ports;
``conformance`` checks exchanges against the official specs in ``specs/``.
"""
