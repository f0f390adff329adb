"""The wire format and what comes off it, with no I/O: the text boundary for untrusted strings."""
