# Scripts/lib/pair/lineserver.py NAME — a DR real server's line service for the director-pair
# test and demo: listens on :80 (any local address, so the VIP on lo too) and answers each
# line with "NAME LINE".
import socketserver, sys
name = sys.argv[1].encode()
class Line(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(name + b" " + line)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
Server(("0.0.0.0", 80), Line).serve_forever()
