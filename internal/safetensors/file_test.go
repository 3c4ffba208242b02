package safetensors

import (
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

func TestOpenTensors(t *testing.T) {
	dir := t.TempDir()
	f64 := make([]byte, 16)
	binary.LittleEndian.PutUint64(f64, math.Float64bits(1.5))
	binary.LittleEndian.PutUint64(f64[8:], math.Float64bits(-1e300))
	p := writeFile(t, dir, "m.safetensors", buildFile(t, nil, 0,
		f32Spec("w", []int64{2, 2}, 1, -2, 3.5, float32(math.Inf(1))),
		spec{name: "d", dtype: F64, shape: []int64{2}, data: f64},
		spec{name: "h", dtype: F16, shape: []int64{2}, data: []byte{0x00, 0x3c, 0x00, 0xc0}},  // 1, -2
		spec{name: "b", dtype: BF16, shape: []int64{2}, data: []byte{0x80, 0x3f, 0xc0, 0x40}}, // 1, 6
		spec{name: "i", dtype: I32, shape: []int64{1}, data: []byte{1, 0, 0, 0}},
		f32Spec("empty", []int64{0, 3}),
	))
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Path() != p || len(f.Header().Tensors) != 6 {
		t.Errorf("Path %q, %d tensors", f.Path(), len(f.Header().Tensors))
	}

	w, err := f.Tensor("w")
	if err != nil {
		t.Fatal(err)
	}
	view, err := w.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, -2, 3.5, float32(math.Inf(1))}; !equalF32(view, want) {
		t.Errorf("Float32s = %v, want %v", view, want)
	}
	if unsafe.Pointer(&view[0]) != unsafe.Pointer(&w.Data[0]) {
		t.Error("Float32s copied instead of aliasing the mapping")
	}
	if cap(w.Data) != len(w.Data) {
		t.Errorf("Data cap %d > len %d: append would reach the next tensor", cap(w.Data), len(w.Data))
	}

	for _, c := range []struct {
		name string
		want []float32
	}{
		{"w", []float32{1, -2, 3.5, float32(math.Inf(1))}},
		{"d", []float32{1.5, float32(math.Inf(-1))}},
		{"h", []float32{1, -2}},
		{"b", []float32{1, 6}},
		{"empty", []float32{}},
	} {
		tt, err := f.Tensor(c.name)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(c.want))
		if err := tt.ToFloat32(got); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !equalF32(got, c.want) {
			t.Errorf("%s: ToFloat32 = %v, want %v", c.name, got, c.want)
		}
	}

	empty, _ := f.Tensor("empty")
	if v, err := empty.Float32s(); err != nil || len(v) != 0 {
		t.Errorf("empty Float32s = %v, %v", v, err)
	}

	errCases := []struct {
		name string
		run  func() error
		want string
	}{
		{"Float32s of F16", func() error { x, _ := f.Tensor("h"); _, err := x.Float32s(); return err }, "is F16, not F32"},
		{"ToFloat32 of I32", func() error { x, _ := f.Tensor("i"); return x.ToFloat32(make([]float32, 1)) }, "cannot convert I32"},
		{"ToFloat32 short dst", func() error { return w.ToFloat32(make([]float32, 3)) }, "destination holds 3 values, tensor has 4"},
		{"ToFloat32 long dst", func() error { return w.ToFloat32(make([]float32, 5)) }, "destination holds 5"},
		{"hand-built short data", func() error {
			return Tensor{Info: TensorInfo{Name: "x", DType: F16, Shape: []int64{4}}, Data: make([]byte, 6)}.ToFloat32(make([]float32, 4))
		}, "6 bytes of data for 4 elements"},
		{"hand-built unknown dtype", func() error {
			_, err := Tensor{Info: TensorInfo{Name: "x", DType: "F32 ", Shape: []int64{1}}, Data: make([]byte, 4)}.Float32s()
			return err
		}, "not F32"},
	}
	for _, c := range errCases {
		if err := c.run(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}

	if _, err := f.Tensor("nope"); !errors.Is(err, ErrTensorNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing tensor: %v", err)
	}
}

