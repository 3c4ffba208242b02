package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// maxFileBytes bounds the config file read: a real one is a few kilobytes, and a runaway
// file (or /dev/zero) must not exhaust memory.
const maxFileBytes = 4 << 20

// readFile reads the config file at path, bounded by maxFileBytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxFileBytes)
	}
	return data, nil
}

// applyYAML sets the keys a YAML document names on cfg and records src as their source. The
// document must be one mapping of known keys, each at most once; an empty document sets
// nothing. Errors carry the key and line; the caller adds the source.
func applyYAML(cfg *Config, sources map[string]Source, data []byte, src Source) *Error {
	root, err := parseDocument(data)
	if err != nil {
		return err
	}
	if root == nil {
		return nil
	}
	fields := configFields()
	cv := reflect.ValueOf(cfg).Elem()
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		keyNode := resolveAlias(root.Content[i])
		key := keyNode.Value
		f, ok := fieldByKey(fields, key)
		if keyNode.Kind != yaml.ScalarNode || !ok {
			return &Error{Key: key, Line: keyNode.Line, Msg: unknownKeyMsg(key, keyNames(fields))}
		}
		if seen[key] {
			return &Error{Key: key, Line: keyNode.Line, Msg: "set twice"}
		}
		seen[key] = true
		v, err := decodeNode(cv.Field(f.index).Type(), root.Content[i+1], key)
		if err != nil {
			return err
		}
		cv.Field(f.index).Set(v)
		sources[key] = src
	}
	return nil
}

// parseDocument parses data as a single YAML document and returns its top-level mapping, or
// nil for an empty document.
func parseDocument(data []byte) (*yaml.Node, *Error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &Error{Key: "config", Msg: "not valid YAML: " + err.Error()}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &Error{Key: "config", Line: extra.Line, Msg: "holds more than one YAML document"}
	case !errors.Is(err, io.EOF):
		return nil, &Error{Key: "config", Msg: "not valid YAML: " + err.Error()}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, nil
	}
	root := resolveAlias(doc.Content[0])
	switch {
	case root.Kind == yaml.MappingNode:
		return root, nil
	case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		return nil, nil
	}
	return nil, &Error{Key: "config", Line: root.Line, Msg: "must be a mapping of keys to values, not " + nodeKindName(root)}
}
