"""Decode a QR code from PNG bytes with zxing-cpp (a dev dependency), without an image
library: a small PNG reader for the grayscale and palette images QR generators write
(bit depth 1–8, every row filter), turned into one luminance byte per pixel."""

from __future__ import annotations

import struct
import zlib

import zxingcpp


def png_chunks(data: bytes) -> dict[bytes, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        chunks[kind] = chunks.get(kind, b"") + data[at + 8 : at + 8 + length]
        at += 12 + length
    return chunks


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def unfilter(raw: bytes, stride: int, height: int, bpp: int) -> list[bytearray]:
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1 : at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            line[i] = (
                line[i] + (0, left, up, (left + up) // 2, paeth(left, up, corner))[kind]
            ) & 255
        rows.append(line)
        previous = line
    return rows


def png_luminance(data: bytes) -> tuple[bytes, int, int]:
    chunks = png_chunks(data)
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert colour in (0, 3), f"colour type {colour} not handled"
    stride = (width * depth + 7) // 8
    rows = unfilter(zlib.decompress(chunks[b"IDAT"]), stride, height, max(1, depth // 8))
    palette = chunks.get(b"PLTE", b"")
    pixels = bytearray()
    for line in rows:
        for x in range(width):
            bit = x * depth
            value = (line[bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
            if colour == 3:
                value = palette[3 * value + 1]  # the green channel is gray enough here
            elif depth < 8:
                value = value * 255 // ((1 << depth) - 1)
            pixels.append(value)
    return bytes(pixels), width, height


def qr_decode_png(data: bytes) -> list[str]:
    """The texts of the QR codes in a PNG image."""
    pixels, width, height = png_luminance(data)
    view = zxingcpp.ImageView(pixels, width, height, zxingcpp.ImageFormat.Lum)
    return [barcode.text for barcode in zxingcpp.read_barcodes(view)]
