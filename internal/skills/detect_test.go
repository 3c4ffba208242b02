package skills

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDetectHeads(t *testing.T) {
	tests := []struct {
		name      string
		fixture   string
		edit      func(map[string]any)
		head      string
		tasks     []Task
		pooling   string
		numLabels int
		labels    []string
	}{
		{
			name: "one label reranks", fixture: "bert-cls",
			edit:      func(c map[string]any) { c["id2label"] = map[string]string{"0": "score"}; delete(c, "label2id") },
			head:      HeadSequenceClassification,
			tasks:     []Task{TaskClassification, TaskRerank},
			numLabels: 1, labels: []string{"score"},
		},
		{
			name: "num_labels 1 without id2label", fixture: "bert-cls",
			edit:      func(c map[string]any) { delete(c, "id2label"); delete(c, "label2id"); c["num_labels"] = 1 },
			head:      HeadSequenceClassification,
			tasks:     []Task{TaskClassification, TaskRerank},
			numLabels: 1, labels: []string{"LABEL_0"},
		},
		{
			name: "id2label wins over num_labels", fixture: "bert-cls",
			edit:      func(c map[string]any) { c["num_labels"] = 1 },
			head:      HeadSequenceClassification,
			tasks:     []Task{TaskClassification},
			numLabels: 3, labels: []string{"negative", "neutral", "positive"},
		},
		{
			name: "no labels: transformers' default of 2", fixture: "bert-cls",
			edit:      func(c map[string]any) { delete(c, "id2label"); delete(c, "label2id") },
			head:      HeadSequenceClassification,
			tasks:     []Task{TaskClassification},
			numLabels: 2, labels: []string{"LABEL_0", "LABEL_1"},
		},
		{
			name: "token classification", fixture: "bert-cls",
			edit:      func(c map[string]any) { c["architectures"] = []string{"BertForTokenClassification"} },
			head:      HeadTokenClassification,
			tasks:     []Task{TaskTokenClassification},
			numLabels: 3, labels: []string{"negative", "neutral", "positive"},
		},
		{
			name: "masked LM", fixture: "roberta",
			edit:  func(c map[string]any) { c["architectures"] = []string{"RobertaForMaskedLM"} },
			head:  HeadMaskedLM,
			tasks: []Task{TaskFillMask},
		},
		{
			name: "distilbert classifier", fixture: "distilbert",
			edit:      func(c map[string]any) { c["architectures"] = []string{"DistilBertForSequenceClassification"} },
			head:      HeadSequenceClassification,
			tasks:     []Task{TaskClassification},
			numLabels: 2, labels: []string{"LABEL_0", "LABEL_1"},
		},
		{
			name: "base decoder embeds from its last token", fixture: "qwen2",
			edit:    func(c map[string]any) { c["architectures"] = []string{"Qwen2Model"} },
			head:    HeadBase,
			tasks:   []Task{TaskEmbeddings},
			pooling: PoolingLastToken,
		},
		{
			name: "gpt2 base", fixture: "gpt2",
			edit:    func(c map[string]any) { c["architectures"] = []string{"GPT2Model"} },
			head:    HeadBase,
			tasks:   []Task{TaskEmbeddings},
			pooling: PoolingLastToken,
		},
		{
			name: "no architectures: AutoModel default for a decoder", fixture: "mistral",
			edit:  func(c map[string]any) { delete(c, "architectures") },
			head:  HeadCausalLM,
			tasks: []Task{TaskTextGeneration, TaskChat},
		},
		{
			name: "no architectures: encoder", fixture: "bert",
			edit:    func(c map[string]any) { c["architectures"] = nil },
			head:    HeadBase,
			tasks:   []Task{TaskEmbeddings},
			pooling: PoolingMean,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, tt.fixture)
			editConfig(t, dir, tt.edit)
			d, err := Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Supported || d.Head != tt.head || !slices.Equal(d.Tasks, tt.tasks) || d.Pooling != tt.pooling {
				t.Errorf("got supported %v (%s) head %s tasks %v pooling %q; want head %s tasks %v pooling %q",
					d.Supported, d.Reason, d.Head, d.Tasks, d.Pooling, tt.head, tt.tasks, tt.pooling)
			}
			if d.NumLabels != tt.numLabels || !slices.Equal(d.Labels, tt.labels) {
				t.Errorf("labels %d %v, want %d %v", d.NumLabels, d.Labels, tt.numLabels, tt.labels)
			}
		})
	}
}

