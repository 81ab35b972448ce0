"""Tests for the TikTok simulator: /usr/bin/python3 -m unittest test/sim/test_tiktok_sim.py"""

import base64
import hashlib
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from urllib.parse import parse_qs, urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tiktok_sim  # noqa: E402

T0 = 1700000000.0
VID = "7234567890123456789"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSONH = {"Content-Type": "application/json"}
LOG_ID_RE = re.compile(r"^\d{14}[0-9A-F]{20}$")


def start(**kw):
    srv = tiktok_sim.make_server(port=0, **kw)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return srv


def stop(srv):
    srv.shutdown()
    srv.server_close()


class Client:
    """A keep-alive HTTP client that returns (status, headers, parsed JSON or raw bytes)."""

    def __init__(self, port, ctx=None):
        self.port, self.ctx = port, ctx
        self.conn = self._connect()

    def _connect(self):
        if self.ctx:
            return http.client.HTTPSConnection("localhost", self.port, context=self.ctx, timeout=10)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def req(self, method, path, body=None, headers=None, raw=False):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            r = self.conn.getresponse()
            data = r.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = self._connect()
            raise
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = self._connect()
        if raw:
            return r.status, r, data
        return r.status, r, (json.loads(data) if data else None)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body, **kw)

    def close(self):
        self.conn.close()


class SimCase(unittest.TestCase):
    srv = None

    @classmethod
    def setUpClass(cls):
        cls.srv = start(seed=42)

    @classmethod
    def tearDownClass(cls):
        stop(cls.srv)

    def setUp(self):
        self.c = Client(self.srv.port)
        self.admin("POST", "/_sim/reset")
        self.clock(T0 + 100000)

    def tearDown(self):
        self.c.close()

    # helpers ---------------------------------------------------------------
    def admin(self, method, path, body=None, expect=200):
        st, _, data = self.c.req(method, path, body if body is not None else ({} if method == "POST" else None))
        self.assertEqual(st, expect, data)
        return data

    def clock(self, now=None, advance=None):
        body = {"now": now} if advance is None else {"advance": advance}
        return self.admin("POST", "/_sim/clock", body)

    def creator(self, **spec):
        return self.admin("POST", "/_sim/creators", spec)

    def alice(self, **extra):
        spec = {"handle": "alice", "api": "display",
                "videos": [{"id": VID, "create_time": int(T0), "caption": "hi #ad @bob"}]}
        spec.update(extra)
        return self.creator(**spec)

    def bearer(self, tok):
        return {"Authorization": f"Bearer {tok}", **JSONH}

    def query(self, tok, ids, fields="id,view_count,like_count,comment_count,share_count"):
        return self.c.post(f"/v2/video/query/?fields={fields}", {"filters": {"video_ids": ids}},
                           headers=self.bearer(tok))

    def token(self, form):
        return self.c.post("/v2/oauth/token/", urlencode(form), headers=FORM)

    def biz(self, path, tok, **params):
        q = {k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in params.items()}
        return self.c.get(f"/open_api/v1.3{path}?{urlencode(q)}", headers={"Access-Token": tok})

    def fault(self, **spec):
        return self.admin("POST", "/_sim/faults", spec)


