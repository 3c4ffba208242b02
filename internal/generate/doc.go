// Package generate turns a decoder's logits into text: sampling, stopping,
// logprobs and incremental detokenization, for one sequence at a time.
//
// The contract:
//
//   - A [Sequence] is the per-request state machine. The caller runs the
//     model (alone with [Generate], or batched with other sequences by a
//     scheduler) and hands each step's next-token logits to
//     [Sequence.Next], which samples a token, applies every stop rule and
//     returns the text that may be streamed now. A Sequence never calls the
//     model and never blocks, so one scheduler goroutine can drive many.
//   - Sampling follows Hugging Face transformers' logits processors
//     (repetition penalty, temperature, top-k, top-p, min-p, in that order)
//     and OpenAI's presence and frequency penalties; see [SamplingParams]. A
//     request with a seed reproduces its tokens exactly given the same
//     logits. Top-k, top-p and min-p never sort the vocabulary: they gather
//     the tokens above a threshold and quickselect, and the exponentials run
//     through the tensor package's vectorised softmax.
//   - Logprobs are by default those of the distribution the token was drawn
//     from (TGI's choice; for greedy decoding that is log_softmax of the
//     penalised logits); [LogprobRequest.Raw] gives the model's own (vLLM's
//     default). Either way they are finite.
//   - Streamed text is final: text that could still turn into a stop string,
//     or that ends in an incomplete UTF-8 character, is held back until it
//     cannot, so no emitted text is ever retracted. The concatenation of the
//     streamed pieces is the final text.
//   - Bad parameters are a [*ParamError] naming the field; a prompt that
//     cannot fit is a [*ContextLengthError] with the numbers. Nothing here
//     panics on bad input or produces NaN.
//
// The package knows models only through [models.Decoder] and text only
// through the small [Detokenizer] interface, so it does not depend on the
// tokenizer package.
package generate
