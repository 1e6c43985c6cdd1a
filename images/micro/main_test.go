package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

func get(t *testing.T, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	newMux().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestHealthz(t *testing.T) {
	code, body := get(t, "/healthz")
	if code != 200 || body != "{\"status\":\"ok\"}\n" {
		t.Fatalf("got %d %q", code, body)
	}
}

func TestChannelList(t *testing.T) {
	code, body := get(t, "/api/catalog/channels")
	want := `{"channels":[{"id":"news","name":"Newsroom 24","genre":"news"},{"id":"sport","name":"Match Live","genre":"sport"},{"id":"food","name":"Kitchen TV","genre":"lifestyle"}]}` + "\n"
	if code != 200 || body != want {
		t.Fatalf("got %d %q", code, body)
	}
}

func TestChannelDetailAndMissing(t *testing.T) {
	if code, body := get(t, "/api/catalog/channels/sport"); code != 200 || body != `{"id":"sport","name":"Match Live","genre":"sport"}`+"\n" {
		t.Fatalf("got %d %q", code, body)
	}
	if code, body := get(t, "/api/catalog/channels/nope"); code != 404 || body != `{"error":"no channel \"nope\""}`+"\n" {
		t.Fatalf("got %d %q", code, body)
	}
}

func TestWritesAreRefused(t *testing.T) {
	rec := httptest.NewRecorder()
	newMux().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/catalog/channels", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("got %d allow=%q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestListenAddr(t *testing.T) {
	cases := map[string]string{"": ":8080", "9090": ":9090"}
	for port, want := range cases {
		os.Setenv("PORT", port)
		if got, err := listenAddr(); err != nil || got != want {
			t.Errorf("PORT=%q: got %q, %v", port, got, err)
		}
	}
	for _, bad := range []string{"http", "0", "70000", "80x", "+80"} {
		os.Setenv("PORT", bad)
		if _, err := listenAddr(); err == nil {
			t.Errorf("PORT=%q accepted", bad)
		}
	}
	os.Unsetenv("PORT")
}

// A request in flight when the stop signal arrives is answered before serve returns.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	listener.Close()

	started := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "done")
	})
	srv := &http.Server{Addr: addr, Handler: mux}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, srv, 5*time.Second) }()

	var resp *http.Response
	for i := 0; i < 50; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	result := make(chan string, 1)
	go func() {
		r, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			result <- "error: " + err.Error()
			return
		}
		resp = r
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		result <- string(body)
	}()
	<-started
	cancel()
	if got := <-result; got != "done" {
		t.Fatalf("in-flight request got %q", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}
