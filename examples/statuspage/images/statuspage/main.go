// Command statuspage polls a list of health endpoints and serves what it found.
//
// STATUS_CHECKS names them ("www=https://www.example.com/healthz,catalog=https://…"); every
// STATUS_INTERVAL (default 30s) each is fetched with a 5 s timeout and is up when it answers 2xx.
// It listens on $PORT (default 8080): / is the page, /api/status the same as JSON, /healthz its own
// health. On SIGTERM it finishes the requests in flight before exiting.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	checkTimeout  = 5 * time.Second
	shutdownGrace = 20 * time.Second
)

// Check is one endpoint the page reports on.
type Check struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Result is what the last poll of a check found.
type Result struct {
	Name      string    `json:"name"`
	Up        bool      `json:"up"`
	Status    int       `json:"status,omitempty"`
	Error     string    `json:"error,omitempty"`
	LatencyMS int64     `json:"latency_ms"`
	CheckedAt time.Time `json:"checked_at"`
}

// parseChecks reads "name=url,name=url"; names are unique and every URL is http(s).
func parseChecks(text string) ([]Check, error) {
	var checks []Check
	seen := map[string]bool{}
	for _, entry := range strings.Split(text, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, url, ok := strings.Cut(entry, "=")
		if !ok || name == "" || !(strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")) {
			return nil, fmt.Errorf("STATUS_CHECKS entry %q is not NAME=http(s)://URL", entry)
		}
		if seen[name] {
			return nil, fmt.Errorf("STATUS_CHECKS names %q twice", name)
		}
		seen[name] = true
		checks = append(checks, Check{Name: name, URL: url})
	}
	if len(checks) == 0 {
		return nil, errors.New("STATUS_CHECKS is empty: name at least one NAME=URL")
	}
	sort.Slice(checks, func(i, j int) bool { return checks[i].Name < checks[j].Name })
	return checks, nil
}

// Board holds the latest result of every check.
type Board struct {
	mu      sync.RWMutex
	results map[string]Result
	checks  []Check
}

func newBoard(checks []Check) *Board {
	return &Board{results: map[string]Result{}, checks: checks}
}

// Poll fetches every check once, concurrently, and records what it found.
func (b *Board) Poll(ctx context.Context, client *http.Client) {
	var wg sync.WaitGroup
	for _, c := range b.checks {
		wg.Add(1)
		go func(c Check) {
			defer wg.Done()
			result := probe(ctx, client, c)
			b.mu.Lock()
			b.results[c.Name] = result
			b.mu.Unlock()
		}(c)
	}
	wg.Wait()
}

func probe(ctx context.Context, client *http.Client, c Check) Result {
	started := time.Now()
	result := Result{Name: c.Name, CheckedAt: started.UTC()}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err == nil {
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			resp.Body.Close()
			result.Status = resp.StatusCode
			result.Up = resp.StatusCode >= 200 && resp.StatusCode < 300
		}
	}
	if err != nil {
		result.Error = err.Error()
	}
	result.LatencyMS = time.Since(started).Milliseconds()
	return result
}

// Snapshot is every check's latest result, in name order; a check not yet polled is down.
func (b *Board) Snapshot() []Result {
	b.mu.RLock()
	defer b.mu.RUnlock()
	results := make([]Result, 0, len(b.checks))
	for _, c := range b.checks {
		r, ok := b.results[c.Name]
		if !ok {
			r = Result{Name: c.Name, Error: "not checked yet"}
		}
		results = append(results, r)
	}
	return results
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30"><title>Status</title></head>
<body><h1>Status</h1><table>
{{range .}}<tr><td>{{.Name}}</td><td>{{if .Up}}up{{else}}down{{end}}</td><td>{{if .Error}}{{.Error}}{{else}}{{.Status}}, {{.LatencyMS}} ms{{end}}</td></tr>
{{end}}</table></body></html>
`))

func writeJSON(w http.ResponseWriter, status int, body interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		log.Printf("statuspage: writing response: %v", err)
	}
}

func newMux(b *Board) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/api/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string][]Result{"checks": b.Snapshot()})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := page.Execute(w, b.Snapshot()); err != nil {
			log.Printf("statuspage: rendering: %v", err)
		}
	})
	return mux
}

func settings() (addr string, interval time.Duration, checks []Check, err error) {
	addr = ":8080"
	if port := os.Getenv("PORT"); port != "" {
		var n int
		if _, err := fmt.Sscanf(port, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != port {
			return "", 0, nil, fmt.Errorf("PORT=%q is not a port number 1-65535", port)
		}
		addr = ":" + port
	}
	interval = 30 * time.Second
	if text := os.Getenv("STATUS_INTERVAL"); text != "" {
		if interval, err = time.ParseDuration(text); err != nil || interval < time.Second {
			return "", 0, nil, fmt.Errorf("STATUS_INTERVAL=%q is not a duration of 1s or more", text)
		}
	}
	checks, err = parseChecks(os.Getenv("STATUS_CHECKS"))
	return addr, interval, checks, err
}

func main() {
	log.SetFlags(0)
	addr, interval, checks, err := settings()
	if err != nil {
		log.Fatalf("statuspage: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	board := newBoard(checks)
	client := &http.Client{Timeout: checkTimeout}
	go func() {
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			board.Poll(ctx, client)
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()

	srv := &http.Server{Addr: addr, Handler: newMux(board), ReadHeaderTimeout: 10 * time.Second}
	failed := make(chan error, 1)
	go func() { failed <- srv.ListenAndServe() }()
	log.Printf("statuspage: %d checks every %s, listening on %s", len(checks), interval, addr)
	select {
	case err := <-failed:
		log.Fatalf("statuspage: %v", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Fatalf("statuspage: graceful shutdown: %v", err)
	}
	log.Printf("statuspage: stopped cleanly")
}
