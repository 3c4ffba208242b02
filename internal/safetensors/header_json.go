package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// decodeHeaderJSON walks the header token by token rather than unmarshalling
// it into a map, because encoding/json silently keeps the last of duplicate
// keys and a duplicate tensor name must be an error.
func decodeHeaderJSON(raw []byte) ([]TensorInfo, map[string]string, error) {
	if !utf8.Valid(raw) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	var (
		tensors []TensorInfo
		meta    map[string]string
		seen    = make(map[string]bool)
	)
	for dec.More() {
		name, err := objectKey(dec)
		if err != nil {
			return nil, nil, fmt.Errorf("header: %w", err)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("header: duplicate key %q", name)
		}
		seen[name] = true
		if name == metadataKey {
			if meta, err = decodeStringMap(dec); err != nil {
				return nil, nil, fmt.Errorf("header: %s: %w", metadataKey, err)
			}
			continue
		}
		t, err := decodeTensorEntry(dec, name)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		tensors = append(tensors, t)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	// Anything but whitespace after the object (Rust pads with spaces) means
	// the length field or the JSON is wrong.
	if err := expectEOF(dec); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	return tensors, meta, nil
}

// decodeTensorEntry reads {"dtype": ..., "shape": [...], "data_offsets": [b, e]}.
// Unknown keys are skipped, as the Rust library does, so later format
// additions still parse.
func decodeTensorEntry(dec *json.Decoder, name string) (TensorInfo, error) {
	t := TensorInfo{Name: name}
	if err := expectDelim(dec, '{'); err != nil {
		return t, fmt.Errorf("entry must be an object: %w", err)
	}
	var haveDType, haveShape, haveOffsets bool
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return t, err
		}
		switch key {
		case "dtype":
			if haveDType {
				return t, errors.New("duplicate key \"dtype\"")
			}
			haveDType = true
			s, err := stringValue(dec)
			if err != nil {
				return t, fmt.Errorf("dtype: %w", err)
			}
			t.DType = DType(s)
			if !t.DType.Valid() {
				return t, fmt.Errorf("unknown dtype %q", s)
			}
		case "shape":
			if haveShape {
				return t, errors.New("duplicate key \"shape\"")
			}
			haveShape = true
			if t.Shape, err = intArray(dec); err != nil {
				return t, fmt.Errorf("shape: %w", err)
			}
			if t.Shape == nil {
				t.Shape = []int64{}
			}
		case "data_offsets":
			if haveOffsets {
				return t, errors.New("duplicate key \"data_offsets\"")
			}
			haveOffsets = true
			offs, err := intArray(dec)
			if err != nil {
				return t, fmt.Errorf("data_offsets: %w", err)
			}
			if len(offs) != 2 {
				return t, fmt.Errorf("data_offsets: want [begin, end], got %d numbers", len(offs))
			}
			t.Begin, t.End = offs[0], offs[1]
		default:
			if err := skipValue(dec); err != nil {
				return t, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return t, err
	}
	switch {
	case !haveDType:
		return t, errors.New("missing \"dtype\"")
	case !haveShape:
		return t, errors.New("missing \"shape\"")
	case !haveOffsets:
		return t, errors.New("missing \"data_offsets\"")
	}
	return t, nil
}
