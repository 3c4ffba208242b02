package skills

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// Detection is what a model folder is and what hfserve can serve from it.
type Detection struct {
	Architecture string `json:"architecture"` // config.json architectures[0]; "" if absent
	ModelType    string `json:"model_type"`
	Family       string `json:"family,omitempty"` // FamilyLlama, FamilyGPT2, FamilyBERT; "" if unsupported
	Head         string `json:"head,omitempty"`   // one of the Head* constants; "" if unknown
	Tasks        []Task `json:"tasks"`            // what it serves; empty when unsupported
	Supported    bool   `json:"supported"`
	Reason       string `json:"reason,omitempty"` // why it is not supported
	// Pooling and Normalize say how embeddings are made (set when Tasks
	// has TaskEmbeddings).
	Pooling   string `json:"pooling,omitempty"`
	Normalize bool   `json:"normalize,omitempty"`
	// SentenceTransformers is true when the folder has sentence-transformers
	// files (modules.json, 1_Pooling/config.json, sentence_bert_config.json).
	SentenceTransformers bool `json:"sentence_transformers,omitempty"`
	// NumLabels and Labels describe a classification head (Labels in id
	// order; LABEL_i names when config.json has no id2label).
	NumLabels int      `json:"num_labels,omitempty"`
	Labels    []string `json:"labels,omitempty"`
}

// HasTask reports whether d serves t.
func (d Detection) HasTask(t Task) bool {
	return slices.Contains(d.Tasks, t)
}

// Detect decides what the model in dir is and what it can serve, from
// config.json, the sentence-transformers files and the chat template (see
// the package documentation for the rules). A model hfserve cannot serve is
// not an error: it comes back with Supported=false and a Reason. Errors are
// for folders that cannot be judged: config.json missing or malformed, or a
// malformed modules.json / pooling config / tokenizer_config.json.
func Detect(dir string) (Detection, error) {
	in, err := readInputs(dir)
	if err != nil {
		return Detection{}, err
	}
	return detect(in.cfg, in.st, in.chat), nil
}

// inputs are the parsed files detection is decided from.
type inputs struct {
	cfg  *modelConfig
	st   sentenceTransformers
	chat bool
}

// readInputs reads config.json, the sentence-transformers files and the
// chat template of dir.
func readInputs(dir string) (inputs, error) {
	cfg, err := readConfig(dir)
	if err != nil {
		return inputs{}, err
	}
	st, err := readSentenceTransformers(dir)
	if err != nil {
		return inputs{}, fmt.Errorf("skills: %w", err)
	}
	chat, err := hasChatTemplate(dir)
	if err != nil {
		return inputs{}, fmt.Errorf("skills: %w", err)
	}
	return inputs{cfg: cfg, st: st, chat: chat}, nil
}

// readConfig reads and parses dir/config.json.
func readConfig(dir string) (*modelConfig, error) {
	path := filepath.Join(dir, "config.json")
	b, err := readFileLimited(path, maxSmallJSON)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("skills: %s: no config.json, so this is not a Hugging Face model folder", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("skills: %w", err)
	}
	cfg, err := parseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("skills: %s: %w", dir, err)
	}
	return cfg, nil
}

