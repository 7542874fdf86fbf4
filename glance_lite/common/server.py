"""The HTTP server of glance-api and glance-registry: listening socket, TLS, worker
processes, graceful stop and SIGHUP reload.

This is the only module that imports eventlet (STYLE.md §2.9): ``cmd`` mains call
:func:`monkey_patch` first, then ``Server(conf, prog, default_port).run(load_app)``.

Process model (spec cli.md §1):

* The master binds the socket once and never closes it while it runs, so a reload or a
  worker that dies never makes a client see "connection refused": connections wait in
  the kernel's backlog until some worker accepts them.
* ``workers = 0`` serves from the master.  Otherwise the master forks workers that share
  the socket; each builds its app with ``load_app()`` after the fork.  A worker killed
  by a signal (or one that exits 0 unasked) is replaced; one that exits non-zero is not.
  Workers that keep dying before they are ready make the master give up (exit 2).
* SIGTERM/SIGINT: stop accepting, let in-flight requests finish (at most
  :data:`GRACEFUL_SHUTDOWN_SECONDS`), exit 0.  A second signal to the master cuts the
  wait short.
* SIGHUP to the master: re-read the config files and logging setup, then start a new
  generation of workers (new app, new TLS files, new worker count); once they are
  ready the old ones are sent SIGHUP, which makes a worker stop accepting, finish
  what it is doing and exit 0.  With ``workers = 0`` the app is swapped in place.

Apps get ``wsgi.file_wrapper``: on plain HTTP a file body goes out through
``os.sendfile``.  Access lines are INFO on the ``eventlet.wsgi.server`` logger.
"""
import dataclasses
import errno
import gc
import logging
import os
import signal
import socket
import ssl
import stat
import sys
import time
import warnings

with warnings.catch_warnings():
    # eventlet warns on import that it is deprecated; that is for developers, not for
    # every operator who starts a server.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import eventlet
import eventlet.greenio  # noqa: E402
import eventlet.greenpool  # noqa: E402
import eventlet.hubs  # noqa: E402
import eventlet.patcher  # noqa: E402
import eventlet.wsgi  # noqa: E402
from eventlet.green import ssl as green_ssl  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_context import context as oslo_context  # noqa: E402

from glance_lite.common import config  # noqa: E402

LOG = logging.getLogger(__name__)
# Glance operators know the access lines under this logger name.
ACCESS_LOG = logging.getLogger('eventlet.wsgi.server')
ACCESS_FORMAT = ('%(client_ip)s "%(request_line)s" status: %(status_code)s '
                 'len: %(body_length)s time: %(wall_seconds).7f')

GREEN_POOL_SIZE = 1000
MAX_DEFAULT_WORKERS = 8
BIND_RETRY_SECONDS = 30
GRACEFUL_SHUTDOWN_SECONDS = 60
# While draining, a keep-alive connection is closed once it has been idle this long; a
# request that arrives meanwhile is still served (with "Connection: close"), so a client
# that sent one just as we began to drain is not reset.
IDLE_LINGER_SECONDS = 1.0
# A worker that dies before it is ready, or this soon after it started, died "quickly";
# this many quick deaths in a row mean respawning would only loop.
QUICK_DEATH_SECONDS = 1.0
QUICK_DEATH_LIMIT = 5
UMASK = 0o027

SSL_PAIR_MESSAGE = ('When running server in SSL mode, you must specify both a cert_file '
                    'and key_file option value in your configuration file')
EXIT_WORKERS_FAILED = 2

_patched = False


def monkey_patch():
    """Green the standard library, once per process; call it before anything else."""
    global _patched
    if not _patched:
        eventlet.monkey_patch()
        _patched = True


def _original(module_name):
    """The unpatched standard module: the master never runs the eventlet hub, so the
    forked workers start without inheriting one in use."""
    return eventlet.patcher.original(module_name)


