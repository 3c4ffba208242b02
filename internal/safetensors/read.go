package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// headerLen checks the 8-byte length prefix of a fileSize-byte file and
// returns N, the JSON header's length. Both limits are checked before anyone
// allocates N bytes.
func headerLen(prefix []byte, fileSize int64) (int64, error) {
	n := binary.LittleEndian.Uint64(prefix)
	if n > MaxHeaderSize {
		return 0, fmt.Errorf("header length %d is more than the %d allowed", n, MaxHeaderSize)
	}
	if int64(n) > fileSize-8 {
		return 0, fmt.Errorf("header length %d runs past the end of the %d-byte file", n, fileSize)
	}
	return int64(n), nil
}

func errTooSmall(size int64) error {
	return fmt.Errorf("file is %d bytes, too small to hold the 8-byte header length", size)
}

// ReadHeader reads and validates the header of a safetensors file of
// fileSize bytes, reading only the header's own bytes from r.
func ReadHeader(r io.ReaderAt, fileSize int64) (*Header, error) {
	h, err := readHeader(r, fileSize)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return h, nil
}

func readHeader(r io.ReaderAt, fileSize int64) (*Header, error) {
	if fileSize < 8 {
		return nil, errTooSmall(fileSize)
	}
	var prefix [8]byte
	if _, err := r.ReadAt(prefix[:], 0); err != nil {
		return nil, fmt.Errorf("reading header length: %w", err)
	}
	n, err := headerLen(prefix[:], fileSize)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, n)
	if _, err := r.ReadAt(raw, 8); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading %d-byte header: %w", n, err)
	}
	return parseHeader(raw, fileSize-8-n)
}

// parseFileBytes validates the header of a whole file held in memory (or
// mapped) without copying the header out of it.
func parseFileBytes(b []byte) (*Header, error) {
	if len(b) < 8 {
		return nil, errTooSmall(int64(len(b)))
	}
	n, err := headerLen(b[:8], int64(len(b)))
	if err != nil {
		return nil, err
	}
	return parseHeader(b[8:8+n], int64(len(b))-8-n)
}

// ReadHeaderFile reads and validates the header of the file at path. It reads
// only the header, never the tensor data, so it is cheap on any file size.
func ReadHeaderFile(path string) (*Header, error) {
	h, _, err := readHeaderFile(path)
	return h, err
}

// readHeaderFile is ReadHeaderFile that also returns the file's size.
func readHeaderFile(path string) (*Header, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("safetensors: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("safetensors: %s: not a regular file", path)
	}
	h, err := readHeader(f, st.Size())
	if err != nil {
		return nil, 0, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return h, st.Size(), nil
}
