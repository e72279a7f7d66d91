#!/usr/bin/env python3
"""A test server for the Wine probe stage (ci/wine/probe.sh): on 127.0.0.1,
an ephemeral port written to PORT_FILE, answering every request with 401 and
`WWW-Authenticate: Negotiate, NTLM`; over TLS when CERT and KEY are given.
It serves at most MAX connections and lives at most LIFE seconds, and exits 3
if an Authorization header ever arrived (the probe must never send one).

usage: probe_server.py PORT_FILE MAX LIFE [CERT KEY]
"""
import socket
import ssl
import sys
import time

port_file, max_conns, life = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ctx = None
if len(sys.argv) > 5:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])

ANSWER = (b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate, NTLM\r\n"
          b"Content-Length: 0\r\nConnection: close\r\n\r\n")

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
srv.settimeout(0.5)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.replace(port_file + ".tmp", port_file)

born, served, credentials = time.monotonic(), 0, False
while served < max_conns and time.monotonic() - born < life:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    served += 1
    conn.settimeout(20)
    try:
        if ctx is not None:
            conn = ctx.wrap_socket(conn, server_side=True)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        if b"\nauthorization:" in data.lower():
            credentials = True
        if data:
            conn.sendall(ANSWER)
    except (OSError, ssl.SSLError) as e:
        # A client that refuses the certificate closes during the handshake.
        print(f"probe_server: connection {served}: {e}", file=sys.stderr)
    finally:
        try:
            conn.close()
        except OSError:
            pass
sys.exit(3 if credentials else 0)
