#!/usr/bin/env python3
"""Receives Carillon's meeting events on http://127.0.0.1:PORT/ and checks their signature."""
import hashlib, hmac, json, os, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["CARILLON_WEBHOOK_SECRET"].encode()

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        timestamp = self.headers["X-Carillon-Timestamp"]
        expected = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        signature = self.headers["X-Carillon-Signature"].removeprefix("v1=")
        if abs(time.time() - int(timestamp)) > 300 or not hmac.compare_digest(expected, signature):
            self.send_response(401); self.end_headers(); return
        detail = json.loads(body)["detail"]  # the envelope EventBridge, SQS and SNS carry too
        print(detail["eventType"], detail["meetingId"], detail.get("attendeeId", ""), flush=True)
        self.send_response(204); self.end_headers()

HTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8090), Receiver).serve_forever()
