"""pagecache.py FILE...: put every file in the page cache the same way.

Each file is dropped from the page cache (posix_fadvise DONTNEED) and read
back in one sequential sweep. The page cache keeps a file in folios the size
of the I/O that filled it: a file written in small pieces (a download, a
conversion tool) stays in 4 KiB pages, one read back sequentially comes in
2 MiB folios (XFS, ext4 since Linux 6.16) that a mapping uses as huge pages.
Decoding streams every weight once per token, and ran 25-40% faster from the
same file in huge pages on a Zen 5, so engines compared side by side must
read files cached alike: run.sh calls this on every model file before each
round.
"""
import os
import sys

CHUNK = 4 << 20

for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        while os.read(fd, CHUNK):
            pass
    finally:
        os.close(fd)
