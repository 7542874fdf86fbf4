"""Option declarations.

Each module declares the options of one area and exposes ``register_opts(conf)`` and
``list_opts()``; nothing here reads option values.  Programs register exactly the
areas they use through the ``register_*`` helpers below.
"""
from glance_lite.conf import (api, cache, context, database, delayed_delete, encryption,
                              paging, paste, registry, registry_auth, registry_client,
                              scrubber, server, store)


def register_api_opts(conf):
    for module in (server, paste, context, paging, api, registry_client, store,
                   delayed_delete, encryption, cache):
        module.register_opts(conf)


def register_registry_opts(conf):
    for module in (server, paste, context, paging, registry, database):
        module.register_opts(conf)


def register_manage_opts(conf):
    database.register_opts(conf)


def register_scrubber_opts(conf):
    for module in (database, store, delayed_delete, scrubber, encryption):
        module.register_opts(conf)


def register_cache_opts(conf):
    """glance-cache-pruner, glance-cache-cleaner and glance-cache-prefetcher."""
    for module in (cache, registry_client, registry_auth, encryption, store):
        module.register_opts(conf)
