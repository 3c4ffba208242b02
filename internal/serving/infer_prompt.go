package serving

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"hfserve/internal/skills"
	"hfserve/internal/tokenizer"
	"hfserve/internal/tokenizer/chat"
)

// plainTokenizer is rt's tokenizer without the truncation and padding its
// tokenizer.json may set: requests decide those themselves, and a silent
// cut at a length the file chose would hide a too-long input.
func plainTokenizer(rt *Runtime) *tokenizer.Tokenizer {
	return rt.Tokenizer.WithTruncation(nil).WithPadding(nil)
}

// encodePrompt turns a generation's prompt into token ids and the prompt's
// text. An empty text or id prompt starts from the model's BOS token, the
// way transformers' generate starts from bos_token_id without input ids;
// a model without one cannot start from nothing and answers an
// *InputError.
func encodePrompt(ctx context.Context, rt *Runtime, p Prompt) (ids []int32, text string, err error) {
	switch {
	case p.Messages != nil:
		return encodeChat(ctx, rt, p)
	case p.IDs != nil:
		if err := checkIDs(rt, "prompt", p.IDs); err != nil {
			return nil, "", err
		}
		ids = slices.Clone(p.IDs)
		if text, err = rt.Tokenizer.Decode(ids, false); err != nil {
			return nil, "", inputErr("prompt", "cannot decode the token ids: %v", err)
		}
	default:
		enc, err := plainTokenizer(rt).Encode(p.Text, true)
		if err != nil {
			return nil, "", inputErr("prompt", "%v", err)
		}
		ids, text = enc.IDs, p.Text
	}
	if len(ids) == 0 {
		bos, ok := bosTokenID(rt)
		if !ok {
			return nil, "", inputErr("prompt", "is empty, and model %q has no BOS token to start from", rt.Entry.Name)
		}
		ids = []int32{bos}
	}
	return ids, text, nil
}

// encodeChat renders messages with the model's chat template and encodes
// the result without adding special tokens (the template writes them), as
// apply_chat_template(tokenize=True) does.
func encodeChat(ctx context.Context, rt *Runtime, p Prompt) ([]int32, string, error) {
	if rt.Chat == nil {
		return nil, "", taskError(rt, skills.TaskChat)
	}
	if len(p.Messages) == 0 {
		return nil, "", inputErr("messages", "must hold at least one message")
	}
	in := chat.Input{
		Messages:            p.Messages,
		Tools:               p.Tools,
		Documents:           p.Documents,
		AddGenerationPrompt: !p.ContinueFinal,
		Extra:               p.ChatArgs,
	}
	text, err := rt.Chat.Render(ctx, in, rt.ChatTokens)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", err
		}
		// Whatever stops a render comes from the conversation the client
		// sent (a role order the template rejects, a content type it
		// cannot print, a conversation too large): a bad request.
		return nil, "", inputErr("messages", "the chat template cannot render them: %v", err)
	}
	if p.ContinueFinal {
		if text, err = cutAfterFinalMessage(text, p.Messages[len(p.Messages)-1]); err != nil {
			return nil, "", err
		}
	}
	enc, err := plainTokenizer(rt).Encode(text, false)
	if err != nil {
		return nil, "", inputErr("messages", "%v", err)
	}
	if len(enc.IDs) == 0 {
		return nil, "", inputErr("messages", "the chat template renders them as an empty prompt")
	}
	return enc.IDs, text, nil
}

// cutAfterFinalMessage ends the rendered chat right after the final
// message's text, dropping the end-of-turn markup the template wrote after
// it, so the model continues that message: transformers'
// continue_final_message. The final message's text is its content string,
// or the last text part of a content list, stripped of surrounding
// whitespace.
func cutAfterFinalMessage(rendered string, final any) (string, error) {
	data, err := json.Marshal(final)
	if err != nil {
		return "", inputErr("messages", "final message: %v", err)
	}
	var msg struct {
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		return "", inputErr("messages", "final message is not an object: %v", err)
	}
	content, ok := finalText(msg.Content)
	if !ok {
		return "", inputErr("messages", "continuing the final message needs text in it to continue")
	}
	content = strings.TrimSpace(content)
	i := strings.LastIndex(rendered, content)
	if i < 0 {
		return "", inputErr("messages", "the final message does not appear in the rendered chat, so it cannot be continued")
	}
	return rendered[:i+len(content)], nil
}

// finalText is a message content's text: the string itself, or the last
// part of a list that has a "text" string.
func finalText(content json.RawMessage) (string, bool) {
	var v any
	if err := json.Unmarshal(content, &v); err != nil {
		return "", false
	}
	switch c := v.(type) {
	case string:
		return c, true
	case []any:
		for _, part := range slices.Backward(c) {
			if obj, ok := part.(map[string]any); ok {
				if text, ok := obj["text"].(string); ok {
					return text, true
				}
			}
		}
	}
	return "", false
}

// checkIDs rejects token ids the model cannot embed.
func checkIDs(rt *Runtime, param string, ids []int32) error {
	vocab := rt.Info().VocabSize
	for i, id := range ids {
		if id < 0 || int(id) >= vocab {
			return inputErr(param, "token %d is id %d, outside the model's vocabulary [0, %d)", i, id, vocab)
		}
	}
	return nil
}

// bosTokenID is the model's beginning-of-sequence token: config.json's
// bos_token_id, else generation_config.json's, else the tokenizer's
// bos_token.
func bosTokenID(rt *Runtime) (int32, bool) {
	vocab := rt.Info().VocabSize
	valid := func(id int) bool { return id >= 0 && id < vocab }
	if id := rt.Info().BOSTokenID; valid(id) {
		return int32(id), true
	}
	if g := rt.Generation; g != nil && g.BOSTokenID != nil && valid(int(*g.BOSTokenID)) {
		return *g.BOSTokenID, true
	}
	if tok := rt.Tokenizer.Config.SpecialTokens.BOS; tok != "" {
		if id, ok := rt.Tokenizer.TokenToID(tok); ok && valid(int(id)) {
			return id, true
		}
	}
	return 0, false
}
