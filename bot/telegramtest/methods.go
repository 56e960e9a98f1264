package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxTextLength is the Bot API limit of a message text after entity
// parsing, in UTF-16 code units.
const maxTextLength = 4096

// maxCallbackTextLength is the limit of an answerCallbackQuery text.
const maxCallbackTextLength = 200

var (
	secretTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	commandPattern     = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
)

func (s *Server) getMe(*http.Request, url.Values) (any, *apiError) {
	return apiUser{ID: BotID, IsBot: true, FirstName: "Shop", Username: BotUsername}, nil
}

// getUpdates returns unconfirmed updates from offset on, waiting up to
// timeout seconds for one to arrive. Passing offset confirms and forgets
// every update with a lower id.
func (s *Server) getUpdates(r *http.Request, params url.Values) (any, *apiError) {
	offset, _ := strconv.Atoi(params.Get("offset"))
	limit := intParam(params, "limit", 100)
	if limit < 1 || limit > 100 {
		limit = 100
	}
	timeout := time.Duration(intParam(params, "timeout", 0)) * time.Second
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	s.mu.Lock()
	s.offsets = append(s.offsets, offset)
	if e := nextFailure(&s.pollFails); e != nil {
		s.notifyLocked()
		s.mu.Unlock()
		return nil, e
	}
	s.confirmLocked(offset)
	s.notifyLocked()
	s.mu.Unlock()

	for {
		s.mu.Lock()
		if s.webhook.URL != "" {
			s.mu.Unlock()
			return nil, &apiError{code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		batch := pendingFrom(s.updates, offset, limit)
		changed := s.changed
		s.mu.Unlock()

		if len(batch) > 0 || timeout <= 0 {
			return batch, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return []apiUpdate{}, nil
		case <-r.Context().Done():
			return []apiUpdate{}, nil
		case <-s.closed:
			return []apiUpdate{}, nil
		}
	}
}

func (s *Server) confirmLocked(offset int) {
	if offset <= 0 {
		return
	}
	s.updates = slices.DeleteFunc(s.updates, func(u apiUpdate) bool { return u.UpdateID < offset })
}

func pendingFrom(updates []apiUpdate, offset, limit int) []apiUpdate {
	batch := []apiUpdate{}
	for _, u := range updates {
		if u.UpdateID >= offset && len(batch) < limit {
			batch = append(batch, u)
		}
	}
	return batch
}

// setWebhook records the webhook. Unlike Telegram it accepts http URLs and
// any port, so tests can point it at loopback; an empty url removes it.
func (s *Server) setWebhook(_ *http.Request, params url.Values) (any, *apiError) {
	info := WebhookInfo{URL: params.Get("url"), SecretToken: params.Get("secret_token")}
	if info.URL != "" {
		parsed, err := url.Parse(info.URL)
		if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
			return nil, badRequest("bad webhook: invalid webhook URL specified")
		}
	}
	if info.SecretToken != "" && !secretTokenPattern.MatchString(info.SecretToken) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	if raw := params.Get("allowed_updates"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &info.AllowedUpdates); err != nil {
			return nil, badRequest("can't parse allowed_updates JSON array")
		}
	}
	info.MaxConnections = intParam(params, "max_connections", 40)
	if info.MaxConnections < 1 || info.MaxConnections > 100 {
		return nil, badRequest("bad webhook: max_connections must be between 1 and 100")
	}
	info.DropPendingUpdates = params.Get("drop_pending_updates") == "true"

	s.mu.Lock()
	defer s.mu.Unlock()
	if info.URL == "" {
		info = WebhookInfo{}
	}
	s.webhook = info
	if params.Get("drop_pending_updates") == "true" {
		s.updates = nil
	}
	s.notifyLocked()
	return true, nil
}

func (s *Server) deleteWebhook(_ *http.Request, params url.Values) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = WebhookInfo{}
	if params.Get("drop_pending_updates") == "true" {
		s.updates = nil
	}
	s.notifyLocked()
	return true, nil
}

func (s *Server) getWebhookInfo(*http.Request, url.Values) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	result := map[string]any{
		"url":                    s.webhook.URL,
		"has_custom_certificate": false,
		"pending_update_count":   len(s.updates),
	}
	if s.webhook.URL != "" {
		result["max_connections"] = s.webhook.MaxConnections
		if len(s.webhook.AllowedUpdates) > 0 {
			result["allowed_updates"] = s.webhook.AllowedUpdates
		}
	}
	return result, nil
}

func (s *Server) sendMessage(_ *http.Request, params url.Values) (any, *apiError) {
	chatID, e := chatIDParam(params)
	if e != nil {
		return nil, e
	}

	s.mu.Lock()
	pending := s.failures[chatID]
	fail := nextFailure(&pending)
	s.failures[chatID] = pending
	s.mu.Unlock()
	if fail != nil {
		return nil, fail
	}

	msg := SentMessage{
		ChatID:                chatID,
		Text:                  params.Get("text"),
		ParseMode:             params.Get("parse_mode"),
		DisableWebPagePreview: params.Get("disable_web_page_preview") == "true",
		ReplyMarkup:           params.Get("reply_markup"),
	}
	if e := checkText(msg.Text, msg.ParseMode); e != nil {
		return nil, e
	}
	keyboard, e := parseKeyboard(msg.ReplyMarkup)
	if e != nil {
		return nil, e
	}
	msg.Keyboard = keyboard

	s.mu.Lock()
	defer s.mu.Unlock()
	msg.MessageID = s.nextMessageID
	s.nextMessageID++
	s.messages = append(s.messages, msg)
	s.notifyLocked()
	return messageResult(msg), nil
}

