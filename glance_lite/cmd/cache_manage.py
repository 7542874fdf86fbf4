"""glance-cache-manage: list, queue and delete the images in the cache of one
glance-api, through its cache management API (cli.md §4).

Commands that change something ask for confirmation unless ``-f``.  Exit status 0 on
success (or when the user declined), 1 on any error.
"""
import argparse
import collections
import datetime
import logging
import os
import sys
import time

import prettytable
from oslo_utils import uuidutils

from glance_lite.common import exception, keystone
from glance_lite.image_cache import client as cache_client
from glance_lite import version

PROG = 'glance-cache-manage'
SUCCESS, FAILURE = 0, 1


class _Failure(Exception):
    """A command cannot go on: the message is printed and the status is 1."""


def _client(args):
    return cache_client.CacheManageClient(args.host, args.port, _auth_token(args),
                                          insecure=args.insecure)


def _auth_token(args):
    """The token to send: ``--os-auth-token``, else one from Keystone when the
    strategy is keystone, else none."""
    if args.os_auth_token:
        return args.os_auth_token
    if args.os_auth_strategy != 'keystone':
        return None
    missing = [flag for flag, value in (('--os-auth-url', args.os_auth_url),
                                        ('--os-username', args.os_username),
                                        ('--os-password', args.os_password)) if not value]
    if missing:
        raise RuntimeError('Keystone authentication needs %s' % ', '.join(missing))
    return keystone.get_token(
        args.os_auth_url, args.os_username, args.os_password,
        project_name=args.os_project_name, project_id=args.os_project_id,
        user_domain_id=args.os_user_domain_id or args.os_domain_id,
        project_domain_id=args.os_project_domain_id or args.os_domain_id,
        insecure=args.insecure)


def _confirm(args, question):
    if args.force:
        return True
    sys.stdout.write('%s [y/N] ' % question)
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ('y', 'yes')


def _image_id(args):
    """The one image id argument of the command."""
    if len(args.command) != 2:
        raise _Failure("Please specify the ID of the image you wish for command '%s' "
                       "from the cache as the first and only argument." % args.command[0])
    image_id = args.command[1]
    if not uuidutils.is_uuid_like(image_id):
        raise _Failure("Image ID '%s' is not a valid UUID." % image_id)
    return image_id


def _no_arguments(args):
    if len(args.command) > 1:
        raise _Failure("Command '%s' takes no arguments." % args.command[0])


def _confirmed(args, question, act, report):
    """A changing command: unless the user declines ``question``, ``act(client)``;
    with ``--verbose``, print ``report(what act returned)``."""
    if not _confirm(args, question):
        return SUCCESS
    done = act(_client(args))
    if args.verbose:
        print(report(done))
    return SUCCESS


def _utc(timestamp):
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.replace(tzinfo=None).isoformat()


# -- commands: each returns the exit status ------------------------------------------

def list_cached(args):
    """%(prog)s list-cached [options]

    List the cached images with their size, hits and access times (UTC).
    """
    _no_arguments(args)
    images = _client(args).get_cached_images()
    if not images:
        print('No cached images.')
        return SUCCESS
    print('Found %d cached images...' % len(images))
    table = prettytable.PrettyTable(('ID', 'Last Accessed (UTC)', 'Last Modified (UTC)',
                                     'Size', 'Hits'))
    table.align['Size'] = 'r'
    table.align['Hits'] = 'r'
    for image in images:
        accessed = image['last_accessed']
        table.add_row((image['image_id'], _utc(accessed) if accessed else 'N/A',
                       _utc(image['last_modified']), image['size'], image['hits']))
    print(table.get_string())
    return SUCCESS


def list_queued(args):
    """%(prog)s list-queued [options]

    List the images queued for caching (oldest first).
    """
    _no_arguments(args)
    images = _client(args).get_queued_images()
    if not images:
        print('No queued images.')
        return SUCCESS
    print('Found %d queued images...' % len(images))
    table = prettytable.PrettyTable(('ID',))
    for image_id in images:
        table.add_row((image_id,))
    print(table.get_string())
    return SUCCESS


