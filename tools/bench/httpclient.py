"""A minimal keep-alive HTTP/1.1 client over a raw socket, cheap enough that the load
generator is never what limits a measurement (no header objects, no URL parsing)."""
import socket

RECV_SIZE = 1 << 20


class HttpError(Exception):
    """The connection broke or the answer was not HTTP."""


def build_request(method, path, headers=None, body=None):
    """The bytes of one request (``Content-Length`` added for a bytes ``body``)."""
    lines = ['%s %s HTTP/1.1' % (method, path), 'Host: bench']
    for name, value in (headers or {}).items():
        lines.append('%s: %s' % (name, value))
    if body is not None:
        lines.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + (body or b'')


class Response:
    __slots__ = ('status', 'headers', 'body', 'length')

    def __init__(self, status, headers, body, length):
        self.status, self.headers, self.body, self.length = status, headers, body, length


class Connection:
    """One persistent connection; :meth:`request` sends and reads one exchange."""

    def __init__(self, host, port, timeout=120):
        self.address = (host, port)
        self.timeout = timeout
        self.sock = None
        self._buf = b''
        self._scratch = bytearray(RECV_SIZE)

    def _connect(self):
        self.sock = socket.create_connection(self.address, timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b''

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, head, body_chunks=None, is_head=False, keep_body=True):
        """Send ``head`` (request bytes, body included when small), then every chunk
        of ``body_chunks``; read the answer.  ``keep_body=False`` counts the body's
        bytes without keeping them (large downloads)."""
        if self.sock is None:
            self._connect()
        try:
            self.sock.sendall(head)
            for chunk in body_chunks or ():
                self.sock.sendall(chunk)
            return self._read_response(is_head, keep_body)
        except (OSError, HttpError):
            self.close()
            raise

    def _recv(self):
        data = self.sock.recv(RECV_SIZE)
        if not data:
            raise HttpError('connection closed by the server')
        return data

    def _read_response(self, is_head, keep_body):
        while b'\r\n\r\n' not in self._buf:
            self._buf += self._recv()
        head, self._buf = self._buf.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        parts = lines[0].split(' ', 2)
        if len(parts) < 2 or not parts[0].startswith('HTTP/'):
            raise HttpError('not an HTTP answer: %r' % lines[0][:80])
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        body, length = b'', 0
        if not is_head and status not in (204, 304):
            if 'content-length' in headers:
                body, length = self._read_exact(int(headers['content-length']), keep_body)
            elif headers.get('transfer-encoding', '').lower() == 'chunked':
                body, length = self._read_chunked(keep_body)
            else:
                body, length = self._read_to_close(keep_body)
        if headers.get('connection', '').lower() == 'close':
            self.close()
        return Response(status, headers, body, length)

    def _read_exact(self, size, keep_body):
        if len(self._buf) >= size:
            body, self._buf = self._buf[:size], self._buf[size:]
            return body, size
        if keep_body:
            parts, have = [self._buf], len(self._buf)
            while have < size:
                data = self._recv()
                parts.append(data)
                have += len(data)
            joined = b''.join(parts)
            self._buf = joined[size:]
            return joined[:size], size
        # Counting only: recv_into one scratch buffer, never past this body's end.
        have, self._buf = len(self._buf), b''
        view = memoryview(self._scratch)
        while have < size:
            got = self.sock.recv_into(view, min(RECV_SIZE, size - have))
            if not got:
                raise HttpError('connection closed %d bytes before the end of the body'
                                % (size - have))
            have += got
        return b'', size

    def _read_line(self):
        while b'\r\n' not in self._buf:
            self._buf += self._recv()
        line, self._buf = self._buf.split(b'\r\n', 1)
        return line

    def _read_chunked(self, keep_body):
        parts, total = [], 0
        while True:
            size = int(self._read_line().split(b';')[0], 16)
            if size == 0:
                while self._read_line():
                    pass  # trailers
                return b''.join(parts), total
            chunk, _ = self._read_exact(size, keep_body)
            parts.append(chunk)
            total += size
            self._read_line()

    def _read_to_close(self, keep_body):
        parts, total = [self._buf], len(self._buf)
        self._buf = b''
        while True:
            data = self.sock.recv(RECV_SIZE)
            if not data:
                break
            total += len(data)
            if keep_body:
                parts.append(data)
        self.close()
        return b''.join(parts), total
