"""Test-only paste apps for exercising the server through the real console scripts.

Loaded by a test paste ini (``paste.app_factory = apps:app_factory``) with
``tests/functional`` on the child's PYTHONPATH, so server behaviour is tested without
depending on the registry's own app.

Routes:

* ``GET /pid``: the serving process's pid, and the app's ``name`` (from the paste
  section), as ``<pid> <name>``.
* ``GET /slow?seconds=N``: streams ``N*10`` chunks of :data:`CHUNK`, one per 0.1 s.
* ``GET /hold-logging-lock``: takes the locks of the root logger's handlers, sends one
  :data:`CHUNK` (header ``X-Pid``) and keeps them for a minute (a worker "killed while
  logging").
* ``GET /conf?opt=NAME[&group=GROUP]``: ``str()`` of that option of the program's conf.
* ``PUT /file?path=P``: creates file P with the request body (shows the umask).
* ``GET /file?path=P[&offset=O][&length=L]``: L bytes (default: to the end) of file P
  from offset O, through ``wsgi.file_wrapper``.
* ``GET /boom``: raises (the server must answer a bare 500 and log the traceback).
* anything else: 404.

Paste options: ``name`` (shown by /pid); ``die_if_exists`` (a path: when that file
exists at load time, loading ends the process in the way ``die_how`` says: ``kill``
= SIGKILL itself, ``exit`` = exit status 3).  The dying lets tests make workers fail.
``slow_if_exists`` (a path): when that file exists, loading takes two seconds.
"""
import logging
import os
import signal
import sys
import time
import urllib.parse

from glance_lite.common import config

# eventlet buffers a streamed body until 4096 bytes are ready: chunks this big go out at
# once, so a client sees the response start while the app is still running.
CHUNK = b'x' * 4095 + b'\n'


def _respond(start_response, status, body, content_type='text/plain'):
    body = body.encode('utf-8')
    start_response(status, [('Content-Type', content_type),
                            ('Content-Length', str(len(body)))])
    return [body]


class ServerTestApp:
    def __init__(self, conf, name):
        self.conf = conf
        self.name = name

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        query = dict(urllib.parse.parse_qsl(environ.get('QUERY_STRING', '')))
        if path == '/pid':
            return _respond(start_response, '200 OK', '%d %s' % (os.getpid(), self.name))
        if path == '/slow':
            seconds = float(query.get('seconds', '1'))
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return self._slow(seconds)
        if path == '/hold-logging-lock':
            start_response('200 OK', [('Content-Type', 'text/plain'),
                                      ('X-Pid', str(os.getpid()))])
            return self._hold_logging_lock()
        if path == '/conf':
            group = query.get('group')
            source = getattr(self.conf, group) if group else self.conf
            return _respond(start_response, '200 OK', str(getattr(source, query['opt'])))
        if path == '/boom':
            raise ValueError('boom from the test app')
        if path == '/file' and environ['REQUEST_METHOD'] == 'GET':
            return self._file(environ, start_response, query)
        if path == '/file' and environ['REQUEST_METHOD'] == 'PUT':
            length = int(environ.get('CONTENT_LENGTH') or 0)
            with open(query['path'], 'wb') as f:
                f.write(environ['wsgi.input'].read(length))
            return _respond(start_response, '201 Created', '')
        return _respond(start_response, '404 Not Found', 'not found')

    @staticmethod
    def _file(environ, start_response, query):
        f = open(query['path'], 'rb')
        offset = int(query.get('offset', 0))
        length = int(query.get('length', os.fstat(f.fileno()).st_size - offset))
        f.seek(offset)
        start_response('200 OK', [('Content-Type', 'application/octet-stream'),
                                  ('Content-Length', str(length))])
        return environ['wsgi.file_wrapper'](f, 65536)

    @staticmethod
    def _slow(seconds):
        # time.sleep is green in the server (monkey-patched): other requests go on.
        for _ in range(int(seconds * 10)):
            yield CHUNK
            time.sleep(0.1)

    @staticmethod
    def _hold_logging_lock():
        handlers = list(logging.getLogger().handlers)
        for handler in handlers:
            handler.acquire()
        try:
            yield CHUNK
            time.sleep(60)
        finally:
            for handler in handlers:
                handler.release()


def _maybe_die(local_conf):
    path = local_conf.get('die_if_exists')
    if not path or not os.path.exists(path):
        return
    if local_conf.get('die_how', 'kill') == 'kill':
        os.kill(os.getpid(), signal.SIGKILL)
    sys.exit(3)


def app_factory(global_conf, **local_conf):
    _maybe_die(local_conf)
    slow = local_conf.get('slow_if_exists')
    if slow and os.path.exists(slow):
        time.sleep(2)
    return ServerTestApp(config.conf_from_paste(global_conf), local_conf.get('name', 'main'))
