package server

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
)

// deployDir holds the Grafana dashboard and the Prometheus configuration.
const deployDir = "../../deploy/"

// dashboardExprs returns every PromQL expression of the Grafana dashboard:
// its panels' targets and its template variables' queries.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(deployDir + "grafana/hfserve.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("hfserve.json: %v", err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if s, ok := child.(string); ok && (k == "expr" || k == "definition") {
					out = append(out, s)
				}
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(doc)
	return out
}

// alertExprs returns every rule expression of the example alerts.
func alertExprs(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(deployDir + "prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	var out []string
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" {
				t.Errorf("alerts.yml group %s: a rule without alert or expr", g.Name)
			}
			out = append(out, r.Expr)
		}
	}
	return out
}

// Metric names and label matchers in PromQL: names are the exporters'
// (hfserve_, go_, process_) or Prometheus' own up.
var (
	metricName = regexp.MustCompile(`\b((?:hfserve|go|process)_[a-zA-Z0-9_]+|up)\b`)
	selector   = regexp.MustCompile(`\b((?:hfserve|go|process)_[a-zA-Z0-9_]+)\{([^}]*)\}`)
	matcher    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
)

// familyOf maps a series name to its family in e: a histogram's _bucket,
// _sum and _count series belong to the histogram.
func familyOf(e exposition, name string) (string, bool) {
	if _, ok := e[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if _, ok := e[base]; ok {
				return base, true
			}
		}
	}
	return "", false
}

// TestDeployQueriesExist extracts every metric the dashboard and the
// alerts query, and every label they match on, and checks each against a
// real /metrics scrape taken after traffic that exercises every family.
func TestDeployQueriesExist(t *testing.T) {
	// A memory budget, so that the memory_available series exists.
	o := newBudgetedServer(t, Options{Version: "test"}, 1<<30, storiesEntry(t), tinyEntry(t, "embed", "bert", config.ModelSpec{}))
	if rec := post(o.h, "/v1/completions", map[string]any{"model": builtin.Name, "prompt": "Once upon a time", "max_tokens": 4, "temperature": 0}); rec.Code != http.StatusOK {
		t.Fatalf("completion: %d %s", rec.Code, rec.Body)
	}
	if rec := post(o.h, "/v1/embeddings", map[string]any{"model": "embed", "input": "hello"}); rec.Code != http.StatusOK {
		t.Fatalf("embeddings: %d %s", rec.Code, rec.Body)
	}
	e := o.scrape(t)

	sources := map[string][]string{"grafana/hfserve.json": dashboardExprs(t), "prometheus/alerts.yml": alertExprs(t)}
	checked := map[string]bool{}
	for file, exprs := range sources {
		if len(exprs) < 5 {
			t.Fatalf("%s: only %d expressions found; the extraction is broken", file, len(exprs))
		}
		for _, expr := range exprs {
			names := metricName.FindAllString(expr, -1)
			if len(names) == 0 {
				t.Errorf("%s: %q queries no hfserve metric", file, expr)
			}
			for _, name := range names {
				if name == "up" || (strings.HasPrefix(name, "process_") && !processMetricsSupported()) {
					continue
				}
				if _, ok := familyOf(e, name); !ok {
					t.Errorf("%s: %q queries %s, which /metrics does not export", file, expr, name)
				}
				checked[name] = true
			}
			for _, sel := range selector.FindAllStringSubmatch(expr, -1) {
				fam, ok := familyOf(e, sel[1])
				if !ok {
					continue // reported above
				}
				labels := map[string]bool{}
				for _, m := range e[fam].Metric {
					for _, lp := range m.Label {
						labels[lp.GetName()] = true
					}
				}
				for _, lm := range matcher.FindAllStringSubmatch(sel[2], -1) {
					if !labels[lm[1]] {
						t.Errorf("%s: %q matches label %q, which %s does not have", file, expr, lm[1], fam)
					}
				}
			}
		}
	}
	// The dashboard covers what the issue lists.
	for _, want := range []string{"hfserve_requests_total", "hfserve_time_to_first_token_seconds_bucket",
		"hfserve_time_per_output_token_seconds_bucket", "hfserve_scheduler_queue_depth", "hfserve_batch_size_bucket",
		"hfserve_cache_hits_total", "hfserve_model_resident_bytes", "hfserve_breaker_state", "hfserve_memory_used_bytes"} {
		if !checked[want] {
			t.Errorf("neither the dashboard nor the alerts query %s", want)
		}
	}
}

// TestPrometheusScrapeConfig checks the example scrape configuration:
// hfserve's job scrapes /metrics and loads the example alerts.
func TestPrometheusScrapeConfig(t *testing.T) {
	raw, err := os.ReadFile(deployDir + "prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	if !slices.Contains(doc.RuleFiles, "alerts.yml") {
		t.Errorf("rule_files %v does not load alerts.yml", doc.RuleFiles)
	}
	found := false
	for _, sc := range doc.ScrapeConfigs {
		if sc.JobName == "hfserve" {
			found = true
			if sc.MetricsPath != "/metrics" || len(sc.StaticConfigs) == 0 || len(sc.StaticConfigs[0].Targets) == 0 {
				t.Errorf("hfserve job: %+v", sc)
			}
			if def := config.Default().Listen; !slices.Contains(sc.StaticConfigs[0].Targets, def) {
				t.Errorf("hfserve job targets %v: want the default listen address %s", sc.StaticConfigs[0].Targets, def)
			}
		}
	}
	if !found {
		t.Error("no hfserve scrape job")
	}
}
