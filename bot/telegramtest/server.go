// Package telegramtest runs a fake Telegram Bot API server on loopback for
// tests. It speaks the real wire format (form-encoded, multipart or JSON
// requests to /bot<token>/<method>, answers {"ok":...}) and is as strict as
// Telegram about message length, HTML entities and callback data, so a bot
// that passes against it sends requests Telegram accepts.
package telegramtest

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// BotID and BotUsername identify the bot that getMe returns.
const (
	BotID       int64 = 7000001
	BotUsername       = "ShopTestBot"
)

// Server is a fake Bot API. Its methods are safe for concurrent use.
type Server struct {
	token string
	srv   *httptest.Server

	closeOnce sync.Once
	closed    chan struct{}

	mu sync.Mutex
	// changed is closed and replaced on every change of state, so waiters
	// wake up without polling.
	changed chan struct{}

	nextUpdateID   int
	nextMessageID  int
	nextCallbackID int
	updates        []apiUpdate

	messages  []SentMessage
	calls     map[string]int
	offsets   []int
	failures  map[int64][]*failure
	pollFails []*failure
	callbacks map[string]*callbackState
	answers   []CallbackAnswer

	webhook             WebhookInfo
	commands            []Command
	chatCommands        map[int64][]Command
	commandsUnsupported bool
}

// NewServer starts a fake Bot API for the token on a loopback port. The
// server is closed when the test ends.
func NewServer(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{
		token:          token,
		closed:         make(chan struct{}),
		changed:        make(chan struct{}),
		nextUpdateID:   100000,
		nextMessageID:  1,
		nextCallbackID: 1,
		calls:          make(map[string]int),
		failures:       make(map[int64][]*failure),
		callbacks:      make(map[string]*callbackState),
		chatCommands:   make(map[int64][]Command),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.Close)
	return s
}

// Endpoint returns the API endpoint format with two %s verbs, the token and
// the method, as tgbotapi.NewBotAPIWithClient expects.
func (s *Server) Endpoint() string {
	return s.srv.URL + "/bot%s/%s"
}

// URL returns the server's base URL.
func (s *Server) URL() string {
	return s.srv.URL
}

// Close stops the server. Pending long polls return at once, and later
// requests fail with a connection error. Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

type methodHandler func(s *Server, r *http.Request, params url.Values) (any, *apiError)

var methods = map[string]methodHandler{
	"getMe":                  (*Server).getMe,
	"getUpdates":             (*Server).getUpdates,
	"setWebhook":             (*Server).setWebhook,
	"deleteWebhook":          (*Server).deleteWebhook,
	"getWebhookInfo":         (*Server).getWebhookInfo,
	"sendMessage":            (*Server).sendMessage,
	"answerCallbackQuery":    (*Server).answerCallbackQuery,
	"setMyCommands":          (*Server).setMyCommands,
	"editMessageText":        (*Server).editMessageText,
	"editMessageReplyMarkup": (*Server).editMessageReplyMarkup,
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	slash := strings.LastIndexByte(rest, '/')
	if !ok || slash < 0 {
		writeError(w, &apiError{code: 404, description: "Not Found"})
		return
	}
	token, method := rest[:slash], rest[slash+1:]
	if token != s.token {
		writeError(w, &apiError{code: 401, description: "Unauthorized"})
		return
	}

	handler, ok := methods[method]
	s.countCall(method)
	if !ok {
		writeError(w, &apiError{code: 404, description: "Not Found"})
		return
	}

	params, err := readParams(r)
	if err != nil {
		writeError(w, badRequest("can't parse request parameters: "+err.Error()))
		return
	}
	result, apiErr := handler(s, r, params)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{OK: true, Result: result})
}

// readParams merges query parameters with a form-encoded, multipart or JSON
// body. JSON values that are not strings are kept as their JSON text, the
// way the Bot API reads reply_markup and allowed_updates.
func readParams(r *http.Request) (url.Values, error) {
	params := r.URL.Query()
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		var body map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return nil, err
		}
		for key, raw := range body {
			var text string
			if json.Unmarshal(raw, &text) == nil {
				params.Set(key, text)
			} else {
				params.Set(key, string(raw))
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, err
		}
		for key, values := range r.MultipartForm.Value {
			params[key] = values
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for key, values := range r.PostForm {
			params[key] = values
		}
	}
	return params, nil
}

func writeError(w http.ResponseWriter, e *apiError) {
	resp := apiResponse{OK: false, ErrorCode: e.code, Description: e.description}
	if e.retryAfter > 0 {
		resp.Parameters = &apiParameters{RetryAfter: e.retryAfter}
	}
	writeJSON(w, e.code, resp)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) countCall(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
	s.notifyLocked()
}

// notifyLocked wakes every waiter. The caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// changedChannel returns the channel closed on the next change of state.
func (s *Server) changedChannel() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}
