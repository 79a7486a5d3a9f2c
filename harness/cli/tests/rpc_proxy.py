"""A JSON-RPC endpoint for tests, in front of a plain-http node: with
--tls CERT KEY it serves https with that certificate; with --max-range N it
refuses eth_getLogs over more than N blocks, as public endpoints do. Prints
the port it listens on, then serves."""
import argparse
import http.server
import json
import ssl
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("upstream")
parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
parser.add_argument("--max-range", type=int)
args = parser.parse_args()


def too_wide(call):
    if args.max_range is None or call.get("method") != "eth_getLogs":
        return False
    params = (call.get("params") or [{}])[0]
    start, end = params.get("fromBlock"), params.get("toBlock")
    if not (isinstance(start, str) and isinstance(end, str) and start.startswith("0x") and end.startswith("0x")):
        return True
    return int(end, 16) - int(start, 16) + 1 > args.max_range


class Forward(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        calls = json.loads(body)
        single = isinstance(calls, dict)
        refused = [c for c in ([calls] if single else calls) if too_wide(c)]
        if refused:
            error = {"code": -32005, "message": f"query exceeds max block range {args.max_range}"}
            answer = [{"jsonrpc": "2.0", "id": c.get("id"), "error": error} for c in refused]
            data = json.dumps(answer[0] if single else answer).encode()
        else:
            request = urllib.request.Request(
                args.upstream, data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request) as upstream:
                data = upstream.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
if args.tls:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*args.tls)
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
