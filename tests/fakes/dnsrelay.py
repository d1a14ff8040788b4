#!/usr/bin/env python3
"""dnsrelay.py PORT UPSTREAM_PORT N LOG - a DNS server on 127.0.0.1:PORT (UDP) that relays
the first N queries to 127.0.0.1:UPSTREAM_PORT and their answers back, then answers
nothing: a server that stops answering in the middle of a run. Each query's name and type
go to LOG, one line each ("3 api.example.com. 1"; "dropped" after it once past N), after a
first line "ready" once the port is bound."""
import socket
import struct
import sys

PORT, UPSTREAM, N, LOG = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def question(msg):
    """The query's name (text) and type, from its first question."""
    i, labels = 12, []
    while i < len(msg) and msg[i]:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode("ascii", "replace"))
        i += 1 + msg[i]
    qtype = struct.unpack("!H", msg[i + 1:i + 3])[0] if i + 3 <= len(msg) else 0
    return ".".join(labels) + ".", qtype


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", PORT))
up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
up.settimeout(2)
seen = 0
with open(LOG, "a", buffering=1) as log:
    log.write("ready\n")  # bound: the test may send
    while True:
        msg, peer = sock.recvfrom(65535)
        name, qtype = question(msg)
        if seen >= N:
            log.write("%d %s %d dropped\n" % (seen, name, qtype))
            continue
        log.write("%d %s %d\n" % (seen, name, qtype))
        seen += 1
        up.sendto(msg, ("127.0.0.1", UPSTREAM))
        try:
            answer, _ = up.recvfrom(65535)
        except socket.timeout:
            continue
        sock.sendto(answer, peer)
