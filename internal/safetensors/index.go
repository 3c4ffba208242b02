package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// maxIndexSize bounds how much of a model.safetensors.index.json is read.
// The index of a 400B-parameter model is well under a megabyte.
const maxIndexSize = MaxHeaderSize

// readIndexFile reads the weight_map of a sharded-model index, at most
// maxIndexSize bytes.
func readIndexFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxIndexSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxIndexSize {
		return nil, fmt.Errorf("index is larger than %d bytes", maxIndexSize)
	}
	return parseIndex(raw)
}

// parseIndex extracts "weight_map" from an index document. Other top-level
// keys ("metadata" with total_size) are skipped. Like the header, it is
// walked token by token so duplicate tensor names are caught.
func parseIndex(raw []byte) (map[string]string, error) {
	if !utf8.Valid(raw) {
		return nil, errors.New("index is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	var wm map[string]string
	found := false
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		if key != "weight_map" {
			if err := skipValue(dec); err != nil {
				return nil, fmt.Errorf("index: %s: %w", key, err)
			}
			continue
		}
		if found {
			return nil, errors.New("index: duplicate key \"weight_map\"")
		}
		found = true
		if wm, err = decodeStringMap(dec); err != nil {
			return nil, fmt.Errorf("index: weight_map: %w", err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	if err := expectEOF(dec); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	if !found || wm == nil {
		return nil, errors.New("index has no \"weight_map\" object")
	}
	return wm, nil
}