def queue_image(args):
    """%(prog)s queue-image <IMAGE_ID> [options]

    Queue an image for caching by glance-cache-prefetcher.
    """
    image_id = _image_id(args)
    return _confirmed(args, 'Queue image %s for caching?' % image_id,
                      lambda client: client.queue_image(image_id),
                      lambda _: 'Queued image %s for caching' % image_id)


def delete_cached_image(args):
    """%(prog)s delete-cached-image <IMAGE_ID> [options]

    Remove an image from the cache.
    """
    image_id = _image_id(args)
    return _confirmed(args, 'Delete cached image %s?' % image_id,
                      lambda client: client.delete_cached_image(image_id),
                      lambda _: 'Deleted cached image %s' % image_id)


def delete_all_cached_images(args):
    """%(prog)s delete-all-cached-images [options]

    Remove every image from the cache.
    """
    _no_arguments(args)
    return _confirmed(args, 'Delete all cached images?',
                      lambda client: client.delete_all_cached_images(),
                      lambda count: 'Deleted %d cached images' % count)


def delete_queued_image(args):
    """%(prog)s delete-queued-image <IMAGE_ID> [options]

    Remove an image from the prefetch queue.
    """
    image_id = _image_id(args)
    return _confirmed(args, 'Delete queued image %s?' % image_id,
                      lambda client: client.delete_queued_image(image_id),
                      lambda _: 'Deleted queued image %s' % image_id)


def delete_all_queued_images(args):
    """%(prog)s delete-all-queued-images [options]

    Empty the prefetch queue.
    """
    _no_arguments(args)
    return _confirmed(args, 'Delete all queued images?',
                      lambda client: client.delete_all_queued_images(),
                      lambda count: 'Deleted %d queued images' % count)


# name -> (function, what "Failed to ..." says it was doing)
COMMANDS = collections.OrderedDict([
    ('list-cached', (list_cached, 'show cached images')),
    ('list-queued', (list_queued, 'show queued images')),
    ('queue-image', (queue_image, 'queue the specified image for caching')),
    ('delete-cached-image', (delete_cached_image, 'delete the specified cached image')),
    ('delete-all-cached-images', (delete_all_cached_images, 'delete all cached images')),
    ('delete-queued-image', (delete_queued_image, 'delete the specified queued image')),
    ('delete-all-queued-images', (delete_all_queued_images, 'delete all queued images')),
])


def _usage(function):
    text = function.__doc__ % {'prog': PROG}
    return '\n'.join(line.strip() for line in text.strip().splitlines())


def _command_list():
    width = max(len(name) for name in COMMANDS)
    lines = ['Commands:', '',
             '    %-*s  %s' % (width, 'help <command>', 'Show the usage of a command.')]
    for name, (function, _action) in COMMANDS.items():
        summary = _usage(function).splitlines()[2]
        lines.append('    %-*s  %s' % (width, name, summary))
    return '\n'.join(lines)


def _env(*names, default=None):
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return default


