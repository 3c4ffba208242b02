package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// GGUF value types, from the GGUF specification.
const (
	ggufUint32  = 4
	ggufInt32   = 5
	ggufFloat32 = 6
	ggufBool    = 7
	ggufString  = 8
	ggufArray   = 9
)

// ggml tensor types used here.
const (
	ggmlF32  = 0
	ggmlF16  = 1
	ggmlBF16 = 30
)

// ggufAlignment is the default alignment of tensor data.
const ggufAlignment = 32

// kv is one metadata entry; value is uint32, int32s ([]int32), float32,
// bool, string or []string.
type kv struct {
	key   string
	value any
}

// tensorOut is one tensor to write: its GGUF name, ggml dims (innermost
// first, the reverse of the safetensors shape), type and bytes.
type tensorOut struct {
	name  string
	dims  []uint64
	typ   uint32
	bytes func(w io.Writer) error
	size  uint64
}

// ggufWriter writes little-endian GGUF version 3 and counts its bytes so
// it can pad to the alignment.
type ggufWriter struct {
	w   *bufio.Writer
	n   uint64
	err error
}

func (g *ggufWriter) write(p []byte) {
	if g.err != nil {
		return
	}
	k, err := g.w.Write(p)
	g.n += uint64(k)
	g.err = err
}

func (g *ggufWriter) u32(v uint32) { g.write(binary.LittleEndian.AppendUint32(nil, v)) }
func (g *ggufWriter) u64(v uint64) { g.write(binary.LittleEndian.AppendUint64(nil, v)) }
func (g *ggufWriter) str(s string) { g.u64(uint64(len(s))); g.write([]byte(s)) }

func (g *ggufWriter) pad() {
	if r := g.n % ggufAlignment; r != 0 {
		g.write(make([]byte, ggufAlignment-r))
	}
}

// value writes a typed metadata value.
func (g *ggufWriter) value(v any) error {
	switch x := v.(type) {
	case uint32:
		g.u32(ggufUint32)
		g.u32(x)
	case float32:
		g.u32(ggufFloat32)
		g.u32(math.Float32bits(x))
	case bool:
		g.u32(ggufBool)
		if x {
			g.write([]byte{1})
		} else {
			g.write([]byte{0})
		}
	case string:
		g.u32(ggufString)
		g.str(x)
	case []string:
		g.u32(ggufArray)
		g.u32(ggufString)
		g.u64(uint64(len(x)))
		for _, s := range x {
			g.str(s)
		}
	case []int32:
		g.u32(ggufArray)
		g.u32(ggufInt32)
		g.u64(uint64(len(x)))
		for _, i := range x {
			g.u32(uint32(i))
		}
	default:
		return fmt.Errorf("gguf: unsupported metadata type %T", v)
	}
	return nil
}

// writeGGUF writes a complete GGUF file: header, metadata, tensor infos,
// then each tensor's data at an aligned offset.
func writeGGUF(out io.Writer, kvs []kv, tensors []tensorOut) error {
	g := &ggufWriter{w: bufio.NewWriterSize(out, 4<<20)}
	g.write([]byte("GGUF"))
	g.u32(3)
	g.u64(uint64(len(tensors)))
	g.u64(uint64(len(kvs)))
	for _, e := range kvs {
		g.str(e.key)
		if err := g.value(e.value); err != nil {
			return fmt.Errorf("%s: %w", e.key, err)
		}
	}
	var off uint64
	for _, t := range tensors {
		g.str(t.name)
		g.u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			g.u64(d)
		}
		g.u32(t.typ)
		g.u64(off)
		off += t.size
		off = (off + ggufAlignment - 1) / ggufAlignment * ggufAlignment
	}
	g.pad()
	for _, t := range tensors {
		if g.err != nil {
			break
		}
		start := g.n
		cw := &countWriter{g: g}
		if err := t.bytes(cw); err != nil {
			return fmt.Errorf("gguf: %s: %w", t.name, err)
		}
		if g.n-start != t.size {
			return fmt.Errorf("gguf: %s: wrote %d bytes, want %d", t.name, g.n-start, t.size)
		}
		g.pad()
	}
	if g.err != nil {
		return fmt.Errorf("gguf: %w", g.err)
	}
	return g.w.Flush()
}

// countWriter lets tensor writers go through the counting writer.
type countWriter struct{ g *ggufWriter }

func (c *countWriter) Write(p []byte) (int, error) {
	c.g.write(p)
	if c.g.err != nil {
		return 0, c.g.err
	}
	return len(p), nil
}
