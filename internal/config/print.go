package config

import (
	"fmt"
	"io"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Print writes the effective configuration as a YAML config file, every key in struct order
// with a trailing comment naming its source. The output reads back, as a config file, to the
// same Config, except that secrets (admin_key) are printed empty.
func (l *Loaded) Print(w io.Writer) error {
	root := &yaml.Node{Kind: yaml.MappingNode}
	cv := reflect.ValueOf(l.Config)
	for _, f := range configFields() {
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: f.Key}
		value := encodeNode(cv.Field(f.index))
		source := l.Sources[f.Key]
		if source == "" {
			source = SourceDefault
		}
		if f.secret && source != SourceDefault {
			// A secret is never printed: the key stays, empty, so the output still loads.
			value = encodeNode(reflect.Zero(cv.Field(f.index).Type()))
			source += " (secret, not printed)"
		}
		// A comment on a block list's value would land after its first element.
		if value.Kind == yaml.ScalarNode || value.Style == yaml.FlowStyle {
			value.LineComment = string(source)
		} else {
			key.LineComment = string(source)
		}
		root.Content = append(root.Content, key, value)
	}
	doc := &yaml.Node{
		Kind:        yaml.DocumentNode,
		HeadComment: "Effective hfserve configuration; each comment says where the value came from.",
		Content:     []*yaml.Node{root},
	}
	if l.File != "" {
		doc.HeadComment += "\nConfig file: " + l.File
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("config: printing: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("config: printing: %w", err)
	}
	return nil
}