// nextFailure consumes one injected failure from list and returns its
// error, or nil when none is left.
func nextFailure(list *[]*failure) *apiError {
	for len(*list) > 0 {
		f := (*list)[0]
		if f.remaining == 0 {
			*list = (*list)[1:]
			continue
		}
		if f.remaining > 0 {
			f.remaining--
		}
		return &apiError{code: f.code, description: f.description, retryAfter: f.retryAfter}
	}
	return nil
}

func (s *Server) answerCallbackQuery(_ *http.Request, params url.Values) (any, *apiError) {
	answer := CallbackAnswer{
		QueryID:   params.Get("callback_query_id"),
		Text:      params.Get("text"),
		ShowAlert: params.Get("show_alert") == "true",
		URL:       params.Get("url"),
	}
	if visibleLength(answer.Text) > maxCallbackTextLength {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	state, ok := s.callbacks[answer.QueryID]
	if !ok || state.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	state.answered = true
	s.answers = append(s.answers, answer)
	s.notifyLocked()
	return true, nil
}

func (s *Server) setMyCommands(_ *http.Request, params url.Values) (any, *apiError) {
	s.mu.Lock()
	unsupported := s.commandsUnsupported
	s.mu.Unlock()
	if unsupported {
		return nil, &apiError{code: 404, description: "Not Found"}
	}

	var commands []Command
	if err := json.Unmarshal([]byte(params.Get("commands")), &commands); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	for _, c := range commands {
		if !commandPattern.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if c.Description == "" || visibleLength(c.Description) > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}

	// A menu for one chat is kept apart from the default menu. Other
	// scopes are stored as the default menu.
	var scope struct {
		Type   string `json:"type"`
		ChatID int64  `json:"chat_id"`
	}
	if raw := params.Get("scope"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &scope); err != nil {
			return nil, badRequest("can't parse BotCommandScope JSON object")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if scope.Type == "chat" {
		s.chatCommands[scope.ChatID] = commands
	} else {
		s.commands = commands
	}
	s.notifyLocked()
	return true, nil
}

func (s *Server) editMessageText(_ *http.Request, params url.Values) (any, *apiError) {
	text, parseMode := params.Get("text"), params.Get("parse_mode")
	if e := checkText(text, parseMode); e != nil {
		return nil, e
	}
	return s.editMessage(params, func(msg *SentMessage) {
		msg.Text = text
		msg.ParseMode = parseMode
	})
}

func (s *Server) editMessageReplyMarkup(_ *http.Request, params url.Values) (any, *apiError) {
	return s.editMessage(params, func(*SentMessage) {})
}

// editMessage applies change and the reply_markup parameter to a stored
// message, rejecting an edit that changes nothing as Telegram does.
func (s *Server) editMessage(params url.Values, change func(*SentMessage)) (any, *apiError) {
	chatID, e := chatIDParam(params)
	if e != nil {
		return nil, e
	}
	messageID, _ := strconv.Atoi(params.Get("message_id"))
	markup := params.Get("reply_markup")
	keyboard, e := parseKeyboard(markup)
	if e != nil {
		return nil, e
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	index := slices.IndexFunc(s.messages, func(m SentMessage) bool {
		return m.ChatID == chatID && m.MessageID == messageID
	})
	if index < 0 {
		return nil, badRequest("message to edit not found")
	}

	edited := s.messages[index]
	change(&edited)
	edited.ReplyMarkup = markup
	edited.Keyboard = keyboard
	current := s.messages[index]
	if edited.Text == current.Text && edited.ParseMode == current.ParseMode && edited.ReplyMarkup == current.ReplyMarkup {
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	edited.Edits++
	s.messages[index] = edited
	s.notifyLocked()
	return messageResult(edited), nil
}

// checkText applies the Bot API's checks of a message text.
func checkText(text, parseMode string) *apiError {
	if strings.TrimSpace(text) == "" {
		return badRequest("message text is empty")
	}
	length := visibleLength(text)
	switch strings.ToLower(parseMode) {
	case "":
	case "html":
		parsed, err := parseHTML(text)
		if err != nil {
			return badRequest("can't parse entities: " + err.Error())
		}
		length = parsed
	case "markdown", "markdownv2":
	default:
		return badRequest("unsupported parse_mode")
	}
	if length > maxTextLength {
		return badRequest("message is too long")
	}
	return nil
}

func chatIDParam(params url.Values) (int64, *apiError) {
	raw := params.Get("chat_id")
	if raw == "" {
		return 0, badRequest("chat_id is empty")
	}
	chatID, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, badRequest("chat not found")
	}
	return chatID, nil
}

func intParam(params url.Values, key string, fallback int) int {
	value, err := strconv.Atoi(params.Get(key))
	if err != nil {
		return fallback
	}
	return value
}

func messageResult(msg SentMessage) apiMessage {
	result := apiMessage{
		MessageID: msg.MessageID,
		From:      &apiUser{ID: BotID, IsBot: true, FirstName: "Shop", Username: BotUsername},
		Chat:      apiChat{ID: msg.ChatID, Type: chatType(msg.ChatID)},
		Date:      time.Now().Unix(),
		Text:      msg.Text,
	}
	if len(msg.Keyboard) > 0 {
		result.ReplyMarkup = &apiReplyMarkup{InlineKeyboard: msg.Keyboard}
	}
	return result
}

func chatType(chatID int64) string {
	if chatID < 0 {
		return "supergroup"
	}
	return "private"
}