# ---------------------------------------------------------------------------
class TestCLIAndTLS(unittest.TestCase):
    def test_cli_subprocess_port_file_and_sigterm(self):
        with tempfile.TemporaryDirectory() as d:
            pf = os.path.join(d, "port")
            p = subprocess.Popen([sys.executable, os.path.join(HERE, "tiktok_sim.py"), "--port", "0",
                                  "--port-file", pf, "--seed", "7"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                line = p.stdout.readline().strip()
                with open(pf) as f:
                    port = int(f.read().strip())
                self.assertEqual(line, f"tiktok-sim listening on http://127.0.0.1:{port}")
                c = Client(port)
                st, _, data = c.get("/_sim/health")
                self.assertEqual((st, data["ok"]), (200, True))
                c.close()
            finally:
                p.send_signal(signal.SIGTERM)
                rc = p.wait(timeout=10)
                p.stdout.close()
                p.stderr.close()
            self.assertEqual(rc, 0)

    def test_https_with_generated_cert_and_wrong_ca(self):
        if not shutil.which("openssl"):
            self.skipTest("openssl not installed")
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["sh", os.path.join(HERE, "gen_cert.sh"), d], check=True,
                           stdout=subprocess.DEVNULL)
            for f in ("ca.crt", "server.crt", "server.key", "wrong-ca.crt"):
                self.assertTrue(os.path.exists(os.path.join(d, f)), f)
            srv = start(tls_cert=os.path.join(d, "server.crt"), tls_key=os.path.join(d, "server.key"))
            try:
                self.assertTrue(srv.url.startswith("https://127.0.0.1:"))
                ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.crt"))
                c = Client(srv.port, ctx)
                c.post("/_sim/creators", {"handle": "tls", "video_count": 2})
                st, _, data = c.get("/_sim/health")
                self.assertEqual(st, 200)
                st2, _, data2 = c.get("/_sim/creators")   # keep-alive over TLS
                self.assertEqual((st2, data2[0]["handle"]), (200, "tls"))
                c.close()
                # SNI/hostname verification for the TikTok host names on the same port
                for host in ("open.tiktokapis.com", "business-api.tiktok.com", "vm.tiktok.com",
                             "127.0.0.1"):
                    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw:
                        with ctx.wrap_socket(raw, server_hostname=host) as s:
                            s.sendall(b"GET /_sim/health HTTP/1.1\r\nHost: " + host.encode()
                                      + b"\r\nConnection: close\r\n\r\n")
                            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200"))
                bad = ssl.create_default_context(cafile=os.path.join(d, "wrong-ca.crt"))
                with self.assertRaises(ssl.SSLCertVerificationError):
                    c2 = http.client.HTTPSConnection("localhost", srv.port, context=bad, timeout=5)
                    c2.request("GET", "/_sim/health")
                # the server survives a failed handshake
                c3 = Client(srv.port, ctx)
                self.assertEqual(c3.get("/_sim/health")[0], 200)
                c3.close()
            finally:
                stop(srv)


# ---------------------------------------------------------------------------
class TestWorldAndDeterminism(SimCase):
    def test_growth_formula_matches_expected_and_saturates(self):
        self.alice()
        e = self.admin("GET", f"/_sim/expected?video_id={VID}&at={T0}")
        self.assertEqual(e["display"]["view_count"], 0)
        p = e["params"]
        self.assertTrue(10000 <= p["v_inf"] <= 2000000)
        self.assertTrue(7200 <= p["tau"] <= 172800)
        self.assertTrue(0.03 <= p["like_ratio"] <= 0.12)
        self.assertTrue(0.02 <= p["completion_rate"] <= 0.6)
        self.assertEqual(p["completion_rate"], round(p["completion_rate"], 4))
        # recompute from the documented derivation
        d = hashlib.sha256(f"42:{VID}".encode()).digest()
        u = [int.from_bytes(d[4 * i:4 * i + 4], "big") / 2 ** 32 for i in range(8)]
        self.assertEqual(p["v_inf"], 10000 + int(u[0] * 1990001))
        self.assertEqual(p["avg_watch_time"], round(2 + u[7] * 18, 3))
        prev = -1
        for age in (60, 3600, 6 * 3600, 86400, 7 * 86400):
            e = self.admin("GET", f"/_sim/expected?video_id={VID}&at={T0 + age}")
            views = e["display"]["view_count"]
            self.assertEqual(views, math.floor(p["v_inf"] * (1 - math.exp(-age / p["tau"]))))
            self.assertGreater(views, prev)
            b = e["business"]
            self.assertEqual(b["video_views"], views)
            self.assertEqual(b["likes"], math.floor(views * p["like_ratio"]))
            self.assertEqual(b["reach"], math.floor(views * 0.8))
            self.assertEqual(b["total_time_watched"], round(views * p["avg_watch_time"], 3))
            prev = views
        late = self.admin("GET", f"/_sim/expected?video_id={VID}&at={T0 + 10 ** 8}")
        self.assertEqual(late["display"]["view_count"], p["v_inf"])   # saturated

    def test_api_values_follow_the_clock(self):
        a = self.alice()
        self.clock(T0 + 3600)
        _, _, r1 = self.query(a["access_token"], [VID])
        e1 = self.admin("GET", f"/_sim/expected?video_id={VID}")
        self.assertEqual(r1["data"]["videos"][0]["view_count"], e1["display"]["view_count"])
        self.clock(advance=7200)
        _, _, r2 = self.query(a["access_token"], [VID])
        e2 = self.admin("GET", f"/_sim/expected?video_id={VID}&at={T0 + 3600 + 7200}")
        self.assertEqual(r2["data"]["videos"][0]["view_count"], e2["display"]["view_count"])
        self.assertGreater(e2["display"]["view_count"], e1["display"]["view_count"])
        self.assertEqual(r2["data"]["videos"][0]["like_count"], e2["display"]["like_count"])

    def test_same_seed_same_numbers_across_servers(self):
        outs = []
        for seed in (42, 42, 43):
            srv = start(seed=seed)
            try:
                c = Client(srv.port)
                c.post("/_sim/clock", {"now": T0})
                _, _, cr = c.post("/_sim/creators", {"handle": "zed", "video_count": 3,
                                                     "api": "business"})
                vids = [v["id"] for v in cr["videos"]]
                exp = [c.get(f"/_sim/expected?video_id={v}")[2]["business"] for v in vids]
                outs.append((vids, exp, cr["business_id"], cr["access_token"], cr["followers"]))
                c.close()
            finally:
                stop(srv)
        self.assertEqual(outs[0], outs[1])
        self.assertNotEqual(outs[0][0], outs[2][0])
        self.assertTrue(all(len(v) == 19 and v.isdigit() for v in outs[0][0]))

    def test_generated_video_ids_encode_create_time(self):
        self.clock(T0)
        cr = self.creator(handle="gen", video_count=5)
        times = [v["create_time"] for v in cr["videos"]]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertEqual(len(set(times)), 5)
        for v in cr["videos"]:
            self.assertEqual(int(v["id"]) >> 32, v["create_time"])
            self.assertLess(v["create_time"], T0)
            self.assertGreater(v["create_time"], T0 - 11 * 86400)
            self.assertIn("#", v["caption"])

    def test_seed_bulk_is_shaped(self):
        # (Its speed is a benchmark's business, not a unit test's.)
        out = self.admin("POST", "/_sim/seed", {"creators": 5000, "videos_per_creator": 4,
                                                "business_share": 0.3, "prefix": "creator"})
        self.assertEqual(len(out), 5000)
        self.assertEqual(out[0]["handle"], "creator001")
        self.assertEqual(sum(len(c["videos"]) for c in out), 20000)
        self.assertEqual(sum(c["api"] == "business" for c in out), 1500)
        small = self.admin("POST", "/_sim/seed", {"creators": 2, "videos_per_creator": 1,
                                                  "prefix": "x", "include_videos": False})
        self.assertNotIn("videos", small[0])

    def test_reset_creators_and_admin_errors(self):
        self.alice()
        self.admin("POST", "/_sim/creators", {"handle": "alice"}, expect=409)
        self.admin("POST", "/_sim/creators", {"handle": "bob", "videos": [{"id": VID}]}, expect=409)
        self.admin("POST", "/_sim/creators", {"handle": "Bad Handle!"}, expect=400)
        self.admin("POST", "/_sim/faults", {"kind": "nope"}, expect=400)
        self.admin("GET", "/_sim/nothing", expect=404)
        self.assertEqual(len(self.admin("GET", "/_sim/creators")), 1)
        added = self.admin("POST", "/_sim/videos", {"handle": "alice", "video_count": 2})
        self.assertEqual(len(added), 2)
        self.assertEqual(self.admin("GET", "/_sim/expected?handle=alice")["display"]["video_count"], 3)
        self.admin("POST", "/_sim/reset")
        self.assertEqual(self.admin("GET", "/_sim/creators"), [])
        self.assertFalse(self.admin("GET", "/_sim/clock")["frozen"])

    def test_clock_admin(self):
        self.assertEqual(self.clock(T0), {"now": T0, "frozen": True})
        self.assertEqual(self.clock(advance=30.5)["now"], T0 + 30.5)
        st = self.clock(None)
        self.assertFalse(st["frozen"])
        self.assertLess(abs(st["now"] - time.time()), 5)


# ---------------------------------------------------------------------------
class TestDisplayAPI(SimCase):
    def test_user_info_fields_and_errors(self):
        a = self.alice(followers=5000)
        st, r, d = self.c.get("/v2/user/info/?fields=open_id,display_name,follower_count,video_count",
                              headers=self.bearer(a["access_token"]))
        self.assertEqual(st, 200)
        self.assertEqual(r.getheader("Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(d["error"]["code"], "ok")
        self.assertRegex(d["error"]["log_id"], LOG_ID_RE)
        self.assertEqual(d["data"]["user"], {"open_id": a["open_id"], "display_name": "Alice",
                                             "follower_count": 5000, "video_count": 1})
        st, _, d = self.c.get("/v2/user/info/", headers=self.bearer(a["access_token"]))
        self.assertEqual((st, d["error"]["code"]), (400, "invalid_params"))
        st, _, d = self.c.get("/v2/user/info/?fields=open_id,bogus", headers=self.bearer(a["access_token"]))
        self.assertEqual((st, d["error"]["code"]), (400, "invalid_params"))
        for hdr in ({}, self.bearer("act.nope"), {"Authorization": a["access_token"]}):
            st, _, d = self.c.get("/v2/user/info/?fields=open_id", headers=hdr)
            self.assertEqual((st, d["error"]["code"]), (401, "access_token_invalid"))
        b = self.creator(handle="basic", scope="user.info.basic")
        st, _, d = self.c.get("/v2/user/info/?fields=open_id,follower_count",
                              headers=self.bearer(b["access_token"]))
        self.assertEqual((st, d["error"]["code"]), (400, "scope_permission_missed"))
        st, _, d = self.query(b["access_token"], [VID])
        self.assertEqual((st, d["error"]["code"]), (401, "scope_not_authorized"))
        # a Business token is not a Display token
        z = self.creator(handle="biz", api="business")
        st, _, d = self.c.get("/v2/user/info/?fields=open_id", headers=self.bearer(z["access_token"]))
        self.assertEqual(st, 401)

    def test_video_query(self):
        a = self.alice()
        other = self.creator(handle="carol", video_count=1)
        fields = ("id,create_time,view_count,like_count,comment_count,share_count,duration,title,"
                  "video_description,share_url,cover_image_url,embed_link")
        st, _, d = self.query(a["access_token"], [VID, other["videos"][0]["id"], "1"], fields)
        self.assertEqual(st, 200)
        vids = d["data"]["videos"]
        self.assertEqual(len(vids), 1)       # foreign and unknown ids are simply absent
        v = vids[0]
        self.assertEqual(set(v), set(fields.split(",")))
        e = self.admin("GET", f"/_sim/expected?video_id={VID}")["display"]
        for k in ("view_count", "like_count", "comment_count", "share_count", "create_time"):
            self.assertEqual(v[k], e[k])
        self.assertIsInstance(v["id"], str)
        self.assertEqual(v["share_url"], f"https://www.tiktok.com/@alice/video/{VID}")
        self.assertEqual(v["title"], "hi #ad @bob")
        self.assertNotIn("cursor", d["data"])
        st, _, d = self.query(a["access_token"], [VID], "id")
        self.assertEqual(d["data"]["videos"], [{"id": VID}])
        for f in ("save_count", "reach"):
            st, _, d = self.query(a["access_token"], [VID], "id," + f)
            self.assertEqual(st, 400)

    def test_video_query_20_id_limit_and_bad_bodies(self):
        a = self.alice()
        ok = [VID] + [str(7000000000000000000 + i) for i in range(19)]
        st, _, d = self.query(a["access_token"], ok)
        self.assertEqual((st, len(d["data"]["videos"])), (200, 1))
        st, _, d = self.query(a["access_token"], ok + ["7000000000000000099"])
        self.assertEqual((st, d["error"]["code"]), (400, "invalid_params"))
        st, _, d = self.query(a["access_token"], [int(VID)])
        self.assertEqual(st, 400)
        st, _, d = self.query(a["access_token"], [])
        self.assertEqual(st, 400)
        st, _, d = self.c.post("/v2/video/query/?fields=id", "{not json",
                               headers=self.bearer(a["access_token"]))
        self.assertEqual((st, d["error"]["code"]), (400, "invalid_params"))
        st, _, d = self.c.get("/v2/video/query/?fields=id", headers=self.bearer(a["access_token"]))
        self.assertEqual(st, 405)
        st, _, d = self.c.post("/v2/video/query?fields=id", {}, headers=self.bearer(a["access_token"]))
        self.assertEqual(st, 404)

    def test_video_list_pagination(self):
        self.clock(T0)
        cr = self.creator(handle="lister", video_count=25)
        tok = cr["access_token"]
        seen, cursor, pages = [], None, 0
        while True:
            body = {"max_count": 10}
            if cursor is not None:
                body["cursor"] = cursor
            st, _, d = self.c.post("/v2/video/list/?fields=id,create_time,view_count", body,
                                   headers=self.bearer(tok))
            self.assertEqual(st, 200, d)
            pages += 1
            seen.extend(d["data"]["videos"])
            cursor = d["data"]["cursor"]
            if not d["data"]["has_more"]:
                break
        self.assertEqual(pages, 3)
        self.assertEqual([v["id"] for v in seen], [v["id"] for v in cr["videos"]])
        self.assertEqual(cursor, seen[-1]["create_time"] * 1000)
        ts = [v["create_time"] for v in seen]
        self.assertEqual(ts, sorted(ts, reverse=True))
        st, _, d = self.c.post("/v2/video/list/", {"max_count": 21}, headers=self.bearer(tok))
        self.assertEqual(st, 400)
        st, _, d = self.c.post("/v2/video/list/", {}, headers=self.bearer(tok))
        self.assertEqual((st, len(d["data"]["videos"]), set(d["data"]["videos"][0])), (200, 10, {"id"}))


# ---------------------------------------------------------------------------
def _pkce(verifier, enc):
    dg = hashlib.sha256(verifier.encode()).digest()
    return dg.hex() if enc == "hex" else base64.urlsafe_b64encode(dg).decode().rstrip("=")


class TestOAuth(SimCase):
    REDIRECT = "http://127.0.0.1:8765/callback"

    def authorize(self, **over):
        params = {"client_key": "ck", "scope": "user.info.basic,user.info.stats,video.list",
                  "response_type": "code", "redirect_uri": self.REDIRECT, "state": "st8"}
        params.update(over)
        params = {k: v for k, v in params.items() if v is not None}
        st, r, _ = self.c.get("/v2/auth/authorize/?" + urlencode(params), raw=True)
        self.assertEqual(st, 302)
        loc = r.getheader("Location")
        self.assertTrue(loc.startswith(self.REDIRECT + "?"), loc)
        return {k: v[0] for k, v in parse_qs(urlsplit(loc).query).items()}

    def test_authorize_and_pkce_both_encodings(self):
        self.alice()
        verifier = "v" * 20 + "-._~" + "A1b2C3d4E5f6G7h8I9j0"
        for enc in ("hex", "b64url"):
            q = self.authorize(code_challenge=_pkce(verifier, enc), code_challenge_method="S256",
                               sim_user="alice")
            self.assertEqual((q["state"], q["scopes"]), ("st8", "user.info.basic,user.info.stats,video.list"))
            form = {"client_key": "ck", "client_secret": "cs", "code": q["code"],
                    "grant_type": "authorization_code", "redirect_uri": self.REDIRECT}
            st, _, d = self.token({**form, "code_verifier": "wrong" * 10})
            self.assertEqual((st, d["error"]), (400, "invalid_grant"))
            self.assertEqual(set(d), {"error", "error_description", "log_id"})
            st, _, d = self.token({**form, "code_verifier": verifier})
            self.assertEqual(st, 200, d)
            self.assertEqual(set(d), {"access_token", "expires_in", "open_id", "refresh_expires_in",
                                      "refresh_token", "scope", "token_type"})
            self.assertTrue(d["access_token"].startswith("act."))
            self.assertTrue(d["refresh_token"].startswith("rft."))
            self.assertEqual((d["expires_in"], d["refresh_expires_in"], d["token_type"]),
                             (86400, 31536000, "Bearer"))
            st, _, u = self.c.get("/v2/user/info/?fields=open_id,follower_count",
                                  headers=self.bearer(d["access_token"]))
            self.assertEqual(st, 200)
            self.assertEqual(u["data"]["user"]["open_id"], d["open_id"])
            # single use
            st, _, d = self.token({**form, "code_verifier": verifier})
            self.assertEqual((st, d["error"]), (400, "invalid_grant"))

    def test_code_expiry_redirect_mismatch_and_errors(self):
        self.alice()
        q = self.authorize()
        form = {"client_key": "ck", "client_secret": "cs", "code": q["code"],
                "grant_type": "authorization_code", "redirect_uri": "http://other/cb"}
        self.assertEqual(self.token(form)[2]["error"], "invalid_grant")
        q = self.authorize()
        self.clock(advance=601)
        form.update(code=q["code"], redirect_uri=self.REDIRECT)
        self.assertEqual(self.token(form)[2]["error"], "invalid_grant")
        self.assertEqual(self.authorize(response_type="token")["error"], "unsupported_response_type")
        self.assertEqual(self.authorize(scope="bogus.scope")["error"], "invalid_scope")
        self.assertEqual(self.authorize(client_key=None)["error"], "invalid_request")
        self.assertEqual(self.authorize(code_challenge="x", code_challenge_method="plain")["error"],
                         "invalid_request")
        self.assertEqual(self.authorize(sim_deny="1")["error"], "access_denied")
        self.assertEqual(self.authorize(sim_user="ghost")["error"], "access_denied")
        st, _, d = self.token({"client_key": "ck", "client_secret": "cs", "grant_type": "password"})
        self.assertEqual((st, d["error"]), (400, "unsupported_grant_type"))
        st, _, d = self.token({"client_key": "ck", "grant_type": "refresh_token"})
        self.assertEqual(d["error"], "invalid_request")
        st, _, d = self.c.post("/v2/oauth/token/", {"grant_type": "refresh_token"}, headers=JSONH)
        self.assertEqual((st, d["error"]), (400, "invalid_request"))
        st, _, d = self.token({"client_key": "ck", "client_secret": "cs",
                               "grant_type": "client_credentials"})
        self.assertEqual((st, d["expires_in"]), (200, 7200))
        self.assertTrue(d["access_token"].startswith("clt."))

    def test_admin_auth_code_exchange_and_refresh_rotation(self):
        a = self.alice()
        st, _, d = self.token({"client_key": "ck", "client_secret": "cs", "code": a["auth_code"],
                               "grant_type": "authorization_code", "redirect_uri": "https://x/cb/"})
        self.assertEqual(st, 200, d)
        r1 = d["refresh_token"]
        st, _, d2 = self.token({"client_key": "ck", "client_secret": "cs",
                                "grant_type": "refresh_token", "refresh_token": r1})
        self.assertEqual(st, 200, d2)
        self.assertNotEqual(d2["refresh_token"], r1)
        self.assertNotEqual(d2["access_token"], d["access_token"])
        st, _, d3 = self.token({"client_key": "ck", "client_secret": "cs",
                                "grant_type": "refresh_token", "refresh_token": r1})
        self.assertEqual((st, d3["error"]), (400, "invalid_grant"))
        self.assertEqual(self.query(d2["access_token"], [VID])[0], 200)
        cur = [c for c in self.admin("GET", "/_sim/creators") if c["handle"] == "alice"][0]
        self.assertEqual(cur["refresh_token"], d2["refresh_token"])

    def test_bad_token_fault(self):
        a = self.alice()
        self.admin("POST", "/_sim/faults", {"kind": "bad_token"}, expect=400)  # token required
        self.fault(endpoint="*", kind="bad_token", token="x\r\nX-Injected: 1", count=1)
        self.assertEqual(self.query(a["access_token"], [VID])[0], 200)  # not a token endpoint
        st, _, d = self.token({"client_key": "ck", "client_secret": "cs",
                               "grant_type": "refresh_token", "refresh_token": a["refresh_token"]})
        self.assertEqual((st, d["access_token"]), (200, "x\r\nX-Injected: 1"))
        self.assertTrue(d["refresh_token"])
        st, _, d = self.token({"client_key": "ck", "client_secret": "cs",
                               "grant_type": "refresh_token", "refresh_token": d["refresh_token"]})
        self.assertEqual(st, 200)
        self.assertNotIn("\n", d["access_token"])                        # count used up
        self.assertEqual(self.admin("GET", "/_sim/stats")["faults_fired"]["bad_token"], 1)

    def test_revoke_and_access_ttl(self):
        a = self.alice()
        st, r, data = self.c.post("/v2/oauth/revoke/", urlencode(
            {"client_key": "ck", "client_secret": "cs", "token": a["access_token"]}), headers=FORM,
            raw=True)
        self.assertEqual((st, data), (200, b""))
        self.assertEqual(self.query(a["access_token"], [VID])[0], 401)
        st, _, d = self.token({"client_key": "ck", "client_secret": "cs",
                               "grant_type": "refresh_token", "refresh_token": a["refresh_token"]})
        self.assertEqual(d["error"], "invalid_grant")
        b = self.creator(handle="bob", video_count=1)
        self.assertEqual(self.query(b["access_token"], [VID])[0], 200)
        self.clock(advance=86399)
        self.assertEqual(self.query(b["access_token"], [VID])[0], 200)
        self.clock(advance=1)
        st, _, d = self.query(b["access_token"], [VID])
        self.assertEqual((st, d["error"]["code"]), (401, "access_token_invalid"))
        st, _, d = self.token({"client_key": "ck", "client_secret": "cs",
                               "grant_type": "refresh_token", "refresh_token": b["refresh_token"]})
        self.assertEqual(st, 200)
        self.assertEqual(self.query(d["access_token"], [VID])[0], 200)

    def test_client_credentials_checked_when_configured(self):
        srv = start(client_key="ck", client_secret="secret", biz_client_id="app", biz_client_secret="bs")
        try:
            c = Client(srv.port)
            _, _, a = c.post("/_sim/creators", {"handle": "a"})
            form = {"client_key": "ck", "client_secret": "nope", "grant_type": "authorization_code",
                    "code": a["auth_code"], "redirect_uri": "http://x/"}
            st, _, d = c.post("/v2/oauth/token/", urlencode(form), headers=FORM)
            self.assertEqual((st, d["error"]), (400, "invalid_client"))
            form["client_secret"] = "secret"
            self.assertEqual(c.post("/v2/oauth/token/", urlencode(form), headers=FORM)[0], 200)
            _, _, b = c.post("/_sim/creators", {"handle": "b", "api": "business"})
            body = {"client_id": "app", "client_secret": "wrong", "grant_type": "authorization_code",
                    "auth_code": b["auth_code"], "redirect_uri": "https://x/"}
            self.assertEqual(c.post("/open_api/v1.3/tt_user/oauth2/token/", body)[2]["code"], 40001)
            c.close()
        finally:
            stop(srv)


# ---------------------------------------------------------------------------
class TestBusinessAPI(SimCase):
    def setUp(self):
        super().setUp()
        self.clock(T0 + 3 * 86400 + 3600)      # 2023-11-17 23:13 UTC
        self.b = self.creator(handle="brand", api="business", video_count=25, followers=5000)

    def test_business_token_flow(self):
        base = {"client_id": "app", "client_secret": "sec"}
        st, _, d = self.c.post("/open_api/v1.3/tt_user/oauth2/token/", {
            **base, "grant_type": "authorization_code", "auth_code": self.b["auth_code"],
            "redirect_uri": "https://example.com/cb/"})
        self.assertEqual((st, d["code"], d["message"]), (200, 0, "OK"))
        self.assertRegex(d["request_id"], LOG_ID_RE)
        t = d["data"]
        self.assertEqual(set(t), {"access_token", "expires_in", "open_id", "refresh_token",
                                  "refresh_token_expires_in", "scope", "token_type"})
        self.assertEqual(t["open_id"], self.b["business_id"])
        st, _, d = self.c.post("/open_api/v1.3/tt_user/oauth2/token/", {
            **base, "grant_type": "authorization_code", "auth_code": self.b["auth_code"],
            "redirect_uri": "https://example.com/cb/"})
        self.assertEqual(d["code"], 40131)
        self.assertNotIn("data", d)
        st, _, r = self.c.post("/open_api/v1.3/tt_user/oauth2/refresh_token/", {
            **base, "grant_type": "refresh_token", "refresh_token": t["refresh_token"]})
        self.assertEqual(r["code"], 0)
        self.assertNotEqual(r["data"]["refresh_token"], t["refresh_token"])
        st, _, r2 = self.c.post("/open_api/v1.3/tt_user/oauth2/refresh_token/", {
            **base, "grant_type": "refresh_token", "refresh_token": t["refresh_token"]})
        self.assertEqual(r2["code"], 40107)
        self.assertIn("invalid_grant", r2["message"])
        tok = r["data"]["access_token"]
        st, _, i = self.c.post("/open_api/v1.3/tt_user/token_info/get/", {"app_id": "app",
                                                                          "access_token": tok})
        self.assertEqual((i["code"], i["data"]["creator_id"]), (0, self.b["business_id"]))
        self.assertEqual(self.biz("/business/get/", tok, business_id=self.b["business_id"])[2]["code"], 0)
        st, _, v = self.c.post("/open_api/v1.3/tt_user/oauth2/revoke/", {**base, "access_token": tok})
        self.assertEqual(v["code"], 0)
        self.assertEqual(self.biz("/business/get/", tok, business_id=self.b["business_id"])[2]["code"],
                         40105)
        self.assertEqual(self.c.post("/open_api/v1.3/tt_user/oauth2/token/", {"x": 1})[2]["code"], 40002)

    def test_business_get(self):
        tok, bid = self.b["access_token"], self.b["business_id"]
        st, _, d = self.biz("/business/get/", tok, business_id=bid)
        self.assertEqual((st, d["code"]), (200, 0))
        self.assertEqual(set(d["data"]), {"display_name", "profile_image"})
        fields = ["username", "followers_count", "following_count", "total_likes", "videos_count",
                  "audience_countries", "audience_genders", "audience_ages", "video_views", "likes"]
        st, _, d = self.biz("/business/get/", tok, business_id=bid, fields=fields,
                            start_date="2023-11-14", end_date="2023-11-20")
        data = d["data"]
        self.assertEqual((data["username"], data["followers_count"], data["videos_count"]),
                         ("brand", 5000, 25))
        for k, label in (("audience_countries", "country"), ("audience_genders", "gender"),
                         ("audience_ages", "age")):
            self.assertTrue(data[k])
            self.assertAlmostEqual(sum(x["percentage"] for x in data[k]), 1.0, places=3)
            self.assertIn(label, data[k][0])
        # today (sim) is 2023-11-17: days 14..16 reported, later days not yet available
        self.assertEqual([m["date"] for m in data["metrics"]], ["2023-11-14", "2023-11-15", "2023-11-16"])
        # a requested followers_count comes back both as the total and per day
        self.assertEqual(set(data["metrics"][0]), {"date", "video_views", "likes", "followers_count"})
        self.assertEqual(data["metrics"][0]["followers_count"], 5000)
        self.assertGreater(sum(m["video_views"] for m in data["metrics"]), 0)
        self.assertEqual(self.biz("/business/get/", tok, business_id=bid, start_date="2023-08-01")[2]["code"],
                         40002)
        self.assertEqual(self.biz("/business/get/", tok, business_id=bid, fields=["nope"])[2]["code"], 40002)
        self.assertEqual(self.biz("/business/get/", tok, business_id="-000other")[2]["code"], 40001)
        self.assertEqual(self.biz("/business/get/", "Bearer " + tok, business_id=bid)[2]["code"], 40105)
        st, _, d = self.c.get(f"/open_api/v1.3/business/get/?business_id={bid}&fields=[oops",
                              headers={"Access-Token": tok})
        self.assertEqual(d["code"], 40002)
        small = self.creator(handle="tiny", api="business", followers=99)
        d = self.biz("/business/get/", small["access_token"], business_id=small["business_id"],
                     fields=["audience_countries", "audience_genders", "audience_ages"])[2]
        self.assertEqual(d["data"], {"audience_countries": [], "audience_genders": [],
                                     "audience_ages": []})
        # a Display token is not a Business token
        disp = self.creator(handle="disp")
        self.assertEqual(self.biz("/business/get/", disp["access_token"],
                                  business_id=disp["business_id"])[2]["code"], 40105)

    def test_business_video_list(self):
        tok, bid = self.b["access_token"], self.b["business_id"]
        fields = ["item_id", "create_time", "caption", "share_url", "video_duration", "video_views",
                  "likes", "comments", "shares", "favorites", "reach", "full_video_watched_rate",
                  "average_time_watched", "total_time_watched", "new_followers"]
        seen, cursor = [], None
        while True:
            params = {"business_id": bid, "fields": fields, "max_count": 20}
            if cursor:
                params["cursor"] = cursor
            st, _, d = self.biz("/business/video/list/", tok, **params)
            self.assertEqual(d["code"], 0, d)
            seen.extend(d["data"]["videos"])
            cursor = d["data"]["cursor"]
            if not d["data"]["has_more"]:
                break
        self.assertEqual([v["item_id"] for v in seen], [v["id"] for v in self.b["videos"]])
        v = seen[0]
        self.assertEqual(set(v), set(fields))
        self.assertIsInstance(v["video_duration"], float)
        e = self.admin("GET", f"/_sim/expected?video_id={v['item_id']}")["business"]
        for k in fields:
            self.assertEqual(v[k], e[k], k)
        ids = [x["id"] for x in self.b["videos"][:3]] + ["7000000000000000001"]
        st, _, d = self.biz("/business/video/list/", tok, business_id=bid, fields=["item_id"],
                            filters={"video_ids": ids})
        self.assertEqual(sorted(x["item_id"] for x in d["data"]["videos"]), sorted(ids[:3]))
        self.assertFalse(d["data"]["has_more"])
        st, _, d = self.biz("/business/video/list/", tok, business_id=bid,
                            filters={"video_ids": [str(7000000000000000000 + i) for i in range(21)]})
        self.assertEqual(d["code"], 40002)
        d = self.biz("/business/video/list/", tok, business_id=bid)[2]
        self.assertEqual(set(d["data"]["videos"][0]), {"item_id"})
        self.assertEqual(len(d["data"]["videos"]), 10)
        self.assertEqual(self.biz("/business/video/list/", tok, business_id=bid, max_count=21)[2]["code"],
                         40002)
        self.assertEqual(self.biz("/business/video/list/", "nope", business_id=bid)[2]["code"], 40105)


# ---------------------------------------------------------------------------
class TestFaults(SimCase):
    def setUp(self):
        super().setUp()
        self.a = self.alice()
        self.tok = self.a["access_token"]
        self.z = self.creator(handle="zz", api="business", video_count=3)

    def zlist(self, **kw):
        return self.biz("/business/video/list/", self.z["access_token"], business_id=self.z["business_id"], **kw)

    def test_http_429_and_rate_limit_exceeded(self):
        f = self.fault(endpoint="/v2/video/query/", kind="http_429", retry_after=7)
        self.assertIsInstance(f["id"], int)
        st, r, d = self.query(self.tok, [VID])
        self.assertEqual((st, r.getheader("Retry-After"), d["error"]["code"]), (429, "7", "rate_limit_exceeded"))
        self.assertEqual(self.query(self.tok, [VID])[0], 200)   # count 1 consumed
        self.fault(endpoint="/v2/video/query/", kind="rate_limit_exceeded")
        st, r, d = self.query(self.tok, [VID])
        self.assertEqual((st, d["error"]["code"]), (429, "rate_limit_exceeded"))
        self.fault(endpoint="/open_api/v1.3/business/video/list/", kind="rate_limit_exceeded", retry_after=3)
        st, r, d = self.zlist()
        self.assertEqual((st, d["code"], r.getheader("Retry-After")), (200, 40100, "3"))
        self.fault(endpoint="*", kind="http_429")
        self.assertEqual(self.zlist()[0], 429)

    def test_biz_40100_only_hits_business(self):
        self.fault(endpoint="*", kind="biz_40100", count=2)
        self.assertEqual(self.query(self.tok, [VID])[0], 200)
        self.assertEqual(self.zlist()[2]["code"], 40100)
        self.assertEqual(self.zlist()[2]["code"], 40100)
        self.assertEqual(self.zlist()[2]["code"], 0)

    def test_http_500(self):
        self.fault(endpoint="*", kind="http_500", count=3)
        st, _, d = self.query(self.tok, [VID])
        self.assertEqual((st, d["error"]["code"]), (500, "internal_error"))
        st, _, d = self.zlist()
        self.assertEqual((st, d["code"]), (500, 50000))
        st, _, d = self.token({"client_key": "k", "client_secret": "s", "grant_type": "refresh_token",
                               "refresh_token": self.a["refresh_token"]})
        self.assertEqual((st, d["error"]), (500, "server_error"))

    def test_malformed_and_truncated_json(self):
        self.fault(endpoint="/v2/video/query/", kind="malformed_json")
        st, r, raw = self.query_raw()
        self.assertEqual(st, 200)
        with self.assertRaises(ValueError):
            json.loads(raw)
        self.fault(endpoint="/v2/video/query/", kind="truncated_json")
        st, r, raw = self.query_raw()
        self.assertEqual((st, int(r.getheader("Content-Length"))), (200, len(raw)))
        self.assertTrue(raw.startswith(b'{"data":'))
        with self.assertRaises(ValueError):
            json.loads(raw)
        st, r, raw = self.query_raw()           # keep-alive framing still intact
        self.assertEqual(json.loads(raw)["error"]["code"], "ok")

    def query_raw(self):
        return self.c.post("/v2/video/query/?fields=id,view_count", {"filters": {"video_ids": [VID]}},
                           headers=self.bearer(self.tok), raw=True)

    def test_slow(self):
        self.fault(endpoint="/v2/user/info/", kind="slow", delay_ms=300)
        t = time.time()
        st, _, _ = self.c.get("/v2/user/info/?fields=open_id", headers=self.bearer(self.tok))
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.time() - t, 0.29)

    def test_expired_token(self):
        self.fault(endpoint="*", kind="expired_token", count=2)
        # not applicable to the token endpoint, so it waits for a data request
        self.assertEqual(self.token({"client_key": "k", "client_secret": "s", "grant_type": "refresh_token",
                                     "refresh_token": self.a["refresh_token"]})[0], 200)
        st, _, d = self.c.get("/v2/user/info/?fields=open_id", headers=self.bearer(self.tok))
        self.assertEqual((st, d["error"]["code"]), (401, "access_token_invalid"))
        self.assertEqual(self.zlist()[2]["code"], 40105)
        self.assertEqual(self.zlist()[2]["code"], 0)

    def test_revoke_refresh(self):
        self.fault(endpoint="*", kind="revoke_refresh")
        self.assertEqual(self.query(self.tok, [VID])[0], 200)      # not a refresh grant
        form = {"client_key": "k", "client_secret": "s", "grant_type": "refresh_token",
                "refresh_token": self.a["refresh_token"]}
        self.assertEqual(self.token(form)[2]["error"], "invalid_grant")
        self.assertEqual(self.token(form)[2]["error"], "invalid_grant")   # stays dead
        self.fault(endpoint="/open_api/v1.3/tt_user/oauth2/refresh_token/", kind="revoke_refresh")
        body = {"client_id": "a", "client_secret": "b", "grant_type": "refresh_token",
                "refresh_token": self.z["refresh_token"]}
        self.assertEqual(self.c.post("/open_api/v1.3/tt_user/oauth2/refresh_token/", body)[2]["code"], 40107)
        self.assertEqual(self.c.post("/open_api/v1.3/tt_user/oauth2/refresh_token/", body)[2]["code"], 40107)

    def test_vanish(self):
        gone = self.z["videos"][0]["id"]
        self.fault(endpoint="*", kind="vanish", video_ids=[VID, gone], count=-1)
        st, _, d = self.query(self.tok, [VID])
        self.assertEqual((st, d["data"]["videos"]), (200, []))
        st, _, d = self.c.post("/v2/video/list/", {}, headers=self.bearer(self.tok))
        self.assertEqual(d["data"]["videos"], [])
        d = self.zlist(filters={"video_ids": [v["id"] for v in self.z["videos"]]})[2]
        self.assertEqual(len(d["data"]["videos"]), 2)
        self.assertEqual(len(self.zlist()[2]["data"]["videos"]), 2)
        self.assertEqual(self.admin("GET", "/_sim/faults")[0]["fired"], 4)
        self.admin("DELETE", "/_sim/faults")
        self.assertEqual(len(self.query(self.tok, [VID])[2]["data"]["videos"]), 1)

    def test_drop_connection(self):
        self.fault(endpoint="/v2/video/query/", kind="drop_connection")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.query(self.tok, [VID])
        self.assertEqual(self.query(self.tok, [VID])[0], 200)
        st = self.admin("GET", "/_sim/stats")
        self.assertEqual(st["recent"][-2]["status"], 0)
        self.assertEqual(st["faults_fired"]["drop_connection"], 1)

    def test_order_count_and_clear(self):
        f1 = self.fault(endpoint="/v2/video/query/", kind="http_500", count=2)
        f2 = self.fault(endpoint="/v2/video/query/", kind="http_429")
        self.assertNotEqual(f1["id"], f2["id"])
        self.assertEqual([self.query(self.tok, [VID])[0] for _ in range(4)], [500, 500, 429, 200])
        self.fault(endpoint="/v2/user/info/", kind="http_500", count=-1)
        for _ in range(3):
            self.assertEqual(self.c.get("/v2/user/info/?fields=open_id", headers=self.bearer(self.tok))[0], 500)
        self.assertEqual(self.query(self.tok, [VID])[0], 200)       # other endpoint unaffected
        f = self.admin("GET", "/_sim/faults")
        self.assertEqual((f[0]["remaining"], f[0]["fired"]), (-1, 3))
        self.admin("DELETE", f"/_sim/faults/{f[0]['id']}")
        self.assertEqual(self.c.get("/v2/user/info/?fields=open_id", headers=self.bearer(self.tok))[0], 200)


# ---------------------------------------------------------------------------
class TestStatsRateLimitShortLinks(SimCase):
    def test_stats(self):
        a = self.alice()
        self.admin("POST", "/_sim/stats/reset")
        ids = [VID] + [str(7000000000000000000 + i) for i in range(14)]
        self.query(a["access_token"], ids)
        self.query(a["access_token"], ids + ["1"] * 6)
        self.c.get("/v2/user/info/?fields=open_id")
        st = self.admin("GET", "/_sim/stats")
        self.assertEqual(st["total"], 3)
        self.assertEqual(st["per_path"], {"/v2/video/query/": 2, "/v2/user/info/": 1})
        self.assertEqual(st["per_status"], {"200": 1, "400": 1, "401": 1})
        self.assertEqual([r["video_ids"] for r in st["recent"]], [15, 21, 0])
        self.assertEqual(st["recent"][2]["code"], "access_token_invalid")
        self.assertEqual(set(st["recent"][0]), {"method", "path", "status", "video_ids", "ts", "sim_time",
                                                "code", "fault", "fault_id"})
        for _ in range(205):
            self.c.get("/v2/user/info/?fields=open_id")
        self.assertEqual(len(self.admin("GET", "/_sim/stats")["recent"]), 200)
        self.admin("POST", "/_sim/stats/reset")
        self.assertEqual(self.admin("GET", "/_sim/stats")["total"], 0)

    def test_rate_limiter(self):
        a = self.alice()
        z = self.creator(handle="zz", api="business")
        self.admin("POST", "/_sim/config", {"rate_limit_per_minute": 3})
        try:
            sts = [self.query(a["access_token"], [VID])[0] for _ in range(4)]
            self.assertEqual(sts, [200, 200, 200, 429])
            self.assertEqual(self.c.get("/v2/user/info/?fields=open_id",
                                        headers=self.bearer(a["access_token"]))[0], 200)  # per endpoint
            st, r, d = self.query(a["access_token"], [VID])
            self.assertEqual((d["error"]["code"], r.getheader("Retry-After")), ("rate_limit_exceeded", "60"))
            for _ in range(3):
                self.biz("/business/get/", z["access_token"], business_id=z["business_id"])
            st, r, d = self.biz("/business/get/", z["access_token"], business_id=z["business_id"])
            self.assertEqual((st, d["code"]), (200, 40100))
            self.clock(advance=61)
            self.assertEqual(self.query(a["access_token"], [VID])[0], 200)
            self.assertGreaterEqual(self.admin("GET", "/_sim/stats")["rate_limited"], 3)
        finally:
            self.admin("POST", "/_sim/config", {"rate_limit_per_minute": 0})

    def test_short_links(self):
        self.alice()
        s = self.admin("POST", "/_sim/shortlinks", {"code": "ZMabc123", "video_id": VID})
        self.assertEqual(s["code"], "ZMabc123")
        for path in ("/ZMabc123", "/ZMabc123/", "/t/ZMabc123", "/t/ZMabc123/"):
            st, r, body = self.c.get(path, raw=True)
            self.assertEqual(st, 301, path)
            loc = r.getheader("Location")
            self.assertRegex(loc, r"^https://www\.tiktok\.com/@alice/video/%s\?_r=1&_t=\w+$" % VID)
        self.assertEqual(self.c.get("/ZMnope", raw=True)[0], 404)
        self.assertEqual(self.c.get("/t/ZMnope/", raw=True)[0], 404)
        st, r, body = self.c.get(f"/@alice/video/{VID}", raw=True)
        self.assertEqual(st, 200)
        gen = self.admin("POST", "/_sim/shortlinks", {"video_id": VID})
        self.assertEqual(self.c.get("/" + gen["code"] + "/", raw=True)[0], 301)
        self.admin("POST", "/_sim/shortlinks", {"video_id": "1"}, expect=404)

    def test_keep_alive_chunked_and_throughput(self):
        a = self.alice()
        self.c.get("/_sim/health")
        sock = self.c.conn.sock
        body = json.dumps({"filters": {"video_ids": [VID]}}).encode()
        self.c.conn.request("POST", "/v2/video/query/?fields=id", body=iter([body[:10], body[10:]]),
                            headers=self.bearer(a["access_token"]), encode_chunked=True)
        r = self.c.conn.getresponse()
        self.assertEqual(json.loads(r.read())["data"]["videos"], [{"id": VID}])
        for _ in range(300):
            st, _, _ = self.query(a["access_token"], [VID])
            self.assertEqual(st, 200)
        self.assertIs(self.c.conn.sock, sock)        # one connection throughout
        # Expect: 100-continue
        big = json.dumps({"filters": {"video_ids": [VID]}, "pad": "x" * 5000}).encode()
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) as s:
            s.sendall(b"POST /v2/video/query/?fields=id HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      + a["access_token"].encode() + b"\r\nContent-Type: application/json\r\n"
                      + b"Expect: 100-continue\r\nContent-Length: " + str(len(big)).encode() + b"\r\n\r\n")
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 100"))
            s.sendall(big)
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))

    def test_unknown_paths(self):
        st, _, d = self.c.get("/v2/nothing/")
        self.assertEqual((st, d["error"]["code"]), (404, "not_found"))
        self.assertEqual(self.c.get("/", raw=True)[0], 404)


