"""Option lists for oslo-config-generator, one per program."""
import itertools

from glance_lite.conf import (api, cache, context, database, delayed_delete, encryption,
                              paging, paste, registry, registry_auth, registry_client,
                              scrubber, server, store)


def _merge(*modules):
    groups = {}
    for group, opts in itertools.chain.from_iterable(m.list_opts() for m in modules):
        groups.setdefault(group, []).extend(opts)
    return list(groups.items())


def list_api_opts():
    return _merge(server, paste, context, paging, api, registry_client, store,
                  delayed_delete, encryption, cache)


def list_registry_opts():
    return _merge(server, paste, context, paging, registry, database)


def list_manage_opts():
    return _merge(database)


def list_scrubber_opts():
    return _merge(database, store, delayed_delete, scrubber, encryption)


def list_cache_opts():
    return _merge(cache, registry_client, registry_auth, encryption, store)
