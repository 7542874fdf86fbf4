"""Start the real console scripts on free loopback ports and drive them.

Every functional test builds on :class:`ServerProcess`: it writes the program's config
from a dict, starts the console script with ``bind_port = 0``, reads the port the
server logs, waits for ``/healthcheck``, and stops the process (and its workers) in the
end.  Nothing here ever binds 9292 or 9191.
"""
import configparser
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUNCTIONAL_DIR = os.path.join(REPO, 'tests', 'functional')
FORBIDDEN_PORTS = (9191, 9292)


def free_port(host='127.0.0.1'):
    """A TCP port nobody listens on right now (never 9191 or 9292)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in FORBIDDEN_PORTS:
            return port


def venv_bin(name):
    """Path of a console script installed beside the running interpreter."""
    return os.path.join(os.path.dirname(sys.executable), name)


def write_conf(path, sections):
    """Write an INI file from ``{section: {option: value}}`` (values used as given)."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    for section, options in sections.items():
        if section != 'DEFAULT':
            parser.add_section(section)
        for key, value in options.items():
            parser.set(section, key, str(value))
    with open(path, 'w') as f:
        parser.write(f)


def merge_sections(base, extra):
    """``base`` updated section by section with ``extra`` (neither is changed)."""
    merged = {name: dict(options) for name, options in base.items()}
    for name, options in (extra or {}).items():
        merged.setdefault(name, {}).update(options)
    return merged