# ---------------------------------------------------------------------------
class TestPagingAndOverrides(SimCase):
    """Admin knobs for client paging guards, redirect refusal and 64-bit exactness."""

    def list_page(self, tok, cursor=None, max_count=20):
        body = {"max_count": max_count}
        if cursor is not None:
            body["cursor"] = cursor
        st, _, d = self.c.post("/v2/video/list/?fields=id,create_time", body, headers=self.bearer(tok))
        self.assertEqual(st, 200, d)
        return d["data"]

    def test_list_page_cap(self):
        self.clock(T0)
        cr = self.creator(handle="capped", video_count=25)
        self.assertEqual(self.admin("POST", "/_sim/config", {"list_page_cap": 7})["list_page_cap"], 7)
        sizes, mores, seen, cursor = [], [], [], None
        while True:
            d = self.list_page(cr["access_token"], cursor)
            sizes.append(len(d["videos"]))
            mores.append(d["has_more"])
            seen.extend(v["id"] for v in d["videos"])
            cursor = d["cursor"]
            if not d["has_more"]:
                break
        self.assertEqual((sizes, mores), ([7, 7, 7, 4], [True, True, True, False]))
        self.assertEqual(seen, [v["id"] for v in cr["videos"]])
        b = self.creator(handle="capbiz", api="business", video_count=9)
        d = self.biz("/business/video/list/", b["access_token"], business_id=b["business_id"],
                     max_count=20)[2]["data"]
        self.assertEqual((len(d["videos"]), d["has_more"]), (7, True))
        self.admin("POST", "/_sim/config", {"list_page_cap": 0})
        self.assertEqual(len(self.list_page(cr["access_token"])["videos"]), 20)

    def test_empty_page_fault(self):
        self.clock(T0)
        cr = self.creator(handle="empty", video_count=5)
        tok = cr["access_token"]
        self.fault(endpoint="*", kind="empty_page", count=2)
        first = int(T0 * 1000) + 1
        self.assertEqual(self.list_page(tok), {"videos": [], "cursor": first, "has_more": True})
        self.assertEqual(self.list_page(tok, cursor=first),
                         {"videos": [], "cursor": first, "has_more": True})
        self.assertEqual(len(self.list_page(tok)["videos"]), 5)      # count used up
        self.fault(endpoint="*", kind="empty_page", count=1)
        st, _, d = self.query(tok, [cr["videos"][0]["id"]])         # not a list request
        self.assertEqual((st, len(d["data"]["videos"])), (200, 1))
        b = self.creator(handle="emptybiz", api="business", video_count=3)
        d = self.biz("/business/video/list/", b["access_token"], business_id=b["business_id"],
                     cursor=1234)[2]
        self.assertEqual((d["code"], d["data"]), (0, {"videos": [], "cursor": 1234, "has_more": True}))
        self.assertEqual(self.admin("GET", "/_sim/stats")["faults_fired"]["empty_page"], 3)
        self.fault(endpoint="*", kind="empty_page", count=1)
        st, _, d = self.c.post("/v2/video/list/", {}, headers=self.bearer("nope"))
        self.assertEqual((st, d["error"]["code"]), (401, "access_token_invalid"))   # auth first

    def test_views_override_beyond_2_53(self):
        big = 2 ** 53 + 1
        cr = self.creator(handle="huge", videos=[{"id": VID, "create_time": int(T0), "views": big}])
        self.assertEqual(cr["videos"][0]["views"], big)
        v = self.query(cr["access_token"], [VID])[2]["data"]["videos"][0]
        e = self.admin("GET", f"/_sim/expected?video_id={VID}")
        self.assertEqual(v["view_count"], big)
        self.assertEqual((v["like_count"], v["view_count"]),
                         (e["display"]["like_count"], e["display"]["view_count"]))
        self.clock(advance=36000)          # constant: no growth over time
        self.assertEqual(self.query(cr["access_token"], [VID])[2]["data"]["videos"][0]["view_count"], big)
        over = self.creator(handle="over", videos=[{"views": str(2 ** 63)}])
        self.assertEqual(over["videos"][0]["views"], 2 ** 63)
        for bad in (-1, True, "1e3", 2 ** 64):
            self.admin("POST", "/_sim/creators",
                       {"handle": "bad", "videos": [{"views": bad}]}, expect=400)

    def test_short_link_custom_location(self):
        self.alice()
        loc = f"https://evil.example.com/@alice/video/{VID}"
        s = self.admin("POST", "/_sim/shortlinks", {"code": "ZMevil", "location": loc})
        self.assertEqual((s["code"], s["location"]), ("ZMevil", loc))
        for path in ("/ZMevil/", "/t/ZMevil"):
            st, r, _ = self.c.get(path, raw=True)
            self.assertEqual((st, r.getheader("Location")), (301, loc))
        self.assertNotIn("ZMevil", self.admin("GET", "/_sim/shortlinks"))
        self.admin("POST", "/_sim/shortlinks", {"code": "ZMx", "location": "a\r\nSet-Cookie: x"},
                   expect=400)
        self.admin("POST", "/_sim/shortlinks", {"location": loc}, expect=400)
        self.admin("POST", "/_sim/shortlinks", {"code": "ZMevil", "video_id": VID})
        st, r, _ = self.c.get("/ZMevil", raw=True)
        self.assertTrue(r.getheader("Location").startswith(f"https://www.tiktok.com/@alice/video/{VID}?"))



