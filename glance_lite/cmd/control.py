"""glance-control: start, stop, reload and watch Glance's servers as daemons.

::

    glance-control [options] <SERVER> <COMMAND> [CONFPATH]

SERVER is ``api``/``glance-api``, ``registry``/``glance-registry``,
``scrubber``/``glance-scrubber`` or ``all`` (those three, in that order; ``all reload``
skips the scrubber, which cannot reload).  COMMAND is ``start``, ``status``, ``stop``,
``shutdown``, ``restart``, ``reload`` or ``force-reload``.  Options may come before or
after SERVER and COMMAND (the seed writes ``glance-control api start --respawn``).

CONFPATH, for the starting commands, is the server's configuration file (made
absolute, passed as ``--config-file``), or a directory holding ``<server>.conf`` (handy
with ``all``); without it the server searches ``glance.conf`` and ``<server>.conf`` in
the current directory, ``~/.glance``, ``~``, ``/etc/glance`` and ``/etc``.

``--pid-file PATH``: the pid file (default ``/var/run/glance/<server>.pid``), or a
directory (existing, or written with a trailing ``/``) that holds ``<server>.pid``; with
``all`` it must be a directory, since each server needs a pid file of its own.  A pid
file that cannot be created refuses the start (exit 4) instead of Glance's fallback to
a temporary directory, where no later ``status``, ``stop`` or ``reload`` would look.

Exit statuses (LSB init-script conventions; with several servers, the highest; also
in ``glance-control --help``): 0 done, including "already running" and "already
stopped", and ``status`` running; 1 failed, and ``status`` with a stale pid file; 2
invalid arguments; 3 ``status`` stopped, and ``reload`` of the scrubber (not
supported); 4 the pid file cannot be created; 5 the server's program (or ``logger``)
is not installed; 6 CONFPATH missing or no configuration to be found; 7 ``reload`` of
a server that is not running.  With ``--await-child``, a server that dies within
DELAY gives its own exit status (128 + N when signal N killed it).
"""
import argparse
import os
import sys

from glance_lite import control
from glance_lite.common import pidfile

PROG = 'glance-control'
SERVERS = {
    'api': 'glance-api', 'glance-api': 'glance-api',
    'registry': 'glance-registry', 'glance-registry': 'glance-registry',
    'scrubber': 'glance-scrubber', 'glance-scrubber': 'glance-scrubber',
}
ALL_SERVERS = ('glance-api', 'glance-registry', 'glance-scrubber')
COMMANDS = ('start', 'status', 'stop', 'shutdown', 'restart', 'reload', 'force-reload')


def _delay(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError('not a number of seconds: %r' % text)
    if value < 0:
        raise argparse.ArgumentTypeError('must not be negative: %r' % text)
    return value


def build_parser():
    from glance_lite import version
    parser = argparse.ArgumentParser(
        prog=PROG, usage='%(prog)s [options] <SERVER> <COMMAND> [CONFPATH]',
        description='Start, stop, reload and watch the Glance servers as daemons.',
        epilog=control.EXIT_STATUSES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('server', metavar='SERVER', choices=sorted(SERVERS) + ['all'],
                        help='all, api, glance-api, registry, glance-registry, scrubber '
                             'or glance-scrubber')
    parser.add_argument('command', metavar='COMMAND', choices=COMMANDS,
                        help=', '.join(COMMANDS))
    parser.add_argument('confpath', metavar='CONFPATH', nargs='?',
                        help='configuration file of the server (or a directory holding '
                             '<server>.conf) for the commands that start it')
    parser.add_argument('--pid-file', metavar='PATH',
                        help='pid file, or a directory for <server>.pid '
                             '(default: %s/<server>.pid)' % pidfile.DEFAULT_DIR)
    parser.add_argument('--await-child', metavar='DELAY', type=_delay, default=0,
                        help='after starting, wait DELAY seconds for the server to die '
                             'and exit with its status if it does')
    parser.add_argument('--capture-output', action='store_true',
                        help="send the server's stdout and stderr to syslog instead of "
                             'discarding them')
    parser.add_argument('--nocapture-output', dest='capture_output', action='store_false',
                        help='the inverse of --capture-output')
    parser.add_argument('--respawn', action='store_true',
                        help='stay in the foreground and restart the server when it dies '
                             'unexpectedly')
    parser.add_argument('--norespawn', dest='respawn', action='store_false',
                        help='the inverse of --respawn')
    parser.add_argument('--version', action='version', version=version.version_string())
    return parser


def conf_path(confpath, server):
    """The absolute configuration file ``server`` is started with, or None."""
    if not confpath:
        return None
    path = os.path.abspath(confpath)
    if os.path.isdir(path):
        return os.path.join(path, '%s.conf' % server)
    return path


def targets(args):
    """The :class:`control.Target` of every server the arguments name."""
    if args.server == 'all':
        names = control.RELOADABLE if args.command == 'reload' else ALL_SERVERS
    else:
        names = (SERVERS[args.server],)
    return [control.Target(name, pidfile.resolve(args.pid_file, name),
                           conf_path(args.confpath, name))
            for name in names]


def parse(argv):
    """:returns: ``(command, targets, Options)``; exits 2 with usage on bad input."""
    parser = build_parser()
    args = parser.parse_intermixed_args(argv)
    if args.await_child and args.respawn:
        parser.error('--await-child and --respawn are mutually exclusive')
    if args.server == 'all' and args.pid_file and not pidfile.names_directory(args.pid_file):
        parser.error('with all, --pid-file must name a directory (each server needs a pid '
                     'file of its own): %s' % args.pid_file)
    options = control.Options(capture_output=args.capture_output,
                              await_child=args.await_child, respawn=args.respawn)
    return args.command, targets(args), options


def main(argv=None):
    command, servers, options = parse(sys.argv[1:] if argv is None else argv)
    try:
        return control.Controller(options).run(command, servers)
    except KeyboardInterrupt:
        # The servers run in sessions of their own: they keep running.
        return 130


if __name__ == '__main__':
    sys.exit(main())
