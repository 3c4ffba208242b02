package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"hfserve/api"
	"hfserve/internal/auth"
)

// UsageSource answers usage queries; *auth.UsageRecorder implements it
// (stored and not yet flushed counts together).
type UsageSource interface {
	Usage(ctx context.Context, f auth.UsageFilter) ([]auth.UsageRecord, error)
}

var _ UsageSource = (*auth.UsageRecorder)(nil)

// HandleAdminUsage registers GET /admin/usage: requests, prompt and
// generated tokens and errors per key, model and UTC day, filtered by the
// query parameters key_id, model, from and to (YYYY-MM-DD, inclusive), as
// JSON (api.UsageList, the default) or, with format=csv, as a CSV file.
// A bad day or format is 400 naming the parameter.
func (s *Server) HandleAdminUsage(u UsageSource) {
	s.Handle("GET /admin/usage", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		format := q.Get("format")
		if format != "" && format != "json" && format != "csv" {
			WriteError(w, r, http.StatusBadRequest, api.ErrTypeInvalidRequest, "invalid_value", "format",
				fmt.Sprintf("format must be json or csv, got %q", format))
			return
		}
		f := auth.UsageFilter{KeyID: q.Get("key_id"), Model: q.Get("model"), From: q.Get("from"), To: q.Get("to")}
		records, err := u.Usage(r.Context(), f)
		var verr *auth.ValidationError
		switch {
		case errors.As(err, &verr):
			WriteError(w, r, http.StatusBadRequest, api.ErrTypeInvalidRequest, "invalid_value", verr.Field, verr.Error())
			return
		case err != nil:
			s.log.ErrorContext(r.Context(), "admin usage", "err", err)
			w.Header().Set("Retry-After", "1")
			WriteError(w, r, http.StatusServiceUnavailable, api.ErrTypeServiceUnavailable, "auth_store_unavailable", "",
				"the usage store could not be reached; try again")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if format == "csv" {
			s.writeUsageCSV(w, r, records)
			return
		}
		list := api.UsageList{Object: api.ObjectList, Data: make([]api.UsageRecord, 0, len(records))}
		for _, rec := range records {
			list.Data = append(list.Data, api.UsageRecord{Day: rec.Day, KeyID: rec.KeyID, Model: rec.Model, Requests: rec.Requests,
				PromptTokens: rec.PromptTokens, GeneratedTokens: rec.GeneratedTokens, Errors: rec.Errors})
		}
		s.writeJSON(w, r, http.StatusOK, list)
	}))
}

// writeUsageCSV answers with records as a CSV attachment, encoded in full
// before anything is sent so a failure is a clean 500.
func (s *Server) writeUsageCSV(w http.ResponseWriter, r *http.Request, records []auth.UsageRecord) {
	var buf bytes.Buffer
	if err := auth.WriteUsageCSV(&buf, records); err != nil {
		s.log.ErrorContext(r.Context(), "admin usage", "err", err)
		WriteError(w, r, http.StatusInternalServerError, api.ErrTypeServer, "", "", "the usage could not be encoded")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="hfserve-usage.csv"`)
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
