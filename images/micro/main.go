// Command micro is the catalog microservice: a Go binary on a scratch image, as in 2015.
//
// It listens on $PORT (default 8080), answers /healthz and the catalog API under /api/catalog/,
// and on SIGTERM stops accepting connections and finishes the requests in flight before exiting,
// so a rolling deploy drops nothing.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Channel is one entry of the catalog.
type Channel struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Genre string `json:"genre"`
}

var catalog = []Channel{
	{ID: "news", Name: "Newsroom 24", Genre: "news"},
	{ID: "sport", Name: "Match Live", Genre: "sport"},
	{ID: "food", Name: "Kitchen TV", Genre: "lifestyle"},
}

const shutdownGrace = 20 * time.Second

func writeJSON(w http.ResponseWriter, status int, body interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		log.Printf("micro: writing response: %v", err)
	}
}

func onlyGet(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
			return
		}
		next(w, r)
	}
}

func healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func channels(w http.ResponseWriter, r *http.Request) {
	id := strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/catalog/channels"), "/")
	if id == "" {
		writeJSON(w, http.StatusOK, map[string][]Channel{"channels": catalog})
		return
	}
	for _, c := range catalog {
		if c.ID == id {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no channel %q", id)})
}

func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", onlyGet(healthz))
	mux.HandleFunc("/api/catalog/channels", onlyGet(channels))
	mux.HandleFunc("/api/catalog/channels/", onlyGet(channels))
	return mux
}

func listenAddr() (string, error) {
	port := os.Getenv("PORT")
	if port == "" {
		return ":8080", nil
	}
	var n int
	if _, err := fmt.Sscanf(port, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != port {
		return "", fmt.Errorf("PORT=%q is not a port number 1-65535", port)
	}
	return ":" + port, nil
}

// serve runs srv until ctx is cancelled, then shuts it down gracefully.
func serve(ctx context.Context, srv *http.Server, grace time.Duration) error {
	failed := make(chan error, 1)
	go func() { failed <- srv.ListenAndServe() }()
	select {
	case err := <-failed:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-failed; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func main() {
	log.SetFlags(0)
	addr, err := listenAddr()
	if err != nil {
		log.Fatalf("micro: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: addr, Handler: newMux(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("micro: listening on %s", addr)
	if err := serve(ctx, srv, shutdownGrace); err != nil {
		log.Fatalf("micro: %v", err)
	}
	log.Printf("micro: stopped cleanly")
}
