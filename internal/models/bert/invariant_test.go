package bert

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/safetensors"
	"hfserve/internal/tensor"
)

// TestBatchInvariant checks the promise the server's embeddings rest on: with
// SkipPadding, a sequence's hidden states, pooler output and logits are bit for
// bit the same encoded alone or batched with others, whatever their number
// (the batches below put 2 to over 300 rows through every product). The
// golden tests allow rounding; this one allows none.
func TestBatchInvariant(t *testing.T) {
	pool := tensor.NewPool(2)
	t.Cleanup(pool.Close)
	for _, dir := range fixtures {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			checkBatchInvariant(t, load(t, dir, pool))
		})
	}
}

// TestBatchInvariantBF16 is TestBatchInvariant on 16-bit copies of the
// fixtures (F32 tensors rounded to BF16; a fixture stored in F16 stays F16):
// 16-bit weights go through other kernels (widened in registers by gemmRows
// for a few rows, while packing for many), which must still sum every row in
// the same order.
func TestBatchInvariantBF16(t *testing.T) {
	pool := tensor.NewPool(2)
	t.Cleanup(pool.Close)
	for _, dir := range fixtures {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m := load(t, bf16Copy(t, dir), pool)
			if dt := m.layers[0].q.w.DType; dt != tensor.BF16 && dt != tensor.F16 {
				t.Fatalf("the copy's weights load as %s, want 16-bit", dt)
			}
			checkBatchInvariant(t, m)
		})
	}
}

// bf16Copy writes a copy of the fixture in dir with every F32 tensor rounded
// to BF16 (to nearest, ties to even) and returns its folder.
func bf16Copy(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.safetensors")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := safetensors.ReadHeaderFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]any{}
	var data []byte
	for _, ti := range h.Tensors {
		src := raw[h.DataOffset+ti.Begin : h.DataOffset+ti.End]
		dt := ti.DType
		begin := len(data)
		if dt == safetensors.F32 {
			dt = safetensors.BF16
			for i := 0; i+4 <= len(src); i += 4 {
				bits := binary.LittleEndian.Uint32(src[i:])
				bits += 0x7fff + (bits>>16)&1 // round to nearest, ties to even
				data = binary.LittleEndian.AppendUint16(data, uint16(bits>>16))
			}
		} else {
			data = append(data, src...)
		}
		header[ti.Name] = map[string]any{"dtype": string(dt), "shape": ti.Shape, "data_offsets": []int{begin, len(data)}}
	}
	js, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	file = append(append(file, js...), data...)
	if err := os.WriteFile(filepath.Join(out, "model.safetensors"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkBatchInvariant encodes a few sequences alone and then in batches of
// 4 to 96 sequences (padded to 15 positions, the padding skipped), and
// requires every batched output to be bit for bit the output alone.
func checkBatchInvariant(t *testing.T, m *Model) {
	t.Helper()
	ctx := context.Background()
	// Token ids well inside every fixture's vocabulary, first and last
	// positions as a tokenizer would place special tokens.
	seqs := [][]int32{{2, 3}, {2, 17, 45, 3}, {2, 9, 8, 7, 6, 5, 4, 33, 3}, {2, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 3}}
	alone := make([]*models.EncoderOutput, len(seqs))
	for i, s := range seqs {
		out, err := m.Encode(ctx, &models.EncoderBatch{InputIDs: [][]int32{s}, SkipPadding: true})
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = out
	}
	for _, copies := range []int{1, 3, 24} {
		var batch models.EncoderBatch
		batch.SkipPadding = true
		for range copies {
			for _, s := range seqs {
				ids, mask := make([]int32, 15), make([]int32, 15)
				copy(ids, s)
				for j := range s {
					mask[j] = 1
				}
				batch.InputIDs = append(batch.InputIDs, ids)
				batch.AttentionMask = append(batch.AttentionMask, mask)
			}
		}
		out, err := m.Encode(ctx, &batch)
		if err != nil {
			t.Fatal(err)
		}
		for c := range copies {
			for i, s := range seqs {
				b := c*len(seqs) + i
				what := fmt.Sprintf("sequence %d (%d tokens) in a batch of %d", i, len(s), len(batch.InputIDs))
				h := out.HiddenSize
				for j := range s {
					got := out.Hidden[(b*out.SeqLen+j)*h : (b*out.SeqLen+j+1)*h]
					want := alone[i].Hidden[j*h : (j+1)*h]
					if !slices.Equal(got, want) {
						t.Fatalf("%s: hidden state of position %d differs from the sequence alone", what, j)
					}
				}
				if a := alone[i].Pooler; a != nil && !slices.Equal(out.Pooler[b*h:(b+1)*h], a) {
					t.Fatalf("%s: pooler output differs from the sequence alone", what)
				}
				if a := alone[i].Logits; a != nil {
					d := out.LogitsDim
					per := len(a) / alone[i].Batch // one row, or one per position
					if per > d {
						per = len(s) * d // positions past the sequence are padding
					}
					first := b * (len(out.Logits) / out.Batch)
					if !slices.Equal(out.Logits[first:first+per], a[:per]) {
						t.Fatalf("%s: logits differ from the sequence alone", what)
					}
				}
			}
		}
	}
}
