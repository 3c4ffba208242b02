package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"hfserve/internal/safetensors"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "togguf:", err)
		os.Exit(1)
	}
}

// run parses the command line and converts.
func run(args []string) error {
	fs := flag.NewFlagSet("togguf", flag.ContinueOnError)
	in := fs.String("in", "", "Hugging Face model folder")
	out := fs.String("out", "", "GGUF file to write")
	tok := fs.String("tokenizer", "", "tokenizer.json (or .json.gz) to take the vocabulary from (default: the folder's)")
	f32 := fs.Bool("f32", false, "widen every matrix to F32 (default: keep the checkpoint's dtype)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return fmt.Errorf("-in and -out are required")
	}
	if *tok == "" {
		*tok = filepath.Join(*in, "tokenizer.json")
	}
	return Convert(*in, *tok, *out, *f32)
}

// Convert writes the GGUF file for the checkpoint in dir to out, with every
// matrix widened to F32 when f32 is set.
func Convert(dir, tokPath, out string, f32 bool) error {
	c, err := readConfig(dir)
	if err != nil {
		return err
	}
	v, err := readVocab(tokPath, c.Vocab)
	if err != nil {
		return err
	}
	m, err := safetensors.OpenModel(dir)
	if err != nil {
		return err
	}
	defer m.Close()

	var tensors []tensorOut
	var dtype safetensors.DType
	for _, name := range m.Names() {
		t, err := m.Tensor(name)
		if err != nil {
			return err
		}
		gname, ok := ggufName(name)
		if !ok {
			return fmt.Errorf("%s: tensor %q has no GGUF name", dir, name)
		}
		if f32 && t.Info.DType != safetensors.F32 {
			if t, err = widen(t); err != nil {
				return err
			}
		}
		to, err := convertTensor(c, t, gname)
		if err != nil {
			return err
		}
		if len(t.Info.Shape) == 2 {
			if dtype != "" && dtype != t.Info.DType {
				return fmt.Errorf("%s: mixed matrix dtypes %s and %s", dir, dtype, t.Info.DType)
			}
			dtype = t.Info.DType
		}
		tensors = append(tensors, to)
	}

	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := writeGGUF(f, metadata(c, v, dtype, filepath.Base(dir)), tensors); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// convertTensor describes how one tensor is written: matrices as they are
// (llama's q and k rows permuted), vectors widened to F32.
func convertTensor(c *hfConfig, t safetensors.Tensor, gname string) (tensorOut, error) {
	shape := t.Info.Shape
	to := tensorOut{name: gname}
	for i := len(shape) - 1; i >= 0; i-- {
		to.dims = append(to.dims, uint64(shape[i]))
	}
	switch len(shape) {
	case 1:
		to.typ, to.size = ggmlF32, uint64(shape[0])*4
		to.bytes = func(w io.Writer) error {
			f := make([]float32, shape[0])
			if err := t.ToFloat32(f); err != nil {
				return err
			}
			b := make([]byte, 4*len(f))
			for i, x := range f {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
			}
			_, err := w.Write(b)
			return err
		}
		return to, nil
	case 2:
	default:
		return to, fmt.Errorf("tensor %s: %d dimensions", t.Info.Name, len(shape))
	}
	switch t.Info.DType {
	case safetensors.F32:
		to.typ = ggmlF32
	case safetensors.F16:
		to.typ = ggmlF16
	case safetensors.BF16:
		to.typ = ggmlBF16
	default:
		return to, fmt.Errorf("tensor %s: dtype %s is not supported", t.Info.Name, t.Info.DType)
	}
	to.size = uint64(len(t.Data))
	heads := 0
	if c.ModelType == "llama" {
		switch {
		case strings.HasSuffix(gname, "attn_q.weight"):
			heads = c.Heads
		case strings.HasSuffix(gname, "attn_k.weight"):
			heads = c.KVHeads
		}
	}
	if heads == 0 {
		to.bytes = func(w io.Writer) error { _, err := w.Write(t.Data); return err }
		return to, nil
	}
	rows := int(shape[0])
	if rows%(2*heads) != 0 {
		return to, fmt.Errorf("tensor %s: %d rows do not split into %d heads", t.Info.Name, rows, heads)
	}
	to.bytes = func(w io.Writer) error { _, err := w.Write(permuteRoPE(t.Data, rows, heads)); return err }
	return to, nil
}

// permuteRoPE reorders the rows of a q or k projection from Hugging Face's
// rotate-half layout (per head: all first halves, then all second halves)
// to the interleaved pairs llama.cpp's LLAMA rope expects: new row
// 2i+j of a head is old row j*half+i.
func permuteRoPE(data []byte, rows, heads int) []byte {
	rowBytes := len(data) / rows
	hd := rows / heads
	half := hd / 2
	out := make([]byte, len(data))
	for h := range heads {
		for i := range half {
			for j := range 2 {
				dst := (h*hd + 2*i + j) * rowBytes
				src := (h*hd + j*half + i) * rowBytes
				copy(out[dst:dst+rowBytes], data[src:src+rowBytes])
			}
		}
	}
	return out
}

// widen returns t converted to F32 in memory.
func widen(t safetensors.Tensor) (safetensors.Tensor, error) {
	n := int64(1)
	for _, d := range t.Info.Shape {
		n *= d
	}
	f := make([]float32, n)
	if err := t.ToFloat32(f); err != nil {
		return t, err
	}
	b := make([]byte, 4*n)
	for i, x := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	info := t.Info
	info.DType = safetensors.F32
	info.End = info.Begin + 4*n
	return safetensors.Tensor{Info: info, Data: b}, nil
}
