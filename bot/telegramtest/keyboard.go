package telegramtest

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// maxCallbackDataBytes is the Bot API limit of an inline button's
// callback_data.
const maxCallbackDataBytes = 64

// buttonActions are the inline button fields of which exactly one is set.
var buttonActions = []string{
	"url", "callback_data", "login_url", "switch_inline_query",
	"switch_inline_query_current_chat", "callback_game", "pay", "web_app",
}

// parseKeyboard decodes and checks a reply_markup parameter. Markup without
// an inline keyboard (reply keyboards, force_reply) is accepted and yields
// no buttons.
func parseKeyboard(raw string) ([][]Button, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var markup struct {
		InlineKeyboard [][]map[string]json.RawMessage `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &markup); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}

	var keyboard [][]Button
	for _, row := range markup.InlineKeyboard {
		var buttons []Button
		for _, fields := range row {
			button, e := parseButton(fields)
			if e != nil {
				return nil, e
			}
			buttons = append(buttons, button)
		}
		keyboard = append(keyboard, buttons)
	}
	return keyboard, nil
}

func parseButton(fields map[string]json.RawMessage) (Button, *apiError) {
	var button Button
	if err := json.Unmarshal(fields["text"], &button.Text); err != nil || button.Text == "" {
		return button, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}

	actions := 0
	for _, name := range buttonActions {
		if _, ok := fields[name]; ok {
			actions++
		}
	}
	if actions != 1 {
		return button, badRequest(fmt.Sprintf("can't parse inline keyboard button: button %q must have exactly one action field", button.Text))
	}

	if raw, ok := fields["callback_data"]; ok {
		if err := json.Unmarshal(raw, &button.CallbackData); err != nil {
			return button, badRequest("can't parse inline keyboard button: Field \"callback_data\" must be of type String")
		}
		if len(button.CallbackData) == 0 || len(button.CallbackData) > maxCallbackDataBytes {
			return button, badRequest("BUTTON_DATA_INVALID")
		}
	}
	if raw, ok := fields["url"]; ok {
		if err := json.Unmarshal(raw, &button.URL); err != nil {
			return button, badRequest("can't parse inline keyboard button: Field \"url\" must be of type String")
		}
		if !validButtonURL(button.URL) {
			return button, badRequest(fmt.Sprintf("inline keyboard button URL '%s' is invalid: Wrong HTTP URL", button.URL))
		}
	}
	return button, nil
}

func validButtonURL(raw string) bool {
	parsed, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch parsed.Scheme {
	case "http", "https":
		return parsed.Host != ""
	case "tg":
		return true
	default:
		return false
	}
}
