"""glance-replicator: copy images between deployments (cli.md §7, the seed's man page).

::

    glance-replicator <command> [options] [args]

The options are the man page's optparse-style set (``-c``, ``-d``, ``-D``, ``-m``,
``-l``, ``-s``, ``-t``, ``-M``, ``-S``, ``-v``), hence argparse rather than oslo.config;
``--sourcetoken``/``--targettoken`` are the later names of ``-M``/``-S``, and
``--api-version 2`` (an extension) replicates over Images API v2 instead of v1.

Exit status: 0 everything in step; 1 the command could not run (usage, a server
unreachable, a token refused, the dump directory missing); 2 it ran, but an image
failed or compare found differences.
"""
import argparse
import functools
import logging
import logging.handlers
import os
import sys

from glance_lite.replicator import commands, endpoint, images_v1, images_v2

PROG = 'glance-replicator'
LOG_FORMAT = '%(asctime)s %(process)d %(levelname)s %(name)s %(message)s'


class Command:
    def __init__(self, args, summary, detail):
        self.args = args
        self.summary = summary
        self.detail = detail

    def usage(self, name):
        return '%s %s [options] %s' % (PROG, name, ' '.join('<%s>' % a for a in self.args))


COMMANDS = {
    'compare': Command(
        ('fromserver:port', 'toserver:port'), 'What is missing from the target glance?',
        'Lists each image of the source that the target lacks or holds with other '
        'metadata.'),
    'dump': Command(
        ('server:port', 'path'), 'Dump the contents of a glance instance to local disk.',
        'Writes <path>/<id> (the image record, JSON) and <path>/<id>.img (the data of '
        'an active image) for every image; <path> must exist.'),
    'livecopy': Command(
        ('fromserver:port', 'toserver:port'),
        'Load the contents of one glance instance into another.',
        'Copies active images the target lacks (same id, metadata and data) and brings '
        'the metadata of the others in line.'),
    'load': Command(
        ('server:port', 'path'), 'Load the contents of a local directory into glance.',
        'Loads a directory written by dump: creates missing images with their data and '
        'brings the metadata of the others in line.'),
    'size': Command(
        ('server:port',), 'Determine the size of a glance instance if dumped to disk.',
        'Prints the total size of the active images.'),
}


