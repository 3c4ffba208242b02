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

// keyChunk is the most keys one single-query attention task reads. A decoding
// token's keys are split into chunks of this many, attended in parallel and
// merged (split-key or "flash-decoding" attention): otherwise a sequence's
// decode attention has one task per KV head — two for Qwen2.5-0.5B — and a
// long context's attention runs on two cores however many the pool has. The
// split depends only on how many keys the query sees, never on the batch or
// the worker count, so a sequence's results depend on neither.
const keyChunk = 512

// causalTask is one (sequence, kv head, block of query tokens) unit of work;
// a block of one query token is split further into key chunks: chunk of
// chunks, whose partial result goes to partial slot part when chunks > 1.
type causalTask struct{ seq, head, i0, i1, chunk, chunks, part int }

// Causal stores this layer's keys and values for the step's new tokens in
// their caches and computes causal attention for every new token against
// its sequence's cached and new keys. q is [Rows, Heads*HeadDim], k and v
// are [Rows, KVHeads*HeadDim], out is [Rows, Heads*HeadDim].
func (a *Attention) Causal(pool *tensor.Pool, st *Step, layer int, out, q, k, v []float32) {
	a.store(st, layer, k, v)
	// A block's cost grows with its keys, so a prompt's last blocks cost the
	// most: they are listed first, so that the workers, claiming tasks in
	// order, start the longest ones first and end together (on 16 workers a
	// 512-token prompt has 32 tasks of 1 to 16 units). Single-query chunks,
	// the cheapest, come last.
	var tasks, chunks []causalTask
	parts := 0
	for s := 0; s < st.Seqs(); s++ {
		first, end := st.SeqRows(s)
		if end <= first {
			continue
		}
		for i0 := (end - first - 1) / queryBlock * queryBlock; i0 >= 0; i0 -= queryBlock {
			i1 := min(i0+queryBlock, end-first)
			if i1-i0 > 1 {
				for h := 0; h < a.KVHeads; h++ {
					tasks = append(tasks, causalTask{seq: s, head: h, i0: i0, i1: i1})
				}
				continue
			}
			lo, hi := a.visibleKeys(st, s, i0)
			n := (hi - lo + keyChunk - 1) / keyChunk
			for h := 0; h < a.KVHeads; h++ {
				for c := range n {
					chunks = append(chunks, causalTask{seq: s, head: h, i0: i0, i1: i1, chunk: c, chunks: n, part: parts})
					if n > 1 {
						parts++
					}
				}
			}
		}
	}
	tasks = append(tasks, chunks...)
	rep := a.Heads / a.KVHeads
	var sc *splitScratch
	if parts > 0 {
		sc = st.splitScratch(parts, rep, a.HeadDim)
	}
	pool.For(len(tasks), 1, func(lo, hi int) {
		var buf attnScratch
		for _, t := range tasks[lo:hi] {
			if t.i1-t.i0 > 1 {
				a.causalBlock(&buf, st, layer, t, out, q)
			} else {
				a.attendChunk(&buf, st, layer, t, out, q, sc)
			}
		}
	})
	if parts == 0 {
		return
	}
	// Merge each split query's chunks: the chunks of one (sequence, head)
	// are consecutive in chunks, their parts numbered in order.
	var merges []causalTask
	for _, t := range chunks {
		if t.chunks > 1 && t.chunk == 0 {
			merges = append(merges, t)
		}
	}
	pool.For(len(merges), 1, func(lo, hi int) {
		for _, t := range merges[lo:hi] {
			a.mergeChunks(st, t, out, sc)
		}
	})
}

// visibleKeys returns the cache positions [lo, hi) that query token i of
// sequence s (an index among its new tokens) attends to.
func (a *Attention) visibleKeys(st *Step, s, i int) (lo, hi int) {
	pos := st.batch.Seqs[s].Cache.n + i
	if a.Window > 0 {
		lo = max(0, pos-a.Window+1)
	}
	return lo, pos + 1
}

// splitScratch holds the partial results of split single-query attention:
// for part p and query head j of its group, out[(p·rep+j)·hd:][:hd] is the
// softmax-weighted sum of the chunk's values, and maxes and sums the chunk's
// softmax statistics.
type splitScratch struct{ out, maxes, sums []float32 }

