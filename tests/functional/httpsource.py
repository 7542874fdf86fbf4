"""A local HTTP server process that serves fixed files (the far end of v1
``x-image-meta-location`` and ``x-glance-api-copy-from``): Python's own http.server
over a temporary directory, so GET and HEAD give Content-Length and unknown paths 404."""
import os
import re
import subprocess
import sys
import tempfile


class SourceServer:
    def __init__(self, files):
        """:param files: {path: bytes} served on GET and HEAD; others are 404."""
        self._dir = tempfile.TemporaryDirectory()
        for path, body in files.items():
            with open(os.path.join(self._dir.name, path.lstrip('/')), 'wb') as f:
                f.write(body)
        self._proc = None
        self.port = None

    def url(self, path):
        return 'http://127.0.0.1:%d%s' % (self.port, path)

    def __enter__(self):
        self._proc = subprocess.Popen(
            [sys.executable, '-u', '-m', 'http.server', '0', '--bind', '127.0.0.1',
             '--directory', self._dir.name],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self._proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N ..."
        match = re.search(r'port (\d+)', line)
        if not match:
            self.__exit__()
            raise RuntimeError('http.server did not start: %r' % line)
        self.port = int(match.group(1))
        return self

    def __exit__(self, *exc):
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc.stdout.close()
        self._dir.cleanup()
