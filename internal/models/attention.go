package models

import (
	"math"

	"hfserve/internal/tensor"
)

// Attention is scaled dot-product attention with grouped-query heads:
// query head h reads kv head h / (Heads/KVHeads), as Hugging Face's
// repeat_kv arranges them.
type Attention struct {
	// Heads and KVHeads count query and key/value heads; KVHeads divides
	// Heads.
	Heads, KVHeads int
	// HeadDim is the width of one head.
	HeadDim int
	// Scale multiplies the scores, usually 1/sqrt(HeadDim).
	Scale float32
	// Window, when positive, is a sliding window: a query at position p
	// sees keys at positions (p-Window, p], as Mistral's mask has it.
	Window int
}

// queryBlock is how many query tokens one attention task handles: it bounds
// a task's score buffer for long prompts while giving the pool enough tasks.
const queryBlock = 32

// causalTask is one (sequence, kv head, block of query tokens) unit of work.
type causalTask struct{ seq, head, i0, i1 int }

// Causal stores this layer's keys and values for the step's new tokens in
// their caches and computes causal attention for every new token against
// its sequence's cached and new keys. q is [Rows, Heads*HeadDim], k and v
// are [Rows, KVHeads*HeadDim], out is [Rows, Heads*HeadDim].
func (a *Attention) Causal(pool *tensor.Pool, st *Step, layer int, out, q, k, v []float32) {
	a.store(st, layer, k, v)
	// A block's cost grows with its keys, so a prompt's last blocks cost the
	// most: they are listed first, so that the workers, claiming tasks in
	// order, start the longest ones first and end together (on 16 workers a
	// 512-token prompt has 32 tasks of 1 to 16 units).
	var tasks []causalTask
	for s := 0; s < st.Seqs(); s++ {
		first, end := st.SeqRows(s)
		if end <= first {
			continue
		}
		for i0 := (end - first - 1) / queryBlock * queryBlock; i0 >= 0; i0 -= queryBlock {
			i1 := min(i0+queryBlock, end-first)
			for h := 0; h < a.KVHeads; h++ {
				tasks = append(tasks, causalTask{seq: s, head: h, i0: i0, i1: i1})
			}
		}
	}
	pool.For(len(tasks), 1, func(lo, hi int) {
		var buf attnScratch
		for _, t := range tasks[lo:hi] {
			a.causalBlock(&buf, st, layer, t, out, q)
		}
	})
}

// store copies the new keys and values into the caches, head-major.
func (a *Attention) store(st *Step, layer int, k, v []float32) {
	hd, kvDim := a.HeadDim, a.KVHeads*a.HeadDim
	for s := 0; s < st.Seqs(); s++ {
		c := st.batch.Seqs[s].Cache
		first, end := st.SeqRows(s)
		for h := 0; h < a.KVHeads; h++ {
			ck, cv := c.head(layer, h)
			for r := first; r < end; r++ {
				pos := c.n + r - first
				copy(ck[pos*hd:(pos+1)*hd], k[r*kvDim+h*hd:r*kvDim+(h+1)*hd])
				copy(cv[pos*hd:(pos+1)*hd], v[r*kvDim+h*hd:r*kvDim+(h+1)*hd])
			}
		}
	}
}

