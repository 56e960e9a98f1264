package telegramtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const token = "42:test-token"

// call posts form parameters to the method and decodes the response.
func call(t *testing.T, s *Server, tok, method string, params url.Values) (int, apiResponse) {
	t.Helper()
	resp, err := http.PostForm(fmt.Sprintf(s.Endpoint(), tok, method), params)
	if err != nil {
		t.Fatalf("post %s: %v", method, err)
	}
	defer resp.Body.Close()
	var body apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode %s answer: %v", method, err)
	}
	return resp.StatusCode, body
}

func TestServer_RejectsWrongTokenAndUnknownMethod(t *testing.T) {
	s := NewServer(t, token)
	status, body := call(t, s, "42:wrong", "getMe", nil)
	if status != 401 || body.OK || body.ErrorCode != 401 || body.Description != "Unauthorized" {
		t.Errorf("wrong token: status %d, body %+v", status, body)
	}
	status, body = call(t, s, token, "sendDice", nil)
	if status != 404 || body.ErrorCode != 404 || body.Description != "Not Found" {
		t.Errorf("unknown method: status %d, body %+v", status, body)
	}
}

func TestServer_SendMessageChecks(t *testing.T) {
	s := NewServer(t, token)
	cases := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"too long", url.Values{"chat_id": {"1"}, "text": {strings.Repeat("a", 4097)}}, "message is too long"},
		{"raw less-than", url.Values{"chat_id": {"1"}, "text": {"1 < 2"}, "parse_mode": {"HTML"}}, "can't parse entities"},
		{"raw ampersand", url.Values{"chat_id": {"1"}, "text": {"Tom & Jerry"}, "parse_mode": {"HTML"}}, "can't parse entities"},
		{"unknown tag", url.Values{"chat_id": {"1"}, "text": {"<blink>x</blink>"}, "parse_mode": {"HTML"}}, "unsupported start tag"},
		{"unclosed tag", url.Values{"chat_id": {"1"}, "text": {"<b>x"}, "parse_mode": {"HTML"}}, "can't find end tag"},
		{"crossed tags", url.Values{"chat_id": {"1"}, "text": {"<b><i>x</b></i>"}, "parse_mode": {"HTML"}}, "unexpected end tag"},
		{"long callback data", url.Values{"chat_id": {"1"}, "text": {"x"},
			"reply_markup": {`{"inline_keyboard":[[{"text":"b","callback_data":"` + strings.Repeat("d", 65) + `"}]]}`}}, "BUTTON_DATA_INVALID"},
		{"bad button URL", url.Values{"chat_id": {"1"}, "text": {"x"},
			"reply_markup": {`{"inline_keyboard":[[{"text":"b","url":"javascript:alert(1)"}]]}`}}, "is invalid"},
		{"empty text", url.Values{"chat_id": {"1"}, "text": {" "}}, "message text is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, s, token, "sendMessage", tc.params)
			if status != 400 || !strings.Contains(body.Description, tc.want) {
				t.Errorf("status %d, description %q, want 400 with %q", status, body.Description, tc.want)
			}
		})
	}
	if msgs := s.Messages(1); len(msgs) != 0 {
		t.Errorf("rejected messages were stored: %+v", msgs)
	}
}

func TestServer_AcceptsValidHTML(t *testing.T) {
	s := NewServer(t, token)
	text := `<b>Tom &amp; &lt;Jerry&gt;</b> &#39;ok&#x27; <a href="https://example.test/?a=1&amp;b=2">link</a> <code>x</code> 5 > 4`
	params := url.Values{"chat_id": {"7"}, "text": {text}, "parse_mode": {"HTML"},
		"reply_markup": {`{"inline_keyboard":[[{"text":"Pay","url":"https://pay.example.test/1"}],[{"text":"Buy","callback_data":"buy:x"}]]}`}}
	status, body := call(t, s, token, "sendMessage", params)
	if status != 200 || !body.OK {
		t.Fatalf("status %d, body %+v", status, body)
	}
	msg := s.WaitForMessage(t, 7, func(m SentMessage) bool { return m.Text == text })
	if msg.ParseMode != "HTML" || len(msg.URLButtons()) != 1 {
		t.Errorf("stored message = %+v", msg)
	}
	if _, ok := msg.ButtonByData("buy:x"); !ok {
		t.Errorf("callback button missing: %+v", msg.Keyboard)
	}
}

