package telegramtest

// User is a Telegram user who writes to the bot in a test.
type User struct {
	ID           int64
	FirstName    string
	Username     string
	LanguageCode string
}

// Button is one inline keyboard button of a sent message.
type Button struct {
	Text         string `json:"text"`
	URL          string `json:"url,omitempty"`
	CallbackData string `json:"callback_data,omitempty"`
}

// SentMessage is a message the bot sent with sendMessage, as the server
// stored it, including later edits.
type SentMessage struct {
	MessageID             int
	ChatID                int64
	Text                  string
	ParseMode             string
	DisableWebPagePreview bool
	// Keyboard is the decoded inline keyboard, one slice per row.
	Keyboard [][]Button
	// ReplyMarkup is the reply_markup parameter as the bot sent it.
	ReplyMarkup string
	// Edits counts successful editMessageText and editMessageReplyMarkup
	// calls on the message.
	Edits int
}

// Buttons returns the message's inline buttons, row after row.
func (m SentMessage) Buttons() []Button {
	var all []Button
	for _, row := range m.Keyboard {
		all = append(all, row...)
	}
	return all
}

// ButtonByData returns the inline button with the callback data.
func (m SentMessage) ButtonByData(data string) (Button, bool) {
	for _, button := range m.Buttons() {
		if button.CallbackData == data {
			return button, true
		}
	}
	return Button{}, false
}

// URLButtons returns the inline buttons that open a URL.
func (m SentMessage) URLButtons() []Button {
	var list []Button
	for _, button := range m.Buttons() {
		if button.URL != "" {
			list = append(list, button)
		}
	}
	return list
}

// CallbackAnswer is one answerCallbackQuery call.
type CallbackAnswer struct {
	QueryID   string
	Text      string
	ShowAlert bool
	URL       string
}

// WebhookInfo is the webhook the bot registered with setWebhook.
type WebhookInfo struct {
	URL                string
	SecretToken        string
	AllowedUpdates     []string
	MaxConnections     int
	DropPendingUpdates bool
}

// Command is one entry of the command menu set with setMyCommands.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// failure is an injected error for sendMessage calls to one chat.
type failure struct {
	code        int
	description string
	retryAfter  int
	// remaining is how many more sends fail; negative means every send.
	remaining int
}

// callbackState tracks an issued callback query, which may be answered once.
type callbackState struct {
	answered bool
}

// apiUser, apiChat, apiMessage, apiEntity and apiCallbackQuery are the Bot
// API JSON shapes the server writes into updates and results.
type apiUser struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

type apiChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

type apiEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type apiMessage struct {
	MessageID   int             `json:"message_id"`
	From        *apiUser        `json:"from,omitempty"`
	Chat        apiChat         `json:"chat"`
	Date        int64           `json:"date"`
	Text        string          `json:"text,omitempty"`
	Entities    []apiEntity     `json:"entities,omitempty"`
	ReplyMarkup *apiReplyMarkup `json:"reply_markup,omitempty"`
}

type apiReplyMarkup struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

type apiCallbackQuery struct {
	ID           string      `json:"id"`
	From         apiUser     `json:"from"`
	Message      *apiMessage `json:"message,omitempty"`
	ChatInstance string      `json:"chat_instance"`
	Data         string      `json:"data,omitempty"`
}

type apiUpdate struct {
	UpdateID      int               `json:"update_id"`
	Message       *apiMessage       `json:"message,omitempty"`
	CallbackQuery *apiCallbackQuery `json:"callback_query,omitempty"`
}

type apiResponse struct {
	OK          bool           `json:"ok"`
	Result      any            `json:"result,omitempty"`
	ErrorCode   int            `json:"error_code,omitempty"`
	Description string         `json:"description,omitempty"`
	Parameters  *apiParameters `json:"parameters,omitempty"`
}

type apiParameters struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

// apiError is a Bot API error answer.
type apiError struct {
	code        int
	description string
	retryAfter  int
}

func badRequest(description string) *apiError {
	return &apiError{code: 400, description: "Bad Request: " + description}
}

func (u User) api() apiUser {
	return apiUser{ID: u.ID, FirstName: u.FirstName, Username: u.Username, LanguageCode: u.LanguageCode}
}
