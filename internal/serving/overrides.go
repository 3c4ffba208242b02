package serving

import (
	"fmt"
	"slices"

	"hfserve/internal/skills"
)

// Serves is the entry's detection with the configuration's overrides
// applied: a configured task replaces the detected ones, a configured
// pooling replaces the detected pooling, and a configured chat template
// adds chat to a text-generation model that ships none. Use CheckOverrides
// first; Serves assumes they are valid.
func (e Entry) Serves() skills.Detection {
	d := e.Detection
	d.Tasks = slices.Clone(d.Tasks)
	if e.Spec.ChatTemplate != "" && d.HasTask(skills.TaskTextGeneration) && !d.HasTask(skills.TaskChat) {
		d.Tasks = append(d.Tasks, skills.TaskChat)
	}
	if t := skills.Task(e.Spec.Task); t != "" {
		d.Tasks = []skills.Task{t}
		if t == skills.TaskEmbeddings && d.Pooling == "" {
			d.Pooling = skills.PoolingMean
			if d.Family == skills.FamilyLlama || d.Family == skills.FamilyGPT2 {
				d.Pooling = skills.PoolingLastToken
			}
		}
	}
	if p := e.Spec.Pooling; p != "" {
		d.Pooling = p
	}
	return d
}

// CheckOverrides reports a configured task the model's head cannot serve
// (classification on a model without a classification head, say), so that
// a misconfiguration fails at start-up rather than on the first request.
func (e Entry) CheckOverrides() error {
	t := skills.Task(e.Spec.Task)
	if t == "" || !e.Detection.Supported {
		return nil
	}
	if !taskFitsHead(t, e.Detection.Head) {
		return fmt.Errorf("serving: model %q: task %q cannot be served by a %s model (%s); it serves %v",
			e.Name, t, e.Detection.Head, e.Detection.Architecture, e.Detection.Tasks)
	}
	return nil
}

// taskFitsHead says which heads can serve a task: generation needs an LM
// head; embeddings can pool any model's hidden states; the classification
// tasks need their own heads.
func taskFitsHead(t skills.Task, head string) bool {
	switch t {
	case skills.TaskTextGeneration, skills.TaskChat:
		return head == skills.HeadCausalLM
	case skills.TaskEmbeddings:
		return true
	case skills.TaskClassification:
		return head == skills.HeadSequenceClassification
	case skills.TaskRerank:
		return head == skills.HeadSequenceClassification
	case skills.TaskTokenClassification:
		return head == skills.HeadTokenClassification
	case skills.TaskFillMask:
		return head == skills.HeadMaskedLM
	}
	return false
}
