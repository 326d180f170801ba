package provider

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/templates"
)

type requestIDKey struct{}

// RequestID returns the request ID the provider's handler assigned to the
// request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID accepts a client-supplied X-Request-Id only when it is
// short and made of harmless characters, so it is safe to log and echo.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withRequestID takes X-Request-Id or makes one, echoes it, puts it in the
// context and logs one line per request. Only the path is logged: query
// strings carry codes and tokens.
func (p *Provider) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = randomString(12)
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		p.inflight.Add(1)
		defer p.inflight.Add(-1)
		next.ServeHTTP(rec, r)
		// The record is handed to the handler directly: a Logger method
		// would walk the stack for a source location this line never
		// shows (it is always this middleware).
		if h := p.log.Handler(); h.Enabled(r.Context(), slog.LevelInfo) {
			end := time.Now()
			line := slog.NewRecord(end, slog.LevelInfo, "http request", 0)
			line.AddAttrs(slog.String("request_id", id),
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", rec.status), slog.Duration("duration", end.Sub(start)))
			_ = h.Handle(r.Context(), line)
		}
	})
}

// logger returns the provider's logger with the request ID of ctx.
func (p *Provider) logger(ctx context.Context) *slog.Logger {
	if id := RequestID(ctx); id != "" {
		return p.log.With("request_id", id)
	}
	return p.log
}

// errorPage logs err once and renders the error page.
func (p *Provider) errorPage(w http.ResponseWriter, r *http.Request, status int, kind templates.ErrorKind, uiLocales []string, err error) {
	ctx := r.Context()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	p.logger(ctx).Log(ctx, level, "error page", "status", status, "kind", string(kind), "err", err)
	lang := templates.Negotiate(uiLocales, r.Header.Get("Accept-Language"))
	if rerr := templates.Error(w, templates.ErrorData{Lang: lang, Status: status, Kind: kind, RequestID: RequestID(ctx)}); rerr != nil {
		p.logger(ctx).ErrorContext(ctx, "render error page", "err", rerr)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	}
}

func localeStrings(l oidc.Locales) []string {
	out := make([]string, 0, len(l))
	for _, t := range l {
		out = append(out, t.String())
	}
	return out
}