func TestDetectUnsupported(t *testing.T) {
	tests := []struct {
		name       string
		fixture    string
		arch       any // nil keeps the fixture's
		modelType  any // nil keeps the fixture's
		wantReason []string
		wantFamily string
	}{
		{"unknown model type", "llama", []string{"GemmaForCausalLM"}, "gemma", []string{"GemmaForCausalLM", `"gemma"`, "llama, mistral"}, ""},
		{"multimodal", "llama", []string{"LlavaForConditionalGeneration"}, "llava", []string{"LlavaForConditionalGeneration", "llava"}, ""},
		{"no model_type", "llama", nil, "", []string{"no model_type", "LlamaForCausalLM"}, ""},
		{"question answering", "bert", []string{"BertForQuestionAnswering"}, nil, []string{"BertForQuestionAnswering", "head"}, FamilyBERT},
		{"multiple choice", "roberta", []string{"RobertaForMultipleChoice"}, nil, []string{"RobertaForMultipleChoice"}, FamilyBERT},
		{"pretraining", "bert", []string{"BertForPreTraining"}, nil, []string{"BertForPreTraining"}, FamilyBERT},
		{"gpt2 double heads", "gpt2", []string{"GPT2DoubleHeadsModel"}, nil, []string{"GPT2DoubleHeadsModel"}, FamilyGPT2},
		{"bert as a decoder", "bert", []string{"BertLMHeadModel"}, nil, []string{"BertLMHeadModel", "causal-lm", "bert-family"}, FamilyBERT},
		{"decoder classifier", "llama", []string{"LlamaForSequenceClassification"}, nil, []string{"LlamaForSequenceClassification", "sequence-classification"}, FamilyLlama},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, tt.fixture)
			editConfig(t, dir, func(c map[string]any) {
				if tt.arch != nil {
					c["architectures"] = tt.arch
				}
				if tt.modelType != nil {
					c["model_type"] = tt.modelType
				}
			})
			d, err := Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			if d.Supported || len(d.Tasks) != 0 || d.Family != tt.wantFamily {
				t.Errorf("supported %v tasks %v family %q, want unsupported, no tasks, family %q", d.Supported, d.Tasks, d.Family, tt.wantFamily)
			}
			for _, s := range tt.wantReason {
				if !strings.Contains(d.Reason, s) {
					t.Errorf("reason %q does not mention %q", d.Reason, s)
				}
			}
		})
	}
}

func TestDetectSentenceTransformers(t *testing.T) {
	const (
		transformer = `{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}`
		pooling     = `{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}`
		normalize   = `{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}`
		dense       = `{"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}`
	)
	poolingCfg := func(mode string) string {
		modes := map[string]string{"cls": "false", "mean": "false", "max": "false", "mean_sqrt_len": "false", "weightedmean": "false", "lasttoken": "false"}
		for _, m := range strings.Split(mode, "+") {
			modes[m] = "true"
		}
		return `{"word_embedding_dimension": 64, "pooling_mode_cls_token": ` + modes["cls"] +
			`, "pooling_mode_mean_tokens": ` + modes["mean"] + `, "pooling_mode_max_tokens": ` + modes["max"] +
			`, "pooling_mode_mean_sqrt_len_tokens": ` + modes["mean_sqrt_len"] + `, "pooling_mode_weightedmean_tokens": ` + modes["weightedmean"] +
			`, "pooling_mode_lasttoken": ` + modes["lasttoken"] + `, "include_prompt": true}`
	}
	modules := func(m ...string) string { return "[" + strings.Join(m, ",") + "]" }
	tests := []struct {
		name       string
		fixture    string
		files      map[string]string
		tasks      []Task
		pooling    string
		normalize  bool
		wantReason string // non-empty: unsupported
	}{
		{
			name: "all-MiniLM style", fixture: "bert",
			files: map[string]string{"modules.json": modules(transformer, pooling, normalize), "1_Pooling/config.json": poolingCfg("mean")},
			tasks: []Task{TaskEmbeddings}, pooling: PoolingMean, normalize: true,
		},
		{
			name: "cls pooling, no normalize", fixture: "bert",
			files: map[string]string{"modules.json": modules(transformer, pooling), "1_Pooling/config.json": poolingCfg("cls")},
			tasks: []Task{TaskEmbeddings}, pooling: PoolingCLS,
		},
		{
			name: "max pooling", fixture: "xlm-roberta",
			files: map[string]string{"modules.json": modules(transformer, pooling), "1_Pooling/config.json": poolingCfg("max")},
			tasks: []Task{TaskEmbeddings}, pooling: PoolingMax,
		},
		{
			name: "pooling_mode string", fixture: "bert",
			files: map[string]string{"modules.json": modules(transformer, pooling), "1_Pooling/config.json": `{"pooling_mode": "cls"}`},
			tasks: []Task{TaskEmbeddings}, pooling: PoolingCLS,
		},
		{
			name: "no modules.json: default folders", fixture: "bert",
			files: map[string]string{"1_Pooling/config.json": poolingCfg("cls"), "2_Normalize/.keep": ""},
			tasks: []Task{TaskEmbeddings}, pooling: PoolingCLS, normalize: true,
		},
		{
			name: "decoder embedding model (Qwen3-Embedding style)", fixture: "qwen3",
			files: map[string]string{"modules.json": modules(transformer, pooling, normalize), "1_Pooling/config.json": poolingCfg("lasttoken")},
			tasks: []Task{TaskEmbeddings}, pooling: PoolingLastToken, normalize: true,
		},
		{
			name: "cross-encoder with modules.json", fixture: "bert-cls",
			files: map[string]string{"modules.json": modules(transformer, pooling), "1_Pooling/config.json": poolingCfg("mean")},
			tasks: []Task{TaskEmbeddings, TaskClassification}, pooling: PoolingMean,
		},
		{
			name: "dense projection", fixture: "bert",
			files:      map[string]string{"modules.json": modules(transformer, pooling, dense), "1_Pooling/config.json": poolingCfg("mean")},
			wantReason: "Dense",
		},
		{
			name: "concatenated poolings", fixture: "bert",
			files:      map[string]string{"modules.json": modules(transformer, pooling), "1_Pooling/config.json": poolingCfg("cls+mean")},
			wantReason: "cls+mean",
		},
		{
			name: "mean_sqrt_len pooling", fixture: "bert",
			files:      map[string]string{"modules.json": modules(transformer, pooling), "1_Pooling/config.json": poolingCfg("mean_sqrt_len")},
			wantReason: "mean_sqrt_len_tokens",
		},
		{
			name: "no pooling mode", fixture: "bert",
			files:      map[string]string{"modules.json": modules(transformer, pooling), "1_Pooling/config.json": `{}`},
			wantReason: "no pooling mode",
		},
		{
			name: "transformer in a subfolder", fixture: "bert",
			files:      map[string]string{"modules.json": modules(strings.Replace(transformer, `"path": ""`, `"path": "0_Transformer"`, 1), pooling), "1_Pooling/config.json": poolingCfg("mean")},
			wantReason: "0_Transformer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, tt.fixture)
			for name, content := range tt.files {
				writeFile(t, dir, name, content)
			}
			d, err := Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !d.SentenceTransformers {
				t.Error("SentenceTransformers = false")
			}
			if tt.wantReason != "" {
				if d.Supported || !strings.Contains(d.Reason, tt.wantReason) {
					t.Errorf("supported %v reason %q, want unsupported mentioning %q", d.Supported, d.Reason, tt.wantReason)
				}
				return
			}
			if !d.Supported || !slices.Equal(d.Tasks, tt.tasks) || d.Pooling != tt.pooling || d.Normalize != tt.normalize {
				t.Errorf("supported %v (%s) tasks %v pooling %q normalize %v; want %v %q %v",
					d.Supported, d.Reason, d.Tasks, d.Pooling, d.Normalize, tt.tasks, tt.pooling, tt.normalize)
			}
		})
	}
}

func TestDetectSentenceTransformersErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"modules.json not a list", map[string]string{"modules.json": `{}`}, "modules.json"},
		{"pooling outside the folder", map[string]string{"modules.json": `[{"path": "../x", "type": "sentence_transformers.models.Pooling"}]`}, "not inside"},
		{"pooling config missing", map[string]string{"modules.json": `[{"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]`}, "is missing"},
		{"pooling config malformed", map[string]string{"1_Pooling/config.json": `{"pooling_mode_cls_token": "yes"}`}, "1_Pooling"},
		{"sentence_bert_config malformed", map[string]string{"sentence_bert_config.json": `[`}, "sentence_bert_config.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, "bert")
			for name, content := range tt.files {
				writeFile(t, dir, name, content)
			}
			if _, err := Detect(dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Detect = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDetectChatTemplate(t *testing.T) {
	const tpl = `{% for m in messages %}{{ m['content'] }}{% endfor %}`
	tests := []struct {
		name    string
		files   map[string]string // written after tokenizer_config.json is removed
		chat    bool
		wantErr string
	}{
		{"string", map[string]string{"tokenizer_config.json": `{"chat_template": "` + tpl + `"}`}, true, ""},
		{"empty string", map[string]string{"tokenizer_config.json": `{"chat_template": " "}`}, false, ""},
		{"null", map[string]string{"tokenizer_config.json": `{"chat_template": null}`}, false, ""},
		{"absent", map[string]string{"tokenizer_config.json": `{"eos_token": "</s>"}`}, false, ""},
		{"named list", map[string]string{"tokenizer_config.json": `{"chat_template": [{"name": "default", "template": "` + tpl + `"}, {"name": "tool_use", "template": "x"}]}`}, true, ""},
		{"named list, all empty", map[string]string{"tokenizer_config.json": `{"chat_template": [{"name": "default", "template": ""}]}`}, false, ""},
		{"jinja file", map[string]string{"chat_template.jinja": tpl}, true, ""},
		{"chat_template.json", map[string]string{"chat_template.json": `{"chat_template": "` + tpl + `"}`}, true, ""},
		{"no tokenizer config", nil, false, ""},
		{"wrong type", map[string]string{"tokenizer_config.json": `{"chat_template": 5}`}, false, "chat_template"},
		{"malformed file", map[string]string{"tokenizer_config.json": `{"chat_template": `}, false, "tokenizer_config.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, "llama")
			if err := os.Remove(filepath.Join(dir, "tokenizer_config.json")); err != nil {
				t.Fatal(err)
			}
			for name, content := range tt.files {
				writeFile(t, dir, name, content)
			}
			d, err := Detect(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Detect = %v, want an error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.HasTask(TaskChat) != tt.chat || !d.HasTask(TaskTextGeneration) {
				t.Errorf("tasks %v, want chat %v", d.Tasks, tt.chat)
			}
		})
	}
}
