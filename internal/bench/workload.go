package bench

// The workload sizes. Peers hard-code the same numbers; change them
// together (tools/peers/run.sh passes them on the command lines).
const (
	// PrefillTokens is the prompt length of the prefill benchmark.
	PrefillTokens = 512
	// DecodeWarmTokens is each sequence's prompt before the timed decode.
	DecodeWarmTokens = 16
	// DecodeSteps is the number of timed decode steps.
	DecodeSteps = 32
	// EncodeBatch is the number of sentences of the encoder benchmark.
	EncodeBatch = 32
	// EncodeMinLen and EncodeMaxLen bound the sentence lengths in tokens,
	// special tokens included.
	EncodeMinLen, EncodeMaxLen = 8, 16
)

// PromptToken is the i-th token id of every benchmark prompt for a
// vocabulary of vocab ids: spread over the vocabulary, never one of the
// first three ids (often special tokens).
func PromptToken(i, vocab int) int32 {
	return int32(3 + (i*7919)%(vocab-3))
}

// Prompt returns n prompt tokens starting at index from.
func Prompt(from, n, vocab int) []int32 {
	t := make([]int32, n)
	for i := range t {
		t[i] = PromptToken(from+i, vocab)
	}
	return t
}

// EncodeLen is the length of sentence i of the encoder batch.
func EncodeLen(i int) int {
	return EncodeMinLen + (i*5)%(EncodeMaxLen-EncodeMinLen+1)
}

// EncodeInputs returns the encoder batch: ids and attention mask, EncodeBatch
// rows padded with id 0 to the longest sentence. Sentence i starts at
// prompt index 100*i.
func EncodeInputs(vocab int) (ids, mask [][]int32) {
	longest := 0
	for i := range EncodeBatch {
		longest = max(longest, EncodeLen(i))
	}
	for i := range EncodeBatch {
		row := make([]int32, longest)
		m := make([]int32, longest)
		copy(row, Prompt(100*i, EncodeLen(i), vocab))
		for j := range EncodeLen(i) {
			m[j] = 1
		}
		ids = append(ids, row)
		mask = append(mask, m)
	}
	return ids, mask
}
