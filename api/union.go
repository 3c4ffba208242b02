package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
)

// kindOf names the kind of JSON value data holds, as a person writing JSON
// would: "string", "number", "array", "object", "boolean" or "null".
func kindOf(data []byte) string {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return "nothing"
	}
	switch data[0] {
	case '"':
		return "string"
	case '[':
		return "array"
	case '{':
		return "object"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// typeError reports a JSON value of a shape the union type of v does not
// accept. encoding/json fills in the field it was decoding, so the client
// learns which field is wrong.
func typeError(got string, v any) error {
	return &json.UnmarshalTypeError{Value: got, Type: reflect.TypeOf(v)}
}

// isNull reports whether data is the JSON literal null.
func isNull(data []byte) bool {
	return string(bytes.TrimSpace(data)) == "null"
}

// decodeIDs decodes an array of token ids: integers in [0, 2^31).
func decodeIDs(data []byte) ([]int32, bool) {
	var nums []json.Number
	if err := json.Unmarshal(data, &nums); err != nil {
		return nil, false
	}
	ids := make([]int32, len(nums))
	for i, n := range nums {
		v, err := n.Int64()
		if err != nil || v < 0 || v > math.MaxInt32 {
			return nil, false
		}
		ids[i] = int32(v)
	}
	return ids, true
}

// decodeIDLists decodes an array of arrays of token ids.
func decodeIDLists(data []byte) ([][]int32, bool) {
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, false
	}
	out := make([][]int32, len(raws))
	for i, r := range raws {
		ids, ok := decodeIDs(r)
		if !ok {
			return nil, false
		}
		out[i] = ids
	}
	return out, true
}

// rawElements decodes a JSON array into its raw elements.
func rawElements(data []byte) ([]json.RawMessage, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	return raws, nil
}

// allKind reports whether every element has the given kind.
func allKind(raws []json.RawMessage, kind string) bool {
	for _, r := range raws {
		if kindOf(r) != kind {
			return false
		}
	}
	return true
}
