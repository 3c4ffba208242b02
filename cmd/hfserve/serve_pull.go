package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"hfserve/internal/config"
	"hfserve/internal/hub"
	"hfserve/internal/server"
	"hfserve/internal/serving"
)

// logProgressEvery spaces out the progress lines a download logs.
const logProgressEvery = 10 * time.Second

// hubClientFor returns the Hub client `serve` downloads with, or nil when
// allow_download is off (the server then never touches the network for
// models).
func hubClientFor(e *env, cfg *config.Config, logger *slog.Logger) (*hub.Client, error) {
	if !cfg.AllowDownload {
		return nil, nil
	}
	hubEnv, err := hub.ReadHubEnv(e.lookupEnv, e.homeDir)
	if err != nil {
		return nil, err
	}
	c := hub.NewClient(hubEnv)
	c.Concurrency = cfg.DownloadConcurrency
	c.Progress = logProgress(logger)
	logger.Info("model downloads allowed", "endpoint", c.Endpoint, "token_from", hubEnv.TokenSource,
		"offline", c.Offline, "concurrency", c.Concurrency)
	return c, nil
}

// logProgress logs a download: its start, each finished file, a progress
// line every logProgressEvery, and its end.
func logProgress(logger *slog.Logger) func(hub.PullEvent) {
	var mu sync.Mutex
	lastLine := map[string]time.Time{} // per repo: downloads may overlap
	return func(ev hub.PullEvent) {
		mu.Lock()
		defer mu.Unlock()
		switch ev.Kind {
		case hub.EventResolved:
			lastLine[ev.Repo] = time.Now()
			logger.Info("downloading model", "model", ev.Repo, "revision", ev.Revision, "commit", ev.Commit,
				"files", ev.Files, "bytes", ev.Total)
		case hub.EventFileDone:
			logger.Info("model file ready", "model", ev.Repo, "file", ev.File.Name, "bytes", ev.File.Size,
				"cached", ev.File.Cached, "files_done", ev.FilesDone, "files", ev.Files)
		case hub.EventProgress:
			if time.Since(lastLine[ev.Repo]) < logProgressEvery {
				return
			}
			lastLine[ev.Repo] = time.Now()
			logger.Info("download progress", "model", ev.Repo, "bytes_done", ev.Done, "bytes", ev.Total,
				"bytes_per_second", int64(ev.Rate), "eta", ev.ETA().Round(time.Second).String())
		case hub.EventDone:
			delete(lastLine, ev.Repo)
			logger.Info("model downloaded", "model", ev.Repo, "commit", ev.Commit, "dir", ev.Dir,
				"elapsed", ev.Elapsed.Round(time.Millisecond).String())
		}
	}
}

// adminPuller runs the pulls of POST /admin/models/pull. A pull runs under
// the server's lifetime, not the request's: a client that disconnects (or
// a request timeout) stops the event stream, not the download, which is
// logged to its end and then served (see serve); posting again follows a
// fresh pull that finds what is done already cached.
type adminPuller struct {
	client *hub.Client // nil: allow_download is off
	cache  hub.Cache
	svc    *serving.Service // pulled models are added to it
	base   context.Context
	logger *slog.Logger
}

var _ server.ModelPuller = (*adminPuller)(nil)

