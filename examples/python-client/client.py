#!/usr/bin/env python3
"""A unixipc client in Python, written from PROTOCOL.md with the standard library only.

    from client import Client, IpcError

    with Client("/run/user/1000/app.sock") as c:
        c.request("upper", "hello")        # 'HELLO'
        c.request("echo", b"\\x00\\xff")      # b'\\x00\\xff' (raw bytes both ways)
        c.notifications                     # [(name, value), ...] received meanwhile

Command line:

    python3 client.py PATH_OR_TCP_URL METHOD [PARAMS_JSON]
    printf 'raw' | python3 client.py PATH echo --stdin-bytes

It prints the result as JSON (or writes raw bytes when the result is bytes).
On an error it prints "CODE: message" on stderr and exits with status 1.
"""

import json
import os
import socket
import stat
import struct
import sys
import time

PROTOCOL_VERSION = 1

# Frame header: body length (u32), kind (u8), flags (u8), meta length (u16), id (u32); big-endian.
HEADER = struct.Struct(">IBBHI")
HEADER_SIZE = HEADER.size  # 12
MAX_META_BYTES = 0xFFFF
MAX_ID = 0xFFFFFFFF
DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024

# Message kinds (the `kind` byte).
HELLO, REQUEST, RESPONSE, ERROR, NOTIFY = 1, 2, 3, 4, 5
STREAM_ITEM, STREAM_END, CANCEL, PING, PONG = 6, 7, 8, 9, 10

# Data encodings (the low two bits of `flags`).
ENC_JSON, ENC_BYTES, ENC_NONE = 0, 1, 2
ENCODING_MASK = 0b11

# sun_path holds 108 bytes on Linux, 104 on macOS/BSD; keep one for the NUL.
SUN_PATH_MAX = 107 if sys.platform.startswith("linux") else 103
# An abstract name (Linux) fills the whole of sun_path: the NUL, the name, then NULs (PROTOCOL.md 1.6).
SUN_PATH_BYTES = 108
DESCRIPTOR_MAX_BYTES = 4096


class _NoValue:
    """Marks "no value" (encoding NONE), which is not the same as JSON null."""

    def __repr__(self):
        return "NO_VALUE"


NO_VALUE = _NoValue()


class IpcError(Exception):
    """An error with a stable unixipc code, e.g. ERR_IPC_REMOTE or ERR_IPC_NO_METHOD."""

    def __init__(self, code, message, data=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


# ---- frames ----------------------------------------------------------------


def encode_value(value):
    """(flags, data bytes) for a value: bytes travel raw, NO_VALUE as nothing, the rest as JSON."""
    if value is NO_VALUE:
        return ENC_NONE, b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ENC_BYTES, bytes(value)
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return ENC_JSON, text.encode("utf-8")


def encode_frame(kind, frame_id, meta="", value=NO_VALUE):
    """One whole frame: 12-byte header, UTF-8 meta, then the data section."""
    meta_bytes = meta.encode("utf-8")
    if len(meta_bytes) > MAX_META_BYTES:
        raise ValueError(f"meta is {len(meta_bytes)} bytes (max {MAX_META_BYTES})")
    flags, data = encode_value(value)
    body_length = len(meta_bytes) + len(data)
    return HEADER.pack(body_length, kind, flags, len(meta_bytes), frame_id) + meta_bytes + data


def decode_value(flags, data):
    encoding = flags & ENCODING_MASK
    if encoding == ENC_JSON:
        if not data:
            raise IpcError("ERR_IPC_BAD_FRAME", "JSON data section is empty")
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError as error:
            raise IpcError("ERR_IPC_BAD_FRAME", f"data section is not valid JSON: {error}") from error
    if encoding == ENC_BYTES:
        return bytes(data)
    if encoding == ENC_NONE:
        if data:
            raise IpcError("ERR_IPC_BAD_FRAME", "data section must be empty for encoding NONE")
        return None
    raise IpcError("ERR_IPC_BAD_FRAME", f"unknown data encoding {encoding}")


def error_from_wire(value):
    if not isinstance(value, dict) or not isinstance(value.get("code"), str) \
            or not isinstance(value.get("message"), str):
        raise IpcError("ERR_IPC_BAD_FRAME", "error payload needs a string code and message")
    return IpcError(value["code"], value["message"], value.get("data"))


# ---- finding the server ------------------------------------------------------


def _connect_unix(path, timeout):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    address = path
    dir_fd = None
    try:
        if len(os.fsencode(path)) > SUN_PATH_MAX:
            # Too long for sun_path: name the directory through an open descriptor (Linux only).
            if not sys.platform.startswith("linux"):
                raise IpcError("ERR_IPC_CONNECT", f"cannot connect to {path}: path too long for a socket")
            dir_fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY | os.O_DIRECTORY)
            address = f"/proc/self/fd/{dir_fd}/{os.path.basename(path)}"
            if len(os.fsencode(address)) > SUN_PATH_MAX:
                raise IpcError("ERR_IPC_CONNECT", f"cannot connect to {path}: file name too long for a socket")
        sock.connect(address)
        return sock
    except OSError as error:
        sock.close()
        raise IpcError("ERR_IPC_CONNECT", f"cannot connect to {path}: {error.strerror or error}") from error
    except BaseException:
        sock.close()
        raise
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


