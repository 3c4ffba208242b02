package generate

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// seedPtr returns a pointer to a seed.
func seedPtr(s uint64) *uint64 { return &s }

// randomLogits makes n logits of the given spread; with ties they are
// rounded to halves so that equal values occur; a few are -Inf when masked.
func randomLogits(r *rand.Rand, n int, spread float64, ties, masked bool) []float32 {
	out := make([]float32, n)
	for i := range out {
		x := r.NormFloat64() * spread
		if r.IntN(20) == 0 { // a heavy tail of strong candidates
			x += spread * 3
		}
		if ties {
			x = math.Round(x*2) / 2
		}
		out[i] = float32(x)
	}
	if masked {
		for range n / 4 {
			out[r.IntN(n)] = float32(math.Inf(-1))
		}
	}
	return out
}

// TestFilterMatchesTransformers compares the sampler's filtered
// distribution with the full-sort reference on many random cases.
func TestFilterMatchesTransformers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	temps := []float64{0.3, 0.7, 1, 1.5}
	topKs := []int{0, 1, 5, 50, 400}
	topPs := []float64{0, 0.1, 0.5, 0.9, 0.99, 0.9999}
	minPs := []float64{0, 0.001, 0.05, 0.3}
	spreads := []float64{0.05, 1, 5, 30}
	skipped := 0
	for trial := range 2000 {
		n := []int{2, 17, 300, 2000, 9000}[r.IntN(5)] // 9000 spans three exponential chunks
		logits := randomLogits(r, n, spreads[r.IntN(len(spreads))], r.IntN(3) == 0, r.IntN(4) == 0)
		p := SamplingParams{
			Temperature: temps[r.IntN(len(temps))],
			TopK:        topKs[r.IntN(len(topKs))],
			TopP:        topPs[r.IntN(len(topPs))],
			MinP:        minPs[r.IntN(len(minPs))],
			Seed:        seedPtr(0),
		}
		if p.topK(n) == 0 && !p.topP() && p.MinP == 0 {
			p.TopK = 1 + r.IntN(n-1) // always exercise the filter path
		}
		s, err := NewSampler(p, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := argmax(logits)
		if err != nil {
			t.Fatal(err)
		}
		kept, sum := s.filter(logits, m)
		got := make([]float64, n)
		for _, c := range kept {
			got[c.id] = c.w / sum
		}
		want, ambiguous := refProbsAmbiguous(logits, p)
		if ambiguous {
			skipped++
			continue
		}
		for i := range want {
			// Weights come from a float32 softmax of logits/T, as in
			// transformers: relative rounding grows with |l-max|/T.
			// Below 1e-30 float32 underflows, as it does in transformers.
			if math.Abs(got[i]-want[i]) > 1e-5*want[i]+1e-30 {
				t.Fatalf("trial %d (n %d, %+v): token %d has probability %v, want %v", trial, n, p, i, got[i], want[i])
			}
		}
	}
	if skipped > 200 {
		t.Errorf("%d of 2000 trials too close to call: the test checks too little", skipped)
	}
}

