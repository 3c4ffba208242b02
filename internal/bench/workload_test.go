package bench

import (
	"os"
	"testing"

	"hfserve/internal/tensor"
)

func TestPromptTokenRange(t *testing.T) {
	for _, vocab := range []int{4, 512, 30522, 151936} {
		seen := map[int32]bool{}
		for i := range 2000 {
			id := PromptToken(i, vocab)
			if id < 3 || int(id) >= vocab {
				t.Fatalf("vocab %d: token %d = %d, outside [3, %d)", vocab, i, id, vocab)
			}
			seen[id] = true
		}
		// 7919 is prime, so ids only repeat after vocab-3 of them.
		if want := min(2000, vocab-3); len(seen) != want {
			t.Errorf("vocab %d: %d distinct ids in 2000, want %d", vocab, len(seen), want)
		}
	}
}

func TestEncodeInputs(t *testing.T) {
	ids, mask := EncodeInputs(400)
	if len(ids) != EncodeBatch || len(mask) != EncodeBatch {
		t.Fatalf("got %d rows and %d masks, want %d", len(ids), len(mask), EncodeBatch)
	}
	lengths := map[int]bool{}
	for i := range ids {
		real := 0
		for j, m := range mask[i] {
			switch {
			case m == 1 && j == real:
				real++
				if ids[i][j] < 3 || ids[i][j] >= 400 {
					t.Errorf("row %d token %d = %d", i, j, ids[i][j])
				}
			case m == 0 && ids[i][j] == 0:
			default:
				t.Errorf("row %d position %d: mask %d id %d (mask must be ones then zeros, padding id 0)", i, j, m, ids[i][j])
			}
		}
		if real < EncodeMinLen || real > EncodeMaxLen || real != EncodeLen(i) {
			t.Errorf("row %d has %d real tokens, want EncodeLen = %d in [%d, %d]", i, real, EncodeLen(i), EncodeMinLen, EncodeMaxLen)
		}
		lengths[real] = true
	}
	if len(lengths) != EncodeMaxLen-EncodeMinLen+1 {
		t.Errorf("batch uses %d distinct lengths, want every one of %d..%d", len(lengths), EncodeMinLen, EncodeMaxLen)
	}
}

func TestReadBandwidthSum(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		pool := tensor.NewPool(workers)
		for _, n := range []int{0, 1, 7, 8, 9, 1000, 1 << 16} {
			buf := make([]float32, n)
			var want float64
			for i := range buf {
				buf[i] = float32(i%7) - 3 // small integers: every sum is exact
				want += float64(buf[i] * buf[i])
			}
			bw, got := ReadBandwidth(pool, buf)
			if got != want {
				t.Errorf("workers %d, n %d: sum of squares %v, want %v", workers, n, got, want)
			}
			if n > 0 && !(bw > 0) {
				t.Errorf("workers %d, n %d: bandwidth %v", workers, n, bw)
			}
		}
		for _, n := range []int{0, 1023, 1024, 1025, 5*1024 + 3, 1 << 16} {
			buf := make([]float32, n)
			var want float64
			for i := range buf {
				buf[i] = float32(i%7) - 3
				if i < n/probeCols*probeCols {
					want += float64(buf[i])
				}
			}
			bw, got := ReadBandwidthGEMV(pool, buf)
			if got != want {
				t.Errorf("workers %d, n %d: matrix-vector sum %v, want %v", workers, n, got, want)
			}
			if n >= probeCols && !(bw > 0) {
				t.Errorf("workers %d, n %d: matrix-vector bandwidth %v", workers, n, bw)
			}
		}
		if bw := PeakReadBandwidth(pool, 4, 2); !(bw > 0) {
			t.Errorf("workers %d: peak bandwidth %v", workers, bw)
		}
		pool.Close()
	}
}

func TestResidentBytesGrows(t *testing.T) {
	before, err := ResidentBytes()
	if err != nil {
		t.Skip(err) // not Linux
	}
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	after, err := ResidentBytes()
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 48<<20 {
		t.Errorf("resident memory grew by %d bytes after touching 64 MiB", after-before)
	}
	_ = buf[len(buf)-1]
}

// TestHugeFileBytes checks that HugeFileBytes reads a size where /proc has
// one: never negative, never more than the whole resident set.
func TestHugeFileBytes(t *testing.T) {
	huge, err := HugeFileBytes()
	if err != nil {
		if _, serr := os.Stat("/proc/self/smaps_rollup"); serr != nil {
			t.Skip("no /proc/self/smaps_rollup here")
		}
		t.Fatal(err)
	}
	rss, err := ResidentBytes()
	if err != nil {
		t.Fatal(err)
	}
	if huge < 0 || huge > rss {
		t.Errorf("%d bytes of files in 2 MiB pages, resident set %d", huge, rss)
	}
}