def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG, usage='%(prog)s [options] <command> [args]',
        description='Manage the image cache of a glance-api (its flavor must end in '
                    '+cachemanagement).',
        epilog=_command_list(), formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add('-v', '--verbose', action='store_true', help='Print more verbose output.')
    add('-d', '--debug', action='store_true',
        help='Print debugging output (errors with their traceback).')
    add('-H', '--host', metavar='ADDRESS', default='0.0.0.0',
        help='Address of the glance-api host (default: %(default)s); '
             'https://ADDRESS for TLS.')
    add('-p', '--port', metavar='PORT', type=int, default=9292,
        help='Port the glance-api host listens on (default: %(default)s).')
    add('-k', '--insecure', action='store_true',
        help='Do not verify the TLS certificate of the api (or of Keystone).')
    add('-f', '--force', action='store_true',
        help='Do not ask for confirmation before changing anything.')
    add('--os-auth-token', '--os_auth_token', '--auth_token', '-A', dest='os_auth_token',
        metavar='<token>', default=_env('OS_AUTH_TOKEN'),
        help='Token to send (env OS_AUTH_TOKEN).')
    add('--os-username', '-I', dest='os_username', metavar='<user>',
        default=_env('OS_USERNAME'), help='Keystone user name (env OS_USERNAME).')
    add('--os-password', '-K', dest='os_password', metavar='<password>',
        default=_env('OS_PASSWORD'), help='Keystone password (env OS_PASSWORD).')
    add('--os-region-name', '-R', dest='os_region_name', metavar='<region>',
        default=_env('OS_REGION_NAME'),
        help='Accepted for compatibility; the api is the one at --host and --port.')
    add('--os-project-id', '--os-tenant-id', dest='os_project_id', metavar='<id>',
        default=_env('OS_PROJECT_ID', 'OS_TENANT_ID'),
        help='Keystone project id (env OS_PROJECT_ID).')
    add('--os-project-name', '--os-tenant-name', '-T', dest='os_project_name',
        metavar='<name>', default=_env('OS_PROJECT_NAME', 'OS_TENANT_NAME'),
        help='Keystone project name (env OS_PROJECT_NAME).')
    add('--os-user-domain-id', dest='os_user_domain_id', metavar='<id>',
        default=_env('OS_USER_DOMAIN_ID'),
        help='Domain of the user (env OS_USER_DOMAIN_ID; default --os-domain-id).')
    add('--os-project-domain-id', dest='os_project_domain_id', metavar='<id>',
        default=_env('OS_PROJECT_DOMAIN_ID'),
        help='Domain of the project (env OS_PROJECT_DOMAIN_ID; default --os-domain-id).')
    add('--os-domain-id', dest='os_domain_id', metavar='<id>',
        default=_env('OS_DOMAIN_ID', default='default'),
        help='Domain of both (env OS_DOMAIN_ID; default "default").')
    add('--os-auth-url', '-N', dest='os_auth_url', metavar='<url>', default=_env('OS_AUTH_URL'),
        help='Keystone endpoint (env OS_AUTH_URL).')
    add('-S', '--os_auth_strategy', '--os-auth-strategy', dest='os_auth_strategy',
        metavar='STRATEGY', choices=('keystone', 'noauth'),
        help='"keystone" gets a token with the --os-* credentials, "noauth" sends none '
             '(default: keystone when an auth URL is known, else env OS_AUTH_STRATEGY or '
             'noauth).')
    add('--version', action='version', version=version.version_string())
    add('command', metavar='<command>', nargs='*', help='The command and its argument.')
    return parser


def _run(parser, args):
    name = args.command[0]
    if name == 'help':
        if len(args.command) == 1:
            parser.print_help()
            return SUCCESS
        name = args.command[1]
        if name not in COMMANDS:
            return _unknown(name)
        print(_usage(COMMANDS[name][0]))
        return SUCCESS
    if name not in COMMANDS:
        return _unknown(name)
    function, action = COMMANDS[name]
    try:
        return function(args)
    except _Failure as e:
        sys.stderr.write('%s\n' % e)
    except exception.NotFound:
        sys.stderr.write('Cache management middleware not enabled on host %s\n' % args.host)
    except exception.Forbidden:
        sys.stderr.write('Not authorized to make this request.\n')
    except Exception as e:
        if args.debug:
            raise
        sys.stderr.write('Failed to %s. Got error:\n' % action)
        for line in str(e).splitlines() or [type(e).__name__]:
            sys.stderr.write('%s\n' % line)
    return FAILURE


def _unknown(name):
    print('\nError: "%s" is not a valid command.\n\n%s' % (name, _command_list()))
    sys.stderr.write('Unknown command: %s\n' % name)
    return FAILURE


def main(argv=None):
    parser = build_parser()
    # Options may come before, between or after the command words.
    args = parser.parse_intermixed_args(sys.argv[1:] if argv is None else argv)
    # Failures are reported once, by the command; library chatter only on request.
    logging.basicConfig(format='%(levelname)s %(name)s: %(message)s',
                        level=logging.DEBUG if args.debug
                        else logging.INFO if args.verbose else logging.ERROR)
    if args.os_auth_strategy is None:
        args.os_auth_strategy = 'keystone' if args.os_auth_url else _env(
            'OS_AUTH_STRATEGY', default='noauth')
    if not args.command:
        parser.print_help(sys.stderr)
        sys.stderr.write('\nError: no command given.\n')
        return FAILURE
    started = time.monotonic()
    status = _run(parser, args)
    if args.verbose:
        print('Completed in %-0.4f sec.' % (time.monotonic() - started))
    return status


if __name__ == '__main__':
    sys.exit(main())