// detect applies the rules to parsed inputs; it does no I/O.
func detect(cfg *modelConfig, st sentenceTransformers, chat bool) Detection {
	d := Detection{ModelType: cfg.ModelType, SentenceTransformers: st.Present}
	if len(cfg.Architectures) > 0 {
		d.Architecture = cfg.Architectures[0]
	}
	family, ok := familyOf[cfg.ModelType]
	if cfg.ModelType == "" {
		return unsupported(d, fmt.Sprintf("config.json has no model_type (%s)", archName(d.Architecture)))
	}
	if !ok {
		return unsupported(d, fmt.Sprintf("%s (model_type %q) is not supported: hfserve serves the model types %s",
			archName(d.Architecture), cfg.ModelType, supportedTypes))
	}
	d.Family = family
	d.Head = headOf(d.Architecture, family)
	if d.Head == "" {
		return unsupported(d, fmt.Sprintf("%s: this head is not supported (hfserve serves %s)", archName(d.Architecture), headsFor(family)))
	}
	if !headAllowed(family, d.Head) {
		return unsupported(d, fmt.Sprintf("%s: a %s head on a %s-family model is not supported (hfserve serves %s)",
			archName(d.Architecture), d.Head, family, headsFor(family)))
	}
	if st.Unsupported != "" {
		return unsupported(d, st.Unsupported)
	}
	d.Supported = true
	switch d.Head {
	case HeadCausalLM:
		if st.Present {
			// Packaged for sentence-transformers: an embedding model.
			d.Tasks = []Task{TaskEmbeddings}
			break
		}
		d.Tasks = []Task{TaskTextGeneration}
		if chat {
			d.Tasks = append(d.Tasks, TaskChat)
		}
	case HeadSequenceClassification:
		d.NumLabels, d.Labels = cfg.NumLabels, labelNames(cfg)
		d.Tasks = []Task{TaskClassification}
		if d.NumLabels == 1 {
			d.Tasks = append(d.Tasks, TaskRerank)
		}
	case HeadTokenClassification:
		d.NumLabels, d.Labels = cfg.NumLabels, labelNames(cfg)
		d.Tasks = []Task{TaskTokenClassification}
	case HeadMaskedLM:
		d.Tasks = []Task{TaskFillMask}
	case HeadBase:
		d.Tasks = []Task{TaskEmbeddings}
	}
	if st.Present && !d.HasTask(TaskEmbeddings) {
		d.Tasks = append([]Task{TaskEmbeddings}, d.Tasks...)
	}
	if d.HasTask(TaskEmbeddings) {
		d.Pooling, d.Normalize = st.Pooling, st.Normalize
		if d.Pooling == "" {
			d.Pooling = PoolingMean
			if isDecoder(family) {
				d.Pooling = PoolingLastToken
			}
		}
	}
	return d
}

func unsupported(d Detection, reason string) Detection {
	d.Supported, d.Reason, d.Tasks = false, reason, nil
	return d
}

func archName(arch string) string {
	if arch == "" {
		return "a config.json without architectures"
	}
	return "architecture " + arch
}

// headSuffixes map the end of a transformers class name to its head.
var headSuffixes = [...]struct{ suffix, head string }{
	{"ForCausalLM", HeadCausalLM},
	{"LMHeadModel", HeadCausalLM}, // GPT2LMHeadModel
	{"ForSequenceClassification", HeadSequenceClassification},
	{"ForTokenClassification", HeadTokenClassification},
	{"ForMaskedLM", HeadMaskedLM},
}

// headOf reads the head from the architecture's class name; "" means a head
// hfserve does not know (question answering, multiple choice, ...). Without
// architectures, transformers' AutoModel default for the family applies.
func headOf(arch, family string) string {
	if arch == "" {
		if isDecoder(family) {
			return HeadCausalLM
		}
		return HeadBase
	}
	for _, h := range headSuffixes {
		if strings.HasSuffix(arch, h.suffix) {
			return h.head
		}
	}
	// The bare base class: BertModel, XLMRobertaModel, Qwen2Model. Other
	// *Model classes carry a head in the middle (GPT2DoubleHeadsModel).
	if base, ok := strings.CutSuffix(arch, "Model"); ok && base != "" && !strings.Contains(base, "For") && !strings.Contains(base, "Head") {
		return HeadBase
	}
	return ""
}

// headAllowed says which heads the engine implements per family.
func headAllowed(family, head string) bool {
	if isDecoder(family) {
		return head == HeadCausalLM || head == HeadBase
	}
	return head != HeadCausalLM
}

func headsFor(family string) string {
	if isDecoder(family) {
		return "causal LM and base models"
	}
	return "base, masked-LM, sequence- and token-classification models"
}

// labelNames returns id2label, or transformers' default LABEL_i names.
func labelNames(cfg *modelConfig) []string {
	if cfg.Labels != nil {
		return cfg.Labels
	}
	names := make([]string, cfg.NumLabels)
	for i := range names {
		names[i] = fmt.Sprintf("LABEL_%d", i)
	}
	return names
}
