"""Baseline servers: a trivial eventlet WSGI app, and the same app calling a second one
over HTTP (the shape of api → registry) with pooled keep-alive connections.

    python -m tools.bench.hello PORT_FILE [UPSTREAM_PORT]

Binds 127.0.0.1 on a free port, writes the port to PORT_FILE, serves until killed.
"""
import sys
import warnings

with warnings.catch_warnings():
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import eventlet

eventlet.monkey_patch()

import http.client  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402

import eventlet.wsgi  # noqa: E402

BODY = b'{"hello": "world"}'


class _Quiet:
    def write(self, *args):
        pass


def hello(environ, start_response):
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(BODY)))])
    return [BODY]


class _Pool:
    """Keep-alive connections to the upstream, one per concurrent request."""

    def __init__(self, port):
        self.port = port
        self.idle = []

    def call(self):
        conn = self.idle.pop() if self.idle else None
        if conn is None:
            conn = http.client.HTTPConnection('127.0.0.1', self.port)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.request('GET', '/')
        body = conn.getresponse().read()
        self.idle.append(conn)
        return body


def two_hop(port):
    pool = _Pool(port)

    def app(environ, start_response):
        body = pool.call()
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', str(len(body)))])
        return [body]
    return app


def main(port_file, upstream=None):
    sock = eventlet.listen(('127.0.0.1', 0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with open(port_file + '.tmp', 'w') as f:
        f.write(str(sock.getsockname()[1]))
    os.replace(port_file + '.tmp', port_file)
    app = two_hop(int(upstream)) if upstream else hello
    eventlet.wsgi.server(sock, app, log=_Quiet(), log_output=False, debug=False)


if __name__ == '__main__':
    main(*sys.argv[1:])
