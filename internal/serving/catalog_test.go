package serving

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
	"hfserve/internal/hub"
	"hfserve/internal/skills"
)

const tiny = "../../testdata/models/tiny"

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBuildCatalogDefaultsToBuiltin(t *testing.T) {
	c, err := BuildCatalog(context.Background(), Sources{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	entries := c.Entries()
	if len(entries) != 1 || entries[0].Name != builtin.Name || !entries[0].Builtin {
		t.Fatalf("entries = %+v, want only the built-in model", entries)
	}
	if !entries[0].Detection.HasTask(skills.TaskTextGeneration) {
		t.Fatalf("built-in model cannot generate text: %+v", entries[0].Detection)
	}
	models := c.Models(context.Background())
	if len(models) != 1 || models[0].ID != builtin.Name || models[0].Object != "model" || models[0].Created == 0 {
		t.Fatalf("Models() = %+v", models)
	}
}

func TestBuildCatalogModelsAndDirs(t *testing.T) {
	src := Sources{
		Models: []config.ModelSpec{
			{Name: "chat", Ref: abs(t, filepath.Join(tiny, "qwen3"))},
			{Name: "classifier", Ref: abs(t, filepath.Join(tiny, "bert-cls"))},
			{Name: "story", Ref: "builtin"},
		},
		ModelDirs: []string{abs(t, tiny)},
		DataDir:   t.TempDir(),
	}
	c, err := BuildCatalog(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	// 3 configured + 11 found under the fixture folder (bert-cls twice,
	// under two names).
	if n := len(c.Entries()); n != 14 {
		t.Fatalf("%d entries, want 14", n)
	}
	e, ok := c.Lookup("chat")
	if !ok || e.Detection.Architecture != "Qwen3ForCausalLM" {
		t.Fatalf("chat = %+v, %v", e, ok)
	}
	if e, ok := c.Lookup("story"); !ok || !e.Builtin {
		t.Fatalf("story = %+v, %v", e, ok)
	}
	if e, ok := c.Lookup("xlm-roberta"); !ok || e.Detection.Family != skills.FamilyBERT {
		t.Fatalf("xlm-roberta from --model-dir = %+v, %v", e, ok)
	}
	if _, ok := c.Lookup("nope"); ok {
		t.Fatal("Lookup(nope) found something")
	}
}

func TestBuildCatalogErrors(t *testing.T) {
	tests := []struct {
		name string
		src  Sources
		want string
	}{
		{"duplicate names", Sources{Models: []config.ModelSpec{
			{Name: "m", Ref: abs(t, filepath.Join(tiny, "llama"))},
			{Name: "m", Ref: abs(t, filepath.Join(tiny, "gpt2"))},
		}}, `two models named "m"`},
		{"missing folder", Sources{Models: []config.ModelSpec{{Ref: "/nonexistent/model"}}}, "/nonexistent/model"},
		{"repo not in cache", Sources{Models: []config.ModelSpec{{Ref: "org/absent"}}, Store: hub.Store{Cache: hub.Cache{Dir: t.TempDir()}}}, "org/absent"},
		{"model dir missing", Sources{ModelDirs: []string{"/nonexistent/dir"}}, "/nonexistent/dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.DataDir = t.TempDir()
			_, err := BuildCatalog(context.Background(), tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestBuildCatalogCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := BuildCatalog(ctx, Sources{Models: []config.ModelSpec{{Ref: "builtin"}}, DataDir: t.TempDir()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// The per-model overrides in the configuration must speak the skills
// registry's vocabulary, or an override could name a task nothing serves.
func TestConfigVocabularyMatchesSkills(t *testing.T) {
	tasks := []skills.Task{skills.TaskTextGeneration, skills.TaskChat, skills.TaskEmbeddings, skills.TaskClassification,
		skills.TaskRerank, skills.TaskTokenClassification, skills.TaskFillMask}
	got := config.Tasks()
	if len(got) != len(tasks) {
		t.Fatalf("config.Tasks() = %v, skills has %v", got, tasks)
	}
	for i, task := range tasks {
		if got[i] != string(task) {
			t.Errorf("config.Tasks()[%d] = %q, want %q", i, got[i], task)
		}
	}
	poolings := []string{skills.PoolingCLS, skills.PoolingMean, skills.PoolingMax, skills.PoolingLastToken}
	if p := config.Poolings(); strings.Join(p, ",") != strings.Join(poolings, ",") {
		t.Errorf("config.Poolings() = %v, skills has %v", p, poolings)
	}
}
