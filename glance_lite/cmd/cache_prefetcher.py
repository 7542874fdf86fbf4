"""glance-cache-prefetcher: caches the queued images (cli.md §5).

Run from cron it prints nothing; run by hand (stdout is a terminal) it reports each
image as it is done.  Exit status 1 when any queued image could not be cached.
"""
import sys

from glance_lite.cmd import _cache_tool
from glance_lite.common import context, keystone
from glance_lite.image_cache import prefetcher
from glance_lite.registry import client as registry_client
from glance_lite import store


def _admin_context(conf):
    """Who the prefetcher is to the registry: an administrator."""
    token = None
    if conf.auth_strategy == 'keystone':
        missing = [name for name in ('auth_url', 'admin_user', 'admin_password')
                   if not getattr(conf, name)]
        if missing:
            raise RuntimeError('auth_strategy = keystone needs %s' % ', '.join(missing))
        token = keystone.get_token(conf.auth_url, conf.admin_user, conf.admin_password,
                                   project_name=conf.admin_tenant_name)
    return context.admin_context(roles=['admin'], auth_token=token)


def _print_progress(outcome, done, total):
    print('[%d/%d] %s: %s (%s)' % (done, total, outcome.image_id, outcome.state,
                                   outcome.detail), flush=True)


def _prefetch(conf, cache):
    stores = store.load_stores(conf)
    registry = registry_client.RegistryClient(conf).for_context(_admin_context(conf))
    by_hand = sys.stdout.isatty()
    outcomes = prefetcher.Prefetcher(
        cache, registry, stores, progress=_print_progress if by_hand else None).run_once()
    failed = [o.image_id for o in outcomes if o.state == 'failed']
    if by_hand:
        if not outcomes:
            print('No queued images.')
        else:
            print('Cached %d, skipped %d, failed %d.'
                  % (sum(o.state == 'cached' for o in outcomes),
                     sum(o.state == 'skipped' for o in outcomes), len(failed)))
    if failed:
        return _cache_tool.fail('Could not cache %d of %d queued images: %s'
                                % (len(failed), len(outcomes), ', '.join(sorted(failed))))
    return 0


def main(argv=None):
    return _cache_tool.run('glance-cache-prefetcher', argv, _prefetch)


if __name__ == '__main__':
    sys.exit(main())
