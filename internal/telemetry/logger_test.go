package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// decodeLines parses JSON log output, one object per line.
func decodeLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		recs = append(recs, m)
	}
	return recs
}

func TestNewLoggerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequestID(context.Background(), "rid-1")

	log.InfoContext(ctx, "plain", "k", 1)
	log.With("a", "b").InfoContext(ctx, "with attrs")
	log.WithGroup("g").With("inner", 2).InfoContext(ctx, "grouped", "x", 3)
	log.InfoContext(context.Background(), "no id")
	log.Info("no ctx")
	// Many attributes force slog to spill into the record's overflow
	// storage, where AddAttrs on a shared record would be unsafe.
	log.InfoContext(ctx, "many", "a1", 1, "a2", 2, "a3", 3, "a4", 4, "a5", 5, "a6", 6, "a7", 7)

	recs := decodeLines(t, buf.String())
	if len(recs) != 6 {
		t.Fatalf("got %d records, want 6:\n%s", len(recs), buf.String())
	}
	wantID := []bool{true, true, true, false, false, true}
	for i, rec := range recs {
		id, has := rec[RequestIDKey]
		if has != wantID[i] || (has && id != "rid-1") {
			t.Errorf("record %d (%v): request_id = %v (present %v), want present %v", i, rec["msg"], id, has, wantID[i])
		}
	}
	if recs[1]["a"] != "b" {
		t.Errorf("With attrs lost: %v", recs[1])
	}
	g, ok := recs[2]["g"].(map[string]any)
	if !ok || g["inner"] != float64(2) || g["x"] != float64(3) {
		t.Errorf("group contents wrong: %v", recs[2])
	}
	if _, inGroup := g[RequestIDKey]; inGroup {
		t.Errorf("request_id landed inside the group: %v", recs[2])
	}
	if recs[5]["a7"] != float64(7) {
		t.Errorf("attrs lost on a large record: %v", recs[5])
	}
}

func TestNewHandlerIdempotent(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(NewHandler(slog.NewJSONHandler(&buf, nil)))
	slog.New(h).InfoContext(WithRequestID(context.Background(), "once"), "m")
	if n := strings.Count(buf.String(), RequestIDKey); n != 1 {
		t.Errorf("request_id appears %d times, want 1: %s", n, buf.String())
	}
}

func TestNewLoggerLevelsAndFormats(t *testing.T) {
	tests := []struct {
		level, format string
		wantErr       bool
		debugShown    bool
		infoShown     bool
		warnShown     bool
	}{
		{level: "debug", format: "json", debugShown: true, infoShown: true, warnShown: true},
		{level: "", format: "", infoShown: true, warnShown: true},
		{level: "INFO", format: "TEXT", infoShown: true, warnShown: true},
		{level: "warn", format: "text", warnShown: true},
		{level: "error", format: "json"},
		{level: "verbose", format: "json", wantErr: true},
		{level: "info", format: "xml", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.level+"/"+tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := NewLogger(&buf, tt.level, tt.format)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("d-msg")
			log.Info("i-msg")
			log.Warn("w-msg")
			out := buf.String()
			for msg, want := range map[string]bool{"d-msg": tt.debugShown, "i-msg": tt.infoShown, "w-msg": tt.warnShown} {
				if got := strings.Contains(out, msg); got != want {
					t.Errorf("%s shown = %v, want %v", msg, got, want)
				}
			}
			isJSON := strings.HasPrefix(strings.TrimSpace(out), "{")
			if out != "" && isJSON != (strings.ToLower(tt.format) == "json") {
				t.Errorf("format %q produced %q", tt.format, out)
			}
		})
	}
}

func TestTextFormatCarriesRequestID(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "info", "text")
	if err != nil {
		t.Fatal(err)
	}
	log.InfoContext(WithRequestID(context.Background(), "t-1"), "hello")
	if !strings.Contains(buf.String(), "request_id=t-1") {
		t.Errorf("text line lacks request_id: %q", buf.String())
	}
}
