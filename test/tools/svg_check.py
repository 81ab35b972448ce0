#!/usr/bin/python3
"""Checks a chart: the SVG with an XML parser, the PNG Chromium drew of it.

    svg_check.py svg FILE   -> JSON: root tag, width, height, title, legend
                               labels, number of lines (polylines) and dots
    svg_check.py png FILE   -> JSON: width, height, share of pixels that are
                               not white, pixels of each colour asked for
                               with --colour RRGGBB (repeatable)

Standard library only (xml.etree, zlib, struct): the PNG is decoded here,
unfiltering each row, so the test needs no imaging package.
"""
import json
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

SVG = "{http://www.w3.org/2000/svg}"


def svg_summary(path):
    root = ET.parse(path).getroot()   # raises on anything that is not XML
    legend = [t.text for g in root.iter(SVG + "g") if g.get("class") == "legend"
              for t in g.iter(SVG + "text")]
    title = [t.text for t in root.iter(SVG + "text") if t.get("class") == "title"]
    return {
        "root": root.tag,
        "width": root.get("width"),
        "height": root.get("height"),
        "title": title[0] if title else None,
        "legend": legend,
        "lines": sum(1 for _ in root.iter(SVG + "polyline")),
        "dots": sum(1 for _ in root.iter(SVG + "circle")),
        "x_ticks": [t.text for g in root.iter(SVG + "g") if g.get("class") == "x-axis"
                    for t in g.iter(SVG + "text")],
        "y_ticks": [t.text for g in root.iter(SVG + "g") if g.get("class") == "y-axis"
                    for t in g.iter(SVG + "text")],
    }


def png_pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = ihdr
    channels = {2: 3, 6: 4, 0: 1, 4: 2}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {ctype}, interlace {interlace}")
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        prev = line
    return width, height, channels, rows


def png_summary(path, colours):
    width, height, channels, rows = png_pixels(path)
    non_white = 0
    counts = {c: 0 for c in colours}
    wanted = {bytes.fromhex(c): c for c in colours}
    for line in rows:
        for x in range(width):
            px = bytes(line[x * channels:x * channels + 3]) if channels >= 3 else bytes([line[x * channels]] * 3)
            if px != b"\xff\xff\xff":
                non_white += 1
            if px in wanted:
                counts[wanted[px]] += 1
    return {"width": width, "height": height,
            "non_white": round(non_white / (width * height), 4), "colours": counts}


def main(argv):
    if len(argv) >= 3 and argv[1] == "svg":
        print(json.dumps(svg_summary(argv[2]), sort_keys=True))
    elif len(argv) >= 3 and argv[1] == "png":
        colours = [argv[i + 1].lower() for i, a in enumerate(argv) if a == "--colour"]
        print(json.dumps(png_summary(argv[2], colours), sort_keys=True))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
