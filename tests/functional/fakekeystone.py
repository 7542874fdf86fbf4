"""A stand-in Keystone for the keystone flavors: it validates a fixed table of tokens.

keystonemiddleware (``authtoken``) in glance-api validates every user token with
``GET /v3/auth/tokens`` (``X-Subject-Token``), authenticating itself with a service
token; this process answers exactly that call, so a real client (the ``glance`` CLI,
which can only send a token) acts as different projects and roles.  Configure the api
with :meth:`FakeKeystone.authtoken_options` (``auth_type = admin_token``: the service
token and the identity endpoint are fixed, so nothing else of Keystone is needed).

Run as a script: ``fakekeystone.py <tokens.json>``; it prints ``port N`` once listening.
"""
import datetime
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile

SERVICE_TOKEN = 'glance-service-token'


def identity(project, roles=('member',), user=None):
    """A token table entry: who a token stands for."""
    return {'project': project, 'user': user or 'user-' + project, 'roles': list(roles)}


def token_body(entry):
    """The v3 token document keystonemiddleware reads the caller's identity from."""
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = '%Y-%m-%dT%H:%M:%S.000000Z'
    domain = {'id': 'default', 'name': 'Default'}
    return {'token': {
        'methods': ['token'],
        'issued_at': now.strftime(stamp),
        'expires_at': (now + datetime.timedelta(days=1)).strftime(stamp),
        'user': {'id': entry['user'], 'name': entry['user'], 'domain': domain},
        'project': {'id': entry['project'], 'name': entry['project'], 'domain': domain},
        'roles': [{'id': 'role-' + r, 'name': r} for r in entry['roles']],
        'catalog': []}}


class _Handler(http.server.BaseHTTPRequestHandler):
    tokens = {}

    def do_GET(self):
        if self.path.split('?')[0] != '/v3/auth/tokens':
            return self._reply(404, {'error': {'code': 404, 'message': 'Not found'}})
        if self.headers.get('X-Auth-Token') != SERVICE_TOKEN:
            return self._reply(401, {'error': {'code': 401, 'message': 'Bad service token'}})
        subject = self.headers.get('X-Subject-Token', '')
        entry = self.tokens.get(subject)
        if entry is None:
            return self._reply(404, {'error': {'code': 404,
                                               'message': 'Could not find token'}})
        return self._reply(200, token_body(entry), {'X-Subject-Token': subject})

    def _reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main(tokens_path):
    with open(tokens_path) as f:
        _Handler.tokens = json.load(f)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    print('port %d' % server.server_address[1], flush=True)
    server.serve_forever()


class FakeKeystone:
    """The stand-in as a process: ``with FakeKeystone({token: identity(...)}) as ks``."""

    def __init__(self, tokens):
        self._tokens = dict(tokens)
        self._dir = tempfile.TemporaryDirectory()
        self._proc = None
        self.port = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d/v3' % self.port

    def authtoken_options(self):
        """glance-api's ``[keystone_authtoken]`` section for this Keystone."""
        return {'auth_type': 'admin_token', 'endpoint': self.url, 'token': SERVICE_TOKEN,
                'www_authenticate_uri': self.url, 'http_request_max_retries': '0'}

    def __enter__(self):
        path = os.path.join(self._dir.name, 'tokens.json')
        with open(path, 'w') as f:
            json.dump(self._tokens, f)
        self._proc = subprocess.Popen([sys.executable, '-u', os.path.abspath(__file__), path],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      text=True)
        line = self._proc.stdout.readline()
        match = re.match(r'port (\d+)', line)
        if not match:
            self.__exit__()
            raise RuntimeError('the fake keystone did not start: %r' % line)
        self.port = int(match.group(1))
        return self

    def __exit__(self, *exc):
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc.stdout.close()
        self._dir.cleanup()


if __name__ == '__main__':
    main(sys.argv[1])
