#!/usr/bin/env python3
"""tamperproxy.py LISTEN_PORT SERVER_PORT N - a DNS-over-TCP proxy on 127.0.0.1 that flips
one byte in the Nth message the server sends (a message of a zone transfer, say), so that
tests can check that the client rejects it. Runs until killed; writes its PID to stdout."""
import os
import socket
import sys
import threading


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def handle(client, server_port, nth):
    upstream = socket.create_connection(("127.0.0.1", server_port))

    def pump_up():
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                upstream.sendall(data)
        except OSError:
            pass

    threading.Thread(target=pump_up, daemon=True).start()
    count = 0
    try:
        while True:
            head = recv_exact(upstream, 2)
            if head is None:
                break
            length = int.from_bytes(head, "big")
            msg = bytearray(recv_exact(upstream, length) or b"")
            count += 1
            if count == nth and len(msg) > 40:
                # a byte in the middle of the answer records, not the header
                msg[len(msg) // 2] ^= 0x01
            client.sendall(head + bytes(msg))
    except OSError:
        pass
    finally:
        client.close()
        upstream.close()


def main():
    listen_port, server_port, nth = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(8)
    print(os.getpid(), flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, server_port, nth), daemon=True).start()


if __name__ == "__main__":
    main()
