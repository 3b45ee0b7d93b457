"""UTF-8 text in header values stays as its latin-1 image."""
expect = {
    "hdr:Subject": "Привет".encode("utf-8").decode("latin-1"),
    "hdr:Organization": "Société".encode("utf-8").decode("latin-1"),
}