@dataclasses.dataclass(frozen=True)
class Settings:
    """The socket and process options, read once from the configuration."""

    bind_host: str
    bind_port: int
    backlog: int
    tcp_keepidle: int
    workers: int
    max_header_line: int
    http_keepalive: bool
    client_socket_timeout: float | None
    cert_file: str | None
    key_file: str | None
    ca_file: str | None

    @classmethod
    def from_conf(cls, conf, default_port):
        """:raises RuntimeError: only one of ``cert_file`` and ``key_file`` is set.
        :raises oslo_config.cfg.Error: a value in the files is invalid."""
        if bool(conf.cert_file) != bool(conf.key_file):
            raise RuntimeError(SSL_PAIR_MESSAGE)
        workers = conf.workers
        if workers is None:
            workers = min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)
        return cls(
            bind_host=conf.bind_host,
            bind_port=default_port if conf.bind_port is None else conf.bind_port,
            backlog=conf.backlog,
            tcp_keepidle=conf.tcp_keepidle,
            workers=workers,
            max_header_line=conf.max_header_line,
            http_keepalive=conf.http_keepalive,
            client_socket_timeout=conf.client_socket_timeout or None,
            cert_file=conf.cert_file or None,
            key_file=conf.key_file or None,
            ca_file=conf.ca_file or None,
        )

    @property
    def use_tls(self):
        return self.cert_file is not None


def make_ssl_context(settings):
    """A server TLS context from the current files, or None without TLS.

    :raises RuntimeError: a file is missing or unusable.
    """
    if not settings.use_tls:
        return None
    for name in ('cert_file', 'key_file', 'ca_file'):
        path = getattr(settings, name)
        if path and not os.path.exists(path):
            raise RuntimeError('Unable to find %s : %s' % (name, path))
    context = green_ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(settings.cert_file, settings.key_file)
        if settings.ca_file:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(settings.ca_file)
    except (OSError, ssl.SSLError) as e:
        raise RuntimeError('Unable to use TLS files cert_file=%s key_file=%s ca_file=%s: %s'
                           % (settings.cert_file, settings.key_file, settings.ca_file, e))
    return context


