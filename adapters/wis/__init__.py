"""A WIS-style node: areas, requests, answers, posts and a change log over HTTP/JSON.

`mock.py` is a node of our own for tests and demos; `channel.py` sends Lägesbild's
changes to a node; `inbound.py` reads answers from a node into reports.
"""