class TestPoisonAnswers(SimCase):
    """Answers a client must survive one video at a time: bytes that are not UTF-8, times
    and counters out of any sane range, a short link TikTok forgot."""

    def raw_query(self, tok, ids, fields):
        st, _, data = self.c.post(f"/v2/video/query/?fields={fields}", {"filters": {"video_ids": ids}},
                                  headers=self.bearer(tok), raw=True)
        self.assertEqual(st, 200)
        return data

    def test_wire_overrides_display(self):
        cr = self.creator(handle="poison", videos=[{"id": VID, "create_time": int(T0), "caption": "ok"},
                                                   {"id": "7234567890123456790", "create_time": int(T0)}])
        tok = cr["access_token"]
        self.assertEqual(self.admin("POST", "/_sim/wire", {"video_id": VID, "fields": {
            "title": {"raw_hex": "41fffe42"}, "create_time": -300000000000,
            "view_count": {"raw": "99999999999999999999999"}}}),
            {"video_id": VID, "fields": ["create_time", "title", "view_count"]})
        body = self.raw_query(tok, [VID, "7234567890123456790"], "id,title,create_time,view_count")
        self.assertIn(b'"title":"A\xff\xfeB"', body)                      # not UTF-8, verbatim
        self.assertIn(b'"view_count":99999999999999999999999', body)       # beyond 64 bits
        self.assertIn(b'"create_time":-300000000000', body)
        with self.assertRaises(UnicodeDecodeError):
            body.decode("utf-8")
        # the other video of the same answer is untouched
        other = json.loads(body.replace(b"\xff\xfe", b"").replace(b"99999999999999999999999", b"0"))
        o = [v for v in other["data"]["videos"] if v["id"] != VID][0]
        e = self.admin("GET", "/_sim/expected?video_id=7234567890123456790")["display"]
        self.assertEqual((o["view_count"], o["create_time"]), (e["view_count"], int(T0)))
        # fields not asked for stay out; null removes an override; DELETE clears all
        self.assertNotIn(b"view_count", self.raw_query(tok, [VID], "id,title"))
        self.admin("POST", "/_sim/wire", {"video_id": VID, "fields": {"title": None}})
        self.assertEqual(self.admin("GET", "/_sim/wire"), {VID: ["create_time", "view_count"]})
        self.admin("DELETE", "/_sim/wire")
        self.assertEqual(self.admin("GET", "/_sim/wire"), {})
        d = json.loads(self.raw_query(tok, [VID], "id,title,create_time"))
        self.assertEqual((d["data"]["videos"][0]["title"], d["data"]["videos"][0]["create_time"]),
                         ("ok", int(T0)))

    def test_wire_overrides_business_and_errors(self):
        b = self.creator(handle="poisonbiz", api="business",
                         videos=[{"id": VID, "create_time": int(T0), "caption": "fine"}])
        self.admin("POST", "/_sim/wire", {"video_id": VID, "fields": {
            "caption": {"raw_hex": "c328"}, "likes": -5, "create_time": 9300000000000}})
        st, _, data = self.c.get("/open_api/v1.3/business/video/list/?" + urlencode({
            "business_id": b["business_id"], "fields": json.dumps(["item_id", "caption", "likes", "create_time"]),
            "filters": json.dumps({"video_ids": [VID]})}), headers={"Access-Token": b["access_token"]}, raw=True)
        self.assertEqual(st, 200)
        self.assertIn(b'"caption":"\xc3("', data)
        self.assertIn(b'"likes":-5', data)
        self.assertIn(b'"create_time":9300000000000', data)
        for bad in ({"video_id": VID, "fields": {}}, {"video_id": VID, "fields": {"x": {"raw_hex": "zz"}}},
                    {"video_id": VID, "fields": {"x": {"raw_hex": "22"}}},
                    {"video_id": VID, "fields": {"x": {"other": 1}}}):
            self.admin("POST", "/_sim/wire", bad, expect=400)
        self.admin("POST", "/_sim/wire", {"video_id": "1", "fields": {"x": 1}}, expect=404)
        self.admin("POST", "/_sim/reset")
        self.assertEqual(self.admin("GET", "/_sim/wire"), {})

    def test_dead_short_link(self):
        self.alice()
        self.admin("POST", "/_sim/shortlinks", {"code": "ZMlive", "video_id": VID})
        self.assertEqual(self.c.get("/ZMlive/", raw=True)[0], 301)
        d = self.admin("POST", "/_sim/shortlinks", {"code": "ZMlive", "dead": True})
        self.assertEqual((d["code"], d["dead"]), ("ZMlive", True))
        for path in ("/ZMlive/", "/t/ZMlive/", "/ZMnever/"):
            st, _, body = self.c.get(path, raw=True)
            self.assertEqual((st, body), (404, b"Not Found"))
        self.admin("POST", "/_sim/shortlinks", {"code": "bad code!", "dead": True}, expect=400)
        self.admin("POST", "/_sim/shortlinks", {"code": "ZMlive", "video_id": VID})   # revived
        self.assertEqual(self.c.get("/ZMlive/", raw=True)[0], 301)


if __name__ == "__main__":
    unittest.main()
