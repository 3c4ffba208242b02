package telemetry

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Log formats accepted by NewLogger.
const (
	FormatText = "text" // logfmt-like key=value lines, for people
	FormatJSON = "json" // one JSON object per line, for log pipelines
)

// NewLogger returns a logger writing to w at the given level ("debug",
// "info", "warn" or "error"; case-insensitive; "" means "info") in the given
// format (FormatText or FormatJSON; "" means text). Its handler adds the
// request id of the logging context to every record (see NewHandler).
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "", FormatText:
		h = slog.NewTextHandler(w, opts)
	case FormatJSON:
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("telemetry: log format %q: want %q or %q", format, FormatText, FormatJSON)
	}
	return slog.New(NewHandler(h)), nil
}

// ParseLevel maps "debug", "info", "warn" or "error" (case-insensitive; ""
// means "info") to its slog.Level.
func ParseLevel(level string) (slog.Level, error) {
	switch strings.ToLower(level) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("telemetry: log level %q: want debug, info, warn or error", level)
}
