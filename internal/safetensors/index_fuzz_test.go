package safetensors

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseIndex checks that the index parser never panics and agrees with
// encoding/json on every index it accepts.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"metadata":{"total_size":8},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`))
	f.Add([]byte(`{"weight_map":{"a":"x","a":"y"}}`))
	f.Add([]byte(`{"weight_map":{"a":1}}`))
	f.Add([]byte(`{"metadata":[[[[]]]],"weight_map":{}}`))
	f.Add([]byte(`{"weight_map":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		wm, err := parseIndex(raw)
		if err != nil {
			return
		}
		var ref struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(raw, &ref); err != nil {
			t.Fatalf("accepted %q, which encoding/json rejects: %v", raw, err)
		}
		if !reflect.DeepEqual(wm, ref.WeightMap) {
			t.Fatalf("weight_map %v, encoding/json says %v", wm, ref.WeightMap)
		}
	})
}