def abstract_address(name):
    """The sun_path of an abstract NAME as the reference server binds it: NUL, name, NULs to 108 bytes.

    The kernel counts every byte of the address, so the short form (b"\\0" + name) is another name."""
    raw = os.fsencode(name)
    if not sys.platform.startswith("linux"):
        raise IpcError("ERR_IPC_CONNECT", "abstract socket names exist on Linux only")
    if not raw or len(raw) > SUN_PATH_BYTES - 1:
        raise IpcError("ERR_IPC_CONNECT", f"abstract name must be 1..{SUN_PATH_BYTES - 1} bytes")
    return b"\0" + raw + b"\0" * (SUN_PATH_BYTES - 1 - len(raw))


def _connect_abstract(name, timeout):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(abstract_address(name))
        return sock
    except OSError as error:
        sock.close()
        raise IpcError("ERR_IPC_CONNECT", f"cannot connect to @{name} (abstract): {error.strerror or error}") from error
    except BaseException:
        sock.close()
        raise


def endpoint_path(endpoint):
    """What a path-style ENDPOINT names (PROTOCOL.md 1.1): unix: stripped, unix:///abs as /abs,
    an abstract name ("\\0name") as it is, anything else made absolute."""
    path = endpoint[len("unix:") :] if endpoint.startswith("unix:") else endpoint
    if path.startswith("///"):
        path = path[2:]
    if path.startswith("\0"):
        return path
    # Leading slashes collapse to one, as the reference (Node's path.resolve) does; Python keeps "//".
    path = os.path.abspath(path)
    return "/" + path.lstrip("/")


