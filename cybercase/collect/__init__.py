"""Collection: capturing web pages as served (raw HTTP, WARC) and as seen (a browser)."""
