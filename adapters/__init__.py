"""Upstream adapters: the Responses API translated to and from each upstream's dialect.

This package knows upstream APIs and nothing about routing; `router` imports it, never
the other way round.
"""