class UsageError(Exception):
    """The command line cannot be understood."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def build_parser():
    listing = '\n'.join('  %-9s %s' % (name, c.summary) for name, c in sorted(COMMANDS.items()))
    parser = _Parser(
        prog=PROG, usage='%(prog)s <command> [options] [args]',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Populate a glance server with the images of another, keeping their '
                    'ids, metadata and data.',
        epilog='commands:\n  help      [command] Output help for one of the commands '
               'below\n' + listing)
    parser.add_argument('command', nargs='?', help=argparse.SUPPRESS)
    parser.add_argument('args', nargs='*', help=argparse.SUPPRESS)
    parser.add_argument('-c', '--chunksize', type=int, default=commands.DEFAULT_CHUNK_SIZE,
                        help='Amount of data to transfer per HTTP write (default %(default)s)')
    parser.add_argument('-d', '--debug', action='store_true',
                        help='Print debugging information')
    parser.add_argument('-D', '--dontreplicate', default=commands.DEFAULT_DONT_REPLICATE,
                        help='Space-separated list of fields to not replicate '
                             '(default "%(default)s")')
    parser.add_argument('-m', '--metaonly', action='store_true',
                        help='Only replicate metadata, not images')
    parser.add_argument('-l', '--logfile', help='Path of file to log to')
    parser.add_argument('-s', '--syslog', action='store_true',
                        help='Log to syslog instead of a file')
    parser.add_argument('-t', '--token', default='',
                        help='Authentication token for both servers')
    parser.add_argument('-M', '--mastertoken', '--sourcetoken', dest='sourcetoken',
                        default='', help='Authentication token for the source server '
                                         '(overrides -t)')
    parser.add_argument('-S', '--slavetoken', '--targettoken', dest='targettoken',
                        default='', help='Authentication token for the target server '
                                         '(overrides -t)')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='Print more verbose output')
    parser.add_argument('--api-version', type=int, choices=(1, 2), default=1,
                        help='Images API version spoken to both servers (default 1; '
                             'Glance\'s replicator only spoke 1)')
    return parser


def setup_logging(args):
    if args.logfile:
        handler = logging.FileHandler(args.logfile)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
    elif args.syslog:
        address = '/dev/log' if os.path.exists('/dev/log') else ('localhost', 514)
        handler = logging.handlers.SysLogHandler(address=address)
        handler.setFormatter(logging.Formatter(PROG + '[%(process)d]: %(levelname)s '
                                                      '%(message)s'))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter('%(levelname)s %(message)s'))
    logger = logging.getLogger('glance_lite')
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if args.debug else
                    logging.INFO if args.verbose else logging.WARNING)
    if not args.debug:
        # The pool warns of an unreachable peer, and main prints the same failure.
        logging.getLogger('glance_lite.common.http').setLevel(logging.ERROR)


def _help(parser, topics, out):
    if not topics:
        parser.print_help(out)
        return 0
    command = COMMANDS.get(topics[0])
    if command is None:
        sys.stderr.write('Unknown command: %s\n' % topics[0])
        return 1
    out.write('Usage: %s\n\n%s\n%s\n' % (command.usage(topics[0]), command.summary,
                                         command.detail))
    return 0


def tokens(args):
    """``(source token, target token)``: ``-t`` for both, unless one is given apart."""
    return args.sourcetoken or args.token, args.targettoken or args.token


def _images(api_version, address, token, role):
    cls = images_v2.ImagesV2 if api_version == 2 else images_v1.ImagesV1
    return cls(endpoint.Endpoint(address, token, role))


def build(name, args):
    """Command ``name`` ready to run: a callable(out) returning the exit status.

    :raises ValueError: a bad server address or chunk size.
    """
    options = commands.Options(args.chunksize, args.dontreplicate, args.metaonly)
    source_token, target_token = tokens(args)
    first, second = (args.args + [None])[:2]
    if name == 'size':
        return functools.partial(
            commands.size, _images(args.api_version, first, source_token, 'source'))
    if name == 'dump':
        return functools.partial(
            commands.dump, _images(args.api_version, first, source_token, 'source'),
            second, options)
    if name == 'load':
        return functools.partial(
            commands.load, _images(args.api_version, first, target_token, 'target'),
            second, options)
    source = _images(args.api_version, first, source_token, 'source')
    target = _images(args.api_version, second, target_token, 'target')
    job = commands.compare if name == 'compare' else commands.livecopy
    return functools.partial(job, source, target, options)


def main(argv=None, out=None):
    out = out or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_intermixed_args(sys.argv[1:] if argv is None else argv)
    except UsageError as e:
        sys.stderr.write('%s\nERROR: %s\n' % (parser.format_usage().strip(), e))
        return 1
    if not args.command:
        sys.stderr.write('Please specify one command\n')
        return 1
    if args.command == 'help':
        return _help(parser, args.args, out)
    command = COMMANDS.get(args.command)
    if command is None:
        sys.stderr.write('Unknown command: %s\n' % args.command)
        return 1
    usage = 'Usage: %s\n' % command.usage(args.command)
    if len(args.args) != len(command.args):
        sys.stderr.write('%sERROR: %s takes %d argument(s), %d given\n'
                         % (usage, args.command, len(command.args), len(args.args)))
        return 1
    try:
        job = build(args.command, args)
    except ValueError as e:
        sys.stderr.write('%sERROR: %s\n' % (usage, e))
        return 1
    try:
        setup_logging(args)
    except OSError as e:
        sys.stderr.write('ERROR: Cannot log to %s: %s\n' % (args.logfile, e))
        return 1
    try:
        return job(out)
    except (endpoint.ReplicatorError, endpoint.ServerUnreachable,
            endpoint.RequestFailed) as e:
        sys.stderr.write('ERROR: %s\n' % e)
        return 1
    except KeyboardInterrupt:
        sys.stderr.write('Interrupted\n')
        return 130


if __name__ == '__main__':
    sys.exit(main())
