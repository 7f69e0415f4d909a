"""The agent console: server-rendered pages (Jinja2) for staff, every asset served from here.

auth.py signs staff in (cookie sessions for pages, bearer tokens for the APIs), guards.py holds
the cookie, CSRF and redirect rules, templating.py renders pages with the console's headers.
"""
