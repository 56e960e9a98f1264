package telegramtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// WaitTimeout bounds every Wait method. It is generous because tests run
// with -race on busy machines.
const WaitTimeout = 15 * time.Second

// SendText queues a text message from the user in the user's private chat
// and returns its update_id. A text starting with '/' carries a bot_command
// entity, as Telegram adds one.
func (s *Server) SendText(from User, text string) int {
	return s.sendTextInChat(from, apiChat{
		ID: from.ID, Type: "private", FirstName: from.FirstName, Username: from.Username,
	}, text)
}

// SendGroupText queues a text message from the user in a group chat, whose
// id must be negative as Telegram's group ids are, and returns its update_id.
func (s *Server) SendGroupText(from User, groupID int64, text string) int {
	return s.sendTextInChat(from, apiChat{ID: groupID, Type: "supergroup", Title: "Test group"}, text)
}

func (s *Server) sendTextInChat(from User, chat apiChat, text string) int {
	sender := from.api()
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := &apiMessage{
		MessageID: s.nextMessageID,
		From:      &sender,
		Chat:      chat,
		Date:      time.Now().Unix(),
		Text:      text,
	}
	s.nextMessageID++
	if strings.HasPrefix(text, "/") {
		command, _, _ := strings.Cut(text, " ")
		length := len(utf16.Encode([]rune(command)))
		msg.Entities = []apiEntity{{Type: "bot_command", Offset: 0, Length: length}}
	}
	return s.queueLocked(apiUpdate{Message: msg})
}

// PressButton queues a callback query as if the user pressed an inline
// button with the data on the bot's message, and returns the query id.
func (s *Server) PressButton(from User, messageID int, data string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	query := &apiCallbackQuery{
		ID:           fmt.Sprintf("cbq-%d", s.nextCallbackID),
		From:         from.api(),
		ChatInstance: fmt.Sprintf("ci-%d", from.ID),
		Data:         data,
	}
	s.nextCallbackID++

	chatID := from.ID
	if index := slices.IndexFunc(s.messages, func(m SentMessage) bool { return m.MessageID == messageID }); index >= 0 {
		chatID = s.messages[index].ChatID
		result := messageResult(s.messages[index])
		query.Message = &result
	} else {
		query.Message = &apiMessage{MessageID: messageID, Chat: apiChat{ID: chatID, Type: chatType(chatID)}}
	}

	s.callbacks[query.ID] = &callbackState{}
	s.queueLocked(apiUpdate{CallbackQuery: query})
	return query.ID
}

func (s *Server) queueLocked(update apiUpdate) int {
	update.UpdateID = s.nextUpdateID
	s.nextUpdateID++
	s.updates = append(s.updates, update)
	s.notifyLocked()
	return update.UpdateID
}

// Messages returns the messages the bot sent to the chat, oldest first.
func (s *Server) Messages(chatID int64) []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []SentMessage
	for _, m := range s.messages {
		if m.ChatID == chatID {
			list = append(list, m)
		}
	}
	return list
}

// WaitForMessage waits until the bot sent the chat a message for which
// match returns true and returns the first such message. It fails the test
// after WaitTimeout.
func (s *Server) WaitForMessage(t testing.TB, chatID int64, match func(SentMessage) bool) SentMessage {
	t.Helper()
	var found SentMessage
	s.WaitUntil(t, fmt.Sprintf("a matching message to chat %d", chatID), func() bool {
		for _, m := range s.Messages(chatID) {
			if match(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// WaitUntil waits until condition returns true, checking it after every
// change of the server's state. It fails the test after WaitTimeout, naming
// what it waited for. The condition must not block.
func (s *Server) WaitUntil(t testing.TB, what string, condition func() bool) {
	t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	for {
		changed := s.changedChannel()
		if condition() {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("telegramtest: timed out after %s waiting for %s", WaitTimeout, what)
		}
	}
}

// Changed returns a channel closed at the next change of the server's
// state: a request, a queued update or a control call.
func (s *Server) Changed() <-chan struct{} {
	return s.changedChannel()
}

// FailSendTo makes the next times sendMessage calls to the chat fail with
// the Bot API error code and description, and retry_after when it is
// positive. times <= 0 makes every later call fail.
func (s *Server) FailSendTo(chatID int64, code int, description string, retryAfter int, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if times <= 0 {
		times = -1
	}
	s.failures[chatID] = append(s.failures[chatID], &failure{
		code: code, description: description, retryAfter: retryAfter, remaining: times,
	})
	s.notifyLocked()
}

// FailGetUpdates makes the next times getUpdates calls fail with the error.
func (s *Server) FailGetUpdates(code int, description string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pollFails = append(s.pollFails, &failure{code: code, description: description, remaining: times})
	s.notifyLocked()
}

// Calls returns how many requests named the method, failed ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// CallbackAnswers returns every accepted answerCallbackQuery call in order.
func (s *Server) CallbackAnswers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.answers)
}

// WaitForCallbackAnswer waits until the callback query was answered and
// returns the answer.
func (s *Server) WaitForCallbackAnswer(t testing.TB, queryID string) CallbackAnswer {
	t.Helper()
	var found CallbackAnswer
	s.WaitUntil(t, "an answer to callback query "+queryID, func() bool {
		for _, answer := range s.CallbackAnswers() {
			if answer.QueryID == queryID {
				found = answer
				return true
			}
		}
		return false
	})
	return found
}

// Webhook returns the webhook set by the bot, zero when none is set.
func (s *Server) Webhook() WebhookInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.webhook
	info.AllowedUpdates = slices.Clone(info.AllowedUpdates)
	return info
}

// SetWebhook sets a webhook as if another process had registered one, so
// getUpdates answers 409 Conflict until deleteWebhook is called.
func (s *Server) SetWebhook(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = WebhookInfo{URL: url, MaxConnections: 40}
	s.notifyLocked()
}

// Commands returns the default command menu set with setMyCommands.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// ChatCommands returns the command menu set with setMyCommands for one
// chat, with a scope of type "chat".
func (s *Server) ChatCommands(chatID int64) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.chatCommands[chatID])
}

// SetCommandsUnsupported makes setMyCommands answer 404 Not Found, as Bot
// API servers that lack the method do.
func (s *Server) SetCommandsUnsupported(unsupported bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commandsUnsupported = unsupported
	s.notifyLocked()
}

// PendingUpdates returns how many queued updates the bot has not confirmed.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Offsets returns the offset parameter of every getUpdates call in order.
func (s *Server) Offsets() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.offsets)
}