def bind_socket(host, port, backlog, tcp_keepidle):
    """A listening TCP socket on ``host:port`` (port 0: a free one), IPv4 or IPv6.

    :raises RuntimeError: the address stays in use for :data:`BIND_RETRY_SECONDS`, or
        cannot be used at all.
    """
    real_socket = _original('socket')
    try:
        info = real_socket.getaddrinfo(host, port, real_socket.AF_UNSPEC,
                                       real_socket.SOCK_STREAM, 0,
                                       real_socket.AI_PASSIVE)[0]
    except OSError as e:
        raise RuntimeError('Could not bind to %s:%s: %s' % (host, port, e))
    family, address = info[0], info[4]
    deadline = time.monotonic() + BIND_RETRY_SECONDS
    while True:
        sock = real_socket.socket(family, real_socket.SOCK_STREAM)
        sock.setsockopt(real_socket.SOL_SOCKET, real_socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
            break
        except OSError as e:
            sock.close()
            if e.errno != errno.EADDRINUSE:
                raise RuntimeError('Could not bind to %s:%s: %s' % (host, port, e.strerror))
            if time.monotonic() >= deadline:
                raise RuntimeError('Could not bind to %s:%s after trying for %d seconds'
                                   % (host, port, BIND_RETRY_SECONDS))
            _original('time').sleep(0.1)
    # Accepted connections inherit these on Linux; TCP_NODELAY is set on each one.
    sock.setsockopt(real_socket.SOL_SOCKET, real_socket.SO_KEEPALIVE, 1)
    if hasattr(real_socket, 'TCP_KEEPIDLE'):
        sock.setsockopt(real_socket.IPPROTO_TCP, real_socket.TCP_KEEPIDLE, tcp_keepidle)
    sock.listen(backlog)
    return sock


def socket_url(sock, use_tls):
    """``http(s)://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    if ':' in host:
        host = '[%s]' % host
    return '%s://%s:%d' % ('https' if use_tls else 'http', host, port)


class EventletLog:
    """Where eventlet.wsgi writes.  Access lines go to INFO on ``eventlet.wsgi.server``;
    the traceback of a response that failed goes to ERROR (the client only gets an empty
    500); eventlet's chatter goes to DEBUG."""

    def info(self, msg, *args):
        if msg.startswith('Traceback'):
            LOG.error('Unhandled error while serving a request:\n%s', msg.rstrip())
        elif ACCESS_LOG.isEnabledFor(logging.INFO):
            ACCESS_LOG.info('%s', msg % args if args else msg)

    def debug(self, msg, *args):
        LOG.debug('%s', msg % args if args else msg)

    def error(self, msg, *args):
        LOG.error('%s', msg % args if args else msg)


def apply_header_limits(settings):
    """eventlet keeps its header limits in module globals: set this process's."""
    line = settings.max_header_line or sys.maxsize
    eventlet.wsgi.MAX_HEADER_LINE = line
    eventlet.wsgi.MAX_TOTAL_HEADER_SIZE = max(65536, line) if line != sys.maxsize else line


# environ key holding the client socket when the response body may bypass eventlet.
_SENDFILE_SOCKET = 'glance_lite.sendfile_socket'


class FileWrapper:
    """``wsgi.file_wrapper`` (PEP 3333): iterates a file from its current position in
    blocks.  When the connection is plain HTTP, the file is a regular file and the
    response has a Content-Length, the server sends it with ``os.sendfile`` instead
    (zero-copy, no Python loop), never past Content-Length."""

    def __init__(self, filelike, block_size=65536):
        self.filelike = filelike
        self.block_size = block_size

    def __iter__(self):
        while True:
            data = self.filelike.read(self.block_size)
            if not data:
                return
            yield data

    def close(self):
        close = getattr(self.filelike, 'close', None)
        if close is not None:
            close()


class _SendfileBody:
    """The body of a FileWrapper response, sent with ``os.sendfile``.

    The first block goes through eventlet (it writes and flushes the headers with it);
    the rest goes straight from the file to the socket.
    """

    def __init__(self, wrapper, sock, length):
        self.wrapper = wrapper
        self.sock = sock
        self.length = length

    def __iter__(self):
        source = self.wrapper.filelike
        first = source.read(min(self.wrapper.block_size, self.length))
        if not first:
            return
        yield first
        offset, remaining = source.tell(), self.length - len(first)
        in_fd, out_fd = source.fileno(), self.sock.fileno()
        timeout = self.sock.gettimeout()
        while remaining > 0:
            try:
                sent = os.sendfile(out_fd, in_fd, offset, min(remaining, 1 << 20))
            except BlockingIOError:
                eventlet.hubs.trampoline(out_fd, write=True, timeout=timeout,
                                         timeout_exc=socket.timeout)
                continue
            if sent == 0:
                # Raising makes eventlet close the connection: the client must not wait
                # for bytes that will never come.
                raise OSError('%s ended %d bytes before its Content-Length'
                              % (source, remaining))
            offset += sent
            remaining -= sent

    def close(self):
        self.wrapper.close()


def _regular_file(filelike):
    try:
        return stat.S_ISREG(os.fstat(filelike.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False


def _with_sendfile(app):
    """``app``, with its FileWrapper responses sent by ``os.sendfile`` when possible."""
    def serve(environ, start_response):
        response = []

        def capture(status, headers, exc_info=None):
            response[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = app(environ, capture)
        sock = environ.get(_SENDFILE_SOCKET)
        if (type(result) is not FileWrapper or sock is None or not response
                or environ['REQUEST_METHOD'] == 'HEAD' or not _regular_file(result.filelike)):
            return result
        length = [v for k, v in response[1] if k.lower() == 'content-length']
        if len(length) != 1 or not length[0].isdigit():
            return result
        # Flush the headers with the first block, so the socket is ours afterwards.
        environ['eventlet.minimum_write_chunk_size'] = 0
        return _SendfileBody(result, sock, int(length[0]))
    return serve


class _HttpProtocol(eventlet.wsgi.HttpProtocol):
    """eventlet's HTTP/1.1 handling, plus TLS and draining.

    The TLS handshake happens here, in the connection's green thread, so a slow client
    cannot stall the accept loop, and a reload can swap the context.
    """

    def setup(self):
        context = self.server.ssl_context
        self.tls = context is not None
        if self.tls:
            self.request = context.wrap_socket(self.request, server_side=True)
            self.conn_state[1] = self.request
        super().setup()

    def formalize_key_naming(self, k):
        # eventlet drops header names with underscores (X_Auth_Token must not alias
        # X-Auth-Token), but Glance clients send x-image-meta-disk_format and friends.
        # Glance's own metadata headers mean the same in either spelling, so only
        # those keep their underscores.
        if '_' in k and k.lower().startswith(('x-image-meta-', 'x-glance-')):
            return k.replace('-', '_').upper()
        return super().formalize_key_naming(k)

    def get_environ(self):
        environ = super().get_environ()
        environ['wsgi.file_wrapper'] = FileWrapper
        if not self.tls:
            environ[_SENDFILE_SOCKET] = self.connection
        return environ

    def handle_one_response(self):
        if self.server.draining:
            # Tell the client not to reuse the connection: we are about to close it.
            self.close_connection = 1
        # A fresh logging context per request: on a keep-alive connection, a request
        # that never gets an identity (a 401, the versions document) must not be
        # logged under the previous caller's request id and user.
        oslo_context.RequestContext(overwrite=True)
        super().handle_one_response()


class _WsgiServer(eventlet.wsgi.Server):
    """eventlet's per-process server state, with a TLS context and a draining flag."""

    def __init__(self, sock, app, settings, ssl_context):
        super().__init__(sock, sock.getsockname(), _with_sendfile(app), log=EventletLog(),
                         protocol=_HttpProtocol, keepalive=settings.http_keepalive,
                         log_format=ACCESS_FORMAT, debug=False,
                         socket_timeout=settings.client_socket_timeout)
        self.ssl_context = ssl_context
        self.draining = False

    def apply(self, settings, ssl_context, app=None):
        """Take new settings (in-process reload)."""
        self.keepalive = settings.http_keepalive
        self.socket_timeout = settings.client_socket_timeout
        self.ssl_context = ssl_context
        if app is not None:
            self.app = _with_sendfile(app)

    def get_environ(self):
        environ = super().get_environ()
        if self.ssl_context is not None:
            environ['wsgi.url_scheme'] = 'https'
            environ['HTTPS'] = 'on'
        return environ


class _Listener:
    """Accepts connections in a green thread and serves each in a pool of green
    threads; :meth:`drain` stops accepting and waits for open connections."""

    def __init__(self, sock, wsgi_server, settings):
        self._sock = eventlet.greenio.GreenSocket(sock)
        self._wsgi = wsgi_server
        self._settings = settings
        self._pool = eventlet.greenpool.GreenPool(GREEN_POOL_SIZE)
        self._connections = {}
        self._acceptor = None

    def start(self):
        self._acceptor = eventlet.spawn(self._accept_forever)

    def apply(self, settings):
        self._settings = settings

    def _accept_forever(self):
        real_socket = _original('socket')
        while True:
            try:
                client, address = self._sock.accept()
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    LOG.error('Cannot accept connections: %s', e)
                    eventlet.sleep(0.5)
                elif e.errno not in (errno.ECONNABORTED, errno.EPROTO, errno.EINTR):
                    raise
                continue
            try:
                client.setsockopt(real_socket.IPPROTO_TCP, real_socket.TCP_NODELAY, 1)
            except OSError:
                pass  # the client is already gone; serving it will notice
            client.settimeout(self._settings.client_socket_timeout)
            state = [address, client, eventlet.wsgi.STATE_IDLE]
            self._connections[id(state)] = state
            self._pool.spawn_n(self._serve_connection, state)

    def _serve_connection(self, state):
        try:
            self._wsgi.process_request(state)
        except OSError as e:
            # Handshake failures and resets before a request: nothing to answer.
            LOG.debug('Connection from %s ended: %s', state[0], e)
        except Exception:
            LOG.exception('Error on the connection from %s', state[0])
        finally:
            self._connections.pop(id(state), None)
            state[2] = eventlet.wsgi.STATE_CLOSE
            try:
                state[1].close()
            except OSError:
                pass

    def stop_accepting(self):
        if self._acceptor is not None:
            self._acceptor.kill()
            self._acceptor = None
        # Only this process's descriptor: the master and other workers keep theirs.
        self._sock.close()

    def drain(self, deadline):
        """Stop accepting, then wait until every open connection is finished or
        ``deadline`` (a ``time.monotonic()`` value) passes.

        :returns: how many connections were still open at the deadline.
        """
        self._wsgi.draining = True
        self.stop_accepting()
        idle_since = {}
        while self._connections and time.monotonic() < deadline:
            now = time.monotonic()
            for key, state in list(self._connections.items()):
                if state[2] != eventlet.wsgi.STATE_IDLE:
                    idle_since.pop(key, None)
                elif now - idle_since.setdefault(key, now) >= IDLE_LINGER_SECONDS:
                    # Wakes the protocol's read with EOF: it closes the connection.
                    eventlet.greenio.shutdown_safe(state[1])
            eventlet.sleep(0.05)
        return len(self._connections)


class _SignalPipe:
    """Signals as bytes on a pipe (``signal.set_wakeup_fd``), so they are handled in
    ordinary code (a green thread, or the master's select loop) instead of inside a
    signal handler that may interrupt anything."""

    def __init__(self, signums):
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)
        # A Python-level handler must exist for the C handler to write the byte.
        self._previous = {signum: signal.signal(signum, _note_signal) for signum in signums}
        self._previous_fd = signal.set_wakeup_fd(self.write_fd, warn_on_full_buffer=False)

    def read(self):
        """The signal numbers received since the last call (non-blocking)."""
        try:
            return list(_original('os').read(self.read_fd, 512))
        except BlockingIOError:
            return []

    def wait_green(self):
        """Block the current green thread until signals arrive; return them."""
        while True:
            eventlet.hubs.trampoline(self.read_fd, read=True)
            signums = self.read()
            if signums:
                return signums

    def inject(self, signum):
        """Act as if ``signum`` had been received."""
        try:
            _original('os').write(self.write_fd, bytes([signum]))
        except BlockingIOError:
            pass

    def close(self):
        """Give the signals back to their previous handlers."""
        signal.set_wakeup_fd(self._previous_fd)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        os.close(self.read_fd)
        os.close(self.write_fd)


def _note_signal(signum, frame):
    """The byte on the wakeup pipe is the notification; nothing to do here."""


def _block_signals():
    return signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED_SIGNALS)


def _restore_signals(mask):
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


_HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)


@dataclasses.dataclass
class _Worker:
    generation: int
    started: float
    ready: bool = False
    retiring: bool = False


class WorkerTable:
    """The master's bookkeeping of its workers: which generation each serves, which
    are ready, and what to do when one exits.  No processes or signals here, so the
    respawn policy is unit-tested on its own.
    """

    RESPAWN = 'respawn'
    IGNORE = 'ignore'
    FAILED = 'failed'
    GIVE_UP = 'give-up'

    def __init__(self, target):
        self.target = target
        self.generation = 0
        self.quick_deaths = 0
        self._previous = None
        self._workers = {}

    def __len__(self):
        return len(self._workers)

    def pids(self):
        return list(self._workers)

    def added(self, pid, now):
        self._workers[pid] = _Worker(self.generation, now)

    def forget(self, pid):
        self._workers.pop(pid, None)

    def mark_ready(self, pid):
        worker = self._workers.get(pid)
        if worker is not None:
            worker.ready = True

    def _current(self):
        return [w for w in self._workers.values()
                if w.generation == self.generation and not w.retiring]

    def missing(self):
        """How many workers to start now in the current generation."""
        return max(0, self.target - len(self._current()))

    def new_generation(self, target):
        """A reload: later workers serve the new configuration."""
        self._previous = (self.generation, self.target)
        self.generation += 1
        self.target = target
        self.quick_deaths = 0

    def to_retire(self):
        """Older workers to stop now: those of previous generations, once the whole
        current generation is up and ready."""
        current = self._current()
        if not current or self.missing() or not all(w.ready for w in current):
            return []
        old = [pid for pid, w in self._workers.items()
               if w.generation != self.generation and not w.retiring]
        for pid in old:
            self._workers[pid].retiring = True
        return old

    def exited(self, pid, exit_code, now):
        """Forget a worker that exited and say what the master should do.

        :param exit_code: as ``os.waitstatus_to_exitcode`` (negative: killed by a signal).
        :returns: RESPAWN (start a replacement: :meth:`missing` counts it), IGNORE,
            FAILED (exited non-zero: not replaced) or GIVE_UP (stop everything).
        """
        worker = self._workers.pop(pid, None)
        if worker is None or worker.retiring or worker.generation != self.generation:
            return self.IGNORE
        if exit_code > 0:
            self.target -= 1
            if self.target > 0 or self._current():
                return self.FAILED
            if self._revert_generation():
                return self.FAILED
            return self.GIVE_UP
        quick = not worker.ready or now - worker.started < QUICK_DEATH_SECONDS
        self.quick_deaths = self.quick_deaths + 1 if quick else 0
        if self.quick_deaths >= QUICK_DEATH_LIMIT:
            return self.GIVE_UP
        return self.RESPAWN

    def _revert_generation(self):
        """After a reload whose workers all failed: go on with the previous ones."""
        if self._previous is None:
            return False
        generation, target = self._previous
        alive = [w for w in self._workers.values()
                 if w.generation == generation and not w.retiring]
        if not alive:
            return False
        self.generation, self.target = generation, len(alive)
        self._previous = None
        return True

    def reverted(self, generation):
        return self.generation != generation


class Server:
    """Serves the WSGI app of one program (``prog``) until it is told to stop.

    :param conf: the program's parsed ConfigOpts (reloaded on SIGHUP).
    :param default_port: used when ``bind_port`` is unset.
    """

    def __init__(self, conf, prog, default_port):
        self.conf = conf
        self.prog = prog
        self.default_port = default_port
        self.grace_seconds = GRACEFUL_SHUTDOWN_SECONDS
        self.url = None  # where it listens, once bound

    def run(self, load_app):
        """Bind, serve and return the exit status once stopped.

        :param load_app: builds a fresh WSGI app from the current configuration; called
            in each worker (or once, and again on reload, with ``workers = 0``).
        :raises RuntimeError: bad socket or TLS settings (the caller prints them).
        """
        os.umask(UMASK)
        settings = Settings.from_conf(self.conf, self.default_port)
        ssl_context = make_ssl_context(settings)
        sock = bind_socket(settings.bind_host, settings.bind_port, settings.backlog,
                           settings.tcp_keepidle)
        self.url = socket_url(sock, settings.use_tls)
        LOG.info('%s listening on %s', self.prog, self.url)
        try:
            if settings.workers == 0:
                return _InProcess(self, sock, settings, ssl_context, load_app).run()
            return _Master(self, sock, settings, ssl_context, load_app).run()
        finally:
            sock.close()

    def reload_settings(self, current):
        """Re-read the config files and logging setup after SIGHUP.

        :returns: ``(settings, ssl_context)`` to use from now on, or None when the new
            configuration is unusable (logged; the caller keeps the current one).
        """
        if not self.conf.reload_config_files():
            LOG.error('Reload of %s failed: the configuration files could not be read; '
                      'still serving the previous configuration', self.prog)
            return None
        try:
            config.setup_logging(self.conf, self.prog)
            new = Settings.from_conf(self.conf, self.default_port)
            ssl_context = make_ssl_context(new)
        except (cfg.Error, RuntimeError, ValueError) as e:
            LOG.error('Reload of %s failed: %s; still serving the previous configuration',
                      self.prog, e)
            return None
        if (new.bind_host, new.bind_port) != (current.bind_host, current.bind_port):
            LOG.error('%s cannot move its socket on reload: bind_host/bind_port changed '
                      'from %s:%s to %s:%s; still listening on %s (restart to move it)',
                      self.prog, current.bind_host, current.bind_port, new.bind_host,
                      new.bind_port, self.url)
            new = dataclasses.replace(new, bind_host=current.bind_host,
                                      bind_port=current.bind_port)
        LOG.info('%s reloaded its configuration', self.prog)
        return new, ssl_context


def _wait_for_stop(signals, on_hup=None):
    """Handle signals in this green thread until SIGTERM/SIGINT (or SIGHUP when there
    is no ``on_hup``, as in workers); :returns: that signal's number."""
    while True:
        for signum in signals.wait_green():
            if signum == signal.SIGHUP and on_hup is not None:
                on_hup()
            elif signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                return signum


class _InProcess:
    """``workers = 0``: serve from the master; SIGHUP swaps the app in place."""

    def __init__(self, server, sock, settings, ssl_context, load_app):
        self.server = server
        self.sock = sock
        self.settings = settings
        self.ssl_context = ssl_context
        self.load_app = load_app

    def run(self):
        signals = _SignalPipe((signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
        try:
            apply_header_limits(self.settings)
            self.wsgi = _WsgiServer(self.sock, self.load_app(), self.settings,
                                    self.ssl_context)
            _settle_long_lived_objects()
            self.listener = _Listener(self.sock, self.wsgi, self.settings)
            self.listener.start()
            _wait_for_stop(signals, on_hup=self._reload)
            LOG.info('%s stopping: finishing in-flight requests', self.server.prog)
            left = self.listener.drain(time.monotonic() + self.server.grace_seconds)
            if left:
                LOG.warning('%s: %d connections still open after %d seconds; closing them',
                            self.server.prog, left, self.server.grace_seconds)
            return 0
        finally:
            signals.close()

    def _reload(self):
        reloaded = self.server.reload_settings(self.settings)
        if reloaded is None:
            return
        settings, ssl_context = reloaded
        if settings.workers != 0:
            LOG.warning('%s: changing workers from 0 to %d needs a restart; still serving '
                        'from one process', self.server.prog, settings.workers)
        try:
            app = self.load_app()
        except Exception as e:
            LOG.error('Reload of %s failed: cannot load the application: %s; still '
                      'serving the previous one', self.server.prog, e)
            return
        self.settings = settings
        self.ssl_context = ssl_context
        apply_header_limits(settings)
        self.wsgi.apply(settings, ssl_context, app)
        self.listener.apply(settings)
        # The previous app is frozen with the rest: thaw everything so that it can be
        # collected.
        gc.unfreeze()
        _settle_long_lived_objects()


class _Master:
    """``workers > 0``: fork workers, replace the ones that die, stop or reload them
    on signals.  The master itself never runs the eventlet hub."""

    def __init__(self, server, sock, settings, ssl_context, load_app):
        self.server = server
        self.prog = server.prog
        self.sock = sock
        self.settings = settings
        self.ssl_context = ssl_context
        self.load_app = load_app
        self.table = WorkerTable(settings.workers)

    def run(self):
        self.signals = _SignalPipe(_HANDLED_SIGNALS)
        # Workers tell the master "<pid>\n" once they accept; they watch the other pipe
        # to exit when the master is gone (its end closes).
        self.ready_r, self.ready_w = os.pipe()
        self.alive_r, self.alive_w = os.pipe()
        self._ready_buffer = b''
        try:
            return self._supervise()
        finally:
            for fd in (self.ready_r, self.ready_w, self.alive_r, self.alive_w):
                os.close(fd)
            self.signals.close()

    def _supervise(self):
        select = _original('select').select
        while True:
            self._spawn_missing()
            readable, _, _ = select([self.signals.read_fd, self.ready_r], [], [], 1.0)
            if self.ready_r in readable:
                self._read_ready()
            for signum in self.signals.read():
                if signum in (signal.SIGTERM, signal.SIGINT):
                    return self._stop_all(0)
                if signum == signal.SIGHUP:
                    self._reload()
            status = self._reap()
            if status is not None:
                return status
            for pid in self.table.to_retire():
                LOG.info('%s: stopping old worker %d', self.prog, pid)
                self._kill(pid, signal.SIGHUP)

    def _spawn_missing(self):
        for _ in range(self.table.missing()):
            mask = _block_signals()
            try:
                pid = os.fork()
            except OSError as e:
                _restore_signals(mask)
                LOG.error('%s: cannot start a worker: %s; retrying', self.prog, e)
                return
            if pid == 0:
                self._run_worker(mask)  # never returns
            _restore_signals(mask)
            self.table.added(pid, time.monotonic())
            LOG.info('%s: started worker %d', self.prog, pid)

    def _run_worker(self, mask):
        status = 1
        try:
            eventlet.hubs.use_hub()  # never reuse the master's hub state
            _own_logging_locks()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in (self.signals.read_fd, self.signals.write_fd, self.ready_r,
                       self.alive_w):
                os.close(fd)
            signals = _SignalPipe((signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
            _restore_signals(mask)
            status = _serve_worker(self, signals)
        except RuntimeError as e:
            LOG.error('%s worker %d cannot start: %s', self.prog, os.getpid(), e)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
        except BaseException:
            LOG.exception('%s worker %d failed', self.prog, os.getpid())
        finally:
            for handler in logging.getLogger().handlers:
                try:
                    handler.flush()
                except Exception:
                    pass
            os._exit(status)

    def _read_ready(self):
        try:
            self._ready_buffer += _original('os').read(self.ready_r, 4096)
        except BlockingIOError:
            return
        *lines, self._ready_buffer = self._ready_buffer.split(b'\n')
        for line in lines:
            if line.strip():
                self.table.mark_ready(int(line))

    def _reap(self):
        """Collect exited workers; :returns: an exit status when the master must stop."""
        while True:
            try:
                pid, wait_status = _original('os').waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return None
            if pid == 0:
                return None
            code = os.waitstatus_to_exitcode(wait_status)
            generation = self.table.generation
            decision = self.table.exited(pid, code, time.monotonic())
            if decision == WorkerTable.RESPAWN:
                LOG.error('%s: worker %d died (%s); starting a new one', self.prog, pid,
                          _describe_exit(code))
            elif decision == WorkerTable.FAILED:
                LOG.error('%s: worker %d exited with status %d; not restarting it',
                          self.prog, pid, code)
                if self.table.reverted(generation):
                    LOG.error('Reload of %s failed: its new workers exited with errors; '
                              'the previous workers keep serving', self.prog)
            elif decision == WorkerTable.GIVE_UP:
                if code > 0:
                    LOG.error('%s: all workers exited with errors (last: worker %d, '
                              'status %d); giving up', self.prog, pid, code)
                else:
                    LOG.error('%s: workers keep dying right after they start (%d in a '
                              'row, last: worker %d, %s); giving up', self.prog,
                              self.table.quick_deaths, pid, _describe_exit(code))
                return self._stop_all(EXIT_WORKERS_FAILED)
            else:
                LOG.info('%s: worker %d exited (%s)', self.prog, pid, _describe_exit(code))

    def _reload(self):
        reloaded = self.server.reload_settings(self.settings)
        if reloaded is None:
            return
        try:
            # Refuse a broken paste file here, with one clear line, rather than in
            # every new worker.
            self.load_app()
        except Exception as e:
            LOG.error('Reload of %s failed: cannot load the application: %s; the '
                      'current workers keep serving', self.prog, e)
            return
        self.settings, self.ssl_context = reloaded
        workers = self.settings.workers
        if workers == 0:
            LOG.warning('%s: changing workers to 0 needs a restart; starting 1 worker',
                        self.prog)
            workers = 1
        self.table.new_generation(workers)

    def _kill(self, pid, signum):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    def _stop_all(self, status):
        """Ask every worker to finish, wait for them (a second SIGTERM/SIGINT or the
        grace period cuts the wait short: then they are killed), and return ``status``."""
        select = _original('select').select
        LOG.info('%s stopping: workers finish in-flight requests', self.prog)
        self.sock.close()  # queued connections get refused now instead of hanging
        for pid in self.table.pids():
            self._kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.server.grace_seconds + 5
        hurry = False
        while self._children_left() and not hurry:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            select([self.signals.read_fd], [], [], min(remaining, 1.0))
            hurry = any(s in (signal.SIGTERM, signal.SIGINT) for s in self.signals.read())
        for pid in self.table.pids():
            LOG.warning('%s: killing worker %d', self.prog, pid)
            self._kill(pid, signal.SIGKILL)
        while self._children_left(block=True):
            pass
        return status

    def _children_left(self, block=False):
        """Reap what has exited; True while workers remain."""
        while self.table.pids():
            try:
                pid, _ = _original('os').waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            self.table.forget(pid)
            if block:
                return bool(self.table.pids())
        return False


def _settle_long_lived_objects():
    """Keep what exists once the app is built (modules, configuration, routes, the
    database's metadata: ~100k objects) out of the garbage collector's full passes.
    Each such pass walked all of them, pausing every request in flight for ~60 ms;
    now it walks only what requests created since.  Garbage is collected first, so
    that none of it is kept for good (after a reload: the previous app's cycles)."""
    gc.collect()
    gc.freeze()


def _serve_worker(master, signals):
    """A worker's life: build the app, serve, report ready, drain on a signal or when
    the master is gone.  :returns: the worker's exit status."""
    settings = master.settings
    apply_header_limits(settings)
    app = master.load_app()
    wsgi = _WsgiServer(master.sock, app, settings, master.ssl_context)
    listener = _Listener(master.sock, wsgi, settings)
    _settle_long_lived_objects()

    def watch_master():
        # Readable means EOF: every copy of the write end is closed, the master is gone.
        eventlet.hubs.trampoline(master.alive_r, read=True)
        LOG.error('%s worker %d: the master process is gone; stopping', master.prog,
                  os.getpid())
        signals.inject(signal.SIGTERM)

    eventlet.spawn_n(watch_master)
    listener.start()
    try:
        # The real write: eventlet's green one retries EPIPE forever.
        _original('os').write(master.ready_w, b'%d\n' % os.getpid())
    except BrokenPipeError:
        pass  # the master is gone already; watch_master stops this worker
    LOG.debug('%s worker %d serving', master.prog, os.getpid())
    _wait_for_stop(signals)
    left = listener.drain(time.monotonic() + master.server.grace_seconds)
    if left:
        LOG.warning('%s worker %d: %d connections still open after %d seconds; closing '
                    'them', master.prog, os.getpid(), left, master.server.grace_seconds)
    return 0


def _own_logging_locks():
    """Give this freshly forked process logging locks of its own.

    Under eventlet, oslo.log makes each handler's lock a pipe holding one token byte.
    After fork that pipe would be shared by the master and every worker: a worker killed
    while logging would take the token with it, and the next log line of every other
    process would wait forever.
    """
    manager = logging.Logger.manager
    loggers = [logging.getLogger()] + [logger for logger in manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            handler.createLock()


def _describe_exit(code):
    if code < 0:
        try:
            return 'killed by %s' % signal.Signals(-code).name
        except ValueError:
            return 'killed by signal %d' % -code
    return 'status %d' % code