func TestFloat32sMisaligned(t *testing.T) {
	// Two extra spaces of header put the data section at 2 mod 4.
	b := buildFile(t, nil, 2, f32Spec("w", []int64{3}, 0.25, -8, 1e-40))
	f, err := Open(writeFile(t, t.TempDir(), "m.safetensors", b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := f.Tensor("w")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Float32s(); err == nil || !strings.Contains(err.Error(), "not 4-byte aligned") {
		t.Errorf("misaligned Float32s: error %v", err)
	}
	got := make([]float32, 3)
	if err := w.ToFloat32(got); err != nil {
		t.Fatal(err)
	}
	if want := []float32{0.25, -8, 1e-40}; !equalF32(got, want) {
		t.Errorf("ToFloat32 = %v, want %v", got, want)
	}
}

func TestFileClose(t *testing.T) {
	p := writeFile(t, t.TempDir(), "m.safetensors", buildFile(t, nil, 0, f32Spec("w", []int64{1}, 1)))
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Size() == 0 {
		t.Error("Size = 0 while open")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.Tensor("w"); !errors.Is(err, ErrClosed) {
		t.Errorf("Tensor after Close: %v", err)
	}
	if _, ok := f.Header().Lookup("w"); !ok {
		t.Error("Header unusable after Close")
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "0 bytes, too small"},
		{"short", []byte{1, 2, 3}, "3 bytes, too small"},
		{"length past end", binary.LittleEndian.AppendUint64(nil, 1000), "runs past the end"},
		{"bad json", rawFile(`{"w":`, nil), `tensor "w"`},
		{"truncated data", rawFile(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, make([]byte, 12)), `tensor "w"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_"), c.data)
			f, err := Open(p)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %q should name %q and the path", err, c.want)
			}
		})
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open(dir): %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Error("Open(missing) succeeded")
	}
}

// TestFixtureF32 compares zero-copy views of the F32 llama fixture with the
// bytes decoded independently from the raw file.
func TestFixtureF32(t *testing.T) {
	const p = "../../testdata/models/tiny/llama/model.safetensors"
	ref, data := refRead(t, p)
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, e := range ref {
		if e.DType != "F32" {
			t.Fatalf("%s: fixture dtype %s, want F32", name, e.DType)
		}
		tt, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		view, err := tt.Float32s()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		raw := data[e.Offsets[0]:e.Offsets[1]]
		if len(view)*4 != len(raw) {
			t.Fatalf("%s: %d values for %d bytes", name, len(view), len(raw))
		}
		for i, v := range view {
			if want := binary.LittleEndian.Uint32(raw[4*i:]); math.Float32bits(v) != want {
				t.Fatalf("%s[%d] = %#x, file has %#x", name, i, math.Float32bits(v), want)
			}
		}
	}
}

// equalF32 compares bit patterns, so -0 and NaN payloads count.
func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestHandBuiltTensorChecks(t *testing.T) {
	cases := []struct {
		name string
		t    Tensor
		want string
	}{
		{"overflowing shape", Tensor{Info: TensorInfo{Name: "x", DType: F32, Shape: []int64{1 << 62, 4}}}, "too large"},
		{"negative dim", Tensor{Info: TensorInfo{Name: "x", DType: F32, Shape: []int64{-1}}}, "too large"},
		{"unknown dtype", Tensor{Info: TensorInfo{Name: "x", DType: "Q4", Shape: []int64{1}}, Data: []byte{0}}, `unknown dtype "Q4"`},
		{"data too long", Tensor{Info: TensorInfo{Name: "x", DType: BF16, Shape: []int64{1}}, Data: make([]byte, 4)}, "4 bytes of data for 1 elements"},
	}
	for _, c := range cases {
		if err := c.t.ToFloat32(make([]float32, 1)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}
