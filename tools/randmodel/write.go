package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
)

// chunk is how many elements are drawn and encoded at a time, so that a
// tensor of hundreds of megabytes never sits in memory whole.
const chunk = 1 << 16

// stHeaderEntry is one tensor's entry in a safetensors header.
type stHeaderEntry struct {
	DType       DType   `json:"dtype"`
	Shape       []int   `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// writeSafetensors writes specs to path in dtype d: an 8-byte header
// length, the JSON header padded with spaces to a multiple of 8, then the
// tensors back to back in header order. It writes to a temporary file and
// renames it, so an interrupted run leaves no truncated model behind.
func writeSafetensors(path string, specs []tensorSpec, d DType, seed uint64) error {
	sorted := append([]tensorSpec(nil), specs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })

	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, t := range sorted {
		n := t.numel() * int64(d.size())
		header[t.name] = stHeaderEntry{DType: d, Shape: t.shape, DataOffsets: []int64{off, off + n}}
		off += n
	}
	hj, err := json.Marshal(header) // maps marshal with sorted keys
	if err != nil {
		return fmt.Errorf("safetensors header: %w", err)
	}
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}

	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // a no-op once renamed
	w := bufio.NewWriterSize(f, 4<<20)
	var lenBuf [8]byte
	for i := range 8 {
		lenBuf[i] = byte(uint64(len(hj)) >> (8 * i))
	}
	if _, err := w.Write(lenBuf[:]); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", tmp, err)
	}
	if _, err := w.Write(hj); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", tmp, err)
	}
	vals := make([]float32, chunk)
	enc := make([]byte, chunk*d.size())
	for _, t := range sorted {
		g := newTensorRand(seed, t)
		for left := t.numel(); left > 0; {
			n := int(min(left, chunk))
			g.fill(vals[:n])
			d.encode(enc[:n*d.size()], vals[:n])
			if _, err := w.Write(enc[:n*d.size()]); err != nil {
				f.Close()
				return fmt.Errorf("%s: %s: %w", tmp, t.name, err)
			}
			left -= int64(n)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", tmp, err)
	}
	return os.Rename(tmp, filepath.Clean(path))
}

// tensorRand draws one tensor's values.
type tensorRand struct {
	rng  *rand.Rand
	kind initKind
}

// newTensorRand seeds a PCG stream from the run's seed and the tensor's
// name, so each tensor's values are independent of every other tensor and
// of the order of writing.
func newTensorRand(seed uint64, t tensorSpec) *tensorRand {
	h := fnv.New64a()
	h.Write([]byte(t.name))
	return &tensorRand{rng: rand.New(rand.NewPCG(seed, h.Sum64())), kind: t.init}
}

// fill writes the next len(dst) values of the stream.
func (g *tensorRand) fill(dst []float32) {
	switch g.kind {
	case initOnes:
		for i := range dst {
			dst[i] = 1
		}
	case initZeros:
		clear(dst)
	default:
		for i := range dst {
			dst[i] = float32(g.rng.NormFloat64() * initStd)
		}
	}
}