func TestServer_VisibleLengthCountsEntitiesOnce(t *testing.T) {
	length, err := parseHTML("<b>" + strings.Repeat("&amp;", 4096) + "</b>")
	if err != nil || length != 4096 {
		t.Errorf("length = %d, %v; want 4096", length, err)
	}
}

func TestServer_FailSendToInjectsErrors(t *testing.T) {
	s := NewServer(t, token)
	s.FailSendTo(5, 429, "Too Many Requests: retry after 7", 7, 1)
	status, body := call(t, s, token, "sendMessage", url.Values{"chat_id": {"5"}, "text": {"hi"}})
	if status != 429 || body.Parameters == nil || body.Parameters.RetryAfter != 7 {
		t.Errorf("status %d, body %+v", status, body)
	}
	status, _ = call(t, s, token, "sendMessage", url.Values{"chat_id": {"5"}, "text": {"hi"}})
	if status != 200 {
		t.Errorf("second send status = %d, want 200", status)
	}
}

func TestServer_GetUpdatesConflictsWithWebhook(t *testing.T) {
	s := NewServer(t, token)
	status, body := call(t, s, token, "setWebhook", url.Values{
		"url": {"https://shop.example.test/hook"}, "secret_token": {"abc_DEF-1"},
		"allowed_updates": {`["message","callback_query"]`},
	})
	if status != 200 || !body.OK {
		t.Fatalf("setWebhook: status %d, body %+v", status, body)
	}
	status, body = call(t, s, token, "getUpdates", nil)
	if status != 409 || !strings.Contains(body.Description, "webhook is active") {
		t.Errorf("getUpdates with webhook: status %d, body %+v", status, body)
	}
	call(t, s, token, "deleteWebhook", nil)
	if status, _ = call(t, s, token, "getUpdates", nil); status != 200 {
		t.Errorf("getUpdates after deleteWebhook: status %d", status)
	}
}

func TestServer_GetUpdatesConfirmsByOffset(t *testing.T) {
	s := NewServer(t, token)
	first := s.SendText(User{ID: 1, FirstName: "A"}, "/start")
	s.SendText(User{ID: 1, FirstName: "A"}, "hello")

	_, body := call(t, s, token, "getUpdates", url.Values{"timeout": {"1"}})
	var updates []apiUpdate
	raw, _ := json.Marshal(body.Result)
	if err := json.Unmarshal(raw, &updates); err != nil || len(updates) != 2 {
		t.Fatalf("updates = %s, %v", raw, err)
	}
	if e := updates[0].Message.Entities; len(e) != 1 || e[0].Type != "bot_command" || e[0].Length != 6 {
		t.Errorf("entities = %+v", e)
	}
	call(t, s, token, "getUpdates", url.Values{"offset": {fmt.Sprint(first + 1)}})
	if n := s.PendingUpdates(); n != 1 {
		t.Errorf("pending updates = %d, want 1", n)
	}
}

func TestServer_CallbackAnsweredOnlyOnce(t *testing.T) {
	s := NewServer(t, token)
	query := s.PressButton(User{ID: 3, FirstName: "C"}, 0, "x")
	if status, _ := call(t, s, token, "answerCallbackQuery", url.Values{"callback_query_id": {query}}); status != 200 {
		t.Errorf("first answer status = %d", status)
	}
	status, body := call(t, s, token, "answerCallbackQuery", url.Values{"callback_query_id": {query}})
	if status != 400 || !strings.Contains(body.Description, "query ID is invalid") {
		t.Errorf("second answer: status %d, body %+v", status, body)
	}
}

func TestServer_AcceptsJSONBody(t *testing.T) {
	s := NewServer(t, token)
	body := `{"chat_id":9,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"b","callback_data":"d"}]]}}`
	resp, err := http.Post(fmt.Sprintf(s.Endpoint(), token, "sendMessage"), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	msg := s.WaitForMessage(t, 9, func(SentMessage) bool { return true })
	if _, ok := msg.ButtonByData("d"); !ok {
		t.Errorf("keyboard = %+v", msg.Keyboard)
	}
}

func TestServer_SetMyCommandsUnsupported(t *testing.T) {
	s := NewServer(t, token)
	s.SetCommandsUnsupported(true)
	status, body := call(t, s, token, "setMyCommands", url.Values{"commands": {`[{"command":"start","description":"Start"}]`}})
	if status != 404 || body.ErrorCode != 404 {
		t.Errorf("status %d, body %+v", status, body)
	}
}
