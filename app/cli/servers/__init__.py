"""Local PostgreSQL, Redis and nginx (Debian's packages) for the scaled stack and the tests:
each on loopback, with its own data folder, started and stopped by us (never a system service).

``postgres.PostgresServer``, ``redis.RedisServer``, ``nginx.NginxServer``.
"""
