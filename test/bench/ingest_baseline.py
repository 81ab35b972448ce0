#!/usr/bin/python3
"""Python baseline of the ingest benchmark: the same job as the worker
(fetch every tracked video's stats from the simulator's Display API and
store one snapshot each), written the way a user would: requests plus
psycopg2, one API call per 20 videos of a creator, one INSERT per snapshot,
a commit per API call.

usage: ingest_baseline.py DSN SIM_URL SEED_JSON
prints: snapshots elapsed_s client_cpu_s backend_cpu_s
"""
import json
import os
import resource
import sys
import time

import psycopg2
import requests


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    dsn, sim, seed_file = sys.argv[1:4]
    tokens = {c["handle"]: c["access_token"] for c in json.load(open(seed_file))}
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    backend = cur.fetchone()[0]
    cur.execute("SELECT c.handle, v.id FROM tiktrack.videos v"
                " JOIN tiktrack.creators c ON c.id = v.creator_id ORDER BY 1, 2")
    videos = {}
    for handle, vid in cur.fetchall():
        videos.setdefault(handle, []).append(vid)
    conn.commit()

    session = requests.Session()
    url = sim + "/v2/video/query/?fields=id,view_count,like_count,comment_count,share_count"
    stored = 0
    t0, c0, b0 = time.time(), resource.getrusage(resource.RUSAGE_SELF), cpu_of(backend)
    for handle, ids in videos.items():
        for i in range(0, len(ids), 20):
            chunk = [str(v) for v in ids[i:i + 20]]
            r = session.post(url, json={"filters": {"video_ids": chunk}},
                             headers={"Authorization": "Bearer " + tokens[handle]}, timeout=30)
            r.raise_for_status()
            for v in r.json()["data"]["videos"]:
                cur.execute(
                    "INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes,"
                    " comments, shares, source) VALUES (%s, now(), %s, %s, %s, %s, 'display')"
                    " ON CONFLICT DO NOTHING",
                    (int(v["id"]), v["view_count"], v["like_count"], v["comment_count"],
                     v["share_count"]))
                stored += 1
            conn.commit()
    elapsed = time.time() - t0
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    print(stored, f"{elapsed:.3f}", f"{client_cpu:.3f}", f"{cpu_of(backend) - b0:.3f}")


if __name__ == "__main__":
    main()