def _connect_tcp(host, port, timeout):
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as error:
        raise IpcError("ERR_IPC_CONNECT", f"cannot connect to tcp://{host}:{port}: {error}") from error
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_descriptor(path, st):
    """The TCP-fallback descriptor at PATH, or None when the file is not one."""
    if not stat.S_ISREG(st.st_mode) or st.st_size > DESCRIPTOR_MAX_BYTES:
        return None
    try:
        with open(path, "rb") as f:
            value = json.loads(f.read(DESCRIPTOR_MAX_BYTES + 1).decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(value, dict) or value.get("transport") != "tcp":
        return None
    port = value.get("port")
    if not isinstance(value.get("host"), str) or not isinstance(value.get("token"), str):
        return None
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port <= 65535:
        return None
    return value


def _parse_tcp_url(endpoint):
    rest = endpoint[len("tcp://") :].rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise IpcError("ERR_IPC_BAD_ENDPOINT", f"cannot parse {endpoint!r}: expected tcp://HOST:PORT")
    return host.strip("[]"), int(port)


def open_endpoint(endpoint, token=None, timeout=5.0):
    """Connects to ENDPOINT; returns (socket, transport, token to present in the hello)."""
    if endpoint.startswith("tcp://"):
        host, port = _parse_tcp_url(endpoint)
        return _connect_tcp(host, port, timeout), "tcp", token
    path = endpoint_path(endpoint)
    if path.startswith("\0"):
        # No file to look at: like tcp://, an abstract name is the caller's explicit choice.
        return _connect_abstract(path[1:], timeout), "unix", token
    try:
        st = os.stat(path)
    except OSError as error:
        raise IpcError("ERR_IPC_CONNECT", f"cannot connect to {path}: {error.strerror}") from error
    if stat.S_ISSOCK(st.st_mode):
        return _connect_unix(path, timeout), "unix", token
    descriptor = _read_descriptor(path, st)
    if descriptor is None:
        raise IpcError("ERR_IPC_CONNECT", f"cannot connect to {path}: not a socket or a unixipc descriptor")
    sock = _connect_tcp(descriptor["host"], descriptor["port"], timeout)
    return sock, "tcp", descriptor["token"]


# ---- the client ----------------------------------------------------------------


class Client:
    """One connection. Requests run one at a time; notifications that arrive meanwhile are collected."""

    def __init__(self, endpoint, token=None, timeout=30.0, connect_timeout=5.0,
                 max_frame_bytes=DEFAULT_MAX_FRAME_BYTES):
        self.timeout = timeout
        self.max_frame_bytes = max_frame_bytes
        self.notifications = []  # (name, value) pairs, oldest first
        self.server_hello = None
        self._buffer = bytearray()
        self._next_id = 1
        self._cancelled = set()  # ids we gave up on whose final frame may still come
        self._closed = False
        self.sock, self.transport, hello_token = open_endpoint(endpoint, token, connect_timeout)
        try:
            self._hello(hello_token, connect_timeout)
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if not self._closed:
            self._closed = True
            self.sock.close()

    # -- public calls --

    def request(self, method, params=NO_VALUE, timeout=None):
        """Calls METHOD; returns its result (a list of items if the server streamed it).

        Raises IpcError: the server's code (ERR_IPC_REMOTE, ERR_IPC_NO_METHOD, ...),
        or ERR_IPC_TIMEOUT (the request is then cancelled on the server).
        """
        request_id = self._allocate_id()
        self._send(encode_frame(REQUEST, request_id, method, params))
        deadline = None
        limit = self.timeout if timeout is None else timeout
        if limit is not None and limit > 0:
            deadline = time.monotonic() + limit
        items = []
        while True:
            try:
                kind, flags, frame_id, meta, data = self._read_frame(deadline)
            except socket.timeout:
                self._cancelled.add(request_id)
                self._send(encode_frame(CANCEL, request_id))
                raise IpcError("ERR_IPC_TIMEOUT", f'"{method}" timed out after {limit} s') from None
            if frame_id != request_id or kind not in (RESPONSE, ERROR, STREAM_ITEM, STREAM_END):
                self._other_frame(kind, flags, frame_id, meta, data)
                continue
            if kind == RESPONSE:
                # Final even after STREAM_ITEMs (no reference server sends that): the value wins,
                # the items are dropped, as the reference client's request() does (PROTOCOL.md 6).
                return decode_value(flags, data)
            if kind == ERROR:
                raise error_from_wire(decode_value(flags, data))
            if kind == STREAM_ITEM:
                items.append(decode_value(flags, data))
                continue
            return items  # STREAM_END

    def notify(self, method, params=NO_VALUE):
        """One-way message to the server; nothing comes back."""
        self._send(encode_frame(NOTIFY, 0, method, params))

    def poll(self, timeout=0.0):
        """Handles frames that arrive within TIMEOUT seconds without a call: collects notifications
        and answers PINGs (a server may drop a peer that leaves its PING unanswered)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                frame = self._read_frame(deadline)
            except socket.timeout:
                return len(self.notifications)
            self._other_frame(*frame)

    def send_frame(self, kind, frame_id, meta="", value=NO_VALUE):
        """Sends one frame as it is, for experiments and tests (requests go through request())."""
        self._send(encode_frame(kind, frame_id, meta, value))

    def read_frame(self, timeout=None):
        """The next frame as (kind, flags, id, meta, data bytes), without handling it; for experiments.

        Raises socket.timeout after TIMEOUT seconds, IpcError ERR_IPC_CLOSED at EOF."""
        return self._read_frame(None if timeout is None else time.monotonic() + timeout)

    def ping(self, timeout=None):
        """Round trip: sends PING and waits for its PONG."""
        ping_id = self._allocate_id()
        self._send(encode_frame(PING, ping_id))
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit if limit else None
        while True:
            try:
                frame = self._read_frame(deadline)
            except socket.timeout:
                raise IpcError("ERR_IPC_TIMEOUT", f"no PONG within {limit} s") from None
            if frame[0] == PONG and frame[2] == ping_id:
                return
            self._other_frame(*frame)

    # -- internals --

    def _hello(self, token, timeout):
        hello = {"protocol": PROTOCOL_VERSION}
        if token is not None:
            hello["token"] = token
        self._send(encode_frame(HELLO, 0, "", hello))
        try:
            kind, flags, frame_id, _meta, data = self._read_frame(time.monotonic() + timeout)
        except socket.timeout:
            raise IpcError("ERR_IPC_CONNECT", f"no hello reply within {timeout} s") from None
        if kind == ERROR and frame_id == 0:
            raise error_from_wire(decode_value(flags, data))  # e.g. ERR_IPC_AUTH: wrong or missing token
        if kind != HELLO:
            self._fail(IpcError("ERR_IPC_BAD_FRAME", f"expected HELLO, got kind {kind}"))
        reply = decode_value(flags, data)
        if not isinstance(reply, dict) or reply.get("protocol") != PROTOCOL_VERSION:
            self._fail(IpcError("ERR_IPC_VERSION", f"server speaks protocol {reply!r}, this client 1"))
        self.server_hello = reply

    def _allocate_id(self):
        frame_id = self._next_id
        while frame_id in self._cancelled:
            frame_id = 1 if frame_id >= MAX_ID else frame_id + 1
        self._next_id = 1 if frame_id >= MAX_ID else frame_id + 1
        return frame_id

    def _send(self, frame):
        if self._closed:
            raise IpcError("ERR_IPC_CLOSED", "the client is closed")
        peer_max = (self.server_hello or {}).get("maxFrameBytes") or 0
        if peer_max and len(frame) - HEADER_SIZE > peer_max:
            # The server would close the whole connection; fail this call alone.
            raise IpcError("ERR_IPC_FRAME_TOO_LARGE",
                           f"frame of {len(frame) - HEADER_SIZE} bytes exceeds the server's {peer_max}")
        try:
            # A write that stalls this long means the server stopped reading: the connection is lost.
            self.sock.settimeout(self.timeout if self.timeout else None)
            self.sock.sendall(frame)
        except OSError as error:
            self.close()
            raise IpcError("ERR_IPC_CLOSED", f"connection lost: {error}") from error

    def _fill(self, size, deadline):
        while len(self._buffer) < size:
            # Past the deadline, still take what has already arrived (a non-blocking read).
            self.sock.settimeout(None if deadline is None else max(deadline - time.monotonic(), 0.0))
            try:
                chunk = self.sock.recv(min(max(65536, size - len(self._buffer)), 1 << 20))
            except (socket.timeout, BlockingIOError):
                raise socket.timeout() from None
            except OSError as error:
                self.close()
                raise IpcError("ERR_IPC_CLOSED", f"connection lost: {error}") from error
            if not chunk:
                self.close()
                raise IpcError("ERR_IPC_CLOSED", "the server closed the connection")
            self._buffer += chunk

    def _read_frame(self, deadline):
        """(kind, flags, id, meta, data) of the next frame; raises socket.timeout past DEADLINE."""
        self._fill(HEADER_SIZE, deadline)
        body_length, kind, flags, meta_length, frame_id = HEADER.unpack_from(self._buffer)
        if body_length > self.max_frame_bytes:
            self._fail(IpcError("ERR_IPC_FRAME_TOO_LARGE",
                                f"frame of {body_length} bytes exceeds maxFrameBytes ({self.max_frame_bytes})"))
        if meta_length > body_length:
            self._fail(IpcError("ERR_IPC_BAD_FRAME", f"meta length {meta_length} exceeds body {body_length}"))
        self._fill(HEADER_SIZE + body_length, deadline)
        end = HEADER_SIZE + body_length
        meta = bytes(self._buffer[HEADER_SIZE : HEADER_SIZE + meta_length]).decode("utf-8", "replace")
        data = bytes(self._buffer[HEADER_SIZE + meta_length : end])
        del self._buffer[:end]
        return kind, flags, frame_id, meta, data

    def _other_frame(self, kind, flags, frame_id, meta, data):
        """A frame that does not answer the call we are waiting on."""
        if kind == NOTIFY:
            self.notifications.append((meta, decode_value(flags, data)))
        elif kind == PING:
            self._send(encode_frame(PONG, frame_id))
        elif kind == PONG:
            pass
        elif kind == REQUEST:
            # This client serves no methods.
            error = {"code": "ERR_IPC_NO_METHOD", "message": f'no method "{meta}"'}
            self._send(encode_frame(ERROR, frame_id, "", error))
        elif kind == ERROR and frame_id == 0:
            error = error_from_wire(decode_value(flags, data))
            self.close()
            raise error  # the server closed the whole connection and said why
        elif kind in (RESPONSE, ERROR, STREAM_END) and frame_id in self._cancelled:
            self._cancelled.discard(frame_id)  # the late answer of a call we gave up on
        elif kind == STREAM_ITEM and frame_id in self._cancelled:
            pass
        elif kind == CANCEL:
            pass  # we never run requests, so there is nothing to cancel
        else:
            self._fail(IpcError("ERR_IPC_BAD_FRAME", f"unexpected frame kind {kind} for id {frame_id}"))

    def _fail(self, error):
        """A protocol error: tell the server why (best effort), close, raise."""
        try:
            self.sock.sendall(encode_frame(ERROR, 0, "", {"code": error.code, "message": error.message}))
        except OSError:
            pass
        self.close()
        raise error


# ---- command line ----------------------------------------------------------------

USAGE = """usage: client.py ENDPOINT METHOD [PARAMS_JSON] [options]

ENDPOINT     a socket path, a path holding a TCP descriptor, unix:PATH, tcp://HOST:PORT,
             or an abstract name (Linux) typed as \\0NAME
PARAMS_JSON  the params as JSON; omitted: no params
options:
  --stdin-bytes        send stdin as raw-bytes params (instead of PARAMS_JSON)
  --token TOKEN        token for a tcp:// server that asks for one
  --timeout SECONDS    request timeout (default 30)
  --notifications      print notifications received meanwhile on stderr, one JSON line each
"""


def main(argv):
    positional, token, timeout, show_notifications, stdin_bytes = [], None, 30.0, False, False
    args = iter(argv)
    for arg in args:
        if arg == "--token":
            token = next(args, None)
        elif arg == "--timeout":
            timeout = float(next(args, "30"))
        elif arg == "--notifications":
            show_notifications = True
        elif arg == "--stdin-bytes":
            stdin_bytes = True
        elif arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        else:
            positional.append(arg)
    if len(positional) not in (2, 3) or (stdin_bytes and len(positional) == 3):
        sys.stderr.write(USAGE)
        return 2
    endpoint, method = positional[0], positional[1]
    # An abstract name cannot hold its NUL on a command line: it is typed as the two characters \0.
    for prefix in ("", "unix:"):
        if endpoint.startswith(prefix + "\\0"):
            endpoint = prefix + "\0" + endpoint[len(prefix) + 2 :]
    if stdin_bytes:
        params = sys.stdin.buffer.read()
    elif len(positional) == 3:
        try:
            params = json.loads(positional[2])
        except ValueError as error:
            sys.stderr.write(f"PARAMS_JSON is not valid JSON: {error}\n")
            return 2
    else:
        params = NO_VALUE
    try:
        with Client(endpoint, token=token, timeout=timeout) as client:
            try:
                result = client.request(method, params)
            finally:
                if show_notifications:
                    for name, value in client.notifications:
                        printable = value.hex() if isinstance(value, bytes) else value
                        sys.stderr.write(json.dumps({"notify": name, "data": printable}) + "\n")
    except IpcError as error:
        sys.stderr.write(f"{error.code}: {error.message}\n")
        return 1
    if isinstance(result, bytes):
        sys.stdout.buffer.write(result)
    else:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
