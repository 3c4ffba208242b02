package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestOpenAISDK talks to the OpenAI routes with the official Go SDK, the
// client the end-to-end tests and users use: what it sends must be
// accepted and what it receives must parse.
func TestOpenAISDK(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	ts := httptest.NewServer(h)
	defer ts.Close()
	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	g := readGolden[decoderGolden](t, "llama")

	chat := openai.ChatCompletionNewParams{
		Model:       "chat",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage(g.Chat.Messages[0]["content"])},
		MaxTokens:   openai.Int(int64(len(g.Chat.Greedy))),
		Temperature: openai.Float(0),
		Seed:        openai.Int(3),
		User:        openai.String("someone"),
	}
	cc, err := client.Chat.Completions.New(ctx, chat)
	var apiErr *openai.Error
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusInternalServerError {
		t.Skipf("backend: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if cc.Choices[0].Message.Content != g.Chat.GreedyText || cc.Choices[0].FinishReason != "length" || cc.Usage.TotalTokens == 0 {
		t.Fatalf("chat completion %+v", cc)
	}
	chat.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, chat)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Choices[0].Message.Content != g.Chat.GreedyText || acc.Usage.CompletionTokens != cc.Usage.CompletionTokens {
		t.Fatalf("streamed chat %+v, usage %+v", acc.Choices, acc.Usage)
	}

	comp, err := client.Completions.New(ctx, openai.CompletionNewParams{
		Model: "chat", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(g.Prompts[0])},
		MaxTokens: openai.Int(int64(len(g.Greedy[0]))), Temperature: openai.Float(0), Logprobs: openai.Int(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	if comp.Choices[0].Text != g.GreedyText[0] || len(comp.Choices[0].Logprobs.Tokens) != len(g.Greedy[0]) {
		t.Fatalf("completion %+v", comp.Choices[0])
	}
	cs := client.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model: "chat", Prompt: openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: []int64{1, 362, 331}},
		MaxTokens: openai.Int(5), Temperature: openai.Float(0),
	})
	chunks := 0
	for cs.Next() {
		chunks++
	}
	if err := cs.Err(); err != nil || chunks == 0 {
		t.Fatalf("completion stream: %d chunks, %v", chunks, err)
	}

	for _, format := range []openai.EmbeddingNewParamsEncodingFormat{openai.EmbeddingNewParamsEncodingFormatFloat, openai.EmbeddingNewParamsEncodingFormatBase64} {
		emb, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
			Model: "embed", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"hello", "world"}},
			EncodingFormat: format, Dimensions: openai.Int(16),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(emb.Data) != 2 || len(emb.Data[1].Embedding) != 16 || emb.Data[1].Index != 1 {
			t.Fatalf("%s embeddings: %+v", format, emb.Data)
		}
	}

	_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "nope", Messages: chat.Messages})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || apiErr.Code != "model_not_found" || apiErr.Param != "model" {
		t.Fatalf("unknown model: %v", err)
	}
	_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "chat", Messages: chat.Messages, Temperature: openai.Float(7)})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Param != "temperature" {
		t.Fatalf("temperature 7: %v", err)
	}
}