// splitScratch returns the step's split-attention scratch sized for parts
// partial results of rep heads of width hd (reused across layers).
func (st *Step) splitScratch(parts, rep, hd int) *splitScratch {
	sc := &st.split
	sc.out = grow(sc.out, parts*rep*hd)
	sc.maxes = grow(sc.maxes, parts*rep)
	sc.sums = grow(sc.sums, parts*rep)
	return sc
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
	// Keys visible to some query of the block: [lo, hi), from the first
	// query's lowest to the last one's highest.
	lo, _ := a.visibleKeys(st, t.seq, t.i0)
	_, hi := a.visibleKeys(st, t.seq, t.i1-1)
	nk := hi - lo
	rows := (t.i1 - t.i0) * rep
	qDim := a.Heads * hd
	ck, cv := c.head(layer, t.head)
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

// attendChunk attends one query token, t.i0 of sequence t.seq, through the
// query heads of kv head t.head, to chunk t.chunk of its visible keys, read in
// place in the cache. With one chunk the result goes straight to out (as
// Attend over all the keys); otherwise to partial slot t.part of sc, with its
// softmax statistics. The group's heads read the same chunk one after the
// other, so its keys and values (64 KiB each for 256 keys of 64) come from
// L2 after the first: a long context's whole keys would be re-read from
// memory by every head.
func (a *Attention) attendChunk(buf *attnScratch, st *Step, layer int, t causalTask, out, q []float32, sc *splitScratch) {
	hd, rep := a.HeadDim, a.Heads/a.KVHeads
	first, _ := st.SeqRows(t.seq)
	lo, hi := a.visibleKeys(st, t.seq, t.i0)
	// Chunks of equal size within one key, so that none is much cheaper.
	k0 := lo + t.chunk*(hi-lo)/t.chunks
	nk := lo + (t.chunk+1)*(hi-lo)/t.chunks - k0
	ck, cv := st.batch.Seqs[t.seq].Cache.head(layer, t.head)
	ck, cv = ck[k0*hd:], cv[k0*hd:]
	buf.scores = grow(buf.scores, nk)
	for j := range rep {
		r := (first+t.i0)*a.Heads*hd + (t.head*rep+j)*hd
		if t.chunks == 1 {
			tensor.Attend(out[r:r+hd], q[r:r+hd], ck, cv, hd, nk, a.Scale, nil, buf.scores)
			continue
		}
		p := t.part*rep + j
		sc.maxes[p], sc.sums[p] = tensor.AttendStats(sc.out[p*hd:(p+1)*hd], q[r:r+hd], ck, cv, hd, nk, a.Scale, nil, buf.scores)
	}
}

// mergeChunks combines the t.chunks partial results of the split query of t
// (its chunk 0) into out: each chunk's softmax-weighted values, weighted by
// its share sum·exp(max − M) of the whole softmax's denominator (M the largest
// max), which is the softmax over all the keys up to rounding.
func (a *Attention) mergeChunks(st *Step, t causalTask, out []float32, sc *splitScratch) {
	hd, rep := a.HeadDim, a.Heads/a.KVHeads
	first, _ := st.SeqRows(t.seq)
	r := (first+t.i0)*a.Heads*hd + t.head*rep*hd
	for j := range rep {
		dst := out[r+j*hd : r+(j+1)*hd]
		m := math.Inf(-1)
		for c := range t.chunks {
			m = math.Max(m, float64(sc.maxes[(t.part+c)*rep+j]))
		}
		var total float64
		for c := range t.chunks {
			p := (t.part+c)*rep + j
			total += float64(sc.sums[p]) * math.Exp(float64(sc.maxes[p])-m)
		}
		clear(dst)
		if total == 0 {
			continue // every key masked: zero, as Softmax makes it
		}
		for c := range t.chunks {
			p := (t.part+c)*rep + j
			w := float64(sc.sums[p]) * math.Exp(float64(sc.maxes[p])-m) / total
			tensor.Axpy(float32(w), sc.out[p*hd:(p+1)*hd], dst)
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
