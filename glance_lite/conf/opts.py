"""Option lists for oslo-config-generator, one per program."""
import itertools

from glance_lite.conf import (api, context, database, paging, paste, registry,
                              registry_client, server, store)


def _merge(*modules):
    groups = {}
    for group, opts in itertools.chain.from_iterable(m.list_opts() for m in modules):
        groups.setdefault(group, []).extend(opts)
    return list(groups.items())


def list_api_opts():
    return _merge(server, paste, context, paging, api, registry_client, store)


def list_registry_opts():
    return _merge(server, paste, context, paging, registry, database)


def list_manage_opts():
    return _merge(database)