// attnScratch holds one task's buffers, reused across the tasks of a chunk.
type attnScratch struct{ q, scores, out []float32 }

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// causalBlock attends query tokens [t.i0, t.i1) of sequence t.seq through
// kv head t.head: the group's query heads are stacked into one matrix so
// that the scores are one matrix product against the head's keys.
func (a *Attention) causalBlock(buf *attnScratch, st *Step, layer int, t causalTask, out, q []float32) {
	hd, rep := a.HeadDim, a.Heads/a.KVHeads
	c := st.batch.Seqs[t.seq].Cache
	first, _ := st.SeqRows(t.seq)
	start := c.n // positions of the new tokens start here (not yet committed)
	// Keys visible to some query of the block: [lo, hi).
	hi := start + t.i1
	lo := 0
	if a.Window > 0 {
		lo = max(0, start+t.i0-a.Window+1)
	}
	nk := hi - lo
	rows := (t.i1 - t.i0) * rep
	qDim := a.Heads * hd
	ck, cv := c.head(layer, t.head)
	if t.i1-t.i0 == 1 {
		// One query (decoding): each head of the group attends to its
		// visible keys [lo, hi) in place in the cache.
		buf.scores = grow(buf.scores, nk)
		for j := 0; j < rep; j++ {
			r := (first+t.i0)*qDim + (t.head*rep+j)*hd
			tensor.Attend(out[r:r+hd], q[r:r+hd], ck[lo*hd:], cv[lo*hd:], hd, nk, a.Scale, nil, buf.scores)
		}
		return
	}
	buf.q = grow(buf.q, rows*hd)
	for i := t.i0; i < t.i1; i++ {
		src := q[(first+i)*qDim:]
		for j := 0; j < rep; j++ {
			h := t.head*rep + j
			copy(buf.q[((i-t.i0)*rep+j)*hd:][:hd], src[h*hd:(h+1)*hd])
		}
	}
	buf.scores = grow(buf.scores, rows*nk)
	tensor.MatMulT(nil, buf.scores, buf.q, ck[lo*hd:hi*hd], rows, nk, hd)
	negInf := float32(math.Inf(-1))
	for i := t.i0; i < t.i1; i++ {
		pos := start + i
		kLo := lo
		if a.Window > 0 {
			kLo = max(lo, pos-a.Window+1)
		}
		for j := 0; j < rep; j++ {
			row := buf.scores[((i-t.i0)*rep+j)*nk:][:nk]
			for x := range row {
				if p := lo + x; p < kLo || p > pos {
					row[x] = negInf
				} else {
					row[x] *= a.Scale
				}
			}
		}
	}
	tensor.Softmax(buf.scores, rows)
	buf.out = grow(buf.out, rows*hd)
	tensor.MatMul(nil, buf.out, buf.scores, cv[lo*hd:hi*hd], rows, hd, nk)
	for i := t.i0; i < t.i1; i++ {
		dst := out[(first+i)*qDim:]
		for j := 0; j < rep; j++ {
			h := t.head*rep + j
			copy(dst[h*hd:(h+1)*hd], buf.out[((i-t.i0)*rep+j)*hd:][:hd])
		}
	}
}

// Bidirectional computes attention over a padded batch of batch sequences
// of seqLen tokens: every query sees every key its sequence's mask keeps
// (mask nil keeps all). q, k, v and out are [batch*seqLen, Heads*HeadDim]
// (KVHeads must equal Heads). As in Hugging Face, padded keys are excluded
// and padded queries are still computed; a sequence with no real token
// attends uniformly to all its keys, as HF's finfo.min mask makes it.
func (a *Attention) Bidirectional(pool *tensor.Pool, out, q, k, v []float32, batch, seqLen int, mask [][]int32) {
	pool.For(batch*a.Heads, 1, func(lo, hi int) {
		var buf encScratch
		for t := lo; t < hi; t++ {
			b, h := t/a.Heads, t%a.Heads
			var m []int32
			if mask != nil {
				m = mask[b][:seqLen]
			}
			a.bidiHead(&buf, out, q, k, v, b*seqLen, seqLen, h, m)
		}
	})
}

// BidirectionalRagged is Bidirectional over sequences laid end to end with no
// padding: sequence b is rows [off[b], off[b+1]) of q, k, v and out, and
// every row is a real token (len(off) is the number of sequences plus one).
// A sequence's rows come out as Bidirectional gives that sequence's real rows.
func (a *Attention) BidirectionalRagged(pool *tensor.Pool, out, q, k, v []float32, off []int) {
	batch := len(off) - 1
	pool.For(batch*a.Heads, 1, func(lo, hi int) {
		var buf encScratch
		for t := lo; t < hi; t++ {
			b, h := t/a.Heads, t%a.Heads
			if n := off[b+1] - off[b]; n > 0 {
				a.bidiHead(&buf, out, q, k, v, off[b], n, h, nil)
			}
		}
	})
}

// encScratch holds one encoder task's buffers.
type encScratch struct{ att tensor.AttendScratch }

// bidiHead attends head h of the sequence in rows [base, base+n): all its
// queries at once, reading the head's queries, keys and values in place,
// rows of stride Heads·HeadDim.
func (a *Attention) bidiHead(buf *encScratch, out, q, k, v []float32, base, n, h int, mask []int32) {
	hd, dim := a.HeadDim, a.Heads*a.HeadDim
	scale := a.Scale
	if mask != nil && !anyKept(mask) {
		// No real token: attend uniformly to every key (all scores zero).
		mask, scale = nil, 0
	}
	r := base*dim + h*hd
	tensor.AttendAll(out[r:], q[r:], k[r:], v[r:], dim, hd, n, n, scale, mask, &buf.att)
}

// anyKept reports whether a mask keeps any key.
func anyKept(mask []int32) bool {
	for _, m := range mask {
		if m != 0 {
			return true
		}
	}
	return false
}
