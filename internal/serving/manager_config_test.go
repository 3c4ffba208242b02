package serving

import (
	"testing"
	"time"

	"hfserve/internal/config"
)

func TestOptionsFromConfig(t *testing.T) {
	cat := fixtureCatalog(t, "bert")
	tests := []struct {
		name      string
		budget    config.MemoryBudget
		available int64
		want      int64
	}{
		{"fixed size", config.MemoryBudget{Bytes: 1 << 30}, 0, 1 << 30},
		{"share of available", config.MemoryBudget{Percent: 50}, 1000, 500},
		{"share of unknown", config.MemoryBudget{Percent: 75}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.MaxMemory = tt.budget
			cfg.MaxLoadedModels = 3
			cfg.ModelLoadTimeout = 7 * time.Second
			cfg.KeepAlive = -1
			cfg.Preload = true
			got := OptionsFromConfig(&cfg, cat, tt.available)
			if got.MemoryBudget != tt.want || got.MaxLoadedModels != 3 || got.LoadTimeout != 7*time.Second ||
				got.KeepAlive != -1 || !got.Preload || got.Catalog != cat {
				t.Fatalf("options = %+v, want budget %d", got, tt.want)
			}
		})
	}
}
