package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	"hfserve/api"
)

const psDescription = `Show the models a running hfserve knows and what each is doing: state
(available, loading, loaded, failed, unloading), resident memory, requests in
flight, pinning and when it was last used. Reads GET /admin/models.`

func runPs(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "ps", "ps [flags]", psDescription)
	flags := addAdminFlags(fs)
	all := fs.Bool("all", false, "list every model, not only those loaded or loading")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("ps: unexpected argument %q", fs.Arg(0))
	}
	client, err := flags.client(e, "ps")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *flags.timeout)
	defer cancel()
	body, err := client.do(ctx, http.MethodGet, "/admin/models", nil, http.StatusOK)
	if err != nil {
		return err
	}
	if *flags.asJSON {
		_, err := e.stdout.Write(body)
		return err
	}
	var list api.AdminModelList
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("ps: the server's answer is not a model list: %w", err)
	}
	return printPs(e.stdout, list, *all)
}

// printPs writes the table: loaded and loading models, or all with all.
func printPs(w io.Writer, list api.AdminModelList, all bool) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tSTATE\tMEMORY\tIN FLIGHT\tPINNED\tLAST USED")
	shown := 0
	for _, m := range list.Data {
		if !all && m.State != "loaded" && m.State != "loading" && m.State != "unloading" {
			continue
		}
		shown++
		bytes := m.ResidentBytes
		if bytes == 0 {
			bytes = m.ReservedBytes
		}
		last := "never"
		if m.LastUsed != nil {
			last = time.Since(*m.LastUsed).Round(time.Second).String() + " ago"
		}
		state := m.State
		if m.Error != "" {
			state += ": " + oneLine(m.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%t\t%s\n", m.ID, state, humanBytes(bytes), m.InFlight, m.Pinned, last)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	mem := list.Memory
	budget := "no budget"
	if mem.BudgetBytes > 0 {
		budget = humanBytes(mem.BudgetBytes) + " budget"
	}
	_, err := fmt.Fprintf(w, "%d of %d models loaded; %s in use of %s\n",
		mem.LoadedModels, len(list.Data), humanBytes(mem.ReservedBytes), budget)
	if shown == 0 && !all {
		fmt.Fprintln(w, "(no model loaded; --all lists every model)")
	}
	return err
}
