package server

import (
	"context"
	"errors"
	"net/http"
)

// AdminPullRequest is the body of POST /admin/models/pull.
type AdminPullRequest struct {
	// Model is a Hub repo id with an optional revision: "org/name@rev".
	Model string `json:"model"`
	// Name, when set, is the name to serve the model under once pulled
	// (an alias, as --model name=REF gives); empty serves it under its
	// repo id.
	Name string `json:"name,omitempty"`
	// Include and Exclude are fnmatch patterns, as `hfserve pull`'s
	// --include and --exclude.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

// AdminPullEvent is one event of the POST /admin/models/pull stream.
type AdminPullEvent struct {
	// Status is "resolved" (the commit and file list are known),
	// "downloading" (a file progressed), "file_done", then "success" or
	// "error" as the last event.
	Status   string `json:"status"`
	Model    string `json:"model"`
	Revision string `json:"revision,omitempty"`
	Commit   string `json:"commit,omitempty"`
	// File is the file a "downloading" or "file_done" event is about,
	// with its bytes done and total (-1: unknown) and whether it was
	// already cached.
	File          string `json:"file,omitempty"`
	FileCompleted int64  `json:"file_completed,omitempty"`
	FileTotal     int64  `json:"file_total,omitempty"`
	Cached        bool   `json:"cached,omitempty"`
	// Files, FilesDone, Completed and Total are the whole pull's counts.
	Files          int     `json:"files"`
	FilesDone      int     `json:"files_done"`
	Completed      int64   `json:"completed"`
	Total          int64   `json:"total"`
	BytesPerSecond float64 `json:"bytes_per_second,omitempty"`
	ETASeconds     float64 `json:"eta_seconds,omitempty"`
	// Dir is the snapshot folder ("success").
	Dir string `json:"dir,omitempty"`
	// Servable says whether this server serves the pulled files now (a
	// model it did not list is added to it), under the names in ServedAs;
	// Note says why not, or what to do.
	Servable bool     `json:"servable,omitempty"`
	ServedAs []string `json:"served_as,omitempty"`
	Note     string   `json:"note,omitempty"`
	// Error is the failure ("error").
	Error string `json:"error,omitempty"`
}

// ModelPuller runs pulls for POST /admin/models/pull.
type ModelPuller interface {
	// Pull downloads req.Model, calling emit with each progress event in
	// order, and returns the final "success" event. An emit error (the
	// client is gone) may end the call early; whether the download goes
	// on is the puller's business. Errors that should get a particular
	// HTTP status are *PullError.
	Pull(ctx context.Context, req AdminPullRequest, emit func(AdminPullEvent) error) (AdminPullEvent, error)
}

// PullError is a pull failure with the HTTP answer it deserves when it
// happens before the event stream started.
type PullError struct {
	Status int    // HTTP status
	Code   string // error code in the OpenAI error shape
	Err    error
}

func (e *PullError) Error() string { return e.Err.Error() }
func (e *PullError) Unwrap() error { return e.Err }

// HandleAdminPull registers POST /admin/models/pull: it pulls a model from
// the Hugging Face Hub into the server's cache and streams the progress as
// server-sent events, each a JSON AdminPullEvent on a "data:" line (the
// same framing as the streamed completions). The last event has status
// "success" (with the snapshot folder and whether the model is servable)
// or "error". A failure before the first event (a bad body, an unknown or
// gated repo, downloads disabled) is an ordinary JSON error with its own
// status. Auth is the caller's business: mount it behind the admin key.
func (s *Server) HandleAdminPull(p ModelPuller) {
	s.Handle("POST /admin/models/pull", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req AdminPullRequest
		if err := DecodeJSON(w, r, &req); err != nil {
			return
		}
		if req.Model == "" {
			WriteError(w, r, http.StatusBadRequest, "", "missing_model", "model", "the request names no model: send {\"model\": \"org/name[@revision]\"}")
			return
		}
		sse := newSSEWriter(w, "data: ")
		final, err := p.Pull(r.Context(), req, func(ev AdminPullEvent) error { return sse.event(ev) })
		if err == nil {
			sse.event(final)
			return
		}
		if sse.started {
			sse.event(AdminPullEvent{Status: "error", Model: req.Model, Error: err.Error()})
			return
		}
		var pe *PullError
		if errors.As(err, &pe) {
			WriteError(w, r, pe.Status, "", pe.Code, "", err.Error())
			return
		}
		WriteError(w, r, http.StatusBadGateway, "", "pull_failed", "", err.Error())
	}))
}
