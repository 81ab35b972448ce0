#!/usr/bin/python3
"""How many video queries per second the simulator answers, for the ingest
benchmark to say which side limited its throughput: PARALLEL keep-alive
clients (as many as the worker's tiktrack.http_max_parallel) post
/v2/video/query/ with 20 ids each, as the worker does, for SECONDS.

usage: sim_capacity.py SIM_URL SEED_JSON PARALLEL SECONDS
prints: requests_per_second
"""
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def main():
    sim, seed_file, parallel, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    creators = json.load(open(seed_file))
    host = urlsplit(sim)
    deadline = time.time() + seconds
    counts = [0] * parallel

    def client(k):
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        i = k
        while time.time() < deadline:
            c = creators[i % len(creators)]
            i += parallel
            body = json.dumps({"filters": {"video_ids": [v["id"] for v in c["videos"][:20]]}})
            conn.request("POST", "/v2/video/query/?fields=id,create_time,view_count,like_count,"
                         "comment_count,share_count,duration,title,video_description",
                         body=body, headers={"Authorization": "Bearer " + c["access_token"],
                                             "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise SystemExit(f"simulator answered HTTP {r.status}")
            counts[k] += 1

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{sum(counts) / (time.time() - t0):.1f}")


if __name__ == "__main__":
    main()
