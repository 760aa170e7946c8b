#!/usr/bin/python3
"""Traffic that leaves IPVS connection entries behind (run in the client namespace).

conn-traffic.py hold SECONDS ADDR PORT N      N TCP connections, held open SECONDS (background it)
conn-traffic.py close ADDR PORT N             N TCP connections, opened and closed at once
conn-traffic.py syn ADDR PORT N               N TCP connects that are not waited for (SYN only)
conn-traffic.py udp ADDR PORT N               N UDP datagrams, each from its own socket
conn-traffic.py sctp ADDR PORT N              N SCTP associations started (INIT), not waited for
conn-traffic.py sip ADDR PORT CALLID          one SIP INVITE over UDP with that Call-ID
"""
import socket, sys, time

def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET

def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "hold":
        secs, addr, port, n = float(args[0]), args[1], int(args[2]), int(args[3])
        socks = []
        for _ in range(n):
            s = socket.socket(family(addr), socket.SOCK_STREAM)
            s.settimeout(3)
            try:
                s.connect((addr, port))
            except OSError:
                pass
            socks.append(s)
        print("held", flush=True)
        time.sleep(secs)
    elif cmd == "close":
        addr, port, n = args[0], int(args[1]), int(args[2])
        for _ in range(n):
            s = socket.socket(family(addr), socket.SOCK_STREAM)
            s.settimeout(3)
            try:
                s.connect((addr, port))
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                s.recv(100)
            except OSError:
                pass
            s.close()
    elif cmd == "syn":
        addr, port, n = args[0], int(args[1]), int(args[2])
        socks = []
        for _ in range(n):
            s = socket.socket(family(addr), socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((addr, port))
            except OSError:
                pass
            socks.append(s)
        time.sleep(0.5)
    elif cmd == "udp":
        addr, port, n = args[0], int(args[1]), int(args[2])
        for i in range(n):
            s = socket.socket(family(addr), socket.SOCK_DGRAM)
            s.sendto(b"swiftvs %d" % i, (addr, port))
            s.close()
    elif cmd == "sctp":
        addr, port, n = args[0], int(args[1]), int(args[2])
        socks = []
        for _ in range(n):
            s = socket.socket(family(addr), socket.SOCK_STREAM, socket.IPPROTO_SCTP)
            s.setblocking(False)
            try:
                s.connect((addr, port))
            except OSError:
                pass
            socks.append(s)
        time.sleep(0.5)
    elif cmd == "sip":
        addr, port, callid = args[0], int(args[1]), args[2]
        msg = ("INVITE sip:bob@example.com SIP/2.0\r\n"
               "Via: SIP/2.0/UDP client.example;branch=z9hG4bK776asdhds\r\n"
               "From: <sip:alice@example.com>;tag=1928301774\r\n"
               "To: <sip:bob@example.com>\r\n"
               "Call-ID: %s\r\n"
               "CSeq: 1 INVITE\r\n"
               "Content-Length: 0\r\n\r\n" % callid).encode()
        s = socket.socket(family(addr), socket.SOCK_DGRAM)
        s.sendto(msg, (addr, port))
        s.close()
    else:
        sys.exit("unknown command " + cmd)

main()
