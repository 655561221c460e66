"""The `autorouter` command line, and running the server as a daemon.

The top layer: may import every other room of `router`; nothing imports it but
`router.__main__`.
"""
