#!/usr/bin/env python3
"""hostile-dns.py - a DNS server over TCP on 127.0.0.1 that misbehaves on purpose.

usage: hostile-dns.py PORT MODE
  endless-new   AXFR: the SOA, then messages of new address records forever (never the
                closing SOA): the transfer grows without end
  endless-same  AXFR: the SOA, then the same message of records forever
  update-id     AXFR: a proper small zone; UPDATE: answered NOERROR with another id
  update-opcode AXFR: a proper small zone; UPDATE: answered NOERROR as a QUERY
Writes "sent N messages, B bytes" to stderr when a client goes away.
"""
import socket
import struct
import sys
import threading

PORT = int(sys.argv[1])
MODE = sys.argv[2]
ZONE = b"\x07example\x03com\x00"
PTR_ZONE = b"\xc0\x0c"  # the question's name, at offset 12


def rr(owner, rtype, rdata, ttl=300):
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def soa():
    rdata = b"\x03ns1" + PTR_ZONE + b"\x0ahostmaster" + PTR_ZONE + struct.pack("!IIIII", 1, 3600, 600, 86400, 300)
    return rr(PTR_ZONE, 6, rdata)


def message(qid, flags, question, records):
    return struct.pack("!HHHHHH", qid, flags, 1 if question else 0, len(records), 0, 0) + question + b"".join(records)


def recv_exact(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def send(c, msg, stats):
    c.sendall(struct.pack("!H", len(msg)) + msg)
    stats[0] += 1
    stats[1] += len(msg) + 2


def handle(c):
    stats = [0, 0]
    try:
        while True:
            (qlen,) = struct.unpack("!H", recv_exact(c, 2))
            q = recv_exact(c, qlen)
            qid, qflags = struct.unpack("!HH", q[:4])
            opcode = (qflags >> 11) & 15
            end = q.index(b"\x00", 12) + 5  # the question: name, type, class
            question = q[12:end]
            qtype = struct.unpack("!H", question[-4:-2])[0]
            if opcode == 0 and qtype == 252:
                axfr(c, qid, question, stats)
            elif opcode == 5:
                bad_id = MODE == "update-id"
                flags = 0x8000 | (0 if MODE == "update-opcode" else 5 << 11)
                send(c, message(qid ^ 0x5A5A if bad_id else qid, flags, question, []), stats)
    except (EOFError, BrokenPipeError, ConnectionResetError, ValueError):
        pass
    finally:
        sys.stderr.write("sent %d messages, %d bytes\n" % (stats[0], stats[1]))
        sys.stderr.flush()
        c.close()


def axfr(c, qid, question, stats):
    first = [soa(), rr(PTR_ZONE, 2, b"\x03ns1" + PTR_ZONE), rr(b"\x03ns1" + PTR_ZONE, 1, bytes([192, 0, 2, 1]))]
    if not MODE.startswith("endless"):
        send(c, message(qid, 0x8400, question, first + [soa()]), stats)
        return
    send(c, message(qid, 0x8400, question, first), stats)
    n = 0
    same = None
    while True:  # about 60 KiB a message, never the closing SOA
        if MODE == "endless-same" and same:
            send(c, same, stats)
            continue
        records = []
        for _ in range(2500):
            label = b"h%07d" % n
            records.append(rr(bytes([len(label)]) + label + PTR_ZONE, 1, struct.pack("!I", 0x0A000000 + n)))
            n += 1
        same = message(qid, 0x8400, question, records)
        send(c, same, stats)


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", PORT))
srv.listen(8)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
