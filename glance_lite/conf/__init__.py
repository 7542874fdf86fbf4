"""Option declarations.

Each module declares the options of one area and exposes ``register_opts(conf)`` and
``list_opts()``; nothing here reads option values.  Programs register exactly the
areas they use through the ``register_*`` helpers below.
"""
from glance_lite.conf import (api, context, database, paging, paste, registry,
                              registry_client, server, store)


def register_api_opts(conf):
    for module in (server, paste, context, paging, api, registry_client, store):
        module.register_opts(conf)


def register_registry_opts(conf):
    for module in (server, paste, context, paging, registry, database):
        module.register_opts(conf)


def register_manage_opts(conf):
    database.register_opts(conf)