def _proc_state(pid):
    """(state letter, parent pid) of a process, or None when there is none."""
    try:
        with open('/proc/%s/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may contain spaces and parentheses.
    fields = stat[stat.rindex(')') + 2:].split()
    return fields[0], int(fields[1])


def is_alive(pid):
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    state = _proc_state(pid)
    return state is not None and state[0] != 'Z'


def _cmdline(pid):
    try:
        with open('/proc/%s/cmdline' % pid, 'rb') as f:
            return f.read().decode('utf-8', 'replace').replace('\0', ' ')
    except OSError:
        return ''


def child_pids(pid):
    """Pids of the live (not zombie) children of ``pid``."""
    children = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            state = _proc_state(entry)
            if state is not None and state[0] != 'Z' and state[1] == pid:
                children.append(int(entry))
    return sorted(children)


def wait_for(predicate, timeout=15, interval=0.05, message='condition'):
    """Poll ``predicate`` until it returns a true value (returned) or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError('timed out after %ss waiting for %s' % (timeout, message))
        time.sleep(interval)


def make_self_signed_cert(directory, name='server', host='127.0.0.1'):
    """A self-signed certificate for ``host``: returns ``(cert_path, key_path)``.

    Uses the ``cryptography`` package when installed, else the openssl command.
    """
    cert_path = os.path.join(directory, '%s.crt' % name)
    key_path = os.path.join(directory, '%s.key' % name)
    try:
        _cert_with_cryptography(cert_path, key_path, host)
    except ImportError:
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                        '-days', '2', '-subj', '/CN=%s' % host,
                        '-addext', 'subjectAltName=IP:%s' % host,
                        '-keyout', key_path, '-out', cert_path],
                       check=True, capture_output=True)
    return cert_path, key_path


def _cert_with_cryptography(cert_path, key_path, host):
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    with open(key_path, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    with open(cert_path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


class ServerStartError(AssertionError):
    """The server did not come up; the message holds its log tail and stderr."""


class ServerProcess:
    """One real server process (``glance-api``, ``glance-registry``) in ``workdir``.

    :param conf_sections: ``{section: {option: value}}`` for ``<workdir>/<prog>.conf``;
        ``bind_host = 127.0.0.1``, ``bind_port = 0`` and ``log_file`` are added unless
        given.
    :param paste_ini: text of ``<prog>-paste.ini``; default: a copy of the repo's.
    :param args: extra command-line arguments.
    :param env: extra environment variables for the child (HOME defaults to workdir).
    :param http_kwargs: extra ``requests`` arguments for the health poll (TLS).
    """

    LISTENING = re.compile(r'(\S+) listening on (https?)://(\S+):(\d+)\s*$', re.M)

    def __init__(self, prog, workdir, conf_sections=None, paste_ini=None, args=(),
                 env=None, http_kwargs=None):
        self.prog = prog
        self.workdir = str(workdir)
        self.conf_path = os.path.join(self.workdir, '%s.conf' % prog)
        self.paste_path = os.path.join(self.workdir, '%s-paste.ini' % prog)
        self.log_path = os.path.join(self.workdir, '%s.log' % prog)
        self.stdout_path = os.path.join(self.workdir, '%s.stdout' % prog)
        self.stderr_path = os.path.join(self.workdir, '%s.stderr' % prog)
        self.base_sections = merge_sections(
            {'DEFAULT': {'bind_host': '127.0.0.1', 'bind_port': '0',
                         'log_file': self.log_path}},
            conf_sections)
        self.paste_ini = paste_ini
        self.args = list(args)
        self.env = dict(env or {})
        self.http_kwargs = dict(http_kwargs or {})
        self.extra_sections = None
        self.seen_workers = set()
        self.process = None
        self.port = None
        self.scheme = 'http'

    # -- lifecycle -------------------------------------------------------------

    def write_files(self, extra_sections=None):
        """(Re)write the config (base sections updated with ``extra_sections``)."""
        self.extra_sections = extra_sections
        os.makedirs(self.workdir, exist_ok=True)
        write_conf(self.conf_path, merge_sections(self.base_sections, extra_sections))
        if self.paste_ini is not None:
            with open(self.paste_path, 'w') as f:
                f.write(self.paste_ini)
        else:
            shutil.copyfile(os.path.join(REPO, 'etc', '%s-paste.ini' % self.prog),
                            self.paste_path)

    def launch(self):
        """Start the process without waiting for it (see :meth:`start`)."""
        if not os.path.exists(self.conf_path):
            self.write_files()
        env = dict(os.environ)
        env['HOME'] = self.workdir
        env.update(self.env)
        self._log_offset = os.path.getsize(self.log_path) if os.path.exists(
            self.log_path) else 0
        with open(self.stdout_path, 'ab') as out, open(self.stderr_path, 'ab') as err:
            self.process = subprocess.Popen(
                [venv_bin(self.prog), '--config-file', self.conf_path] + self.args,
                cwd=self.workdir, env=env, stdout=out, stderr=err,
                stdin=subprocess.DEVNULL)
        return self

    def start(self, timeout=30):
        """Launch, read the port from the "listening on" log line, then wait for
        ``GET /healthcheck`` to answer 200.

        :raises ServerStartError: with the log tail and stderr, on exit or timeout.
        """
        self.launch()
        deadline = time.monotonic() + timeout
        while self.port is None:
            match = self.LISTENING.search(self.log_text(since_start=True))
            if match and match.group(1) == self.prog:
                self.scheme, self.port = match.group(2), int(match.group(4))
                break
            self._check_alive_or_fail(deadline, 'the "listening on" log line')
            time.sleep(0.05)
        assert self.port not in FORBIDDEN_PORTS
        while True:
            try:
                if self.get('/healthcheck', timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            self._check_alive_or_fail(deadline, 'GET /healthcheck to answer 200')
            time.sleep(0.05)

    def _check_alive_or_fail(self, deadline, waiting_for):
        code = self.process.poll()
        if code is not None:
            raise ServerStartError('%s exited with status %s while waiting for %s\n%s'
                                   % (self.prog, code, waiting_for, self.diagnostics()))
        if time.monotonic() >= deadline:
            raise ServerStartError('%s: timed out waiting for %s\n%s'
                                   % (self.prog, waiting_for, self.diagnostics()))

    def restart(self, port=None, timeout=30):
        """Stop (SIGTERM) and start again on ``port``: by default the port it had, so
        clients configured with it find it again."""
        port = self.port if port is None else port
        self.stop()
        self.base_sections['DEFAULT']['bind_port'] = str(port)
        self.write_files(self.extra_sections)
        self.port = None
        return self.start(timeout=timeout)

    def reload(self):
        """Send SIGHUP to the master."""
        os.kill(self.pid, signal.SIGHUP)

    def send_signal(self, signum):
        os.kill(self.pid, signum)

    def wait(self, timeout=15):
        """Wait for the master to exit; :returns: its exit status."""
        return self.process.wait(timeout=timeout)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Signal the master, wait up to ``timeout``, then SIGKILL it and its workers.

        :returns: the exit status (negative: killed by a signal).
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.workers()
            try:
                self.process.send_signal(sig)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._kill_orphans()
        return self.returncode

    def _kill_orphans(self):
        # Workers outlive a master killed by a test only until they notice; make sure.
        for pid in self.seen_workers:
            if is_alive(pid) and self.conf_path in _cmdline(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- inspection ------------------------------------------------------------

    @property
    def pid(self):
        return self.process.pid

    @property
    def returncode(self):
        return None if self.process is None else self.process.poll()

    @property
    def url(self):
        return '%s://127.0.0.1:%d' % (self.scheme, self.port)

    def workers(self):
        """Pids of the master's live worker processes."""
        pids = child_pids(self.pid)
        self.seen_workers.update(pids)
        return pids

    def get(self, path, **kwargs):
        """``requests.get`` on this server (with the TLS ``http_kwargs``)."""
        kwargs = dict(self.http_kwargs, **kwargs)
        kwargs.setdefault('timeout', 10)
        return requests.get(self.url + path, **kwargs)

    def log_text(self, since_start=False):
        try:
            with open(self.log_path, 'rb') as f:
                if since_start:
                    f.seek(getattr(self, '_log_offset', 0))
                return f.read().decode('utf-8', 'replace')
        except FileNotFoundError:
            return ''

    def stderr_text(self):
        try:
            with open(self.stderr_path, errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def diagnostics(self, lines=60):
        """The log tail and stderr, for failure messages."""
        tail = '\n'.join(self.log_text().splitlines()[-lines:])
        return ('--- %s log (%s), last %d lines ---\n%s\n--- stderr ---\n%s'
                % (self.prog, self.log_path, lines, tail, self.stderr_text()))
