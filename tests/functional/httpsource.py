"""A local HTTP server in a thread that serves fixed bytes (the far end of v1
``x-image-meta-location`` and ``x-glance-api-copy-from``)."""
import http.server
import threading


class SourceServer:
    def __init__(self, files):
        """:param files: {path: bytes} served on GET and HEAD; others are 404."""
        served = dict(files)

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send_headers(self):
                body = served.get(self.path)
                if body is None:
                    self.send_error(404)
                    return None
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.send_header('Content-Type', 'application/octet-stream')
                self.end_headers()
                return body

            def do_HEAD(self):
                self._send_headers()

            def do_GET(self):
                body = self._send_headers()
                if body is not None:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path):
        return 'http://127.0.0.1:%d%s' % (self.port, path)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()