// TestSampleDistribution draws up to 20000 tokens and checks the frequencies
// against the reference distribution with a chi-square bound far beyond
// chance (the seed is fixed, so the test is deterministic anyway).
func TestSampleDistribution(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	small := randomLogits(r, 200, 2, false, false)
	// A vocabulary of three exponential chunks, the first all masked, with
	// twenty live tokens spread over the other two.
	chunked := make([]float32, 2*expChunk+500)
	for i := range chunked {
		chunked[i] = float32(math.Inf(-1))
	}
	for i := range 20 {
		chunked[expChunk+i*(expChunk+400)/20] = float32(r.NormFloat64())
	}
	tests := []struct {
		name   string
		logits []float32
		p      SamplingParams
		draws  int
	}{
		{"temperature over chunks", chunked, SamplingParams{Temperature: 1}, 4000},
		{"top-p over chunks", chunked, SamplingParams{Temperature: 1, TopP: 0.8}, 4000},
		{"top-k over chunks", chunked, SamplingParams{Temperature: 1, TopK: 8}, 4000},
		{"temperature", small, SamplingParams{Temperature: 3}, 20000},
		{"top-k", small, SamplingParams{Temperature: 1, TopK: 20}, 20000},
		{"top-p", small, SamplingParams{Temperature: 0.8, TopP: 0.7}, 20000},
		{"min-p", small, SamplingParams{Temperature: 1.2, MinP: 0.1}, 20000},
		{"all", small, SamplingParams{Temperature: 0.9, TopK: 30, TopP: 0.9, MinP: 0.05}, 20000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logits := tc.logits
			tc.p.Seed = seedPtr(42)
			s, err := NewSampler(tc.p, len(logits), nil)
			if err != nil {
				t.Fatal(err)
			}
			counts := make([]int, len(logits))
			buf := make([]float32, len(logits))
			for range tc.draws {
				copy(buf, logits)
				ch, err := s.Sample(buf, LogprobRequest{})
				if err != nil {
					t.Fatal(err)
				}
				counts[ch.ID]++
			}
			want := refProbs(logits, tc.p)
			chi2, df := 0.0, -1
			for i, q := range want {
				if q == 0 {
					if counts[i] != 0 {
						t.Fatalf("token %d drawn %d times, but the filters remove it", i, counts[i])
					}
					continue
				}
				e := q * float64(tc.draws)
				chi2 += (float64(counts[i]) - e) * (float64(counts[i]) - e) / e
				df++
			}
			// The mean of chi-square is df and its deviation sqrt(2 df):
			// ten deviations is far beyond any seed's luck.
			if bound := float64(df) + 10*math.Sqrt(2*float64(df)) + 10; chi2 > bound {
				t.Errorf("chi-square %.1f over %d degrees of freedom, bound %.1f", chi2, df, bound)
			}
		})
	}
}

