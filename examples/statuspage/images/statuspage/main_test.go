package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseChecks(t *testing.T) {
	checks, err := parseChecks(" www=https://www.example.com/healthz, api=http://api.internal/healthz ")
	if err != nil {
		t.Fatal(err)
	}
	want := []Check{{"api", "http://api.internal/healthz"}, {"www", "https://www.example.com/healthz"}}
	if len(checks) != 2 || checks[0] != want[0] || checks[1] != want[1] {
		t.Fatalf("got %+v", checks)
	}
}

func TestParseChecksRefuses(t *testing.T) {
	cases := map[string]string{
		"":                        "STATUS_CHECKS is empty: name at least one NAME=URL",
		"www":                     `STATUS_CHECKS entry "www" is not NAME=http(s)://URL`,
		"www=ftp://x":             `STATUS_CHECKS entry "www=ftp://x" is not NAME=http(s)://URL`,
		"a=https://x,a=https://y": `STATUS_CHECKS names "a" twice`,
	}
	for text, want := range cases {
		if _, err := parseChecks(text); err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %s", text, err, want)
		}
	}
}

func TestPollAndServe(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer healthy.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer broken.Close()
	board := newBoard([]Check{{"broken", broken.URL}, {"healthy", healthy.URL}})
	board.Poll(context.Background(), healthy.Client())

	rec := httptest.NewRecorder()
	newMux(board).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/status", nil))
	var body struct{ Checks []Result }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 {
		t.Fatalf("got %d %q: %v", rec.Code, rec.Body.String(), err)
	}
	got := map[string]Result{}
	for _, r := range body.Checks {
		got[r.Name] = r
	}
	if r := got["healthy"]; !r.Up || r.Status != 200 {
		t.Errorf("healthy: %+v", r)
	}
	if r := got["broken"]; r.Up || r.Status != 503 {
		t.Errorf("broken: %+v", r)
	}

	rec = httptest.NewRecorder()
	newMux(board).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if page := rec.Body.String(); rec.Code != 200 || !strings.Contains(page, "<td>healthy</td><td>up</td>") || !strings.Contains(page, "<td>broken</td><td>down</td>") {
		t.Fatalf("got %d %q", rec.Code, page)
	}
	rec = httptest.NewRecorder()
	newMux(board).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/elsewhere", nil))
	if rec.Code != 404 {
		t.Fatalf("/elsewhere: got %d", rec.Code)
	}
}

func TestACheckNotPolledYetIsDown(t *testing.T) {
	results := newBoard([]Check{{"www", "https://www.example.com/healthz"}}).Snapshot()
	if len(results) != 1 || results[0].Up || results[0].Error != "not checked yet" {
		t.Fatalf("got %+v", results)
	}
}