func (p *adminPuller) Pull(ctx context.Context, req server.AdminPullRequest, emit func(server.AdminPullEvent) error) (server.AdminPullEvent, error) {
	if p.client == nil {
		return server.AdminPullEvent{}, &server.PullError{Status: http.StatusForbidden, Code: "downloads_disabled",
			Err: errors.New("model downloads are disabled on this server: start it with --allow-download (allow_download: true)")}
	}
	ref, err := parseRepoArg("pull", req.Model)
	if err != nil {
		return server.AdminPullEvent{}, &server.PullError{Status: http.StatusBadRequest, Code: "invalid_model", Err: err}
	}
	if ref, err = withServedName(ref, req.Name); err != nil {
		return server.AdminPullEvent{}, &server.PullError{Status: http.StatusBadRequest, Code: "invalid_name", Err: err}
	}
	sel := hub.Selection{Include: req.Include, Exclude: req.Exclude}
	for _, pat := range append(append([]string(nil), sel.Include...), sel.Exclude...) {
		if _, err := hub.CompileGlob(pat); err != nil {
			return server.AdminPullEvent{}, &server.PullError{Status: http.StatusBadRequest, Code: "invalid_pattern",
				Err: fmt.Errorf("pattern %q: %w", pat, err)}
		}
	}
	q := &pullQueue{ready: make(chan struct{}, 1)}
	type outcome struct {
		final server.AdminPullEvent
		err   error
	}
	done := make(chan outcome, 1)
	go func() {
		snap, err := p.client.Pull(p.base, p.cache, hub.PullOptions{Repo: ref.Repo, Revision: ref.Revision, Selection: sel, Progress: q.push})
		if err != nil {
			p.logger.Warn("admin pull failed", "model", ref.String(), "err", err)
			done <- outcome{err: err}
			return
		}
		// Served here, not by the request: a client gone does not stop it.
		final := p.serve(ref, snap)
		p.logger.Info("admin pull done", "model", ref.String(), "commit", snap.Commit, "dir", snap.Dir,
			"servable", final.Servable, "served_as", strings.Join(final.ServedAs, ","), "note", final.Note)
		done <- outcome{final: final}
	}()
	// The "resolved" event waits for the first file event: a gated repo
	// fails at its first file, and should still get its own HTTP status.
	var held *server.AdminPullEvent
	deliver := func() error {
		for _, ev := range q.drain() {
			out, ok := adminEvent(ev)
			switch {
			case !ok:
				continue
			case ev.Kind == hub.EventResolved:
				held = &out
				continue
			case held != nil:
				if err := emit(*held); err != nil {
					return err
				}
				held = nil
			}
			if err := emit(out); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		select {
		case <-q.ready:
			if err := deliver(); err != nil {
				return server.AdminPullEvent{}, err
			}
		case out := <-done:
			if out.err != nil {
				return server.AdminPullEvent{}, pullError(out.err)
			}
			if err := deliver(); err != nil {
				return server.AdminPullEvent{}, err
			}
			return out.final, nil
		case <-ctx.Done():
			return server.AdminPullEvent{}, fmt.Errorf("the event stream ended (%w); the pull of %s goes on and is logged: post again to follow it", ctx.Err(), ref)
		}
	}
}

// withServedName gives ref the alias a pull asked to serve it under:
// the characters --model name=REF allows (hub.ParseRef's rules), so that
// the entry's Ref parses back as start-up's do.
func withServedName(ref hub.Ref, name string) (hub.Ref, error) {
	if name == "" {
		return ref, nil
	}
	parsed, err := hub.ParseRef(name + "=" + ref.String())
	if err != nil || parsed.Alias != name {
		return ref, fmt.Errorf("name %q: a served name uses only letters, digits and . _ : - (as --model name=REF)", name)
	}
	ref.Alias = name
	return ref, nil
}

// serve makes a pulled snapshot servable and returns the pull's last
// event, which says under which names it is served, or why not. A repo
// the server already serves at the pulled commit is served from the files
// just pulled (a pull repairs missing blobs). Otherwise the snapshot is
// added to the running service under ref.Name() (the alias, else the repo
// id), detected as start-up detects models and under the global
// policies; a name already served (by this repo at another commit, or by
// another model) is refused and Note says why.
func (p *adminPuller) serve(ref hub.Ref, snap hub.Snapshot) server.AdminPullEvent {
	ev := server.AdminPullEvent{Status: "success", Model: ref.Repo, Revision: ref.Revision, Commit: snap.Commit, Dir: snap.Dir}
	name := ref.Name()
	served, _ := p.servedAs(snap)
	if len(served) > 0 && (ref.Alias == "" || slices.Contains(served, name)) {
		ev.Servable, ev.ServedAs = true, served
		return ev
	}
	entry, err := serving.NewEntry(name, ref.String(), snap.Dir, snap.Commit)
	switch {
	case err != nil:
		ev.Note = fmt.Sprintf("%s is cached but cannot be served: %v", ref, err)
		return ev
	case !entry.Detection.Supported:
		ev.Note = fmt.Sprintf("%s is cached but this server cannot run it: %s", ref, entry.Detection.Reason)
		return ev
	}
	err = p.svc.AddModel(p.base, entry)
	if err == nil {
		ev.Servable, ev.ServedAs = true, []string{name}
		return ev
	}
	// Another pull of the same snapshot may have added it meanwhile.
	served, otherCommits := p.servedAs(snap)
	switch {
	case slices.Contains(served, name):
		ev.Servable, ev.ServedAs = true, served
	case !errors.Is(err, serving.ErrModelExists):
		ev.Note = fmt.Sprintf("%s is cached but cannot be served: %v", ref, err)
	case len(otherCommits) > 0:
		ev.Note = fmt.Sprintf("this server serves %v; restart it to serve commit %s, or pull again with \"name\" to serve it alongside",
			otherCommits, short(snap.Commit))
	default:
		ev.Note = fmt.Sprintf("%s is cached but not served: this server already serves another model named %q; "+
			"pull again with \"name\" to serve it under another name", ref, name)
	}
	return ev
}

// servedAs lists the catalog names serving snap's repo at its commit, and
// (as "name at commit c") those serving it at another commit.
func (p *adminPuller) servedAs(snap hub.Snapshot) (served, otherCommits []string) {
	for _, e := range p.svc.Catalog().Entries() {
		r, err := hub.ParseRef(e.Ref)
		if err != nil || r.Repo != snap.Repo {
			continue
		}
		if e.Commit == snap.Commit {
			served = append(served, e.Name)
		} else {
			otherCommits = append(otherCommits, e.Name+" at commit "+short(e.Commit))
		}
	}
	return served, otherCommits
}

// adminEvent converts a hub event to the wire shape; ok is false for the
// events the stream does not carry (the end, which Pull answers itself).
func adminEvent(ev hub.PullEvent) (server.AdminPullEvent, bool) {
	out := server.AdminPullEvent{Model: ev.Repo, Revision: ev.Revision, Commit: ev.Commit, Files: ev.Files, FilesDone: ev.FilesDone,
		Completed: ev.Done, Total: ev.Total, BytesPerSecond: ev.Rate, ETASeconds: ev.ETA().Seconds()}
	switch ev.Kind {
	case hub.EventResolved:
		out.Status = "resolved"
		return out, true
	case hub.EventFileStart, hub.EventProgress:
		out.Status = "downloading"
	case hub.EventFileDone:
		out.Status = "file_done"
		out.Cached = ev.File.Cached
	default:
		return out, false
	}
	out.File, out.FileCompleted, out.FileTotal = ev.File.Name, ev.File.Done, ev.File.Size
	out.Note = ev.File.Note
	return out, true
}

// pullError gives a hub failure the HTTP status it deserves.
func pullError(err error) error {
	var (
		he  *hub.HubError
		nst *hub.NoSafetensorsError
		df  *hub.DiskFullError
		ce  *hub.ChecksumError
	)
	status, code := http.StatusBadGateway, "pull_failed"
	switch {
	case errors.Is(err, hub.ErrNotFound):
		status, code = http.StatusNotFound, "hub_model_not_found"
	case errors.Is(err, hub.ErrOffline):
		status, code = http.StatusServiceUnavailable, "hub_offline"
	case errors.As(err, &nst):
		status, code = http.StatusUnprocessableEntity, "no_safetensors"
	case errors.As(err, &df):
		status, code = http.StatusInsufficientStorage, "insufficient_storage"
	case errors.As(err, &ce):
		code = "checksum_mismatch"
	case errors.As(err, &he) && (he.Kind == hub.KindGatedRepo || he.Kind == hub.KindBadToken):
		code = "hub_access_denied"
	case errors.As(err, &he) && he.Kind == hub.KindServer:
		code = "hub_unavailable"
	}
	return &server.PullError{Status: status, Code: code, Err: err}
}

// maxQueuedEvents bounds the events waiting for a slow (or gone) client;
// progress events beyond it are dropped, the others are always kept.
const maxQueuedEvents = 1024

// pullQueue hands a pull's events, which must never wait on the network,
// to the request's goroutine, which writes them.
type pullQueue struct {
	mu     sync.Mutex
	events []hub.PullEvent
	ready  chan struct{} // has a value when events are waiting
}

func (q *pullQueue) push(ev hub.PullEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ev.Kind == hub.EventProgress && len(q.events) >= maxQueuedEvents {
		return
	}
	q.events = append(q.events, ev)
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *pullQueue) drain() []hub.PullEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	evs := q.events
	q.events = nil
	return evs
}
