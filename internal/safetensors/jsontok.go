package safetensors

// Small readers over json.Decoder's token stream, shared by the header and
// the index parsers. Each consumes exactly one value and reports what it
// found instead when the input is not what it expects.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxSkipDepth bounds the nesting of values this parser skips (unknown keys
// in a tensor entry). json.Decoder keeps a stack entry per open bracket, so
// without a bound a header of nothing but '[' would cost eight bytes of stack
// per input byte.
const maxSkipDepth = 64

// decodeStringMap reads an object whose values are all strings, rejecting
// duplicate keys. A JSON null yields a nil map, which the Rust library also
// accepts for "__metadata__".
func decodeStringMap(dec *json.Decoder) (map[string]string, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want an object of strings, got %s", describe(tok))
	}
	m := make(map[string]string)
	for dec.More() {
		k, err := objectKey(dec)
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		v, err := stringValue(dec)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		m[k] = v
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	return m, nil
}

// intArray reads an array of non-negative integers that fit in int64.
func intArray(dec *json.Decoder) ([]int64, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, fmt.Errorf("want an array of integers: %w", err)
	}
	var out []int64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Errorf("want an integer, got %s", describe(tok))
		}
		v, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s is not an integer in int64 range", num)
		}
		if v < 0 {
			return nil, fmt.Errorf("negative value %d", v)
		}
		out = append(out, v)
	}
	if err := expectDelim(dec, ']'); err != nil {
		return nil, err
	}
	return out, nil
}

// objectKey reads the next key of an object whose opening brace was consumed.
func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want an object key, got %s", describe(tok))
	}
	return k, nil
}

// stringValue reads one value that must be a string.
func stringValue(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", describe(tok))
	}
	return s, nil
}

// expectDelim reads one token and checks it is the delimiter want.
func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("want %q, got end of input", want)
		}
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %s", want, describe(tok))
	}
	return nil
}

// expectEOF checks that only whitespace follows the value just read.
func expectEOF(dec *json.Decoder) error {
	tok, err := dec.Token()
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return fmt.Errorf("after the object: %w", err)
	}
	return fmt.Errorf("unexpected %s after the object", describe(tok))
}

// skipValue consumes one value of any kind, nested at most maxSkipDepth deep.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return errors.New("unexpected end of input")
			}
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
				if depth > maxSkipDepth {
					return fmt.Errorf("nested more than %d deep", maxSkipDepth)
				}
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// describe names a JSON token for an error message without echoing a
// possibly huge string in full.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return strconv.Quote(string(v))
	case string:
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return "string " + strconv.Quote(v)
	case json.Number:
		return "number " + string(v)
	case bool:
		return "bool " + strconv.FormatBool(v)
	}
	return fmt.Sprintf("%T", tok)
}