func TestGreedyTiesAndDeterminism(t *testing.T) {
	logits := []float32{1, 3, -2, 3, 0.5, 3}
	s, err := NewSampler(SamplingParams{}, len(logits), nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.Sample(slices.Clone(logits), LogprobRequest{TopN: 4})
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID != 1 {
		t.Errorf("greedy picked %d, want the lowest of the tied ids 1, 3, 5", ch.ID)
	}
	// log_softmax by hand: logZ = log(e^1 + 3e^3 + e^-2 + e^0.5).
	logZ := math.Log(math.E + 3*math.Exp(3) + math.Exp(-2) + math.Exp(0.5))
	want := []TokenLogprob{{1, float32(3 - logZ)}, {3, float32(3 - logZ)}, {5, float32(3 - logZ)}, {0, float32(1 - logZ)}}
	if !logprobsClose(ch.TopLogprobs, want) || !close32(ch.Logprob, want[0].Logprob) {
		t.Errorf("logprobs %v (chosen %v), want %v", ch.TopLogprobs, ch.Logprob, want)
	}
}

func TestSeededSampling(t *testing.T) {
	logits := randomLogits(rand.New(rand.NewPCG(5, 6)), 500, 1, false, false)
	draw := func(p SamplingParams) ([]int32, uint64) {
		s, err := NewSampler(p, len(logits), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []int32
		for range 50 {
			ch, err := s.Sample(slices.Clone(logits), LogprobRequest{})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ch.ID)
		}
		return out, s.Seed()
	}
	for _, p := range []SamplingParams{{Temperature: 1}, {Temperature: 0.7, TopP: 0.9, TopK: 100}} {
		p.Seed = seedPtr(1234)
		a, seed := draw(p)
		b, _ := draw(p)
		if seed != 1234 || !slices.Equal(a, b) {
			t.Errorf("%+v: seed %d, draws %v and %v", p, seed, a, b)
		}
		p.Seed = seedPtr(1235)
		if c, _ := draw(p); slices.Equal(a, c) {
			t.Errorf("%+v: seeds 1234 and 1235 drew the same %v", p, a)
		}
		// An unseeded sampler reports the seed it drew, which replays it.
		p.Seed = nil
		d, drawn := draw(p)
		p.Seed = &drawn
		if e, _ := draw(p); !slices.Equal(d, e) {
			t.Errorf("%+v: replaying drawn seed %d: %v, then %v", p, drawn, d, e)
		}
	}
}

// TestSampledLogprobs checks logprobs when sampling: processed ones are the
// log of the reference distribution, raw ones log_softmax of the logits.
func TestSampledLogprobs(t *testing.T) {
	logits := randomLogits(rand.New(rand.NewPCG(7, 8)), 300, 2, false, true)
	for _, p := range []SamplingParams{{Temperature: 0.7}, {Temperature: 1.3, TopP: 0.8, MinP: 0.01}} {
		p.Seed = seedPtr(9)
		want := refProbs(logits, p)
		raw := refProbs(logits, SamplingParams{Temperature: 1})
		s, err := NewSampler(p, len(logits), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			lp := LogprobRequest{TopN: 5, Raw: i%2 == 1}
			ch, err := s.Sample(slices.Clone(logits), lp)
			if err != nil {
				t.Fatal(err)
			}
			ref := want
			if lp.Raw {
				ref = raw
			}
			if got := float64(ch.Logprob); math.Abs(got-math.Log(ref[ch.ID])) > 1e-5 {
				t.Errorf("%+v raw=%v: token %d logprob %v, want %v", p, lp.Raw, ch.ID, got, math.Log(ref[ch.ID]))
			}
			if len(ch.TopLogprobs) != 5 {
				t.Fatalf("%d top logprobs, want 5", len(ch.TopLogprobs))
			}
			for j, tl := range ch.TopLogprobs {
				if math.Abs(float64(tl.Logprob)-math.Log(ref[tl.ID])) > 1e-5 || (j > 0 && tl.Logprob > ch.TopLogprobs[j-1].Logprob) {
					t.Errorf("%+v raw=%v: top %d is %v, reference logprob %v", p, lp.Raw, j, tl, math.Log(ref[tl.ID]))
				}
			}
		}
	}
	// Top-k 2 leaves two tokens: only two alternatives exist.
	s, err := NewSampler(SamplingParams{Temperature: 1, TopK: 2, Seed: seedPtr(1)}, len(logits), nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.Sample(slices.Clone(logits), LogprobRequest{TopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.TopLogprobs) != 2 {
		t.Errorf("top-k 2: %d alternatives, want 2", len(ch.TopLogprobs))
	}
}

func TestSampleBadLogits(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	ninf := float32(math.Inf(-1))
	tests := []struct {
		name   string
		logits []float32
		p      SamplingParams
		want   error
	}{
		{"NaN", []float32{0, nan, 1}, SamplingParams{}, ErrBadLogits},
		{"NaN first", []float32{nan, 0, 1}, SamplingParams{Temperature: 1}, ErrBadLogits},
		{"+Inf", []float32{0, inf, 1}, SamplingParams{}, ErrBadLogits},
		{"all -Inf", []float32{ninf, ninf, ninf}, SamplingParams{}, ErrNoCandidates},
		{"all banned", []float32{0, 1, 2}, SamplingParams{Temperature: 1, LogitBias: map[int32]float64{0: math.Inf(-1), 1: math.Inf(-1), 2: math.Inf(-1)}}, ErrNoCandidates},
		{"wrong length", []float32{0, 1}, SamplingParams{}, ErrBadLogits},
	}
	for _, tc := range tests {
		s, err := NewSampler(tc.p, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Sample(tc.logits, LogprobRequest{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestSampleNeverNaN runs every path over logits with -Inf entries and
// extreme values: no NaN, no infinite logprob for a chosen token.
func TestSampleNeverNaN(t *testing.T) {
	ninf := float32(math.Inf(-1))
	logits := []float32{ninf, -math.MaxFloat32, 3, ninf, math.MaxFloat32, 2, ninf}
	params := []SamplingParams{
		{},
		{Temperature: 1},
		{Temperature: 1e-4, TopP: 0.5},
		{Temperature: 2, TopK: 3, TopP: 0.9, MinP: 0.5},
		{Temperature: 1, RepetitionPenalty: 0.01, PresencePenalty: -2, FrequencyPenalty: -2, LogitBias: map[int32]float64{2: 1e300, 3: 5}},
	}
	for _, p := range params {
		p.Seed = seedPtr(3)
		s, err := NewSampler(p, len(logits), []int32{2, 4})
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			ch, err := s.Sample(slices.Clone(logits), LogprobRequest{TopN: 7, Raw: false})
			if err != nil {
				t.Fatalf("%+v: %v", p, err)
			}
			if math.IsNaN(float64(ch.Logprob)) || math.IsInf(float64(ch.Logprob), 0) || ch.Logprob > 0 {
				t.Errorf("%+v: token %d logprob %v", p, ch.ID, ch.Logprob)
			}
			if logits[ch.ID] == ninf && p.LogitBias[ch.ID] == 0 {
				t.Errorf("%+v: picked masked token %d", p, ch.ID)
			}
			for _, tl := range ch.TopLogprobs {
				if math.IsNaN(float64(tl.Logprob)) || math.IsInf(float64(tl.Logprob), 0) {
					t.Errorf("%+v: alternative %v", p, tl)
				}
			}
		}
	}
}

func TestSamplerParamErrors(t *testing.T) {
	tests := []struct {
		p     SamplingParams
		param string
	}{
		{SamplingParams{Temperature: -1}, "temperature"},
		{SamplingParams{Temperature: math.NaN()}, "temperature"},
		{SamplingParams{TopK: -1}, "top_k"},
		{SamplingParams{TopP: 1.5}, "top_p"},
		{SamplingParams{TopP: -0.1}, "top_p"},
		{SamplingParams{MinP: 2}, "min_p"},
		{SamplingParams{RepetitionPenalty: -1}, "repetition_penalty"},
		{SamplingParams{PresencePenalty: math.Inf(1)}, "presence_penalty"},
		{SamplingParams{FrequencyPenalty: math.NaN()}, "frequency_penalty"},
		{SamplingParams{LogitBias: map[int32]float64{10: 1}}, "logit_bias"},
		{SamplingParams{LogitBias: map[int32]float64{-1: 1}}, "logit_bias"},
		{SamplingParams{LogitBias: map[int32]float64{1: math.Inf(1)}}, "logit_bias"},
	}
	for _, tc := range tests {
		_, err := NewSampler(tc.p, 10, nil)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Param != tc.param || !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%+v: error %v, want a ParamError for %s", tc.p, err, tc.param)
		}
	}
	var pe *ParamError
	if _, err := NewSampler(SamplingParams{RepetitionPenalty: 1.2}, 10, []int32{3, 10}); !errors.As(err, &pe) || pe.Param != "prompt" {
		t.Errorf("prompt id out of range: %v", err)
	}
	s, err := NewSampler(SamplingParams{}, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sample(make([]float32, 10), LogprobRequest{TopN: MaxTopLogprobs + 1}); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("top_logprobs %d: error %v", MaxTopLogprobs+1, err)
	}
}

// close32 compares logprobs to float32 softmax precision.
func close32(a, b float32) bool { return math.Abs(float64(a)-float64(b)) <= 1e-6 }

// logprobsClose compares lists of logprobs: the same ids in the same order,
// values to float32 softmax precision.
func logprobsClose(got, want []TokenLogprob) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].ID != want[i].ID || !close32(got[i].Logprob, want[i].Logprob) {
			return false
		}
	}
	return true
}

// FuzzSample throws arbitrary parameters and logits at the sampler: it must
// either reject them with an error or pick a token that is not masked,
// with finite logprobs.
func FuzzSample(f *testing.F) {
	f.Add([]byte{1, 2, 3, 200, 0, 255}, 0.7, 3, 0.9, 0.05, 1.1, 0.5, -0.5, uint64(1))
	f.Add([]byte{255, 255, 255}, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, uint64(2))
	f.Add([]byte{0, 0, 9}, 1e-30, 1, 1.0, 1.0, 1e-30, 1e30, -1e30, uint64(3))
	f.Fuzz(func(t *testing.T, raw []byte, temp float64, topK int, topP, minP, rep, pres, freq float64, seed uint64) {
		if len(raw) == 0 {
			return
		}
		// Each byte is a logit; 255 masks the token.
		logits := make([]float32, len(raw))
		for i, b := range raw {
			logits[i] = float32(b)/8 - 10
			if b == 255 {
				logits[i] = float32(math.Inf(-1))
			}
		}
		p := SamplingParams{Temperature: temp, TopK: topK, TopP: topP, MinP: minP, RepetitionPenalty: rep,
			PresencePenalty: pres, FrequencyPenalty: freq, Seed: &seed}
		s, err := NewSampler(p, len(logits), []int32{0})
		if err != nil {
			return
		}
		for range 3 {
			ch, err := s.Sample(slices.Clone(logits), LogprobRequest{TopN: 3})
			if errors.Is(err, ErrNoCandidates) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.ID < 0 || int(ch.ID) >= len(logits) || raw[ch.ID] == 255 {
				t.Fatalf("picked %d", ch.ID)
			}
			for _, lp := range append(ch.TopLogprobs, TokenLogprob{ch.ID, ch.Logprob}) {
				if math.IsNaN(float64(lp.Logprob)) || math.IsInf(float64(lp.Logprob), 0) || lp.Logprob > 1e-6 {
					t.Fatalf("logprob %v", lp)
				}
			}
		}
	})
}
