package safetensors

import (
	"reflect"
	"strings"
	"testing"
)

// deep returns n nested arrays, for the nesting-limit case.
func deep(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

func TestParseHeaderRejects(t *testing.T) {
	const e8 = `"dtype":"F32","shape":[2]`
	cases := []struct {
		name     string
		raw      string
		dataSize int64
		want     []string // substrings the error must contain
	}{
		{"empty", ``, 0, []string{"end of input"}},
		{"not json", `nope`, 0, []string{"header"}},
		{"truncated json", `{"a":`, 0, []string{`tensor "a"`, "end of input"}},
		{"top-level array", `[]`, 0, []string{`header: want "{"`}},
		{"top-level string", `"x"`, 0, []string{`header: want "{"`}},
		{"invalid utf8", "{\"\xff\":1}", 0, []string{"UTF-8"}},
		{"trailing garbage", `{} x`, 0, []string{"header"}},
		{"second object", `{}{}`, 0, []string{"after the object"}},
		{"negative data size", `{}`, -1, []string{"negative data section"}},
		{"entry is number", `{"w": 5}`, 0, []string{`tensor "w"`, "must be an object"}},
		{"entry is array", `{"w": [1]}`, 0, []string{`tensor "w"`, "must be an object"}},
		{"entry is null", `{"w": null}`, 0, []string{`tensor "w"`, "must be an object"}},
		{"missing dtype", `{"w": {"shape":[2],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, `missing "dtype"`}},
		{"missing shape", `{"w": {"dtype":"F32","data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, `missing "shape"`}},
		{"missing offsets", `{"w": {` + e8 + `}}`, 8, []string{`tensor "w"`, `missing "data_offsets"`}},
		{"dtype not string", `{"w": {"dtype":4,"shape":[2],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "dtype", "want a string"}},
		{"unknown dtype", `{"w": {"dtype":"F7","shape":[2],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, `unknown dtype "F7"`}},
		{"lowercase dtype", `{"w": {"dtype":"f32","shape":[2],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "unknown dtype"}},
		{"duplicate dtype key", `{"w": {"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, `duplicate key "dtype"`}},
		{"duplicate shape key", `{"w": {` + e8 + `,"shape":[4],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, `duplicate key "shape"`}},
		{"duplicate offsets key", `{"w": {` + e8 + `,"data_offsets":[0,8],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, `duplicate key "data_offsets"`}},
		{"shape not array", `{"w": {"dtype":"F32","shape":2,"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "shape", "want an array"}},
		{"negative dim", `{"w": {"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "shape", "negative"}},
		{"fractional dim", `{"w": {"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "not an integer"}},
		{"exponent dim", `{"w": {"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "not an integer"}},
		{"huge dim", `{"w": {"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "int64 range"}},
		{"string dim", `{"w": {"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "want an integer"}},
		{"one offset", `{"w": {` + e8 + `,"data_offsets":[8]}}`, 8, []string{`tensor "w"`, "want [begin, end]"}},
		{"three offsets", `{"w": {` + e8 + `,"data_offsets":[0,8,8]}}`, 8, []string{`tensor "w"`, "want [begin, end]"}},
		{"negative offset", `{"w": {` + e8 + `,"data_offsets":[-8,0]}}`, 8, []string{`tensor "w"`, "negative"}},
		{"begin after end", `{"w": {` + e8 + `,"data_offsets":[8,0]}}`, 8, []string{`tensor "w"`, "begin after they end"}},
		{"end past data", `{"w": {` + e8 + `,"data_offsets":[0,8]}}`, 4, []string{`tensor "w"`, "past the end of the 4-byte data section"}},
		{"far past data", `{"w": {"dtype":"U8","shape":[9223372036854775807],"data_offsets":[0,9223372036854775807]}}`, 8, []string{`tensor "w"`, "past the end"}},
		{"shape too small", `{"w": {"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "needs 12 bytes", "hold 8"}},
		{"shape too big for dtype", `{"w": {"dtype":"F64","shape":[2],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "needs 16 bytes"}},
		{"shape product overflow", `{"w": {"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "overflows"}},
		{"byte count overflow", `{"w": {"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}}`, 8, []string{`tensor "w"`, "overflows the byte count"}},
		{"wrapping product", `{"w": {"dtype":"U8","shape":[4294967296,4294967296,2],"data_offsets":[0,0]}}`, 0, []string{`tensor "w"`, "overflows"}},
		{"overlap", `{"a": {` + e8 + `,"data_offsets":[0,8]}, "b": {` + e8 + `,"data_offsets":[4,12]}}`, 12, []string{`tensor "b"`, `overlap tensor "a"`}},
		{"same range", `{"a": {` + e8 + `,"data_offsets":[0,8]}, "b": {` + e8 + `,"data_offsets":[0,8]}}`, 8, []string{`tensor "b"`, `overlap tensor "a"`}},
		{"hole", `{"a": {` + e8 + `,"data_offsets":[0,8]}, "b": {` + e8 + `,"data_offsets":[12,20]}}`, 20, []string{`tensor "b"`, "hole of 4 bytes at offset 8"}},
		{"leading hole", `{"a": {` + e8 + `,"data_offsets":[4,12]}}`, 12, []string{`tensor "a"`, "hole of 4 bytes at offset 0"}},
		{"trailing bytes", `{"a": {` + e8 + `,"data_offsets":[0,8]}}`, 16, []string{"cover 8 bytes", "holds 16"}},
		{"data but no tensors", `{}`, 4, []string{"cover 0 bytes", "holds 4"}},
		{"duplicate tensor", `{"a": {` + e8 + `,"data_offsets":[0,8]}, "a": {` + e8 + `,"data_offsets":[8,16]}}`, 16, []string{`duplicate key "a"`}},
		{"duplicate metadata", `{"__metadata__": {}, "__metadata__": {}}`, 0, []string{`duplicate key "__metadata__"`}},
		{"metadata not object", `{"__metadata__": "x"}`, 0, []string{"__metadata__", "want an object of strings"}},
		{"metadata array", `{"__metadata__": ["x"]}`, 0, []string{"__metadata__", "want an object of strings"}},
		{"metadata number value", `{"__metadata__": {"format": 1}}`, 0, []string{"__metadata__", `key "format"`, "want a string"}},
		{"metadata object value", `{"__metadata__": {"format": {}}}`, 0, []string{"__metadata__", `key "format"`, "want a string"}},
		{"metadata null value", `{"__metadata__": {"format": null}}`, 0, []string{"__metadata__", `key "format"`, "want a string, got null"}},
		{"metadata duplicate key", `{"__metadata__": {"k": "a", "k": "b"}}`, 0, []string{"__metadata__", `duplicate key "k"`}},
		{"unknown key too deep", `{"w": {` + e8 + `,"data_offsets":[0,8],"x":` + deep(maxSkipDepth+1) + `}}`, 8, []string{`tensor "w"`, "nested more than"}},
		{"unknown key truncated", `{"w": {` + e8 + `,"data_offsets":[0,8],"x":[1,2`, 8, []string{`tensor "w"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := ParseHeader([]byte(c.raw), c.dataSize)
			if err == nil {
				t.Fatalf("ParseHeader(%q) = %+v, want an error", c.raw, h)
			}
			if !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseHeaderAccepts(t *testing.T) {
	cases := []struct {
		name     string
		raw      string
		dataSize int64
		want     Header // DataOffset is filled in from raw
	}{
		{"empty object", `{}`, 0, Header{}},
		{"whitespace and padding", " \n{ }\t  ", 0, Header{}},
		{"metadata only", `{"__metadata__": {"format": "pt", "x": ""}}`, 0,
			Header{Metadata: map[string]string{"format": "pt", "x": ""}}},
		{"null metadata", `{"__metadata__": null}`, 0, Header{}},
		{"scalar", `{"s": {"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, 8,
			Header{Tensors: []TensorInfo{{Name: "s", DType: F64, Shape: []int64{}, Begin: 0, End: 8}}}},
		{"sorted by name, not offset", `{"b": {"dtype":"I8","shape":[1],"data_offsets":[0,1]}, "a": {"dtype":"BOOL","shape":[2],"data_offsets":[1,3]}}`, 3,
			Header{Tensors: []TensorInfo{
				{Name: "a", DType: BOOL, Shape: []int64{2}, Begin: 1, End: 3},
				{Name: "b", DType: I8, Shape: []int64{1}, Begin: 0, End: 1},
			}}},
		{"empty tensors share an offset", `{"e": {"dtype":"F32","shape":[0,5],"data_offsets":[2,2]}, "z": {"dtype":"BF16","shape":[0],"data_offsets":[0,0]}, "w": {"dtype":"I16","shape":[1],"data_offsets":[0,2]}}`, 2,
			Header{Tensors: []TensorInfo{
				{Name: "e", DType: F32, Shape: []int64{0, 5}, Begin: 2, End: 2},
				{Name: "w", DType: I16, Shape: []int64{1}, Begin: 0, End: 2},
				{Name: "z", DType: BF16, Shape: []int64{0}, Begin: 0, End: 0},
			}}},
		{"zero dim with huge others", `{"e": {"dtype":"F32","shape":[9223372036854775807,0,9223372036854775807],"data_offsets":[0,0]}}`, 0,
			Header{Tensors: []TensorInfo{{Name: "e", DType: F32, Shape: []int64{9223372036854775807, 0, 9223372036854775807}}}}},
		{"unknown keys skipped", `{"w": {"x": {"y": [1, {"z": null}]}, "dtype":"I64","shape":[1,1],"data_offsets":[0,8], "q": true}}`, 8,
			Header{Tensors: []TensorInfo{{Name: "w", DType: I64, Shape: []int64{1, 1}, Begin: 0, End: 8}}}},
		{"odd names", `{"": {"dtype":"U8","shape":[1],"data_offsets":[0,1]}, "é\u0000\"": {"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2,
			Header{Tensors: []TensorInfo{
				{Name: "", DType: U8, Shape: []int64{1}, Begin: 0, End: 1},
				{Name: "é\x00\"", DType: U8, Shape: []int64{1}, Begin: 1, End: 2},
			}}},
		{"every dtype", `{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"c":{"dtype":"F16","shape":[1],"data_offsets":[12,14]},"d":{"dtype":"BF16","shape":[1],"data_offsets":[14,16]},"e":{"dtype":"I64","shape":[1],"data_offsets":[16,24]},"f":{"dtype":"I32","shape":[1],"data_offsets":[24,28]},"g":{"dtype":"I16","shape":[1],"data_offsets":[28,30]},"h":{"dtype":"I8","shape":[1],"data_offsets":[30,31]},"i":{"dtype":"U8","shape":[1],"data_offsets":[31,32]},"j":{"dtype":"BOOL","shape":[1],"data_offsets":[32,33]}}`, 33,
			Header{Tensors: []TensorInfo{
				{Name: "a", DType: F64, Shape: []int64{1}, Begin: 0, End: 8},
				{Name: "b", DType: F32, Shape: []int64{1}, Begin: 8, End: 12},
				{Name: "c", DType: F16, Shape: []int64{1}, Begin: 12, End: 14},
				{Name: "d", DType: BF16, Shape: []int64{1}, Begin: 14, End: 16},
				{Name: "e", DType: I64, Shape: []int64{1}, Begin: 16, End: 24},
				{Name: "f", DType: I32, Shape: []int64{1}, Begin: 24, End: 28},
				{Name: "g", DType: I16, Shape: []int64{1}, Begin: 28, End: 30},
				{Name: "h", DType: I8, Shape: []int64{1}, Begin: 30, End: 31},
				{Name: "i", DType: U8, Shape: []int64{1}, Begin: 31, End: 32},
				{Name: "j", DType: BOOL, Shape: []int64{1}, Begin: 32, End: 33},
			}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := ParseHeader([]byte(c.raw), c.dataSize)
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			want := c.want
			want.DataOffset = 8 + int64(len(c.raw))
			if !reflect.DeepEqual(*h, want) {
				t.Errorf("got  %+v\nwant %+v", *h, want)
			}
			for _, ti := range want.Tensors {
				got, ok := h.Lookup(ti.Name)
				if !ok || !reflect.DeepEqual(got, ti) {
					t.Errorf("Lookup(%q) = %+v, %v", ti.Name, got, ok)
				}
			}
			if names := h.Names(); len(names) != len(want.Tensors) {
				t.Errorf("Names = %v", names)
			} else {
				for i, n := range names {
					if n != want.Tensors[i].Name {
						t.Errorf("Names[%d] = %q, want %q", i, n, want.Tensors[i].Name)
					}
				}
			}
			if _, ok := h.Lookup("missing"); ok {
				t.Error("Lookup of a missing name succeeded")
			}
		})
	}
}

func TestDTypeSize(t *testing.T) {
	// Sizes from the safetensors format description (bits / 8).
	want := map[DType]int{F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
		U16: 2, U32: 4, U64: 8, F8E4M3: 1, F8E5M2: 1, "F4": 0, "": 0, "f32": 0}
	for d, n := range want {
		if got := d.Size(); got != n {
			t.Errorf("%q.Size() = %d, want %d", d, got, n)
		}
		if d.Valid() != (n != 0) {
			t.Errorf("%q.Valid() = %v", d, d.Valid())
		}
	}
	for d, want := range map[DType]bool{F64: true, F32: true, F16: true, BF16: true, F8E4M3: true, F8E5M2: true, I32: false, U8: false, BOOL: false, "": false} {
		if d.IsFloat() != want {
			t.Errorf("%q.IsFloat() = %v", d, !want)
		}
	}
}

func TestNumElements(t *testing.T) {
	cases := []struct {
		shape []int64
		want  int64
	}{{nil, 1}, {[]int64{}, 1}, {[]int64{7}, 7}, {[]int64{2, 3, 4}, 24}, {[]int64{5, 0}, 0}}
	for _, c := range cases {
		if got := (TensorInfo{Shape: c.shape}).NumElements(); got != c.want {
			t.Errorf("NumElements(%v) = %d, want %d", c.shape, got, c.want)
		}
	}
}
